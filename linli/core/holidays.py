"""Public holidays and adjusted working days (调休) from chinesecalendar.

A year the library does not know is never guessed: ``day_kind`` answers ``UNKNOWN`` and staff pages
show a warning (system check linli.W002 and the console banner).
"""

from __future__ import annotations

import datetime as dt
import enum
from functools import lru_cache

import chinese_calendar


class DayKind(enum.StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # 法定节假日 (incl. the rest days around it)
    ADJUSTED_WORKDAY = "adjusted_workday"  # 调休上班: a Saturday or Sunday worked
    UNKNOWN = "unknown"


@lru_cache(maxsize=4096)
def _detail(day: dt.date) -> tuple[bool, str | None] | None:
    """chinesecalendar's (is_holiday, festival) for ``day``; None for a year it does not know.

    The one place that asks the library: it signals an unknown year with NotImplementedError.
    """
    try:
        is_holiday, festival = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return bool(is_holiday), festival


def day_kind(day: dt.date) -> DayKind:
    """What kind of day ``day`` is in mainland China's official calendar."""
    detail = _detail(day)
    if detail is None:
        return DayKind.UNKNOWN
    is_holiday, festival = detail
    weekend = day.weekday() >= 5
    if is_holiday:
        return DayKind.HOLIDAY if festival is not None else DayKind.WEEKEND
    return DayKind.ADJUSTED_WORKDAY if weekend else DayKind.WORKDAY


def festival_name(day: dt.date, *, english: bool) -> str:
    """The official festival a day belongs to (国庆节 / National Day), or "" (also when unknown)."""
    detail = _detail(day)
    festival = detail[1] if detail else None
    if festival is None:
        return ""
    if english:
        return str(festival)
    for holiday in chinese_calendar.Holiday:
        if holiday.value == festival:
            return str(holiday.chinese)
    return str(festival)


def year_is_known(year: int) -> bool:
    """Whether chinesecalendar has the official holiday arrangement for ``year``."""
    return (
        day_kind(dt.date(year, 6, 1)) is not DayKind.UNKNOWN
        and day_kind(dt.date(year, 12, 31)) is not DayKind.UNKNOWN
    )
