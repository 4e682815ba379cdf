"""The JSON API (django-ninja): every app adds its router here; OpenAPI at /api/docs.

Every error is JSON ``{"code": …, "message": …}`` (see the exception handlers below).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import SessionAuth

from linli.core.exceptions import LinliError

api = NinjaAPI(
    title="Linli 邻里 API",
    version="1",
    description="Stations, services and organisations of the district (Open Referral HSDS 3.0 "
    "under /api/hsds/), and the staff API. Errors are JSON objects with a code and a message.",
    urls_namespace="api",
)


@api.exception_handler(LinliError)
def _linli_error(request: HttpRequest, exc: LinliError) -> HttpResponse:
    return api.create_response(
        request, {"code": exc.code, "message": str(exc.message), **exc.details}, status=exc.status
    )


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(
        request,
        {"code": "invalid", "message": _("The request is not valid."), "errors": exc.errors},
        status=422,
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request, {"code": "not_found", "message": _("Not found.")}, status=404
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request, {"code": "forbidden", "message": _("You may not do this.")}, status=403
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request, {"code": "unauthenticated", "message": _("Please log in.")}, status=401
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(
        request, {"code": "error", "message": str(exc)}, status=exc.status_code
    )


staff_auth = SessionAuth()

# Routers register themselves here (import at the bottom to avoid import cycles).
from linli.places.api import router as places_router  # noqa: E402
from linli.places.hsds import router as hsds_router  # noqa: E402

api.add_router("/places/", places_router)
api.add_router("/hsds/", hsds_router)
