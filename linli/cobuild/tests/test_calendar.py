"""The co-construction calendar: first Fridays, holiday rules, unknown years."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.cobuild.calendar import (
    DayReason,
    HolidayRule,
    YearUnknown,
    first_friday,
    plan_month,
    plan_year,
)

D = dt.date


def test_an_ordinary_month_keeps_its_first_friday() -> None:
    day = plan_month(2025, 3, HolidayRule.FIRST_WORKING_FRIDAY)
    assert (day.date, day.reason, day.confirmed) == (D(2025, 3, 7), DayReason.FIRST_FRIDAY, True)


def test_national_day_moves_the_day_to_the_first_working_friday() -> None:
    # 2025-10-03 is a Friday inside the National Day and Mid-Autumn holiday (1–8 October).
    day = plan_month(2025, 10, HolidayRule.FIRST_WORKING_FRIDAY)
    assert day.first_friday == D(2025, 10, 3)
    assert (day.date, day.reason) == (D(2025, 10, 10), DayReason.MOVED_TO_FRIDAY)


def test_national_day_with_next_working_day_takes_the_first_day_back_at_work() -> None:
    day = plan_month(2025, 10, HolidayRule.NEXT_WORKING_DAY)
    assert (day.date, day.reason) == (D(2025, 10, 9), DayReason.MOVED_TO_NEXT_WORKING_DAY)


def test_labour_day_moves_to_the_next_friday_or_the_adjusted_working_day() -> None:
    # 2026-05-01 (Friday) opens the Labour Day holiday (1–5 May); Saturday 9 May is worked (调休).
    assert plan_month(2026, 5, HolidayRule.FIRST_WORKING_FRIDAY).date == D(2026, 5, 8)
    assert plan_month(2026, 5, HolidayRule.NEXT_WORKING_DAY).date == D(2026, 5, 6)
    kept = plan_month(2026, 5, HolidayRule.KEEP)
    assert (kept.date, kept.reason) == (D(2026, 5, 1), DayReason.KEPT_ON_HOLIDAY)


def test_a_new_years_day_friday_moves_to_the_next_week() -> None:
    # 2021-01-01 was a Friday and New Year's Day.
    assert first_friday(2021, 1) == D(2021, 1, 1)
    assert plan_month(2021, 1, HolidayRule.FIRST_WORKING_FRIDAY).date == D(2021, 1, 8)
    assert plan_month(2021, 1, HolidayRule.NEXT_WORKING_DAY).date == D(2021, 1, 4)


def test_an_unknown_year_is_never_guessed() -> None:
    days = plan_year(2099, HolidayRule.FIRST_WORKING_FRIDAY)
    assert [d.date for d in days] == [first_friday(2099, m) for m in range(1, 13)]
    assert {(d.reason, d.confirmed) for d in days} == {(DayReason.YEAR_UNKNOWN, False)}
    with pytest.raises(YearUnknown):
        plan_year(2099, HolidayRule.FIRST_WORKING_FRIDAY, strict=True)


def test_every_planned_day_of_a_known_year_is_in_its_month_and_worked_unless_kept() -> None:
    for year in (2024, 2025, 2026):
        for day in plan_year(year, HolidayRule.FIRST_WORKING_FRIDAY):
            assert day.date.month == day.month
            assert day.date.weekday() == 4
            assert day.confirmed
