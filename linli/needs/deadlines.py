"""Deadlines of needs per deadline class, on the official working-day calendar.

docs/deadlines.md defines these rules in words; the tests in ``tests/test_deadlines.py`` check
them across holidays, adjusted working days (调休) and a year chinesecalendar does not know.

- urgent: 2 hours after the start; utilities: 24 hours after the start (clock time, every day
  counts);
- general: the end (23:59 Beijing time) of the 7th working day after the start day;
  complex: the same with 15 working days. A working day is a Monday–Friday that is not a public
  holiday, or a Saturday/Sunday worked instead of one (调休上班). The start day never counts.
- A working-day deadline that needs a day of a year chinesecalendar does not know is not
  guessed: ``Deadline.due_at`` is None and ``unknown_year`` names the year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from linli.core.holidays import DayKind, day_kind

BEIJING = ZoneInfo("Asia/Shanghai")
CLOCK_HOURS = {"urgent": 2, "utilities": 24}
WORKING_DAYS = {"general": 7, "complex": 15}
END_OF_DAY = dt.time(23, 59)
# How long before the deadline the reminder goes out (linli.needs.services.sweep_deadlines).
REMINDER_LEAD = {
    "urgent": dt.timedelta(minutes=30),
    "utilities": dt.timedelta(hours=4),
    "general": dt.timedelta(days=1),
    "complex": dt.timedelta(days=1),
}
WORKING = (DayKind.WORKDAY, DayKind.ADJUSTED_WORKDAY)


@dataclass(frozen=True)
class Deadline:
    """A computed deadline, or the year that kept it from being computed."""

    due_at: dt.datetime | None
    unknown_year: int | None = None


def nth_working_day_after(day: dt.date, n: int) -> dt.date | int:
    """The ``n``-th working day after ``day`` (``day`` itself not counted), or the first year
    on the way that chinesecalendar does not know."""
    count = 0
    current = day
    while count < n:
        current += dt.timedelta(days=1)
        kind = day_kind(current)
        if kind is DayKind.UNKNOWN:
            return current.year
        if kind in WORKING:
            count += 1
    return current


def compute_deadline(start: dt.datetime, urgency: str) -> Deadline:
    """The deadline of a need of class ``urgency`` whose clock starts at ``start`` (aware)."""
    if urgency in CLOCK_HOURS:
        return Deadline(due_at=start + dt.timedelta(hours=CLOCK_HOURS[urgency]))
    if urgency not in WORKING_DAYS:
        raise ValueError(f"unknown deadline class {urgency!r}")
    local_day = start.astimezone(BEIJING).date()
    found = nth_working_day_after(local_day, WORKING_DAYS[urgency])
    if isinstance(found, int):
        return Deadline(due_at=None, unknown_year=found)
    return Deadline(due_at=dt.datetime.combine(found, END_OF_DAY, tzinfo=BEIJING))


def reminder_due(due_at: dt.datetime, urgency: str) -> dt.datetime:
    """When the reminder for a deadline goes out."""
    return due_at - REMINDER_LEAD[urgency]
