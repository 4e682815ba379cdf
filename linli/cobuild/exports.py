"""Excel export of the resources list, and the import template.

Exports cannot widen scope: whatever queryset is given is intersected with
``permissions.resources_for_user``. A cell that would start with ``= + - @`` (or a tab or
carriage return) is written as text with a leading apostrophe, so a spreadsheet program never
runs what someone typed as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from linli.accounts.models import AnyUser
from linli.cobuild import permissions, queries
from linli.cobuild.models import Resource
from linli.cobuild.sheets import (
    CATEGORY_LABEL,
    COLUMNS,
    PROVIDER_LABEL,
    SHEET_TITLE,
    SKILL_LABEL,
)
from linli.core import audit
from linli.core.models import AuditEntry

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value as a cell may hold it: text that could read as a formula is made inert."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _windows_text(resource: Resource) -> str:
    parts = []
    for w in resource.windows.all():
        s, e = timezone.localtime(w.starts_at), timezone.localtime(w.ends_at)
        end = f"{e:%H:%M}" if s.date() == e.date() else f"{e:%Y-%m-%d %H:%M}"
        parts.append(f"{s:%Y-%m-%d %H:%M}-{end}")
    return "；".join(parts)


def resource_rows(actor: AnyUser, resources: Iterable[Resource]) -> Iterable[list[Any]]:
    """One row per resource in the column order of ``sheets.COLUMNS``."""
    for r in resources:
        yield [
            r.title,
            CATEGORY_LABEL.get(r.category, r.category),
            SKILL_LABEL.get(r.skill, r.skill),
            r.subdistrict.code,
            r.community.code if r.community else "",
            PROVIDER_LABEL.get(r.provider_kind, r.provider_kind),
            r.organisation.name if r.organisation else "",
            "" if r.organisation_id else queries.provider_shown(actor, r),
            r.quantity,
            r.quantity_unit,
            r.station.code if r.station else "",
            r.address,
            r.lon,
            r.lat,
            _windows_text(r),
            r.description,
        ]


def workbook(rows: Iterable[Sequence[Any]]) -> bytes:
    """The sheet with its header and ``rows``."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    fill = PatternFill("solid", fgColor="FDE9D9")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = fill
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for offset, values in enumerate(rows, start=2):
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=offset, column=index, value=safe_cell(value))
            if isinstance(value, str):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def resources_response(
    actor: AnyUser, resources: QuerySet[Resource], *, request: HttpRequest | None = None
) -> HttpResponse:
    """The resources the user may see (narrowed by ``resources``) as an .xlsx download."""
    allowed = permissions.resources_for_user(actor).filter(pk__in=resources.values("pk"))
    allowed = allowed.select_related("subdistrict", "community", "organisation", "station")
    rows = list(resource_rows(actor, allowed.prefetch_related("windows")))
    audit.record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        object_type="cobuild.resource",
        object_repr=SHEET_TITLE,
        request=request,
        changes={"rows": len(rows)},
    )
    response = HttpResponse(workbook(rows), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="resources.xlsx"'
    return response


def template_response() -> HttpResponse:
    """An empty import sheet with an example row."""
    example = [
        "法律咨询",
        "技能",
        "法律咨询",
        "T14040401",
        "",
        "党员",
        "",
        "李明华",
        4,
        "人次",
        "",
        "幸福里社区党群服务中心",
        113.071,
        36.181,
        "2026-01-09 09:00-12:00",
        "每月共建日现场咨询",
    ]
    response = HttpResponse(workbook([example]), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="resources-template.xlsx"'
    return response
