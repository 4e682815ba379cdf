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
def day_kind(day: dt.date) -> DayKind:
    """What kind of day ``day`` is in mainland China's official calendar."""
    try:
        is_holiday, festival = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return DayKind.UNKNOWN
    weekend = day.weekday() >= 5
    if is_holiday:
        return DayKind.HOLIDAY if festival is not None else DayKind.WEEKEND
    return DayKind.ADJUSTED_WORKDAY if weekend else DayKind.WORKDAY


def year_is_known(year: int) -> bool:
    """Whether chinesecalendar has the official holiday arrangement for ``year``."""
    return (
        day_kind(dt.date(year, 6, 1)) is not DayKind.UNKNOWN
        and day_kind(dt.date(year, 12, 31)) is not DayKind.UNKNOWN
    )
