"""Quarterly feedback (季度反馈) on 双报到: what each reported unit and party member did.

Each quarter the community tells the party organisation behind every approved registration —
a unit's own party organisation, a party member's employer's — what service they gave there:
the duties of the quarter, the confirmed and the still unconfirmed hours, and (for a member) the
cumulative hours and star level. One download covers every registration in the user's scope (a
subdistrict's staff: all units and members of their subdistrict), as one workbook (a summary row
per unit or member and a sheet of every duty) and one PDF with one letter per recipient, each
starting on its own page so the pages can be sent apart.

Reads only; the rows come from ``linli.activities.duty``'s access chokepoint.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from linli.accounts.models import AnyUser
from linli.activities import duty, permissions
from linli.activities.models import Registration, ServiceRecord, stars_for
from linli.core import pdf, spreadsheets
from linli.core.exceptions import Forbidden

ZERO = Decimal("0.00")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, year: object, number: object) -> Quarter:
        """A quarter from request values; anything else is refused naming the value."""
        try:
            y, q = int(str(year)), int(str(number))
        except ValueError:
            y, q = 0, 0
        if not (2000 <= y <= 2100 and 1 <= q <= 4):
            raise duty.DutyRefused(
                _("“%(year)s Q%(quarter)s” is not a quarter.")
                % {"year": str(year)[:8], "quarter": str(number)[:4]},
                field="quarter",
            )
        return cls(y, q)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def next_first_day(self) -> dt.date:
        return (
            dt.date(self.year + 1, 1, 1)
            if self.number == 4
            else dt.date(self.year, 3 * self.number + 1, 1)
        )

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        zone = ZoneInfo(settings.TIME_ZONE)
        start = dt.datetime.combine(self.first_day, dt.time(), zone)
        end = dt.datetime.combine(self.next_first_day, dt.time(), zone)
        return start, end

    @property
    def label(self) -> str:
        return _("%(year)s, quarter %(quarter)s") % {"year": self.year, "quarter": self.number}

    @property
    def slug(self) -> str:
        return f"{self.year}Q{self.number}"


@dataclass
class Duty:
    started_at: dt.datetime
    ended_at: dt.datetime
    what: str
    hours: Decimal
    confirmed: bool


@dataclass
class Feedback:
    """One letter: a unit's or a member's service at the community they reported to."""

    registration: Registration
    duties: list[Duty] = field(default_factory=list)
    cumulative_hours: Decimal | None = None  # members only: all confirmed hours, any time
    stars: int | None = None

    @property
    def is_unit(self) -> bool:
        return self.registration.kind == Registration.Kind.UNIT

    @property
    def kind_label(self) -> str:
        return str(self.registration.get_kind_display())

    @property
    def recipient(self) -> str:
        """The party organisation the feedback goes to."""
        r = self.registration
        if not self.is_unit and r.member is not None:
            return r.member.employer_party_organisation or r.party_organisation
        return r.party_organisation

    @property
    def employer(self) -> str:
        r = self.registration
        if self.is_unit and r.organisation is not None:
            return r.organisation.name
        return r.member.employer if r.member is not None else ""

    @property
    def confirmed_hours(self) -> Decimal:
        return sum((d.hours for d in self.duties if d.confirmed), ZERO)

    @property
    def pending_hours(self) -> Decimal:
        return sum((d.hours for d in self.duties if not d.confirmed), ZERO)


def feedback_for(user: AnyUser, quarter: Quarter) -> list[Feedback]:
    """The quarter's feedback for every approved registration in ``user``'s scope (editors)."""
    if not permissions.is_editor(user):
        raise Forbidden(_("Only the staff who approve registrations send their feedback."))
    registrations = list(
        duty.registrations_for_user(user)
        .filter(status=Registration.Status.APPROVED)
        .select_related("community__subdistrict", "organisation", "member__user")
        .order_by("subdistrict_id", "community__code", "kind", "pk")
    )
    start, end = quarter.bounds()
    units = {r.organisation_id for r in registrations if r.organisation_id}
    volunteers = {r.member.user_id for r in registrations if r.member is not None}
    records = ServiceRecord.objects.filter(
        Q(unit_id__in=units) | Q(volunteer_id__in=volunteers),
        community_id__in={r.community_id for r in registrations},
        started_at__gte=start,
        started_at__lt=end,
    ).order_by("started_at", "pk")
    by_unit: dict[tuple[int, int], list[Duty]] = defaultdict(list)
    by_volunteer: dict[tuple[int, int], list[Duty]] = defaultdict(list)
    for rec in records:
        item = Duty(
            started_at=rec.started_at,
            ended_at=rec.ended_at,
            what=rec.what,
            hours=rec.hours,
            confirmed=rec.status == ServiceRecord.Status.CONFIRMED,
        )
        if rec.unit_id is not None:
            by_unit[(rec.unit_id, rec.community_id)].append(item)
        if rec.volunteer_id in volunteers:
            by_volunteer[(rec.volunteer_id, rec.community_id)].append(item)
    totals = dict(
        ServiceRecord.objects.filter(
            volunteer_id__in=volunteers, status=ServiceRecord.Status.CONFIRMED
        )
        .values_list("volunteer_id")
        .annotate(total=Sum("hours"))
        .values_list("volunteer_id", "total")
    )
    tiers = duty.star_tiers(getattr(user, "district_id", None))
    letters = []
    for r in registrations:
        if r.kind == Registration.Kind.UNIT:
            letters.append(
                Feedback(
                    registration=r, duties=by_unit.get((r.organisation_id or 0, r.community_id), [])
                )
            )
        elif r.member is not None:
            total = Decimal(totals.get(r.member.user_id) or 0).quantize(Decimal("0.01"))
            letters.append(
                Feedback(
                    registration=r,
                    duties=by_volunteer.get((r.member.user_id, r.community_id), []),
                    cumulative_hours=total,
                    stars=stars_for(total, tiers),
                )
            )
    return letters


# ------------------------------------------------------------------------------ the files


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def _status(item: Duty) -> str:
    return _("confirmed") if item.confirmed else _("waiting for confirmation")


def workbook(letters: list[Feedback], quarter: Quarter) -> bytes:
    """One workbook: a summary row per unit or member, and every duty of the quarter."""
    book, summary = spreadsheets.new_workbook(_("Summary"))
    spreadsheets.table_sheet(
        summary,
        [
            _("Subdistrict"),
            _("Community"),
            _("Kind"),
            _("Unit or party member"),
            _("Feedback goes to"),
            _("Employer"),
            _("Receipt number"),
            _("Duties this quarter"),
            _("Confirmed hours this quarter"),
            _("Hours waiting for confirmation"),
            _("Cumulative confirmed hours"),
            _("Stars"),
        ],
        (
            [
                f.registration.community.subdistrict.name,
                f.registration.community.name,
                f.kind_label,
                f.registration.reporter_name,
                f.recipient,
                f.employer,
                f.registration.receipt_number,
                len(f.duties),
                float(f.confirmed_hours),
                float(f.pending_hours),
                "" if f.cumulative_hours is None else float(f.cumulative_hours),
                "" if f.stars is None else f.stars,
            ]
            for f in letters
        ),
        widths=(12, 14, 10, 24, 26, 22, 24, 10, 12, 12, 12, 8),
        text_columns=(7,),
        auto_filter=True,
    )
    duties = book.create_sheet(_("Duties"))
    spreadsheets.table_sheet(
        duties,
        [
            _("Community"),
            _("Unit or party member"),
            _("Date"),
            _("Began"),
            _("Ended"),
            pgettext("service record", "What was done"),
            _("Hours"),
            _("Status"),
        ],
        (
            [
                f.registration.community.name,
                f.registration.reporter_name,
                f"{_local(d.started_at):%Y-%m-%d}",
                f"{_local(d.started_at):%H:%M}",
                f"{_local(d.ended_at):%H:%M}",
                d.what,
                float(d.hours),
                _status(d),
            ]
            for f in letters
            for d in f.duties
        ),
        widths=(14, 24, 12, 8, 8, 40, 8, 14),
        auto_filter=True,
    )
    book.properties.title = _(
        "Quarterly service feedback on reporting units and party members, %(quarter)s"
    ) % {"quarter": quarter.label}
    return spreadsheets.workbook_bytes(book)


def document(letters: list[Feedback], quarter: Quarter, *, issuer: str) -> bytes:
    """One PDF: a letter per unit or member, each on its own page(s)."""
    title = _("Quarterly service feedback on reporting units and party members, %(quarter)s") % {
        "quarter": quarter.label
    }
    doc = pdf.Document(title=title, subtitle=issuer, author=issuer)
    if not letters:
        doc.paragraph(_("No unit or party member has an approved registration here."))
    today = timezone.localdate()
    for index, f in enumerate(letters):
        if index:
            doc.new_page()
        r = f.registration
        doc.heading(_("To %(recipient)s") % {"recipient": f.recipient})
        doc.paragraph(
            _(
                "%(who)s reported to %(community)s (receipt %(receipt)s). In %(quarter)s "
                "they served %(count)s times, %(hours)s confirmed hours."
            )
            % {
                "who": r.reporter_name,
                "community": r.community.name,
                "receipt": r.receipt_number,
                "quarter": quarter.label,
                "count": len(f.duties),
                "hours": f.confirmed_hours,
            }
        )
        pairs = [
            (_("Kind"), f.kind_label),
            (_("Unit or party member"), r.reporter_name),
            (_("Employer"), f.employer),
            (_("Community"), f"{r.community.subdistrict.name} {r.community.name}"),
            (_("Confirmed hours this quarter"), f.confirmed_hours),
            (_("Hours waiting for confirmation"), f.pending_hours),
        ]
        if f.cumulative_hours is not None:
            pairs.append((_("Cumulative confirmed hours"), f.cumulative_hours))
            pairs.append((_("Stars"), "★" * (f.stars or 0) or _("none yet")))
        doc.fields(pairs, label_width=48)
        doc.table(
            [
                _("Date"),
                _("Time"),
                pgettext("service record", "What was done"),
                _("Hours"),
                _("Status"),
            ],
            [
                [
                    f"{_local(d.started_at):%Y-%m-%d}",
                    f"{_local(d.started_at):%H:%M}–{_local(d.ended_at):%H:%M}",
                    d.what,
                    d.hours,
                    _status(d),
                ]
                for d in f.duties
            ],
            widths=(2.2, 2, 6, 1.2, 1.8),
            numeric={3},
        )
        doc.signature(
            [
                _("%(community)s community party committee (seal)")
                % {"community": r.community.name},
                f"{today:%Y-%m-%d}",
            ]
        )
    return doc.render()
