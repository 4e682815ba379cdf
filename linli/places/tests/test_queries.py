"""The resident directory: search by what residents type, "open now", "near me", versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from linli.places import queries
from linli.places.models import (
    Amenity,
    OpeningException,
    OpeningHours,
    Service,
    ServiceAtStation,
    ServiceCategory,
    Station,
)
from tests.personas import Hierarchy

# Friday 27 November 2026, 10:00 in Shanghai: every fixture station is open 8:30–18:00.
FRIDAY_10 = "2026-11-27T02:00:00Z"


def _directory() -> queries.Directory:
    directory = queries.current_site().directory(None, today=queries.now_local().date())
    assert directory is not None
    return directory


def _search(**kwargs: Any) -> list[queries.SearchResult]:
    return list(
        queries.search(_directory(), queries.SearchQuery(**kwargs), now=queries.now_local()).results
    )


def _names(results: list[queries.SearchResult]) -> list[str]:
    return [r.station.name for r in results]


@freeze_time(FRIDAY_10)
def test_haircut_finds_the_station_offering_the_haircut_service(hierarchy: Hierarchy) -> None:
    results = _search(text="理发")
    assert _names(results) == ["和平里幸福驿站"]
    assert [s.name for s in results[0].services] == ["义务理发"]
    assert results[0].services[0].schedule == "每月第一个星期五 9:00–11:30"


@freeze_time(FRIDAY_10)
def test_a_service_category_keyword_finds_it_too(hierarchy: Hierarchy) -> None:
    assert _names(_search(text="剪头")) == ["和平里幸福驿站"]  # keyword of 理发
    assert _names(_search(text="Haircut")) == ["和平里幸福驿站"]  # English name, any case


@freeze_time(FRIDAY_10)
def test_charging_finds_the_phone_charging_amenity(hierarchy: Hierarchy) -> None:
    results = _search(text="充电")
    assert _names(results) == ["幸福苑幸福驿站"]
    assert [a.code for a in results[0].amenities] == ["phone_charging"]


@freeze_time(FRIDAY_10)
def test_mediation_finds_the_function_and_the_service_category(hierarchy: Hierarchy) -> None:
    counselling = Service.objects.create(
        district=hierarchy.district,
        category=ServiceCategory.objects.get(code="mediation"),
        name="邻里纠纷调解",
        fee=Service.Fee.FREE,
    )
    ServiceAtStation.objects.create(
        district=hierarchy.district, service=counselling, station=hierarchy.station_xiyuan
    )
    results = {r.station.name: r for r in _search(text="调解")}
    assert set(results) == {"幸福苑幸福驿站", "西园幸福驿站"}
    assert [f.code for f in results["幸福苑幸福驿站"].functions] == ["mediation"]
    assert [s.name for s in results["西园幸福驿站"].services] == ["邻里纠纷调解"]


@freeze_time(FRIDAY_10)
def test_every_word_must_match_and_names_and_addresses_count(hierarchy: Hierarchy) -> None:
    assert _names(_search(text="和平")) == ["和平里幸福驿站"]
    assert _names(_search(text="理发 充电")) == []
    assert _names(_search(text="幸福苑 充电")) == ["幸福苑幸福驿站"]


@freeze_time(FRIDAY_10)
def test_inactive_stations_and_withdrawn_services_are_not_found(hierarchy: Hierarchy) -> None:
    Service.objects.filter(name="义务理发").update(is_active=False)
    hierarchy.station_xingfu.is_active = False
    hierarchy.station_xingfu.save()
    assert _search(text="理发") == []
    assert _search(text="充电") == []
    assert "幸福苑幸福驿站" not in _names(_search())


@freeze_time(FRIDAY_10)
def test_a_kind_filter_keeps_only_that_kind(hierarchy: Hierarchy) -> None:
    assert len(_search(kind="happiness_station")) == 3
    assert _search(kind="smart_hut") == []


@freeze_time("2026-11-27T12:00:00Z")  # 20:00 in Shanghai
def test_open_now_leaves_out_closed_stations(hierarchy: Hierarchy) -> None:
    assert _search(open_now=True) == []
    statuses = {r.station.name: r.status for r in _search()}
    assert statuses["和平里幸福驿站"].state == "closed"
    assert statuses["和平里幸福驿站"].today.hours == "8:30–18:00"


@freeze_time("2026-11-26T23:00:00Z")  # 07:00 on Friday in Shanghai
def test_a_station_opening_later_today_says_when(hierarchy: Hierarchy) -> None:
    status = {r.station.name: r.status for r in _search()}["和平里幸福驿站"]
    assert (status.state, status.next_open) == ("later", "8:30")


@freeze_time(FRIDAY_10)
def test_an_exception_closes_a_station_for_the_day(hierarchy: Hierarchy) -> None:
    OpeningException.objects.create(
        station=hierarchy.station_heping, date=dt.date(2026, 11, 27), closed=True, note="消杀"
    )
    assert "和平里幸福驿站" not in _names(_search(open_now=True))
    status = {r.station.name: r.status for r in _search()}["和平里幸福驿站"]
    assert (status.state, status.today.note) == ("closed_today", "消杀")


@freeze_time("2026-10-01T02:00:00Z")  # National Day, 10:00
def test_a_station_closed_on_public_holidays_is_closed_on_national_day(
    hierarchy: Hierarchy,
) -> None:
    Station.objects.filter(pk=hierarchy.station_heping.pk).update(
        holiday_policy=Station.HolidayPolicy.CLOSED
    )
    queries.clear_caches()
    open_names = _names(_search(open_now=True))
    assert "和平里幸福驿站" not in open_names
    assert "幸福苑幸福驿站" in open_names  # keeps its weekly hours on holidays
    status = {r.station.name: r.status for r in _search()}["和平里幸福驿站"]
    assert (status.state, status.today.note) == ("closed_today", "国庆节")


@freeze_time("2035-03-05T02:00:00Z")  # a year chinesecalendar does not know
def test_hours_of_a_holiday_closing_station_in_an_unknown_year_are_to_be_confirmed(
    hierarchy: Hierarchy,
) -> None:
    Station.objects.filter(pk=hierarchy.station_heping.pk).update(
        holiday_policy=Station.HolidayPolicy.CLOSED
    )
    queries.clear_caches()
    found = queries.search(
        _directory(), queries.SearchQuery(open_now=True), now=queries.now_local()
    )
    assert "和平里幸福驿站" not in _names(list(found.results))
    assert found.unknown_hidden == 1
    status = {r.station.name: r.status for r in _search()}["和平里幸福驿站"]
    assert status.state == "unknown"


@freeze_time(FRIDAY_10)
def test_near_me_sorts_by_straight_line_distance_in_metres(hierarchy: Hierarchy) -> None:
    # Standing at the gate of 幸福苑 (113.070, 36.180).
    results = _search(near=(36.180, 113.070))
    assert _names(results) == ["幸福苑幸福驿站", "和平里幸福驿站", "西园幸福驿站"]
    assert [r.distance_m for r in results] == [140, 1060, 1430]


def test_distance_is_the_great_circle() -> None:
    # One thousandth of a degree of latitude is about 111 m.
    assert round(queries.distance_m(36.0, 113.0, 36.001, 113.0)) == 111


@freeze_time(FRIDAY_10)
def test_the_directory_never_holds_the_keepers_contact(hierarchy: Hierarchy) -> None:
    station = _directory().station(hierarchy.station_xingfu.pk)
    assert station is not None
    text = repr(station)
    assert "王建国" not in text
    assert "13812345678" not in text
    assert station.phone == "0355-1234567"


@freeze_time(FRIDAY_10)
def test_the_version_changes_when_anything_a_page_shows_changes(hierarchy: Hierarchy) -> None:
    station = hierarchy.station_xingfu
    seen = {queries.places_versions()[hierarchy.district.pk]}

    def changed() -> bool:
        version = queries.places_versions()[hierarchy.district.pk]
        fresh = version not in seen
        seen.add(version)
        return fresh

    OpeningHours.objects.filter(station=station, weekday=0).first().save()  # type: ignore[union-attr]  # the row exists
    assert changed()
    station.amenities.add(Amenity.objects.get(code="toilet"))
    assert changed()
    Service.objects.get(name="义务理发").save()
    assert changed()
    hierarchy.district.save()
    assert changed()
    assert not changed()


@freeze_time(FRIDAY_10)
def test_the_station_page_lists_the_next_dated_sessions(hierarchy: Hierarchy) -> None:
    directory = _directory()
    page = queries.station_page(directory, hierarchy.station_heping.pk, today=dt.date(2026, 11, 27))
    assert page is not None
    upcoming = queries.upcoming_sessions(page, dt.datetime(2026, 11, 27, 10, 0))
    assert [s.start for s in upcoming] == [
        dt.datetime(2026, 12, 4, 9, 0),
        dt.datetime(2027, 1, 1, 9, 0),
    ]
    assert [d.date for d in page.week][:2] == [dt.date(2026, 11, 27), dt.date(2026, 11, 28)]
    assert queries.station_page(directory, 999_999, today=dt.date(2026, 11, 27)) is None


# serialized_rollback: the reference data of the migrations is back even after a flushing test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_versions_read_by_another_worker_are_trusted_for_the_set_seconds(
    hierarchy: Hierarchy, settings: Any
) -> None:
    """A change this process did not make (another gunicorn worker's, here a bulk update that
    sends no signal) shows once LINLI_DATA_VERSION_SECONDS have passed; this process's own
    changes show at once."""
    settings.LINLI_DATA_VERSION_SECONDS = 60.0
    district = hierarchy.district.pk
    with freeze_time("2026-11-27T02:00:00Z") as clock:
        first = queries.places_versions()[district]
        with CaptureQueriesContext(connection) as asked:
            assert queries.places_versions()[district] == first
        assert len(asked) == 0
        Station.objects.filter(pk=hierarchy.station_heping.pk).update(
            updated_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
        )
        assert queries.places_versions()[district] == first
        clock.tick(61)
        later = queries.places_versions()[district]
        assert later != first
        hierarchy.station_xingfu.save()  # a change made here: no waiting
        assert queries.places_versions()[district] != later
