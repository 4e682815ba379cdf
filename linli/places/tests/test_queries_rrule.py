"""Service schedules in words (zh and en) and their next dated sessions."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.places.rrule_words import occurrences, schedule_in_words

T9, T1130 = dt.time(9, 0), dt.time(11, 30)


@pytest.mark.parametrize(
    ("rule", "zh", "en"),
    [
        (
            "FREQ=MONTHLY;BYDAY=1FR",
            "每月第一个星期五 9:00–11:30",
            "First Friday of every month, 9:00–11:30",
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1SA",
            "每月最后一个星期六 9:00–11:30",
            "Last Saturday of every month, 9:00–11:30",
        ),
        (
            "FREQ=MONTHLY;BYDAY=1TU,3TU",
            "每月第一个和第三个星期二 9:00–11:30",
            "First and third Tuesday of every month, 9:00–11:30",
        ),
        (
            "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=2",
            "每月第二个星期五 9:00–11:30",
            "Second Friday of every month, 9:00–11:30",
        ),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "每月15日 9:00–11:30", "15th of every month, 9:00–11:30"),
        ("FREQ=WEEKLY;BYDAY=WE", "每周三 9:00–11:30", "Every Wednesday, 9:00–11:30"),
        (
            "FREQ=WEEKLY;BYDAY=TU,TH",
            "每周二、周四 9:00–11:30",
            "Every Tuesday and Thursday, 9:00–11:30",
        ),
        (
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "每周一至周五 9:00–11:30",
            "Monday to Friday, 9:00–11:30",
        ),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
            "每两周的周六 9:00–11:30",
            "Every other week on Saturday, 9:00–11:30",
        ),
        ("FREQ=DAILY", "每天 9:00–11:30", "Every day, 9:00–11:30"),
        (
            "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=5",
            "每年3月5日 9:00–11:30",
            "Every year on 5 March, 9:00–11:30",
        ),
        (
            "RRULE:FREQ=WEEKLY;BYDAY=SA;UNTIL=20261231",
            "每周六 9:00–11:30（至2026年12月31日）",
            "Every Saturday, 9:00–11:30 (until 31 December 2026)",
        ),
    ],
)
def test_it_puts_a_schedule_into_words_in_both_languages(rule: str, zh: str, en: str) -> None:
    assert schedule_in_words(rule, opens=T9, closes=T1130, language="zh-hans") == zh
    assert schedule_in_words(rule, opens=T9, closes=T1130, language="en") == en


def test_it_writes_only_the_period_without_times_and_midnight_as_24() -> None:
    assert schedule_in_words("FREQ=WEEKLY;BYDAY=SU", language="zh-hans") == "每周日"
    assert (
        schedule_in_words("FREQ=DAILY", opens=dt.time(0), closes=dt.time(0), language="zh-hans")
        == "每天 0:00–24:00"
    )


@pytest.mark.parametrize(
    "rule", ["", "FREQ=HOURLY", "FREQ=MONTHLY;BYDAY=9FR", "FREQ=WEEKLY;BYHOUR=9", "nonsense"]
)
def test_it_returns_none_for_rules_it_cannot_describe(rule: str) -> None:
    assert schedule_in_words(rule, opens=T9, closes=T1130) is None


def test_the_next_first_fridays_follow_the_calendar() -> None:
    after = dt.datetime(2026, 11, 29, 12, 0)
    found = list(
        occurrences(
            "FREQ=MONTHLY;BYDAY=1FR",
            after=after,
            opens=T9,
            closes=T1130,
            until=after + dt.timedelta(days=60),
            limit=5,
        )
    )
    assert found == [dt.datetime(2026, 12, 4, 9, 0), dt.datetime(2027, 1, 1, 9, 0)]


def test_a_session_still_running_counts_as_upcoming_and_a_finished_one_does_not() -> None:
    friday = dt.datetime(2026, 12, 4, 10, 0)
    running = list(
        occurrences(
            "FREQ=MONTHLY;BYDAY=1FR",
            after=friday,
            opens=T9,
            closes=T1130,
            until=friday + dt.timedelta(days=10),
            limit=3,
        )
    )
    assert running == [dt.datetime(2026, 12, 4, 9, 0)]
    done = list(
        occurrences(
            "FREQ=MONTHLY;BYDAY=1FR",
            after=friday.replace(hour=12),
            opens=T9,
            closes=T1130,
            until=friday + dt.timedelta(days=10),
            limit=3,
        )
    )
    assert done == []


def test_an_interval_without_a_start_date_yields_no_invented_dates() -> None:
    after = dt.datetime(2026, 11, 29)
    assert (
        list(
            occurrences(
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
                after=after,
                opens=T9,
                closes=T1130,
                until=after + dt.timedelta(days=60),
                limit=5,
            )
        )
        == []
    )
    anchored = list(
        occurrences(
            "DTSTART:20261107\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
            after=after,
            opens=T9,
            closes=T1130,
            until=after + dt.timedelta(days=30),
            limit=5,
        )
    )
    assert anchored == [dt.datetime(2026, 12, 5, 9, 0), dt.datetime(2026, 12, 19, 9, 0)]


def test_until_ends_the_sessions() -> None:
    after = dt.datetime(2026, 11, 29)
    found = list(
        occurrences(
            "FREQ=WEEKLY;BYDAY=SA;UNTIL=20261206",
            after=after,
            opens=T9,
            closes=T1130,
            until=after + dt.timedelta(days=60),
            limit=5,
        )
    )
    assert found == [dt.datetime(2026, 12, 5, 9, 0)]
