"""Weekly opening hours and the exceptions to them (临时调整 / 闭馆)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import AnyUser
from linli.core.audited import CREATE, DELETE, UPDATE, Change, audited_change
from linli.core.exceptions import Conflict, Forbidden, NotFound
from linli.places.models import (
    OpeningException,
    OpeningHours,
    Station,
)
from linli.places.services.stations import _locked_station
from linli.places.services.validators import _invalid


@dataclass(frozen=True, kw_only=True)
class HoursInput:
    """One opening interval on a weekday (0 = Monday); a close of 00:00 means midnight."""

    weekday: int
    opens: dt.time
    closes: dt.time


def _hours_problem(hours: Sequence[HoursInput]) -> str | None:
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for h in hours:
        if not 0 <= h.weekday <= 6:
            return str(_("Weekday must be 0 (Monday) to 6 (Sunday)."))
        if not (h.closes > h.opens or h.closes == dt.time(0, 0)):
            return str(_("Closing time must be after opening time."))
        by_day.setdefault(h.weekday, []).append((h.opens, h.closes))
    for intervals in by_day.values():
        intervals.sort()
        for (_o1, c1), (o2, _c2) in itertools.pairwise(intervals):
            if c1 == dt.time(0, 0) or o2 < c1:
                return str(_("Opening intervals on one day must not overlap."))
    return None


HOURS_FIELDS = ("opening_hours", "holiday_policy")


def _hours_snapshot(station: Station) -> dict[str, Any]:
    return {
        "opening_hours": [
            f"{h.weekday} {h.opens:%H:%M}-{h.closes:%H:%M}" for h in station.opening_hours.all()
        ],
        "holiday_policy": station.holiday_policy,
    }


def set_opening_hours(
    *,
    actor: AnyUser,
    station: Station,
    hours: Sequence[HoursInput],
    holiday_policy: str | None = None,
    request: HttpRequest | None = None,
) -> Station:
    """Replace the weekly opening hours (and optionally the holiday policy) of a station.

    A station keeper may do this for their own station.
    """
    problem = _hours_problem(hours)
    if problem:
        raise _invalid(problem, code="invalid_hours", field_name="hours")
    if holiday_policy is not None and holiday_policy not in Station.HolidayPolicy.values:
        raise _invalid(_("Unknown holiday policy."), code="invalid", field_name="holiday_policy")
    ordered = sorted(hours, key=lambda h: (h.weekday, h.opens))
    with audited_change(
        actor=actor,
        action=UPDATE,
        lock=lambda: _locked_station(actor, station),
        snapshot=_hours_snapshot,
        fields=HOURS_FIELDS,
        request=request,
    ) as change:
        locked = change.obj
        locked.opening_hours.all().delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(station=locked, weekday=h.weekday, opens=h.opens, closes=h.closes)
            for h in ordered
        )
        if holiday_policy is not None and holiday_policy != locked.holiday_policy:
            locked.holiday_policy = holiday_policy
            locked.save(update_fields=["holiday_policy", "updated_at"])
        change.after = {
            "opening_hours": [f"{h.weekday} {h.opens:%H:%M}-{h.closes:%H:%M}" for h in ordered],
            "holiday_policy": locked.holiday_policy,
        }
    return change.obj


# --------------------------------------------------------------------------------------------
# Opening exceptions (临时调整 / 闭馆)
#
# The model keeps one OpeningException row per date (``opening_on`` looks exceptions up by date),
# so a closure over several days is several rows. Staff think in periods ("3月2日至6日 设备检修"),
# so the console shows and edits *periods*: runs of consecutive dates whose rows say the same
# thing. Days before today are history residents were already told; they are never changed or
# deleted here (the audit log and the resident page agree on what was announced), and editing or
# deleting a period that has begun only touches today and the days after it.

EXCEPTION_MAX_DAYS = 92
EXCEPTION_MAX_AHEAD_DAYS = 366
EXCEPTION_HISTORY_DAYS = 30


@dataclass(frozen=True, kw_only=True)
class ExceptionInput:
    """A change to the usual hours from ``first_day`` to ``last_day`` (inclusive).

    ``closed`` means closed all day; otherwise the station opens ``opens``–``closes`` on each day
    of the period (a close of 00:00 means midnight, as in the weekly hours). ``note`` is the
    reason residents read ("设备检修，暂停开放").
    """

    first_day: dt.date
    last_day: dt.date
    closed: bool = True
    opens: dt.time | None = None
    closes: dt.time | None = None
    note: str = ""


@dataclass(frozen=True)
class ExceptionPeriod:
    """Consecutive days with the same change; ``ids`` are the rows behind it (by date)."""

    first_day: dt.date
    last_day: dt.date
    closed: bool
    intervals: tuple[tuple[dt.time, dt.time], ...]
    note: str
    ids: tuple[int, ...]
    editable_ids: tuple[int, ...]

    @property
    def pk(self) -> int:
        """The row that names the period in URLs (its first row)."""
        return self.ids[0]

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def is_past(self) -> bool:
        """Over before today: shown for reference, no longer changed."""
        return not self.editable_ids

    @property
    def has_begun(self) -> bool:
        return len(self.editable_ids) < len(self.ids)

    @property
    def opens(self) -> dt.time | None:
        return self.intervals[0][0] if self.intervals else None

    @property
    def closes(self) -> dt.time | None:
        return self.intervals[0][1] if self.intervals else None


def _day_signature(rows: Sequence[Any]) -> tuple[Any, ...]:
    closed = all(r.closed or not (r.opens and r.closes) for r in rows)
    intervals = () if closed else tuple(sorted((r.opens, r.closes) for r in rows if not r.closed))
    return (closed, intervals, rows[0].note)


def exception_periods(
    station: Station, *, today: dt.date, since: dt.date | None = None
) -> list[ExceptionPeriod]:
    """The station's exceptions from ``since`` on, as periods of identical consecutive days.

    Both the console list and the edit/delete services use this, so "the period" means the same
    rows on the page and in the transaction.
    """
    qs = OpeningException.objects.filter(station=station).order_by("date", "opens", "pk")
    if since is not None:
        qs = qs.filter(date__gte=since)
    by_day: dict[dt.date, list[OpeningException]] = {}
    for row in qs:
        by_day.setdefault(row.date, []).append(row)
    periods: list[ExceptionPeriod] = []
    run: list[tuple[dt.date, list[OpeningException]]] = []

    def close_run() -> None:
        if not run:
            return
        closed, intervals, note = _day_signature(run[0][1])
        ids = tuple(r.pk for _day, rows in run for r in rows)
        editable = tuple(r.pk for day, rows in run if day >= today for r in rows)
        periods.append(
            ExceptionPeriod(run[0][0], run[-1][0], closed, intervals, note, ids, editable)
        )
        run.clear()

    for day in sorted(by_day):
        rows = by_day[day]
        if run and (
            day - run[-1][0] != dt.timedelta(days=1)
            or _day_signature(rows) != _day_signature(run[-1][1])
        ):
            close_run()
        run.append((day, rows))
    close_run()
    return periods


def _period_of(station: Station, exception: OpeningException, today: dt.date) -> ExceptionPeriod:
    if exception.station_id != station.pk:
        raise NotFound(_("No such change to the opening hours."), code="not_found")
    for period in exception_periods(station, today=today, since=exception.date - dt.timedelta(92)):
        if exception.pk in period.ids:
            return period
    raise NotFound(_("No such change to the opening hours."), code="not_found")


def check_exception(data: ExceptionInput, *, today: dt.date) -> None:
    """Refuse a reversed, past, too long or too distant period, or hours that do not add up."""
    if data.last_day < data.first_day:
        raise _invalid(
            _("The last day must not be before the first day."),
            code="invalid_dates",
            field_name="last_day",
        )
    if data.first_day < today:
        raise _invalid(
            _(
                "A change cannot start before today (%(today)s): residents have already seen "
                "the hours of past days."
            )
            % {"today": f"{today:%Y-%m-%d}"},
            code="past_date",
            field_name="first_day",
        )
    if data.first_day > today + dt.timedelta(days=EXCEPTION_MAX_AHEAD_DAYS):
        raise _invalid(
            _("A change may start at most %(days)s days ahead.")
            % {"days": EXCEPTION_MAX_AHEAD_DAYS},
            code="too_far_ahead",
            field_name="first_day",
        )
    if (data.last_day - data.first_day).days + 1 > EXCEPTION_MAX_DAYS:
        raise _invalid(
            _(
                "A change may last at most %(days)s days. For a longer closure, take the "
                "station out of service."
            )
            % {"days": EXCEPTION_MAX_DAYS},
            code="too_long",
            field_name="last_day",
        )
    if not data.note.strip():
        raise _invalid(
            _("Give the reason residents will read, for example “设备检修，暂停开放”."),
            code="required",
            field_name="note",
        )
    if len(data.note.strip()) > 200:
        raise _invalid(
            _("The reason may be at most 200 characters."), code="too_long", field_name="note"
        )
    if data.closed:
        return
    if data.opens is None or data.closes is None:
        raise _invalid(
            _("Give both the opening and the closing time, or choose “closed all day”."),
            code="invalid_hours",
            field_name="opens",
        )
    if not (data.closes > data.opens or data.closes == dt.time(0, 0)):
        raise _invalid(
            _("The closing time (%(closes)s) must be after the opening time (%(opens)s).")
            % {"opens": f"{data.opens:%H:%M}", "closes": f"{data.closes:%H:%M}"},
            code="invalid_hours",
            field_name="closes",
        )


def _period_text(data: ExceptionInput | ExceptionPeriod) -> str:
    """The audit log's one-line account of a period: 2026-03-02–2026-03-06 closed: 设备检修."""
    if isinstance(data, ExceptionPeriod):
        hours = (
            "closed" if data.closed else ",".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in data.intervals)
        )
    elif data.closed or data.opens is None or data.closes is None:
        hours = "closed"
    else:
        hours = f"{data.opens:%H:%M}-{data.closes:%H:%M}"
    return f"{data.first_day:%Y-%m-%d}–{data.last_day:%Y-%m-%d} {hours}: {data.note}".strip()


