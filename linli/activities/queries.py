"""Reads of the activities app: what is coming up, who signed up, and the attendance counts.

Persons count distinct ``CheckIn.person_key`` values, person-times (人次) count check-ins (one
person at two sessions is 1 person, 2 person-times). Counts for staff go through
``permissions.checkins_for_user``; the public figures on station and community pages are
aggregates without names. Dashboards and other apps may call the functions here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncYear
from django.utils import timezone

from linli.accounts.models import AnyUser, User
from linli.activities import permissions, schedule
from linli.activities.models import Activity, Category, CheckIn, SignUp
from linli.activities.schedule import Occurrence


def now() -> dt.datetime:
    return timezone.now()


def upcoming(
    activities: Iterable[Activity], *, after: dt.datetime, days: int, limit: int
) -> list[Occurrence]:
    """The next sessions of ``activities`` within ``days``, soonest first."""
    until = after + dt.timedelta(days=days)
    found: list[Occurrence] = []
    for activity in activities:
        found.extend(schedule.occurrences(activity, after=after, until=until, limit=limit))
    found.sort(key=lambda o: (o.start, o.activity.pk))
    return found[:limit]


def _public_window(after: dt.datetime, until: dt.datetime) -> QuerySet[Activity]:
    """Published activities that may have a session between ``after`` and ``until``."""
    return (
        permissions.public_activities()
        .filter(starts_at__lt=until)
        .filter(Q(ends_at__gt=after) | ~Q(rrule=""))
        .select_related("station", "community")
    )


def station_upcoming(station_id: int, *, at: dt.datetime, days: int = 28) -> list[Occurrence]:
    """What is coming up at a station (its page)."""
    until = at + dt.timedelta(days=days)
    return upcoming(
        _public_window(at, until).filter(station_id=station_id), after=at, days=days, limit=8
    )


def community_upcoming(community_id: int, *, at: dt.datetime, days: int = 28) -> list[Occurrence]:
    """What is coming up in a community (its page)."""
    until = at + dt.timedelta(days=days)
    return upcoming(
        _public_window(at, until).filter(community_id=community_id), after=at, days=days, limit=20
    )


def this_week(district_id: int, *, at: dt.datetime) -> list[Occurrence]:
    """What is on in the district from now to the end of Sunday (the resident home page)."""
    local = timezone.localtime(at)
    sunday_end = timezone.make_aware(
        dt.datetime.combine(local.date() + dt.timedelta(days=7 - local.weekday()), dt.time(0)),
        timezone.get_current_timezone(),
    )
    days = max(1, (sunday_end - at).days + 1)
    window = _public_window(at, sunday_end).filter(district_id=district_id)
    return [o for o in upcoming(window, after=at, days=days, limit=12) if o.start < sunday_end]


@dataclass(frozen=True)
class SessionPlaces:
    """How full one session is."""

    confirmed: int
    waiting: int
    capacity: int

    @property
    def left(self) -> int | None:
        """Places left, or None without a limit."""
        return max(0, self.capacity - self.confirmed) if self.capacity else None

    @property
    def full(self) -> bool:
        return bool(self.capacity) and self.confirmed >= self.capacity


def places(activity: Activity, occurrence: dt.datetime) -> SessionPlaces:
    """Confirmed and waiting sign-ups of one session."""
    counts = SignUp.objects.filter(activity=activity, occurrence=occurrence).aggregate(
        confirmed=Count("pk", filter=Q(status=SignUp.Status.CONFIRMED)),
        waiting=Count("pk", filter=Q(status=SignUp.Status.WAITING)),
    )
    return SessionPlaces(counts["confirmed"], counts["waiting"], activity.capacity)


def my_signups(user: User, *, at: dt.datetime) -> QuerySet[SignUp]:
    """A person's live sign-ups for sessions not yet over (their "my activities" page)."""
    return (
        permissions.signups_for_user(user)
        .exclude(status=SignUp.Status.CANCELLED)
        .filter(user=user, occurrence__gte=at - dt.timedelta(hours=12))
        .select_related("activity", "activity__station")
        .order_by("occurrence")
    )


def session_roll(activity: Activity, occurrence: dt.datetime) -> list[dict[str, Any]]:
    """The keeper's list for one session: every live sign-up and whether they checked in."""
    checked = {
        c.signup_id: c
        for c in CheckIn.objects.filter(activity=activity, occurrence=occurrence).exclude(
            signup=None
        )
    }
    rows = []
    for s in SignUp.objects.exclude(status=SignUp.Status.CANCELLED).filter(
        activity=activity, occurrence=occurrence
    ):
        c = checked.get(s.pk)
        rows.append(
            {
                "signup": s,
                "checkin": c,
                "waiting": s.status == SignUp.Status.WAITING,
            }
        )
    return rows


