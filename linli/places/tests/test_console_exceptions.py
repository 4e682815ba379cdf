"""临时调整 / 闭馆 in the console: who may change them, what is refused, what residents see."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from freezegun import freeze_time

from linli.accounts.models import User
from linli.core.models import AuditEntry
from linli.places import services
from linli.places.models import OpeningException, Station
from tests.personas import Hierarchy

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

# Friday 2026-11-27, 10:00 in Asia/Shanghai; next Monday is 2026-11-30.
NOW = "2026-11-27T02:00:00Z"
TODAY = dt.date(2026, 11, 27)
MONDAY = dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def _english_pages(client: Client) -> None:
    """Pages in English, so the messages can be read here (zh-Hans is the default)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def frozen() -> Any:
    # Load the URLconf (and the API's pydantic schemas) before the clock is frozen: pydantic
    # cannot build a schema for freezegun's datetime class.
    reverse("console:home")
    with freeze_time(NOW), translation.override("en"):
        yield


def _url(station: Station) -> str:
    return reverse("console:station_exceptions", args=[station.pk])


def _closure(first: dt.date, last: dt.date | None = None, **over: Any) -> dict[str, Any]:
    data = {
        "first_day": first.isoformat(),
        "last_day": last.isoformat() if last else "",
        "kind": "closed",
        "opens": "",
        "closes": "",
        "note": "设备检修，暂停开放",
    }
    data.update(over)
    return data


def _add(station: Station, first: dt.date, last: dt.date | None = None, **over: Any) -> Any:
    """An exception period written directly, as if added earlier."""
    return [
        OpeningException.objects.create(
            station=station,
            date=first + dt.timedelta(days=i),
            closed=over.get("closed", True),
            opens=over.get("opens"),
            closes=over.get("closes"),
            note=over.get("note", "设备检修，暂停开放"),
        )
        for i in range(((last or first) - first).days + 1)
    ]


# ------------------------------------------------------------------------------ adding


