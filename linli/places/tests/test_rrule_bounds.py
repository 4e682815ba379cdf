"""Occurrences are expanded day by day within a horizon, and agree with dateutil where it ends."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

import pytest
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from linli.places.rrule_words import WEEKDAYS, next_day, occurrences, parse_rule, rule_days

NEVER = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"


def test_a_rule_that_never_occurs_costs_a_page_nothing() -> None:
    after = dt.datetime(2026, 12, 7, 8, 0)
    started = time.perf_counter()
    for _ in range(3):
        found = list(
            occurrences(
                NEVER,
                after=after,
                opens=dt.time(9),
                closes=dt.time(10),
                until=after + dt.timedelta(days=60),
                limit=8,
            )
        )
        assert found == []
    # dateutil needs ~4 s per rule on an idle machine (every day up to the year 9999).
    assert time.perf_counter() - started < 1


def test_next_day_finds_rare_rules_and_not_impossible_ones() -> None:
    today = dt.date(2026, 12, 7)
    assert next_day(NEVER, today=today) is None
    assert next_day("FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31", today=today) is None
    assert next_day("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", today=today) == dt.date(2028, 2, 29)
    assert next_day("FREQ=MONTHLY;BYDAY=1FR", today=today) == dt.date(2027, 1, 1)
    assert next_day("FREQ=WEEKLY;BYDAY=MO;UNTIL=20200101", today=today) is None
    assert next_day("FREQ=HOURLY;BYHOUR=9", today=today) == today  # not expanded: free


_weekday = st.sampled_from(WEEKDAYS)


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 3))}")
    if draw(st.booleans()):
        days = draw(
            st.lists(
                st.tuples(st.sampled_from(["", "1", "2", "-1", "5", "+1"]), _weekday),
                min_size=1,
                max_size=3,
            )
        )
        parts.append("BYDAY=" + ",".join(n + d for n, d in days))
    if draw(st.booleans()):
        parts.append(
            "BYMONTHDAY="
            + ",".join(
                str(d)
                for d in draw(st.lists(st.sampled_from([1, 7, 13, 29, 30, 31, -1]), min_size=1))
            )
        )
    if draw(st.booleans()):
        months = draw(st.lists(st.integers(1, 12), min_size=1, max_size=3))
        parts.append("BYMONTH=" + ",".join(map(str, months)))
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(1, 30))}")
    if draw(st.booleans()):
        parts.append(f"WKST={draw(_weekday)}")
    return ";".join(parts)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules(), st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)))
def test_the_expansion_agrees_with_dateutil(rule: str, anchor: dt.date) -> None:
    parsed = parse_rule(rule)
    first, last = dt.date(2026, 1, 1), dt.date(2027, 6, 30)
    mine = list(rule_days(parsed, anchor=anchor, first=first, last=last))
    # dateutil only ends when it finds a date past the window: a rule with no day in the next years
    # would run to the year 9999, so it is compared only where it occurs.
    endless = replace(parsed, count=None)
    assume(next(rule_days(endless, anchor=anchor, first=last, last=dt.date(2035, 1, 1)), None))
    reference = rrulestr(rule, dtstart=dt.datetime.combine(anchor, dt.time(9)))
    theirs = [
        d.date()
        for d in reference.between(
            dt.datetime.combine(first, dt.time(0)), dt.datetime.combine(last, dt.time(23)), inc=True
        )
    ]
    assert mine == theirs


def test_a_schedule_that_never_occurs_is_refused_with_its_field() -> None:
    from linli.core.exceptions import LinliError
    from linli.places.services import ScheduleInput, check_schedule

    check_schedule(ScheduleInput(rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"))
    with pytest.raises(LinliError) as caught:
        check_schedule(ScheduleInput(rrule=NEVER))
    assert caught.value.code == "rrule_never_occurs"
    assert caught.value.details["field"] == "rrule"