# ------------------------------------------------------------------------------------ counts


@dataclass(frozen=True)
class Figure:
    """Persons and person-times (人次) of a set of check-ins."""

    persons: int
    person_times: int


def figure(checkins: QuerySet[CheckIn]) -> Figure:
    """Count persons (distinct people) and person-times (check-ins) in one query."""
    row = checkins.aggregate(times=Count("pk"), persons=Count("person_key", distinct=True))
    return Figure(persons=row["persons"] or 0, person_times=row["times"] or 0)


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(dt.datetime(year, 1, 1), tz),
        timezone.make_aware(dt.datetime(year + 1, 1, 1), tz),
    )


def public_figure(
    *, station_id: int | None = None, community_id: int | None = None, year: int
) -> Figure:
    """The year's attendance at a station or in a community, as the public pages show it."""
    start, end = _year_bounds(year)
    rows = CheckIn.objects.filter(occurrence__gte=start, occurrence__lt=end)
    if station_id is not None:
        rows = rows.filter(station_id=station_id)
    if community_id is not None:
        rows = rows.filter(community_id=community_id)
    return figure(rows)


GROUPS = {
    "activity": ("activity_id", "activity__title"),
    "station": ("station_id", "station__name"),
    "category": ("category", None),
    "community": ("community_id", "community__name"),
    "subdistrict": ("subdistrict_id", "subdistrict__name"),
    "month": ("month", None),
    "year": ("year", None),
}


@dataclass(frozen=True)
class CountRow:
    key: Any
    label: str
    persons: int
    person_times: int


@dataclass(frozen=True)
class CountFilter:
    """Which check-ins a count or a list of people covers (all optional)."""

    year: int | None = None
    month: int | None = None
    category: str = ""
    activity: int | None = None
    station: int | None = None
    community: int | None = None
    subdistrict: int | None = None

    def apply(self, rows: QuerySet[CheckIn]) -> QuerySet[CheckIn]:
        """Narrow ``rows`` to this filter (by ranges on the session, so the indexes serve)."""
        tz = timezone.get_current_timezone()
        if self.year is not None:
            if self.month is not None:
                start = timezone.make_aware(dt.datetime(self.year, self.month, 1), tz)
                nxt = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
                end = timezone.make_aware(dt.datetime(nxt[0], nxt[1], 1), tz)
            else:
                start, end = _year_bounds(self.year)
            rows = rows.filter(occurrence__gte=start, occurrence__lt=end)
        for name in ("activity", "station", "community", "subdistrict"):
            value = getattr(self, name)
            if value is not None:
                rows = rows.filter(**{f"{name}_id": value})
        if self.category:
            rows = rows.filter(category=self.category)
        return rows

    def as_params(self, **extra: Any) -> dict[str, Any]:
        """The filter as query parameters, for the link from a figure to its people."""
        params = {k: v for k, v in self.__dict__.items() if v not in (None, "")}
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return params


def counts_by(user: AnyUser, by: str, flt: CountFilter) -> list[CountRow]:
    """Persons and person-times of the user's scope grouped ``by`` one of ``GROUPS``."""
    key, label = GROUPS[by]
    rows = flt.apply(permissions.checkins_for_user(user))
    if by == "month":
        rows = rows.annotate(month=TruncMonth("occurrence"))
    elif by == "year":
        rows = rows.annotate(year=TruncYear("occurrence"))
    fields = [key] + ([label] if label else [])
    grouped = (
        rows.values(*fields)
        .annotate(times=Count("pk"), persons=Count("person_key", distinct=True))
        .order_by(key)
    )
    names = dict(Category.choices)
    result = []
    for row in grouped:
        value = row[key]
        if by == "category":
            text = str(names.get(value, value))
        elif by == "month":
            value = timezone.localtime(value) if timezone.is_aware(value) else value
            text = f"{value:%Y-%m}"
            value = (value.year, value.month)
        elif by == "year":
            value = timezone.localtime(value) if timezone.is_aware(value) else value
            text = f"{value:%Y}"
            value = value.year
        else:
            text = str(row[label] or "—") if label else str(value)
        result.append(CountRow(value, text, row["persons"], row["times"]))
    return result


def people(user: AnyUser, flt: CountFilter) -> QuerySet[CheckIn]:
    """The check-ins behind a figure, for those who may see them (staff in scope)."""
    return (
        flt.apply(permissions.checkins_for_user(user))
        .select_related("activity", "station", "community")
        .order_by("-occurrence", "name")
    )
