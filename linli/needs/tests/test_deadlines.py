"""Deadlines across holidays, adjusted working days (调休) and a year the calendar does not know."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.needs.deadlines import BEIJING, compute_deadline


def at(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=BEIJING)


def end_of(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 23, 59, tzinfo=BEIJING)


def test_urgent_is_two_hours_on_the_clock_even_over_midnight_on_a_holiday() -> None:
    assert compute_deadline(at(2026, 10, 1, 23, 30), "urgent").due_at == at(2026, 10, 2, 1, 30)


def test_utilities_is_twenty_four_hours_on_the_clock() -> None:
    assert compute_deadline(at(2026, 2, 16, 8), "utilities").due_at == at(2026, 2, 17, 8)


def test_general_skips_national_day_and_counts_the_adjusted_saturday() -> None:
    # Tue 29 Sep: 30 Sep (1), 1-7 Oct holiday, 8 (2), 9 (3), Sat 10 Oct worked (4), 12, 13, 14.
    assert compute_deadline(at(2026, 9, 29), "general").due_at == end_of(2026, 10, 14)


def test_general_over_the_spring_festival_counts_both_adjusted_saturdays() -> None:
    # Fri 13 Feb: Sat 14 worked (1), 15-23 holiday, 24-27 (2-5), Sat 28 worked (6), Mon 2 Mar (7).
    assert compute_deadline(at(2026, 2, 13), "general").due_at == end_of(2026, 3, 2)


def test_the_adjusted_sunday_before_the_mid_autumn_break_counts() -> None:
    # Fri 18 Sep: Sun 20 Sep worked (1), 21-24 (2-5), 25-27 holiday, 28 (6), 29 (7).
    assert compute_deadline(at(2026, 9, 18), "general").due_at == end_of(2026, 9, 29)


def test_complex_is_fifteen_working_days() -> None:
    assert compute_deadline(at(2026, 3, 2), "complex").due_at == end_of(2026, 3, 23)


def test_the_start_day_never_counts_even_when_submitted_at_dawn() -> None:
    assert compute_deadline(at(2026, 3, 2, 0, 1), "general").due_at == end_of(2026, 3, 11)


def test_a_year_the_calendar_does_not_know_is_flagged_not_guessed() -> None:
    deadline = compute_deadline(at(2026, 12, 24), "general")
    assert deadline.due_at is None
    assert deadline.unknown_year == 2027


def test_a_deadline_inside_the_known_year_is_computed_in_late_december() -> None:
    # Mon 14 Dec + 7 working days = Wed 23 Dec, all in 2026.
    assert compute_deadline(at(2026, 12, 14), "general").due_at == end_of(2026, 12, 23)


def _reference(start: dt.date, n: int) -> dt.date | None:
    """Count working days one by one with chinesecalendar itself."""
    day, count = start, 0
    while count < n:
        day += dt.timedelta(days=1)
        try:
            if chinese_calendar.is_workday(day):
                count += 1
        except NotImplementedError:  # a year chinesecalendar does not know: no deadline
            return None
    return day


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2027, 3, 1)),
    urgency=st.sampled_from(["general", "complex"]),
)
def test_working_day_deadlines_equal_a_plain_count(day: dt.date, urgency: str) -> None:
    n = 7 if urgency == "general" else 15
    expected = _reference(day, n)
    deadline = compute_deadline(dt.datetime.combine(day, dt.time(9), tzinfo=BEIJING), urgency)
    if expected is None:
        assert deadline.due_at is None
        assert deadline.unknown_year is not None
    else:
        assert deadline.due_at == dt.datetime.combine(expected, dt.time(23, 59), tzinfo=BEIJING)
