"""The iCalendar feeds parse with icalendar and expand with recurring-ical-events, as clients do."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest
import recurring_ical_events
from django.urls import reverse
from django.utils import timezone

from linli.activities import services

from .conftest import make_activity, tomorrow_at

pytestmark = pytest.mark.django_db


def _calendar(response: Any) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def test_the_station_feed_expands_a_weekly_activity(
    client: Any, community_staff: Any, hierarchy: Any
) -> None:
    make_activity(
        community_staff,
        title="太极拳",
        category="culture",
        station=hierarchy.station_xingfu,
        rrule="FREQ=WEEKLY;COUNT=6",
    )
    make_activity(community_staff, title="急救培训", station=hierarchy.station_xingfu)
    cal = _calendar(
        client.get(reverse("activities:station_feed", args=[hierarchy.station_xingfu.pk]))
    )
    start = tomorrow_at(0)
    events = recurring_ical_events.of(cal).between(start, start + dt.timedelta(days=60))
    taiji = sorted(e.start for e in events if str(e["SUMMARY"]) == "太极拳")
    assert len(taiji) == 6
    assert taiji[1] - taiji[0] == dt.timedelta(days=7)
    assert timezone.localtime(taiji[0]) == tomorrow_at(9)
    assert [str(e["SUMMARY"]) for e in events].count("急救培训") == 1


def test_the_station_feed_honours_until(client: Any, community_staff: Any, hierarchy: Any) -> None:
    first = tomorrow_at(9)
    until = (first + dt.timedelta(days=14)).date()
    make_activity(
        community_staff,
        title="议事会",
        category="deliberation",
        station=hierarchy.station_xingfu,
        rrule=f"FREQ=WEEKLY;UNTIL={until:%Y%m%d}T235959",
    )
    cal = _calendar(
        client.get(reverse("activities:station_feed", args=[hierarchy.station_xingfu.pk]))
    )
    events = recurring_ical_events.of(cal).between(
        first - dt.timedelta(days=1), first + dt.timedelta(days=90)
    )
    assert len(events) == 3


def test_the_community_feed_leaves_out_other_communities_and_cancelled(
    client: Any, training: Any, other_activity: Any, community_staff: Any, hierarchy: Any
) -> None:
    cancelled = make_activity(community_staff, title="取消的活动", station=hierarchy.station_xingfu)
    services.set_cancelled(actor=community_staff, activity=cancelled, cancelled=True)
    cal = _calendar(client.get(reverse("activities:community_feed", args=[hierarchy.xingfu.pk])))
    titles = {str(e["SUMMARY"]) for e in cal.walk("VEVENT")}
    assert titles == {training.title}


def test_a_persons_feed_lists_their_sessions(
    as_user: Any, client: Any, resident: Any, training: Any
) -> None:
    services.sign_up(actor=resident, activity_id=training.pk, occurrence=training.starts_at)
    page = as_user(resident).get(reverse("activities:mine")).content.decode()
    url = page.split('class="a-feed" type="text" readonly value="', 1)[1].split('"', 1)[0]
    path = url.split("testserver", 1)[1]
    client.logout()
    cal = _calendar(client.get(path))
    (event,) = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == training.title
    assert event.decoded("DTSTART") == training.starts_at


def test_a_forged_person_feed_is_not_found(client: Any) -> None:
    response = client.get(reverse("activities:person_feed", args=["forged:abc:def"]))
    assert response.status_code == 404
