"""The 服务组织 export: one sheet of the district's organisations, for staff to check and share.

Export only, no import: organisations come in by name with the services sheet (``imports``) and
are corrected in the console, where a misspelt duplicate can be merged rather than re-created.
The sheet's headers are Chinese, like the other sheets in ``linli.places.exports``; every export
is recorded in the audit log like theirs.
"""

from __future__ import annotations

import io

from django.db.models import Count, QuerySet
from django.http import HttpRequest
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from linli.accounts.models import AnyUser
from linli.core import audit
from linli.core.models import AuditEntry
from linli.places import permissions
from linli.places.models import Organisation

SHEET_TITLE = "服务组织"
KIND_NAMES: dict[str, str] = {
    Organisation.Kind.SOCIAL: "社会组织",
    Organisation.Kind.UNIT: "报到单位",
    Organisation.Kind.PARTNER: "合作伙伴",
    Organisation.Kind.NEW_ECONOMIC: "新经济组织",
    Organisation.Kind.NEW_SOCIAL: "新社会组织",
    Organisation.Kind.GOVERNMENT: "机关单位",
}
COLUMNS = (
    ("名称", 28),
    ("类型", 12),
    ("统一社会信用代码", 22),
    ("电话", 18),
    ("电子邮箱", 24),
    ("网址", 28),
    ("服务项目数", 10),
    ("简介", 40),
)


def organisations_workbook(
    actor: AnyUser,
    queryset: QuerySet[Organisation] | None = None,
    *,
    request: HttpRequest | None = None,
) -> bytes:
    """The organisations the user may see (narrowed by ``queryset``), as .xlsx."""
    organisations = permissions.organisations_for_user(actor)
    if queryset is not None:
        organisations = organisations.filter(pk__in=queryset.values("pk"))
    rows = [
        [
            o.name,
            KIND_NAMES.get(o.kind, o.kind),
            o.credit_code,
            o.phone,
            o.email,
            o.website,
            o.service_count,
            o.description,
        ]
        for o in organisations.annotate(service_count=Count("services")).order_by("name", "pk")
    ]
    audit.record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        object_type="places.organisation",
        object_repr=SHEET_TITLE,
        request=request,
        changes={"rows": len(rows)},
    )
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    for index, (header, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF1F4")
        cell.alignment = Alignment(vertical="center")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        if header != "服务项目数":
            # Text format keeps credit codes such as 913502115628130384 from becoming numbers.
            sheet.column_dimensions[letter].number_format = "@"
    for row in rows:
        sheet.append(row)
    for (code_cell,) in sheet.iter_rows(min_row=2, min_col=3, max_col=3):
        code_cell.number_format = "@"
    sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