def _write_exception_days(station: Station, data: ExceptionInput) -> list[OpeningException]:
    """One row per day, saved one by one so the version receivers (places.queries) fire."""
    rows = []
    day = data.first_day
    while day <= data.last_day:
        row = OpeningException(
            station=station,
            date=day,
            closed=data.closed,
            opens=None if data.closed else data.opens,
            closes=None if data.closed else data.closes,
            note=data.note.strip(),
        )
        row.save()
        rows.append(row)
        day += dt.timedelta(days=1)
    return rows


def _refuse_overlap(station: Station, data: ExceptionInput, *, ignore: Iterable[int] = ()) -> None:
    taken = (
        OpeningException.objects.filter(
            station=station, date__gte=data.first_day, date__lte=data.last_day
        )
        .exclude(pk__in=list(ignore))
        .order_by("date")
        .values_list("date", flat=True)
        .first()
    )
    if taken is not None:
        raise Conflict(
            _(
                "There is already a change to the hours on %(date)s. Edit or delete that one "
                "first, so residents see one clear notice per day."
            )
            % {"date": f"{taken:%Y-%m-%d}"},
            code="overlapping_exception",
            field="first_day",
        )


def _local_today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _exception_change(
    actor: AnyUser, station: Station, action: str, request: HttpRequest | None
) -> AbstractContextManager[Change[Station]]:
    """An audited change to a station's exceptions: the station locked, the entry names it."""
    return audited_change(
        actor=actor, action=action, lock=lambda: _locked_station(actor, station), request=request
    )


