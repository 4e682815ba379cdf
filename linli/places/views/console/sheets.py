"""Console pages for the Excel sheets: import with a report, templates, exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from linli.core import limits
from linli.places import exports, imports
from linli.places.forms import (
    ImportForm,
)
from linli.places.models import (
    Compound,
    Service,
)
from linli.places.sheets import SHEET_TITLES, SheetKind
from linli.places.views.console._common import (
    REPORT_SESSION_KEY,
    _download,
    _id_param,
    _require_editor,
    staff_required,
)
from linli.places.views.console.stations import _filtered_stations


def _kind(kind: str) -> SheetKind:
    try:
        return SheetKind(kind)
    except ValueError:
        raise Http404("No such sheet.") from None


@staff_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest, kind: str) -> HttpResponse:
    sheet_kind = _kind(kind)
    _require_editor(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = imports.import_sheet(
            actor=request.user,
            kind=sheet_kind,
            file=upload,
            filename=upload.name,
            dry_run=request.POST.get("action") == "check",
            request=request,
        )
        request.session[REPORT_SESSION_KEY] = {
            "kind": sheet_kind.value,
            "filename": upload.name,
            "problems": [p.as_dict() for p in result.problems[:2000]],
        }
        if result.committed:
            messages.success(
                request,
                _(
                    "Imported “%(file)s”: %(created)s new, %(updated)s "
                    "updated, %(unchanged)s unchanged."
                )
                % {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "file": upload.name,
                },
            )
            return redirect(_list_url(sheet_kind))
    return render(
        request,
        "places/console/import.html",
        {
            "console_nav": "imports",
            "page_title": _("Import and export"),
            "form": form,
            "kind": sheet_kind,
            "kinds": [(k, SHEET_TITLES[k]) for k in SheetKind],
            "result": result,
        },
    )


def _list_url(kind: SheetKind) -> str:
    return reverse(
        {
            SheetKind.STATIONS: "console:stations",
            SheetKind.COMPOUNDS: "console:compounds",
            SheetKind.SERVICES: "console:services",
        }[kind]
    )


@staff_required
def import_report(request: HttpRequest) -> HttpResponse:
    report = request.session.get(REPORT_SESSION_KEY)
    if not report:
        raise Http404("No import report.")
    data = imports.problems_workbook(report["problems"])
    stem = str(report.get("filename") or "import").rsplit(".", 1)[0]
    return _download(data, f"{stem}-导入问题.xlsx")


@staff_required
def template_download(request: HttpRequest, kind: str) -> HttpResponse:
    sheet_kind = _kind(kind)
    data = exports.template_workbook(sheet_kind, request.user)
    return _download(data, f"{SHEET_TITLES[sheet_kind]}-导入模板.xlsx")


@staff_required
def export_download(request: HttpRequest, kind: str) -> HttpResponse:
    sheet_kind = _kind(kind)
    queryset: QuerySet[Any] | None = None
    if sheet_kind is SheetKind.STATIONS:
        _form, queryset = _filtered_stations(request)
        ids = request.GET.getlist("ids")
        if ids:
            queryset = queryset.filter(pk__in=[pk for i in ids if (pk := limits.parse_id(i))])
    elif community := _id_param(request, "community"):
        queryset = (
            Compound.objects.filter(community_id=community)
            if sheet_kind is SheetKind.COMPOUNDS
            else Service.objects.filter(at_stations__station__community_id=community)
        )
    data = exports.export_workbook(sheet_kind, request.user, queryset, request=request)
    stamp = dt.datetime.now(tz=dt.UTC).astimezone(timezone.get_current_timezone())
    return _download(data, f"{SHEET_TITLES[sheet_kind]}-{stamp:%Y%m%d-%H%M}.xlsx")
