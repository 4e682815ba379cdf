"""Excel export and import of the projects list (项目清单), and the export of the needs list.

Written and read through ``linli.core.spreadsheets`` (no live formula, text kept as text, a file
that could be a bomb refused). Exports cannot widen scope: the projects are
``permissions.projects_for_user``'s, the needs the intersection of the needs list
(``linli.needs.queries.open_needs_for_cobuild``) with what the needs app lets the user read; the
needs list carries no resident's name or phone.

The import is all or nothing, as the resources import (``linli.cobuild.imports``): every row is
checked first and each problem named by row, column and value; a clean file is written through
``services.create_project`` / ``services.claim_project`` in one transaction, so a refusal there
rolls every row back. A row with a 项目编号 names a project already on the list (an exported file
imports back unchanged); its 认领单位 claims it when it is still open. ``dry_run`` previews.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AnyUser, User
from linli.cobuild import permissions, services
from linli.cobuild.imports import Problem, Report
from linli.cobuild.models import Project, Resource
from linli.core import audit, spreadsheets
from linli.core.exceptions import LinliError
from linli.core.models import AuditEntry
from linli.places.models import Organisation

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 2000
READ_LIMITS = spreadsheets.ReadLimits(max_bytes=5 * 1024 * 1024, max_rows=MAX_ROWS)


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header (the import also accepts ``english``)
    english: str
    width: int
    imported: bool = False  # read back by the import; the others are for people only


PROJECT_COLUMNS: tuple[Column, ...] = (
    Column("id", "项目编号", "Project", 10, imported=True),
    Column("title", "项目名称", "Title", 26, imported=True),
    Column("need", "需求编号", "Need", 10, imported=True),
    Column("need_summary", "需求摘要", "Need summary", 30),
    Column("community", "社区", "Community", 16),
    Column("resource", "资源编号", "Resource", 10, imported=True),
    Column("resource_title", "资源名称", "Resource title", 22),
    Column("unit", "认领单位", "Claimed by", 22, imported=True),
    Column("state", "状态", "State", 12),
    Column("evaluation", "居民评价", "Evaluation", 12),
    Column("created", "立项日期", "Created", 12),
)
PROJECTS_TITLE = "项目清单"
NEEDS_TITLE = "需求清单"
NEED_HEADERS = (
    "需求编号",
    "类别",
    "摘要",
    "街道",
    "社区",
    "状态",
    "办理时限",
    "截止时间",
    "关注人数",
    "已立项目",
)
_HEADERS = {c.header: c.key for c in PROJECT_COLUMNS} | {
    c.english.lower(): c.key for c in PROJECT_COLUMNS
}
_LABEL = {c.key: c.header for c in PROJECT_COLUMNS}


def _response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _sheet_bytes(title: str, headers: tuple[str, ...], rows: list[list[Any]], widths: Any) -> bytes:
    book, sheet = spreadsheets.new_workbook(title)
    spreadsheets.table_sheet(sheet, headers, rows, widths=widths, auto_filter=True)
    return spreadsheets.workbook_bytes(book)


def project_rows(projects: QuerySet[Project]) -> list[list[Any]]:
    """One row per project in the order of ``PROJECT_COLUMNS``."""
    rows = []
    for p in projects.select_related("need", "community", "resource", "claimed_by"):
        rows.append(
            [
                p.pk,
                p.title,
                p.need_id,
                p.need.public_summary or p.need.get_category_display(),
                p.community.name if p.community else "",
                p.resource_id or "",
                p.resource.title if p.resource else "",
                p.claimed_by.name if p.claimed_by else "",
                p.get_state_display(),
                p.get_evaluation_display() if p.evaluation else "",
                timezone.localtime(p.created_at).date().isoformat(),
            ]
        )
    return rows


def projects_response(
    actor: AnyUser, projects: QuerySet[Project], *, request: HttpRequest | None = None
) -> HttpResponse:
    """The projects ``actor`` may see (narrowed by ``projects``) as an .xlsx download."""
    allowed = permissions.projects_for_user(actor).filter(pk__in=projects.values("pk"))
    rows = project_rows(allowed.order_by("pk"))
    audit.record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        object_type="cobuild.project",
        object_repr=PROJECTS_TITLE,
        request=request,
        changes={"rows": len(rows)},
    )
    headers = tuple(c.header for c in PROJECT_COLUMNS)
    widths = [c.width for c in PROJECT_COLUMNS]
    return _response(_sheet_bytes(PROJECTS_TITLE, headers, rows, widths), "projects.xlsx")


def needs_list_for_user(actor: User) -> QuerySet[Any]:
    """The needs list (需求清单) as far as ``actor`` may read the needs."""
    from linli.needs.permissions import needs_for_user
    from linli.needs.queries import open_needs_for_cobuild

    district_id = actor.scope.district_id
    if district_id is None or not permissions.is_staff(actor):
        return needs_for_user(actor).none()
    listed = open_needs_for_cobuild(district_id)
    return listed.filter(pk__in=needs_for_user(actor).values("pk"))


def needs_list_response(actor: User, *, request: HttpRequest | None = None) -> HttpResponse:
    """The needs list ``actor`` may read as an .xlsx download (no personal data)."""
    needs = needs_list_for_user(actor).select_related("subdistrict", "community")
    projects: dict[int, list[str]] = {}
    for need_id, title in Project.objects.filter(need__in=needs).values_list("need_id", "title"):
        projects.setdefault(need_id, []).append(title)
    rows = [
        [
            n.pk,
            n.get_category_display(),
            n.public_summary,
            n.subdistrict.name if n.subdistrict else "",
            n.community.name if n.community else "",
            n.get_status_display(),
            n.get_urgency_display(),
            timezone.localtime(n.due_at).strftime("%Y-%m-%d %H:%M") if n.due_at else "",
            n.followers_count + 1,
            "；".join(projects.get(n.pk, [])),
        ]
        for n in needs
    ]
    audit.record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        object_type="needs.need",
        object_repr=NEEDS_TITLE,
        request=request,
        changes={"rows": len(rows)},
    )
    widths = [10, 16, 30, 14, 16, 12, 16, 18, 10, 30]
    return _response(_sheet_bytes(NEEDS_TITLE, NEED_HEADERS, rows, widths), "needs-list.xlsx")


def template_response() -> HttpResponse:
    """An empty projects sheet with an example row (a new project, claimed)."""
    headers = tuple(c.header for c in PROJECT_COLUMNS if c.imported)
    example = [["", "楼道灯维修", 1024, "", "区供电公司"]]
    widths = [c.width for c in PROJECT_COLUMNS if c.imported]
    return _response(
        _sheet_bytes(PROJECTS_TITLE, headers, example, widths), "projects-template.xlsx"
    )


# ------------------------------------------------------------------------------------ import


class _Rollback(Exception):
    pass


@dataclass
class _Row:
    number: int
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read(upload: Any, report: Report) -> list[_Row]:
    if upload is None:
        report.problems.append(Problem(0, "", _("Choose an Excel file (.xlsx) to import.")))
        return []
    try:
        book = spreadsheets.read_upload(upload, limits=READ_LIMITS)
    except spreadsheets.SpreadsheetRefused as refused:
        for p in refused.problems:
            report.problems.append(Problem(p.row or 0, p.column, p.message))
        return []
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    keys = [_HEADERS.get(_text(h).lower(), _HEADERS.get(_text(h), "")) for h in header]
    if "title" not in keys or "need" not in keys:
        report.problems.append(
            Problem(
                1,
                "",
                _("The header lacks the columns: %(columns)s.")
                % {"columns": "、".join(_LABEL[k] for k in ("title", "need") if k not in keys)},
            )
        )
        return []
    found = []
    for number, values in enumerate(rows, start=2):
        row = {k: _text(v) for k, v in zip(keys, values, strict=False) if k}
        if any(row.values()):
            found.append(_Row(number, row))
    return found


def _number(row: _Row, key: str, report: Report) -> int | None:
    text = row.get(key)
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        report.problems.append(
            Problem(
                row.number,
                _LABEL[key],
                _("“%(value)s” is not a number.") % {"value": text[:40]},
            )
        )
        return None
    return int(text)


@dataclass
class _Plan:
    row: _Row
    project: Project | None
    need: Any
    resource: Resource | None
    unit: Organisation | None


def _plan(actor: User, row: _Row, report: Report) -> _Plan | None:
    before = len(report.problems)

    def bad(key: str, message: str) -> None:
        report.problems.append(Problem(row.number, _LABEL[key], message))

    project_id = _number(row, "id", report)
    need_id = _number(row, "need", report)
    resource_id = _number(row, "resource", report)
    project = need = resource = unit = None
    if project_id is not None:
        project = permissions.projects_for_user(actor).filter(pk=project_id).first()
        if project is None:
            bad("id", _("No project %(id)s on the projects list you see.") % {"id": project_id})
        elif need_id is not None and project.need_id != need_id:
            bad(
                "need",
                _("Project %(id)s is for need %(need)s, not %(value)s.")
                % {"id": project_id, "need": project.need_id, "value": need_id},
            )
    elif len(report.problems) == before:
        if not row.get("title"):
            bad("title", _("Give the project a title."))
        if need_id is None:
            bad("need", _("Name the need on the needs list (its number)."))
        else:
            need = needs_list_for_user(actor).filter(pk=need_id).first()
            if need is None:
                bad(
                    "need",
                    _("Need %(id)s is not on the needs list of your area.") % {"id": need_id},
                )
    if resource_id is not None and project is None:
        resource = permissions.resources_for_user(actor).filter(pk=resource_id).first()
        if resource is None:
            bad("resource", _("No resource %(id)s in your area.") % {"id": resource_id})
    name = row.get("unit")
    if name:
        district_id = actor.district_id
        if district_id is not None:
            unit = Organisation.objects.filter(district_id=district_id, name=name).first()
        if unit is None:
            bad("unit", _("No unit or organisation is called “%(name)s”.") % {"name": name[:60]})
    if len(report.problems) > before:
        return None
    return _Plan(row, project, need, resource, unit)


def import_projects(
    *, actor: User, upload: Any, dry_run: bool = False, request: HttpRequest | None = None
) -> Report:
    """Import every row of the file, or none; the report names each problem."""
    report = Report(dry_run=dry_run)
    rows = _read(upload, report)
    if report.problems:
        return report
    if not rows:
        report.problems.append(Problem(0, "", _("The file holds no rows to import.")))
        return report
    plans = [_plan(actor, row, report) for row in rows]
    if report.problems:
        return report
    try:
        with transaction.atomic():
            for plan in plans:
                assert plan is not None
                number = plan.row.number
                try:
                    project = plan.project
                    if project is None:
                        project = services.create_project(
                            actor=actor,
                            need=plan.need,
                            title=plan.row.get("title"),
                            resource=plan.resource,
                            request=request,
                        )
                        report.created += 1
                    if plan.unit is not None and project.claimed_by_id != plan.unit.pk:
                        services.claim_project(
                            actor=actor, project=project, organisation=plan.unit, request=request
                        )
                except LinliError as exc:
                    field = str(exc.details.get("field", ""))
                    column = {"organisation": "unit", "title": "title", "resource": "resource"}
                    report.problems.append(
                        Problem(number, _LABEL.get(column.get(field, ""), ""), str(exc.message))
                    )
            if report.problems or dry_run:
                raise _Rollback
    except _Rollback:
        if report.problems:
            report.created = 0
    return report