def test_community_staff_closes_their_station_next_monday(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    client = as_user(community_staff)
    before = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    Station.objects.filter(pk=station.pk).update(updated_at=before)

    response = client.post(_url(station), _closure(MONDAY))

    assert response.status_code == 302
    row = OpeningException.objects.get(station=station)
    assert (row.date, row.closed, row.note) == (MONDAY, True, "设备检修，暂停开放")
    assert Station.objects.get(pk=station.pk).updated_at > before
    entry = AuditEntry.objects.get(object_type="places.openingexception")
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.district_id == hierarchy.district.pk
    assert "2026-11-30" in entry.changes["opening_exception"][1]


def test_the_resident_page_shows_the_closure_at_once(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    page = Client().get(reverse("resident:station", args=[station.pk]))
    assert "设备检修" not in page.content.decode()

    as_user(community_staff).post(_url(station), _closure(MONDAY))

    page = Client().get(reverse("resident:station", args=[station.pk]))
    assert "设备检修，暂停开放" in page.content.decode()


def test_a_period_makes_one_row_a_day_and_shows_as_one_line(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    client = as_user(community_staff)

    client.post(_url(station), _closure(MONDAY, MONDAY + dt.timedelta(days=4), note="锅炉检修"))

    assert OpeningException.objects.filter(station=station).count() == 5
    periods = services.exception_periods(station, today=TODAY)
    assert [(p.first_day, p.last_day, p.days) for p in periods] == [
        (MONDAY, MONDAY + dt.timedelta(days=4), 5)
    ]
    text = client.get(_url(station)).content.decode()
    assert text.count("锅炉检修") == 1
    assert "5 days" in text


def test_special_hours_are_saved(as_user: Any, community_staff: User, hierarchy: Hierarchy) -> None:
    station = hierarchy.station_xingfu
    response = as_user(community_staff).post(
        _url(station), _closure(MONDAY, kind="hours", opens="09:00", closes="12:00", note="半天")
    )
    assert response.status_code == 302
    row = OpeningException.objects.get(station=station)
    assert (row.closed, row.opens, row.closes) == (False, dt.time(9), dt.time(12))


def test_todays_emergency_closure_is_allowed(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    response = as_user(community_staff).post(
        _url(hierarchy.station_xingfu), _closure(TODAY, note="停电，暂停开放")
    )
    assert response.status_code == 302
    assert OpeningException.objects.filter(date=TODAY).exists()


# ------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            _closure(MONDAY, MONDAY - dt.timedelta(days=1)),
            "last_day",
            "The last day must not be before the first day.",
        ),
        (_closure(TODAY - dt.timedelta(days=3)), "first_day", "cannot start before today"),
        (_closure(TODAY + dt.timedelta(days=400)), "first_day", "at most 366 days ahead"),
        (_closure(MONDAY, MONDAY + dt.timedelta(days=120)), "last_day", "at most 92 days"),
        (
            _closure(MONDAY, kind="hours", opens="14:00", closes="09:00"),
            "closes",
            "The closing time (09:00) must be after the opening time (14:00).",
        ),
        (
            _closure(MONDAY, kind="hours", opens="14:00", closes="14:00"),
            "closes",
            "must be after the opening time",
        ),
        (_closure(MONDAY, kind="hours", opens="09:00"), "opens", "Give both"),
        (_closure(MONDAY, note=""), "note", "This field is required."),
        (_closure(MONDAY, note="   "), "note", "This field is required."),
    ],
)
def test_it_refuses_with_a_clear_message(
    as_user: Any, community_staff: User, hierarchy: Hierarchy, data: Any, field: str, message: str
) -> None:
    response = as_user(community_staff).post(_url(hierarchy.station_xingfu), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not OpeningException.objects.exists()


def test_it_refuses_an_overlap_on_the_same_day(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    _add(station, MONDAY + dt.timedelta(days=2))

    response = as_user(community_staff).post(
        _url(station), _closure(MONDAY, MONDAY + dt.timedelta(days=4), note="另一次")
    )

    assert response.status_code == 400
    assert "already a change to the hours on 2026-12-02" in " ".join(
        response.context["form"].errors["first_day"]
    )
    assert OpeningException.objects.count() == 1


def test_midnight_closing_is_allowed(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    response = as_user(community_staff).post(
        _url(hierarchy.station_xingfu),
        _closure(MONDAY, kind="hours", opens="18:00", closes="00:00", note="夜间延时"),
    )
    assert response.status_code == 302


# ------------------------------------------------------------------------------ edit / delete


def test_editing_a_period_replaces_its_days(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    rows = _add(station, MONDAY, MONDAY + dt.timedelta(days=2))
    url = reverse("console:station_exception_edit", args=[station.pk, rows[0].pk])
    client = as_user(community_staff)
    assert client.get(url).status_code == 200

    response = client.post(url, _closure(MONDAY, MONDAY + dt.timedelta(days=1), note="改期检修"))

    assert response.status_code == 302
    assert sorted(OpeningException.objects.filter(station=station).values_list("date", "note")) == [
        (MONDAY, "改期检修"),
        (MONDAY + dt.timedelta(days=1), "改期检修"),
    ]
    assert AuditEntry.objects.filter(
        object_type="places.openingexception", action=AuditEntry.Action.UPDATE
    ).exists()


def test_editing_a_begun_period_keeps_the_past_days(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    rows = _add(station, TODAY - dt.timedelta(days=2), TODAY + dt.timedelta(days=2))
    url = reverse("console:station_exception_edit", args=[station.pk, rows[0].pk])
    client = as_user(community_staff)
    form = client.get(url).context["form"]
    assert form.initial["first_day"] == TODAY

    response = client.post(url, _closure(TODAY, TODAY + dt.timedelta(days=5)))

    assert response.status_code == 302
    dates = sorted(OpeningException.objects.filter(station=station).values_list("date", flat=True))
    assert dates == [TODAY + dt.timedelta(days=i) for i in range(-2, 6)]
    assert OpeningException.objects.filter(pk=rows[0].pk).exists()


def test_a_past_period_is_shown_but_cannot_be_changed(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    past = _add(station, TODAY - dt.timedelta(days=10), note="上周检修")
    old = _add(station, TODAY - dt.timedelta(days=40), note="很久以前")
    client = as_user(community_staff)

    page = client.get(_url(station))
    assert page.status_code == 200
    text = page.content.decode()
    assert "上周检修" in text
    assert "很久以前" not in text
    edit = reverse("console:station_exception_edit", args=[station.pk, past[0].pk])
    delete = reverse("console:station_exception_delete", args=[station.pk, past[0].pk])
    assert edit not in text

    assert client.get(edit).status_code == 403
    assert client.post(edit, _closure(MONDAY)).status_code == 403
    assert client.post(delete).status_code == 403
    assert OpeningException.objects.filter(pk__in=[past[0].pk, old[0].pk]).count() == 2


def test_deleting_withdraws_the_period(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    rows = _add(station, MONDAY, MONDAY + dt.timedelta(days=1))
    url = reverse("console:station_exception_delete", args=[station.pk, rows[0].pk])

    response = as_user(community_staff).post(url)

    assert response.status_code == 302
    assert not OpeningException.objects.exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DELETE)
    assert entry.changes["opening_exception"][1] is None


def test_ending_a_begun_closure_keeps_its_past_days(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    rows = _add(station, TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1))
    url = reverse("console:station_exception_delete", args=[station.pk, rows[0].pk])

    assert as_user(community_staff).post(url).status_code == 302

    assert list(OpeningException.objects.values_list("date", flat=True)) == [
        TODAY - dt.timedelta(days=1)
    ]


def test_delete_is_post_only(as_user: Any, community_staff: User, hierarchy: Hierarchy) -> None:
    station = hierarchy.station_xingfu
    rows = _add(station, MONDAY)
    url = reverse("console:station_exception_delete", args=[station.pk, rows[0].pk])
    assert as_user(community_staff).get(url).status_code == 405
    assert OpeningException.objects.exists()


# ------------------------------------------------------------------------------ who may


def test_a_keeper_changes_their_own_station(
    as_user: Any, station_keeper: User, hierarchy: Hierarchy
) -> None:
    client = as_user(station_keeper)
    response = client.post(_url(hierarchy.station_xingfu), _closure(MONDAY))
    assert response.status_code == 302
    assert OpeningException.objects.filter(station=hierarchy.station_xingfu).exists()


def test_a_keeper_cannot_touch_another_station(
    as_user: Any, station_keeper: User, hierarchy: Hierarchy
) -> None:
    other = hierarchy.station_heping
    rows = _add(other, MONDAY)
    client = as_user(station_keeper)
    assert client.get(_url(other)).status_code == 404
    assert client.post(_url(other), _closure(MONDAY + dt.timedelta(days=1))).status_code == 404
    delete = reverse("console:station_exception_delete", args=[other.pk, rows[0].pk])
    assert client.post(delete).status_code == 404
    assert OpeningException.objects.filter(station=other).count() == 1


def test_subdistrict_staff_may_change_a_station_of_their_subdistrict(
    as_user: Any, subdistrict_staff: User, hierarchy: Hierarchy
) -> None:
    response = as_user(subdistrict_staff).post(_url(hierarchy.station_heping), _closure(MONDAY))
    assert response.status_code == 302


def test_it_refuses_another_communitys_staff(
    as_user: Any, other_community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    rows = _add(station, MONDAY)
    client = as_user(other_community_staff)
    edit = reverse("console:station_exception_edit", args=[station.pk, rows[0].pk])
    delete = reverse("console:station_exception_delete", args=[station.pk, rows[0].pk])

    assert client.get(_url(station)).status_code == 404
    assert client.post(_url(station), _closure(MONDAY + dt.timedelta(days=1))).status_code == 404
    assert client.post(edit, _closure(MONDAY, note="改")).status_code == 404
    assert client.post(delete).status_code == 404
    assert list(OpeningException.objects.values_list("note", flat=True)) == ["设备检修，暂停开放"]


def test_it_refuses_another_districts_admin(
    as_user: Any, other_district_admin: User, hierarchy: Hierarchy
) -> None:
    response = as_user(other_district_admin).post(_url(hierarchy.station_xingfu), _closure(MONDAY))
    assert response.status_code == 404
    assert not OpeningException.objects.exists()


def test_an_exception_of_another_station_is_not_found_under_mine(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    theirs = _add(hierarchy.station_xiyuan, MONDAY)
    mine = hierarchy.station_xingfu
    client = as_user(community_staff)
    delete = reverse("console:station_exception_delete", args=[mine.pk, theirs[0].pk])
    assert client.post(delete).status_code == 404
    assert OpeningException.objects.count() == 1


def test_a_resident_is_sent_to_the_staff_login(
    as_user: Any, resident: User, hierarchy: Hierarchy
) -> None:
    """As on every console page: the staff login page says who may sign in there."""
    response = as_user(resident).post(_url(hierarchy.station_xingfu), _closure(MONDAY))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not OpeningException.objects.exists()


def test_anonymous_is_sent_to_login(client: Client, hierarchy: Hierarchy) -> None:
    response = client.post(_url(hierarchy.station_xingfu), _closure(MONDAY))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not OpeningException.objects.exists()


def test_the_service_refuses_a_resident_directly(resident: User, hierarchy: Hierarchy) -> None:
    from linli.core.exceptions import LinliError

    with pytest.raises(LinliError):
        services.add_opening_exception(
            actor=resident,
            station=hierarchy.station_xingfu,
            data=services.ExceptionInput(first_day=MONDAY, last_day=MONDAY, note="x"),
        )
    assert not OpeningException.objects.exists()


# ------------------------------------------------------------------------------ holidays


def test_the_page_explains_the_holiday_rule(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    Station.objects.filter(pk=station.pk).update(holiday_policy=Station.HolidayPolicy.CLOSED)
    text = as_user(community_staff).get(_url(station)).content.decode()
    assert "This station closes on public holidays." in text
    assert reverse("console:station_hours", args=[station.pk]) in text


def test_the_page_lists_the_coming_holidays_under_the_rule(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    Station.objects.filter(pk=station.pk).update(holiday_policy=Station.HolidayPolicy.CLOSED)
    with freeze_time("2026-09-20T02:00:00Z"):
        response = as_user(community_staff).get(_url(station))
    holidays = response.context["holidays"]
    national_day = next(h for h in holidays if h.name == "National Day")
    assert national_day.first_day == dt.date(2026, 10, 1)
    assert national_day.last_day >= dt.date(2026, 10, 7)
    text = response.content.decode()
    assert "National Day 1 Oct–" in text  # "8 Dec", not "12/8", in English


def test_the_holiday_box_does_not_claim_no_holidays_over_an_unpublished_year(
    as_user: Any, community_staff: Any, hierarchy: Any
) -> None:
    station = hierarchy.station_xingfu
    with freeze_time("2026-12-08T02:00:00Z"):  # the 2027 arrangement is not published
        text = as_user(community_staff).get(_url(station)).content.decode()
    assert "No public holidays in the next four months." not in text
    assert "No public holidays up to 31 Dec." in text
    assert "after 31 Dec has not been published yet" in text
