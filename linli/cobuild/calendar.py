"""城市共建日 calendar — which date each month's co-construction day falls on.

Pure functions over dates (no Django): the first Friday of each month, moved by the
subdistrict's rule when it falls on a statutory holiday. Holidays and adjusted working days
(调休) come from chinesecalendar through ``linli.core.holidays``; a year the library does not
know is never guessed: every day of it is planned on its first Friday and marked unconfirmed,
and ``plan_year(..., strict=True)`` raises :class:`YearUnknown`. docs/cobuild.md explains the
rules; ``linli.cobuild.services.plan_days`` stores the result, the ``linli cobuild days`` command
prints it.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from linli.core.holidays import DayKind, day_kind, year_is_known

__all__ = [
    "DayReason",
    "HolidayRule",
    "PlannedDay",
    "YearUnknown",
    "first_friday",
    "is_working_day",
    "plan_month",
    "plan_year",
]

FRIDAY = 4


class HolidayRule(enum.StrEnum):
    """What a subdistrict does when the first Friday of a month is a statutory holiday."""

    FIRST_WORKING_FRIDAY = "first_working_friday"  # default: the next Friday that is worked
    NEXT_WORKING_DAY = "next_working_day"  # the first working day after it (调休 days count)
    KEEP = "keep"  # hold the day on the holiday anyway


class DayReason(enum.StrEnum):
    """Why a planned day falls where it does (shown to staff beside each date)."""

    FIRST_FRIDAY = "first_friday"
    MOVED_TO_FRIDAY = "moved_to_friday"
    MOVED_TO_NEXT_WORKING_DAY = "moved_to_next_working_day"
    KEPT_ON_HOLIDAY = "kept_on_holiday"
    YEAR_UNKNOWN = "year_unknown"


class YearUnknown(ValueError):
    """chinesecalendar does not know the year's official holidays."""

    def __init__(self, year: int) -> None:
        super().__init__(f"The official holidays of {year} are not known yet.")
        self.year = year


@dataclass(frozen=True)
class PlannedDay:
    """One month's co-construction day as the rule places it.

    Attributes
    ----------
    first_friday
        The default date: the month's first Friday.
    date
        The date after the holiday rule (equal to ``first_friday`` when it is a working day,
        or when the year is unknown).
    reason
        Why ``date`` is where it is.
    confirmed
        False when the year's holidays are unknown: staff must confirm the date.
    """

    year: int
    month: int
    first_friday: dt.date
    date: dt.date
    reason: DayReason
    confirmed: bool


def first_friday(year: int, month: int) -> dt.date:
    """The first Friday of ``month`` in ``year``."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(FRIDAY - first.weekday()) % 7)


def is_working_day(day: dt.date) -> bool | None:
    """Whether ``day`` is worked (an ordinary weekday or a 调休 weekend); None when unknown."""
    kind = day_kind(day)
    if kind is DayKind.UNKNOWN:
        return None
    return kind in (DayKind.WORKDAY, DayKind.ADJUSTED_WORKDAY)


def _first_working(start: dt.date, *, step_days: int) -> dt.date | None:
    """The first worked day from ``start`` on (in steps), None when the calendar runs out."""
    day = start
    for _ in range(400 // step_days + 1):
        working = is_working_day(day)
        if working is None:
            return None
        if working:
            return day
        day += dt.timedelta(days=step_days)
    return None  # pragma: no cover - no holiday lasts a year


def plan_month(year: int, month: int, rule: HolidayRule) -> PlannedDay:
    """Place one month's co-construction day by ``rule``.

    A first Friday in an unknown year stays where it is, unconfirmed; so does a moved day whose
    search runs into an unknown year (a January holiday never reaches past the month, but the
    rule must not guess if it ever did).
    """
    friday = first_friday(year, month)
    working = is_working_day(friday)
    if working is None:
        return PlannedDay(year, month, friday, friday, DayReason.YEAR_UNKNOWN, False)
    if working:
        return PlannedDay(year, month, friday, friday, DayReason.FIRST_FRIDAY, True)
    if rule is HolidayRule.KEEP:
        return PlannedDay(year, month, friday, friday, DayReason.KEPT_ON_HOLIDAY, True)
    if rule is HolidayRule.NEXT_WORKING_DAY:
        moved = _first_working(friday + dt.timedelta(days=1), step_days=1)
        reason = DayReason.MOVED_TO_NEXT_WORKING_DAY
    else:
        moved = _first_working(friday + dt.timedelta(days=7), step_days=7)
        reason = DayReason.MOVED_TO_FRIDAY
    if moved is None:
        return PlannedDay(year, month, friday, friday, DayReason.YEAR_UNKNOWN, False)
    return PlannedDay(year, month, friday, moved, reason, True)


def plan_year(year: int, rule: HolidayRule, *, strict: bool = False) -> list[PlannedDay]:
    """The twelve co-construction days of ``year``.

    Parameters
    ----------
    year
        The calendar year.
    rule
        The subdistrict's holiday rule.
    strict
        Raise :class:`YearUnknown` instead of returning unconfirmed days when chinesecalendar
        does not know the year (the command line's behaviour).
    """
    if strict and not year_is_known(year):
        raise YearUnknown(year)
    return [plan_month(year, month, rule) for month in range(1, 13)]
