"""The 服务组织 export: one sheet of the district's organisations, for staff to check and share.

Export only, no import: organisations come in by name with the services sheet (``imports``) and
are corrected in the console, where a misspelt duplicate can be merged rather than re-created.
The sheet's headers are Chinese, like the other sheets in ``linli.places.exports``; every export
is recorded in the audit log like theirs.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import HttpRequest

from linli.accounts.models import AnyUser
from linli.core import audit
from linli.core.models import AuditEntry
from linli.core.spreadsheets import new_workbook, table_sheet, workbook_bytes
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
    workbook, sheet = new_workbook(SHEET_TITLE)
    table_sheet(
        sheet,
        [header for header, _width in COLUMNS],
        rows,
        widths=[width for _header, width in COLUMNS],
        # Text format keeps credit codes such as 913502115628130384 from becoming numbers.
        text_columns=[i for i, (h, _w) in enumerate(COLUMNS, start=1) if h != "服务项目数"],
        freeze="B2",
    )
    return workbook_bytes(workbook)
