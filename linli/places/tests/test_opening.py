import datetime as dt

import pytest

from linli.core.holidays import DayKind
from linli.places.models import OpeningException, OpeningHours, Station, opening_on


def _hours() -> list[OpeningHours]:
    return [OpeningHours(weekday=d, opens=dt.time(9), closes=dt.time(17)) for d in range(5)]


def test_a_closed_on_holidays_station_is_closed_on_national_day() -> None:
    day = opening_on(
        hours=_hours(), exceptions=[], day=dt.date(2026, 10, 1), policy=Station.HolidayPolicy.CLOSED
    )
    assert day.intervals == ()
    assert day.kind is DayKind.HOLIDAY


def test_an_adjusted_working_saturday_keeps_mondays_hours() -> None:
    # 2026-10-10 is a Saturday worked in lieu of the National Day holiday.
    day = opening_on(
        hours=_hours(),
        exceptions=[],
        day=dt.date(2026, 10, 10),
        policy=Station.HolidayPolicy.CLOSED,
    )
    assert day.kind is DayKind.ADJUSTED_WORKDAY
    assert day.contains(dt.time(10))


def test_an_exception_wins_over_the_weekly_hours() -> None:
    exc = OpeningException(date=dt.date(2026, 11, 30), closed=True, note="消毒")
    day = opening_on(
        hours=_hours(),
        exceptions=[exc],
        day=dt.date(2026, 11, 30),
        policy=Station.HolidayPolicy.OPEN,
    )
    assert not day.contains(dt.time(10))
    assert day.reason == "消毒"


def test_a_year_the_calendar_does_not_know_is_marked_unknown_not_guessed() -> None:
    day = opening_on(
        hours=_hours(), exceptions=[], day=dt.date(2027, 1, 1), policy=Station.HolidayPolicy.CLOSED
    )
    assert day.kind is DayKind.UNKNOWN
    assert not day.holiday_known
    assert day.contains(dt.time(10))  # weekly hours kept, flagged to staff, not guessed closed


@pytest.mark.django_db
def test_station_is_open_at_uses_local_time(hierarchy) -> None:  # type: ignore[no-untyped-def]  # the fixture is untyped here
    station = hierarchy.station_xingfu
    assert station.is_open_at(dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC))  # 10:00 in Shanghai
    assert not station.is_open_at(dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC))  # 20:00
