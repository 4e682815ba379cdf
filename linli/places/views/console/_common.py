"""What every console page shares: the staff gate, form errors, pagination, downloads."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from linli.accounts.models import AnyUser
from linli.core import limits
from linli.core.exceptions import LinliError
from linli.places import permissions

PAGE_SIZE = 20
REPORT_SESSION_KEY = "linli_import_report"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def staff_required[V: Callable[..., HttpResponse]](view: V) -> V:
    """Anonymous users and non-staff (residents, liaisons) are sent to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and getattr(user, "is_staff_role", False)):
            return redirect_to_login(request.get_full_path())
        # Refusals render inside the console layout, so staff keep their menu and bearings; a
        # 404 says nothing about whether the record exists elsewhere.
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return render(
                request,
                "places/console/refused.html",
                {"page_title": _("Not found"), "status": 404},
                status=404,
            )
        except PermissionDenied:
            return render(
                request,
                "places/console/refused.html",
                {"page_title": _("Not allowed"), "status": 403},
                status=403,
            )

    return wrapper  # type: ignore[return-value]  # wraps keeps V's signature


def _is_editor(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in permissions.EDITOR_ROLES)


def _require_editor(user: AnyUser) -> None:
    if not _is_editor(user):
        raise PermissionDenied


def _form_error(form: Form, err: LinliError) -> None:
    """Show a service refusal next to the field it names, or above the form."""
    name = str(err.details.get("field", ""))
    form.add_error(name if name in form.fields else None, str(err.message))


def _id_param(request: HttpRequest, name: str) -> int | None:
    """An id filter from the query string; None when absent or no row could have it.

    A filter no row can match (a typo, a 20-digit id) shows nothing rather than failing.
    """
    return limits.parse_id(request.GET.get(name))


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _download(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    return quote(name)
