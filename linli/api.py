"""The JSON API (django-ninja): every app adds its router here; OpenAPI at /api/docs.

Every error is JSON ``{"code": …, "message": …}`` (see the exception handlers below).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as ModelValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import SessionAuth

from linli.core.exceptions import LinliError

logger = logging.getLogger("linli.api")


def _json_method_not_allowed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Ninja answers a wrong method with a plain-text 405; turn it into the JSON error shape."""

    @wraps(view)  # keeps csrf_exempt: ninja checks CSRF itself in SessionAuth
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/"):
            allowed = response.get("Allow", "")
            response = JsonResponse(
                {
                    "code": "method_not_allowed",
                    "message": _("This address does not accept the %(method)s method.")
                    % {"method": request.method},
                },
                status=405,
            )
            response["Allow"] = allowed
        return response

    return wrapper


def _unknown_address(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return JsonResponse({"code": "not_found", "message": _("Not found.")}, status=404)


class LinliAPI(NinjaAPI):
    """NinjaAPI whose every answer under /api/ is JSON, unknown addresses and 405 included."""

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_method_not_allowed(pattern.callback)
        # Last, so that it only catches what no route matched (Django would answer with HTML).
        urls.append(re_path(r"^.*$", _unknown_address))
        return urls


api = LinliAPI(
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


@api.exception_handler(ModelValidationError)
def _model_validation_error(request: HttpRequest, exc: ModelValidationError) -> HttpResponse:
    """A model's full_clean() refusing a value the request schema let through."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(
        request,
        {"code": "invalid", "message": _("The request is not valid."), "errors": errors},
        status=400,
    )


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: Django refuses to read it (ninja then raised)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return api.create_response(
        request,
        {
            "code": "too_large",
            "message": _("The request is larger than %(kb)s KB; send less at a time.")
            % {"kb": limit // 1024},
        },
        status=413,
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


_HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "throttled",
}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = str(exc)
    code = _HTTP_ERROR_CODES.get(exc.status_code, "error")
    if message == "CSRF check Failed":  # raised by ninja's SessionAuth, untranslated
        code, message = (
            "csrf_failed",
            _(
                "The CSRF security token is missing or out of date: reload the page and try "
                "again, or let a script send an API token (Authorization: Bearer …) instead."
            ),
        )
    return api.create_response(request, {"code": code, "message": message}, status=exc.status_code)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug: log it with the traceback as Django would, but answer in the API's JSON shape."""
    logger.exception("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return api.create_response(
        request,
        {"code": "server_error", "message": _("Something went wrong on our side.")},
        status=500,
    )


staff_auth = SessionAuth()

# Routers register themselves here (import at the bottom to avoid import cycles).
from linli.activities.api import router as activities_router  # noqa: E402
from linli.cobuild.api import router as cobuild_router  # noqa: E402
from linli.kiosks.api import router as kiosks_router  # noqa: E402
from linli.needs.api import router as needs_router  # noqa: E402
from linli.places.api import router as places_router  # noqa: E402
from linli.places.hsds import router as hsds_router  # noqa: E402
from linli.planning.api import router as planning_router  # noqa: E402

api.add_router("/places/", places_router)
api.add_router("/hsds/", hsds_router)
api.add_router("/planning/", planning_router)
api.add_router("/activities/", activities_router)
api.add_router("/needs/", needs_router)
api.add_router("/kiosks/", kiosks_router)
api.add_router("/cobuild/", cobuild_router)