def _describe(change: Change[Station], subject: OpeningException, period_text: str) -> None:
    locked = change.obj
    change.subject = subject
    change.district_id = locked.district_id
    change.object_repr = f"{locked.name}: {period_text}"[:200]
    change.context = {"station": locked.code}


def add_opening_exception(
    *,
    actor: AnyUser,
    station: Station,
    data: ExceptionInput,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
) -> list[OpeningException]:
    """Close a station, or change its hours, on one day or a period (keepers: their own)."""
    today = _local_today(today)
    check_exception(data, today=today)
    with _exception_change(actor, station, CREATE, request) as change:
        _refuse_overlap(change.obj, data)
        rows = _write_exception_days(change.obj, data)
        _describe(change, rows[0], _period_text(data))
        change.changes = {"opening_exception": [None, _period_text(data)]}
    return rows


def _open_period(locked: Station, exception: OpeningException, today: dt.date) -> ExceptionPeriod:
    period = _period_of(locked, exception, today)
    if period.is_past:
        raise Forbidden(
            _("This change is over; past days stay as residents were told."),
            code="past_exception",
        )
    return period


def update_opening_exception(
    *,
    actor: AnyUser,
    station: Station,
    exception: OpeningException,
    data: ExceptionInput,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
) -> list[OpeningException]:
    """Replace the period holding ``exception`` from today on; days already past stay."""
    today = _local_today(today)
    check_exception(data, today=today)
    with _exception_change(actor, station, UPDATE, request) as change:
        period = _open_period(change.obj, exception, today)
        _refuse_overlap(change.obj, data, ignore=period.editable_ids)
        for row in OpeningException.objects.filter(pk__in=period.editable_ids):
            row.delete()
        rows = _write_exception_days(change.obj, data)
        _describe(change, rows[0], _period_text(data))
        change.changes = {"opening_exception": [_period_text(period), _period_text(data)]}
    return rows


def delete_opening_exception(
    *,
    actor: AnyUser,
    station: Station,
    exception: OpeningException,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
) -> int:
    """Withdraw the period holding ``exception`` from today on (ends a begun closure early).

    Returns the number of days withdrawn.
    """
    today = _local_today(today)
    with _exception_change(actor, station, DELETE, request) as change:
        period = _open_period(change.obj, exception, today)
        rows = list(OpeningException.objects.filter(pk__in=period.editable_ids))
        _describe(change, rows[0], _period_text(period))
        change.changes = {
            "opening_exception": [_period_text(period), None],
            "from": f"{max(period.first_day, today):%Y-%m-%d}",
        }
        change.remove = list(rows)
    return len({r.date for r in rows})
