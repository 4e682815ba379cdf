"""The co-construction day's report (共建日报告) for the subdistrict: xlsx and PDF.

One day gathers who was on duty (and who was passed over, why), the activities held that day in
the subdistrict with their check-ins, persons, person-times (人次) and volunteer hours, the
projects that took a step that day, and the reminders sent before it. It reads everything
through the permission querysets (``linli.cobuild.permissions``, ``linli.activities.
permissions``), so community staff get their community's part of the day and nobody gets more
than they may read. The report holds no resident's or volunteer's name: only counts.

The xlsx goes through ``linli.core.spreadsheets``, the PDF through ``linli.core.pdf``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from linli.accounts.models import AnyUser
from linli.cobuild import permissions
from linli.cobuild.models import CoBuildDay, DayReminder, Project, ProjectEntry
from linli.core import pdf, spreadsheets

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ActivityLine:
    title: str
    place: str
    persons: int
    person_times: int
    hours: Decimal


@dataclass(frozen=True)
class ProjectLine:
    title: str
    area: str
    unit: str
    steps: str  # the steps taken that day, in order
    state: str  # where the project stands now


@dataclass
class DayReport:
    day: CoBuildDay
    on_duty: list[str] = field(default_factory=list)
    passed_over: list[tuple[str, str]] = field(default_factory=list)
    activities: list[ActivityLine] = field(default_factory=list)
    persons: int = 0
    person_times: int = 0
    hours: Decimal = Decimal(0)
    projects: list[ProjectLine] = field(default_factory=list)
    reminded: int = 0
    unreachable: int = 0

    @property
    def title(self) -> str:
        return _("%(subdistrict)s co-construction day report, %(date)s") % {
            "subdistrict": self.day.subdistrict.name,
            "date": self.day.date.isoformat(),
        }


def _day_bounds(date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(date, dt.time()), tz)
    return start, start + dt.timedelta(days=1)


def build(user: AnyUser, day: CoBuildDay) -> DayReport:
    """The report of ``day`` as ``user`` may read it."""
    from linli.activities.permissions import checkins_for_user

    report = DayReport(day)
    duties = permissions.duties_for_user(user).filter(day=day).select_related("unit__organisation")
    report.on_duty = [d.unit.organisation.name for d in duties]
    skips = permissions.skips_for_user(user).filter(day=day).select_related("unit__organisation")
    report.passed_over = [(s.unit.organisation.name, s.reason) for s in skips]

    start, end = _day_bounds(day.date)
    checkins = (
        checkins_for_user(user)
        .filter(subdistrict_id=day.subdistrict_id, occurrence__gte=start, occurrence__lt=end)
        .select_related("activity", "station", "community")
        .order_by("activity_id", "pk")
    )
    per_activity: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"persons": set(), "times": 0, "hours": Decimal(0)}
    )
    titles: dict[int, tuple[str, str]] = {}
    everyone: set[str] = set()
    for c in checkins:
        row = per_activity[c.activity_id]
        row["persons"].add(c.person_key)
        row["times"] += 1
        row["hours"] += c.hours or Decimal(0)
        everyone.add(c.person_key)
        place = c.station.name if c.station else (c.community.name if c.community else "")
        titles[c.activity_id] = (c.activity.title, place)
    for activity_id, row in per_activity.items():
        title, place = titles[activity_id]
        report.activities.append(
            ActivityLine(title, place, len(row["persons"]), row["times"], row["hours"])
        )
        report.person_times += row["times"]
        report.hours += row["hours"]
    report.persons = len(everyone)

    projects = permissions.projects_for_user(user).filter(subdistrict=day.subdistrict)
    entries = (
        ProjectEntry.objects.filter(project__in=projects, at__gte=start, at__lt=end)
        .select_related("project__community", "project__claimed_by")
        .order_by("project_id", "at", "pk")
    )
    steps: dict[int, list[str]] = defaultdict(list)
    by_id: dict[int, Project] = {}
    for e in entries:
        by_id[e.project_id] = e.project
        steps[e.project_id].append(e.to_state_label or e.note or "—")
    for project_id, labels in steps.items():
        p = by_id[project_id]
        report.projects.append(
            ProjectLine(
                p.title,
                p.community.name if p.community else day.subdistrict.name,
                p.claimed_by.name if p.claimed_by else "—",
                " → ".join(labels),
                p.get_state_display(),
            )
        )
    reminders = permissions.reminders_for_user(user).filter(day=day, date=day.date)
    report.reminded = reminders.filter(status=DayReminder.Status.SENT).count()
    report.unreachable = reminders.filter(status=DayReminder.Status.UNREACHABLE).count()
    return report


def _summary(report: DayReport) -> list[tuple[str, Any]]:
    day = report.day
    return [
        (_("Subdistrict"), day.subdistrict.name),
        (_("Date"), f"{day.date.isoformat()} ({day.get_reason_display()})"),
        (_("On duty"), "、".join(report.on_duty) or "—"),
        (_("Activities"), len(report.activities)),
        (_("Persons"), report.persons),
        (_("Person-times"), report.person_times),
        (_("Volunteer hours"), f"{report.hours:.2f}"),
        (_("Projects that moved"), len(report.projects)),
        (_("Reminders sent"), report.reminded),
        (_("Units nobody could text"), report.unreachable),
    ]


def _activity_headers() -> list[str]:
    return [_("Activity"), _("Place"), _("Persons"), _("Person-times"), _("Hours")]


def _activity_rows(report: DayReport) -> list[list[Any]]:
    return [
        [a.title, a.place, a.persons, a.person_times, float(a.hours)] for a in report.activities
    ]


def _project_headers() -> list[str]:
    return [_("Project"), _("Area"), _("Claimed by"), _("Steps that day"), _("State now")]


def _project_rows(report: DayReport) -> list[list[Any]]:
    return [[p.title, p.area, p.unit, p.steps, p.state] for p in report.projects]


def _filename(report: DayReport, extension: str) -> str:
    return f"共建日报告-{report.day.subdistrict.name}-{report.day.date.isoformat()}.{extension}"


def xlsx(report: DayReport) -> bytes:
    """The report as a workbook: the summary, the duty roster, the activities, the projects."""
    book, sheet = spreadsheets.new_workbook(_("Summary"))
    spreadsheets.table_sheet(sheet, [_("Item"), _("Value")], _summary(report), widths=[22, 60])
    duty = book.create_sheet(_("On duty"))
    spreadsheets.table_sheet(
        duty,
        [_("Unit"), _("Passed over because")],
        [[name, ""] for name in report.on_duty] + [list(p) for p in report.passed_over],
        widths=[30, 40],
    )
    activities = book.create_sheet(_("Activities"))
    spreadsheets.table_sheet(
        activities, _activity_headers(), _activity_rows(report), widths=[30, 24, 10, 10, 10]
    )
    projects = book.create_sheet(_("Projects"))
    spreadsheets.table_sheet(
        projects, _project_headers(), _project_rows(report), widths=[28, 16, 22, 40, 14]
    )
    return spreadsheets.workbook_bytes(book)


def xlsx_response(report: DayReport) -> HttpResponse:
    response = HttpResponse(xlsx(report), content_type=XLSX)
    # A Chinese file name survives the download (RFC 6266 encoding), as ``pdf.response`` does.
    response["Content-Disposition"] = content_disposition_header(True, _filename(report, "xlsx"))
    return response


def pdf_bytes(report: DayReport) -> bytes:
    """The report as an A4 PDF with Chinese text (``linli.core.pdf``)."""
    day = report.day
    doc = pdf.Document(
        title=report.title,
        subtitle=_("Led by the party working committee of %(subdistrict)s")
        % {"subdistrict": day.subdistrict.name},
    )
    doc.fields(_summary(report))
    doc.heading(_("Units on duty"))
    doc.table(
        [_("Unit"), _("Passed over because")],
        [[name, ""] for name in report.on_duty] + [list(p) for p in report.passed_over],
        widths=[1, 1],
    )
    doc.heading(_("Activities and check-ins"))
    doc.table(
        _activity_headers(),
        [[t, p, n, m, f"{h:.2f}"] for t, p, n, m, h in _activity_rows(report)],
        widths=[3, 2.2, 0.9, 0.9, 1.4],
        numeric={2, 3, 4},
    )
    doc.heading(_("Projects"))
    doc.table(_project_headers(), _project_rows(report), widths=[2.4, 1.4, 1.8, 3, 1.2])
    doc.signature(
        [
            _("Party working committee of %(subdistrict)s") % {"subdistrict": day.subdistrict.name},
            timezone.localdate().isoformat(),
        ]
    )
    return doc.render()


def pdf_response(report: DayReport) -> HttpResponse:
    return pdf.response(pdf_bytes(report), _filename(report, "pdf"))
