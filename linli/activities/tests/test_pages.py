"""The console and resident pages: what people see, and the scope refusals by page."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from freezegun import freeze_time

from linli.activities import services
from linli.activities.models import Activity, CheckIn, SignUp

from .conftest import make_activity, tomorrow_at

pytestmark = pytest.mark.django_db


def test_the_console_lists_only_the_scopes_activities(
    as_user: Any, community_staff: Any, training: Any, other_activity: Any
) -> None:
    response = as_user(community_staff).get(reverse("activities_console:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert training.title in html
    assert other_activity.title not in html


def test_another_communitys_staff_get_404_for_the_activity(
    as_user: Any, other_community_staff: Any, training: Any
) -> None:
    client = as_user(other_community_staff)
    for name in ("detail", "edit"):
        response = client.get(reverse(f"activities_console:{name}", args=[training.pk]))
        assert response.status_code == 404
    key = timezone.localtime(training.starts_at).strftime("%Y%m%d%H%M")
    assert (
        client.get(reverse("activities_console:door", args=[training.pk, key])).status_code == 404
    )
    assert (
        client.get(reverse("activities_console:roll", args=[training.pk, key])).status_code == 404
    )


def test_another_communitys_staff_cannot_change_it(
    as_user: Any, other_community_staff: Any, training: Any
) -> None:
    client = as_user(other_community_staff)
    response = client.post(
        reverse("activities_console:edit", args=[training.pk]),
        {"title": "改掉", "category": "training", "audience": "everyone", "capacity": 0},
    )
    assert response.status_code == 404
    response = client.post(
        reverse("activities_console:cancel", args=[training.pk]), {"cancelled": "1"}
    )
    assert response.status_code == 404
    training.refresh_from_db()
    assert training.title == "红十字急救培训"
    assert not training.is_cancelled


def test_another_communitys_staff_cannot_cancel_a_sign_up(
    as_user: Any, other_community_staff: Any, training: Any, resident: Any
) -> None:
    signup = services.sign_up(
        actor=resident, activity_id=training.pk, occurrence=training.starts_at
    )
    response = as_user(other_community_staff).post(
        reverse("activities_console:signup_cancel", args=[signup.pk])
    )
    assert response.status_code == 404
    signup.refresh_from_db()
    assert signup.status == SignUp.Status.CONFIRMED


def test_a_keeper_sees_but_may_not_edit(as_user: Any, station_keeper: Any, training: Any) -> None:
    client = as_user(station_keeper)
    assert client.get(reverse("activities_console:detail", args=[training.pk])).status_code == 200
    assert client.get(reverse("activities_console:edit", args=[training.pk])).status_code == 403


def test_staff_create_an_activity_with_the_form(
    as_user: Any, community_staff: Any, hierarchy: Any
) -> None:
    start = tomorrow_at(14)
    response = as_user(community_staff).post(
        reverse("activities_console:new"),
        {
            "title": "书法下午",
            "category": "culture",
            "audience": "elderly",
            "station": hierarchy.station_xingfu.pk,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "repeat": "weekly",
            "capacity": 20,
            "signup_required": "on",
        },
    )
    activity = Activity.objects.get(title="书法下午")
    assert response.status_code == 302
    assert activity.rrule.startswith("FREQ=WEEKLY;BYDAY=")


def test_a_refused_form_keeps_what_was_typed(
    as_user: Any, community_staff: Any, hierarchy: Any
) -> None:
    start = tomorrow_at(14)
    response = as_user(community_staff).post(
        reverse("activities_console:new"),
        {
            "title": "书法下午",
            "category": "culture",
            "audience": "elderly",
            "station": hierarchy.station_xingfu.pk,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": 20,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="书法下午"' in html
    assert "field-error" in html
    assert not Activity.objects.exists()


def test_staff_register_someone_and_the_phone_is_masked_for_the_keeper(
    as_user: Any, community_staff: Any, station_keeper: Any, training: Any
) -> None:
    key = timezone.localtime(training.starts_at).strftime("%Y%m%d%H%M")
    url = reverse("activities_console:detail", args=[training.pk]) + f"?s={key}"
    response = as_user(community_staff).post(
        url, {"s": key, "name": "张桂兰", "phone": "13900007777"}
    )
    assert response.status_code == 302
    assert "13900007777" in as_user(community_staff).get(url).content.decode()
    keeper_html = as_user(station_keeper).get(url).content.decode()
    assert "张桂兰" in keeper_html
    assert "13900007777" not in keeper_html
    assert "139****7777" in keeper_html


def test_the_station_page_shows_what_is_coming_up_and_links_its_feed(
    client: Any, training: Any, hierarchy: Any
) -> None:
    html = client.get(
        reverse("resident:station", args=[hierarchy.station_xingfu.pk])
    ).content.decode()
    assert training.title in html
    feed = reverse("activities:station_feed", args=[hierarchy.station_xingfu.pk])
    assert f'<link rel="alternate" type="text/calendar" href="{feed}"' in html
    other = client.get(
        reverse("resident:station", args=[hierarchy.station_xiyuan.pk])
    ).content.decode()
    assert training.title not in other


def test_the_home_page_shows_what_is_on_this_week(
    client: Any, community_staff: Any, hierarchy: Any
) -> None:
    soon = timezone.localtime() + dt.timedelta(minutes=30)
    make_activity(
        community_staff,
        title="免费理发日",
        category="convenience",
        station=hierarchy.station_xingfu,
        starts_at=soon,
        ends_at=soon + dt.timedelta(hours=1),
    )
    html = client.get(reverse("resident:home")).content.decode()
    assert "免费理发日" in html


def test_the_community_page_links_its_feed(client: Any, training: Any, hierarchy: Any) -> None:
    html = client.get(reverse("activities:community", args=[hierarchy.xingfu.pk])).content.decode()
    feed = reverse("activities:community_feed", args=[hierarchy.xingfu.pk])
    assert f'<link rel="alternate" type="text/calendar" href="{feed}"' in html
    assert training.title in html


def test_the_counts_on_station_and_community_pages_equal_the_check_ins(
    client: Any, training: Any, hierarchy: Any, community_staff: Any, station_keeper: Any
) -> None:
    people = [("张桂兰", "13900007777"), ("李志强", "13900005555"), ("王芳", "13900003333")]
    with freeze_time(training.starts_at):
        for name, phone in people[:2]:
            signup = services.register_on_behalf(
                actor=community_staff,
                activity_id=training.pk,
                occurrence=training.starts_at,
                name=name,
                phone=phone,
            )
            services.tick(actor=station_keeper, tick_id=uuid.uuid4(), signup_id=signup.pk)
    later = make_activity(
        community_staff,
        title="消防安全培训",
        station=hierarchy.station_xingfu,
        starts_at=tomorrow_at(14),
        ends_at=tomorrow_at(16),
    )
    with freeze_time(later.starts_at):
        for name, phone in people:
            signup = services.register_on_behalf(
                actor=community_staff,
                activity_id=later.pk,
                occurrence=later.starts_at,
                name=name,
                phone=phone,
            )
            services.tick(actor=station_keeper, tick_id=uuid.uuid4(), signup_id=signup.pk)
    year = timezone.localtime(training.starts_at).year
    rows = CheckIn.objects.filter(station=hierarchy.station_xingfu, occurrence__year=year)
    expected = (rows.values("person_key").distinct().count(), rows.count())
    assert expected == (3, 5)
    with freeze_time(later.ends_at + dt.timedelta(hours=1)):
        station_html = client.get(
            reverse("resident:station", args=[hierarchy.station_xingfu.pk])
        ).content.decode()
        community_html = client.get(
            reverse("activities:community", args=[hierarchy.xingfu.pk])
        ).content.decode()
    assert _numbers(station_html, "station-figure") == expected
    assert _numbers(community_html, "community-figure") == expected


def _numbers(html: str, testid: str) -> tuple[int, int]:
    text = html.split(f'data-testid="{testid}">', 1)[1].split("</p>", 1)[0]
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    return numbers[1], numbers[2]  # the year comes first


def test_a_resident_signs_up_and_sees_it_under_my_activities(
    as_user: Any, resident: Any, training: Any
) -> None:
    client = as_user(resident)
    key = timezone.localtime(training.starts_at).strftime("%Y%m%d%H%M")
    response = client.post(reverse("activities:detail", args=[training.pk]), {"s": key})
    assert response.status_code == 302
    html = client.get(reverse("activities:mine")).content.decode()
    assert training.title in html
    assert SignUp.objects.get().user == resident


def test_anonymous_sign_up_goes_to_the_phone_login(client: Any, training: Any) -> None:
    key = timezone.localtime(training.starts_at).strftime("%Y%m%d%H%M")
    response = client.post(reverse("activities:detail", args=[training.pk]), {"s": key})
    assert response.status_code == 302
    assert reverse("accounts:phone_login") in response["Location"]
    assert not SignUp.objects.exists()


def test_the_qr_link_checks_a_resident_in_and_a_stale_one_says_why(
    as_user: Any, resident: Any, training: Any
) -> None:
    services.sign_up(actor=resident, activity_id=training.pk, occurrence=training.starts_at)
    with freeze_time(training.starts_at - dt.timedelta(minutes=40)):
        stale = services.door_code(training, training.starts_at)
    with freeze_time(training.starts_at + dt.timedelta(minutes=2)), translation.override("en"):
        client = as_user(resident)
        response = client.post(
            reverse("activities:checkin", args=[stale]), HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 400
        assert "This code has expired" in response.content.decode()
        assert not CheckIn.objects.exists()
        fresh = services.door_code(training, training.starts_at)
        page = client.get(reverse("activities:checkin", args=[fresh]))
        assert page.status_code == 200
        assert training.title in page.content.decode()
        done = client.post(reverse("activities:checkin", args=[fresh]))
    assert done.status_code == 200
    assert CheckIn.objects.filter(user=resident).count() == 1


def test_the_keepers_ticks_endpoint_counts_a_repeated_tick_once(
    as_user: Any, station_keeper: Any, community_staff: Any, training: Any
) -> None:
    signup = services.register_on_behalf(
        actor=community_staff,
        activity_id=training.pk,
        occurrence=training.starts_at,
        name="张桂兰",
        phone="13900007777",
    )
    body = {"ticks": [{"id": str(uuid.uuid4()), "signup": signup.pk}]}
    with freeze_time(training.starts_at):
        client = as_user(station_keeper)
        first = client.post(
            reverse("activities_console:ticks"), body, content_type="application/json"
        )
        again = client.post(
            reverse("activities_console:ticks"), body, content_type="application/json"
        )
    assert first.json()["results"][0]["status"] == "recorded"
    assert again.json()["results"][0]["status"] == "duplicate"
    assert CheckIn.objects.count() == 1


def test_counts_page_shows_only_the_scope_and_opens_the_people(
    as_user: Any,
    community_staff: Any,
    other_community_staff: Any,
    station_keeper: Any,
    training: Any,
) -> None:
    signup = services.register_on_behalf(
        actor=community_staff,
        activity_id=training.pk,
        occurrence=training.starts_at,
        name="张桂兰",
        phone="13900007777",
    )
    with freeze_time(training.starts_at):
        services.tick(actor=station_keeper, tick_id=uuid.uuid4(), signup_id=signup.pk)
    mine = as_user(community_staff).get(reverse("activities_console:counts") + "?by=category")
    assert 'data-testid="total-times">1<' in mine.content.decode()
    theirs = as_user(other_community_staff).get(
        reverse("activities_console:counts") + "?by=category"
    )
    assert 'data-testid="total-times">0<' in theirs.content.decode()
    people = as_user(other_community_staff).get(
        reverse("activities_console:people") + f"?activity={training.pk}"
    )
    assert "张桂兰" not in people.content.decode()
    own = as_user(community_staff).get(
        reverse("activities_console:people") + f"?activity={training.pk}"
    )
    assert "张桂兰" in own.content.decode()
