"""Resident pages: public, read-only, never showing the keeper's personal contact."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

import linli.urls  # noqa: F401  (build the API's schemas before freezegun fakes datetime)
from linli.core.middleware import ELDERLY_COOKIE
from linli.places import queries
from linli.places.models import OpeningException, Station
from tests.personas import Hierarchy

FRIDAY_10 = "2026-11-27T02:00:00Z"  # 10:00 in Shanghai


def _station_url(station: Station) -> str:
    return reverse("resident:station", args=[station.pk])


@freeze_time(FRIDAY_10)
def test_the_home_page_lists_the_stations(client: Client, hierarchy: Hierarchy) -> None:
    response = client.get(reverse("resident:home"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("幸福苑幸福驿站", "和平里幸福驿站", "西园幸福驿站"):
        assert name in html
    assert "测试区" in html  # the footer names the district
    assert 'id="map"' in html


@freeze_time(FRIDAY_10)
def test_a_search_lists_only_matching_stations_with_the_matching_service(
    client: Client, hierarchy: Hierarchy
) -> None:
    html = client.get(reverse("resident:home"), {"q": "理发"}).content.decode()
    assert "和平里幸福驿站" in html
    assert "西园幸福驿站" not in html
    assert "义务理发" in html
    assert '每月第一个星期五 <span class="nowrap">9:00–11:30</span>' in html


@freeze_time(FRIDAY_10)
def test_htmx_gets_only_the_results(client: Client, hierarchy: Hierarchy) -> None:
    response = client.get(reverse("resident:home"), {"q": "充电"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "幸福苑幸福驿站" in html
    assert "HX-Request" in response["Vary"]


@freeze_time(FRIDAY_10)
def test_near_me_without_a_position_explains_itself(client: Client, hierarchy: Hierarchy) -> None:
    html = client.get(
        reverse("resident:home"), {"near": "1", "geo": "denied"}, headers={"accept-language": "en"}
    ).content.decode()
    assert "We could not get your location" in html
    assert "Nearest first" not in html
    sorted_html = client.get(
        reverse("resident:home"), {"near": "1", "lat": "36.180", "lon": "113.070"}
    ).content.decode()
    assert sorted_html.index("幸福苑幸福驿站") < sorted_html.index("和平里幸福驿站")


@freeze_time(FRIDAY_10)
def test_the_station_page_shows_hours_services_and_upcoming_sessions(
    client: Client, hierarchy: Hierarchy
) -> None:
    response = client.get(_station_url(hierarchy.station_heping))
    assert response.status_code == 200
    html = response.content.decode()
    assert "和平里幸福驿站" in html
    assert 'href="tel:0355-1234567"' in html
    assert "义务理发" in html
    assert "仁爱社工服务中心" in html  # the provider
    assert '每月第一个星期五 <span class="nowrap">9:00–11:30</span>' in html
    assert '<span class="nowrap">8:30–18:00</span>' in html


@freeze_time(FRIDAY_10)
@pytest.mark.parametrize("station_attr", ["station_xingfu", "station_heping"])
def test_the_keepers_name_and_mobile_never_appear(
    client: Client, hierarchy: Hierarchy, station_attr: str
) -> None:
    station = getattr(hierarchy, station_attr)
    for url in (
        _station_url(station),
        reverse("resident:home"),
        reverse("resident:home") + "?q=" + station.name,
    ):
        html = client.get(url).content.decode()
        assert "王建国" not in html
        assert "13812345678" not in html
        assert "138****5678" not in html


@freeze_time(FRIDAY_10)
def test_inactive_and_unknown_stations_are_404(client: Client, hierarchy: Hierarchy) -> None:
    station = hierarchy.station_xiyuan
    station.is_active = False
    station.save()
    assert client.get(_station_url(station)).status_code == 404
    assert client.get(reverse("resident:station", args=[999_999])).status_code == 404
    assert client.get("/d/NOPE/").status_code == 404


@freeze_time(FRIDAY_10)
def test_a_district_has_its_own_address(client: Client, hierarchy: Hierarchy) -> None:
    response = client.get(reverse("resident:district", args=[hierarchy.district.code]))
    assert response.status_code == 200
    assert "和平里幸福驿站" in response.content.decode()


@freeze_time(FRIDAY_10)
def test_an_exception_and_its_note_show_on_the_station_page(
    client: Client, hierarchy: Hierarchy
) -> None:
    OpeningException.objects.create(
        station=hierarchy.station_heping, date=dt.date(2026, 11, 28), closed=True, note="设备检修"
    )
    html = client.get(_station_url(hierarchy.station_heping)).content.decode()
    assert "设备检修" in html


@freeze_time(FRIDAY_10)
def test_the_english_switch_renders_english(client: Client, hierarchy: Hierarchy) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get(_station_url(hierarchy.station_heping)).content.decode()
    assert '<html lang="en"' in html
    assert "Opening hours" in html
    assert 'First Friday of every month, <span class="nowrap">9:00–11:30</span>' in html
    assert "Haircut" in html  # the service category's English name
    assert "Happiness station" in html  # the kind's English name
    home = client.get("/?q=haircut").content.decode()
    assert "和平里幸福驿站" in home
    assert "1 place found" in home


def test_the_elderly_toggle_sets_and_clears_the_cookie(
    client: Client, hierarchy: Hierarchy
) -> None:
    response = client.post(reverse("resident:elderly"), {"elderly": "1", "next": "/?q=理发"})
    assert response.status_code == 303
    assert response["Location"] == "/?q=%E7%90%86%E5%8F%91"
    assert response.cookies[ELDERLY_COOKIE].value == "1"
    assert 'class="elderly"' in client.get("/").content.decode()

    response = client.post(reverse("resident:elderly"), {"elderly": "0", "next": "/"})
    assert response.cookies[ELDERLY_COOKIE].value == ""
    assert 'class="elderly"' not in client.get("/").content.decode()


def test_the_elderly_toggle_refuses_foreign_redirects_and_get(client: Client) -> None:
    response = client.post(
        reverse("resident:elderly"), {"elderly": "1", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("resident:home")
    assert client.get(reverse("resident:elderly")).status_code == 405


@freeze_time(FRIDAY_10)
def test_a_sample_district_is_labelled(client: Client, hierarchy: Hierarchy) -> None:
    assert "badge-sample" not in client.get("/").content.decode()
    hierarchy.district.is_sample = True
    hierarchy.district.save()
    assert "badge-sample" in client.get("/").content.decode()


@freeze_time(FRIDAY_10)
def test_a_staff_change_shows_at_the_next_view(client: Client, hierarchy: Hierarchy) -> None:
    url = _station_url(hierarchy.station_heping)
    assert "新名字驿站" not in client.get(url).content.decode()
    station = Station.objects.get(pk=hierarchy.station_heping.pk)
    station.name = "新名字驿站"
    station.save()
    assert "新名字驿站" in client.get(url).content.decode()


@freeze_time(FRIDAY_10)
def test_pages_take_a_constant_number_of_queries(
    client: Client, hierarchy: Hierarchy, django_assert_max_num_queries: object
) -> None:
    client.get("/")
    client.get(_station_url(hierarchy.station_heping))
    with django_assert_max_num_queries(2):  # type: ignore[operator]  # pytest-django's fixture is untyped
        client.get("/")
    with django_assert_max_num_queries(2):  # type: ignore[operator]  # pytest-django's fixture is untyped
        client.get(_station_url(hierarchy.station_heping))
    queries.clear_caches()


def test_without_any_station_the_home_page_says_so(client: Client, db: object) -> None:
    response = client.get("/", headers={"accept-language": "en"})
    assert response.status_code == 200
    assert "No stations yet" in response.content.decode()


@freeze_time(FRIDAY_10)
def test_a_station_name_cannot_break_out_of_the_map_data(
    client: Client, hierarchy: Hierarchy
) -> None:
    station = Station.objects.get(pk=hierarchy.station_heping.pk)
    station.name = "</script><script>alert(1)</script>"
    station.save()
    for url in (_station_url(station), reverse("resident:home")):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html


# --- a search for a service answers "open now" by the service's own schedule ------------------

TUESDAY_15 = "2026-12-08T07:00:00Z"  # Tuesday 15:00 in Shanghai; 理发 is on the first Friday
FIRST_FRIDAY_10 = "2026-12-04T02:00:00Z"  # Friday 4 December, 10:00: the haircut is on


@freeze_time(TUESDAY_15)
def test_open_now_for_a_service_follows_the_services_schedule(
    client: Client, hierarchy: Hierarchy
) -> None:
    html = client.get(reverse("resident:home"), {"q": "理发", "open": "1"}).content.decode()
    # The station is open on Tuesday afternoon, but the haircut is not offered then.
    assert "和平里幸福驿站" not in html
    html = client.get(reverse("resident:home"), {"q": "理发"}).content.decode()
    assert "和平里幸福驿站" in html
    assert "现在不提供 · 下次 1月1日（周五）9:00" in html


@freeze_time(FIRST_FRIDAY_10)
def test_open_now_for_a_service_lists_the_station_while_it_is_offered(
    client: Client, hierarchy: Hierarchy
) -> None:
    html = client.get(reverse("resident:home"), {"q": "理发", "open": "1"}).content.decode()
    assert "和平里幸福驿站" in html
    assert "正在提供" in html


@freeze_time(FIRST_FRIDAY_10)
def test_a_closure_that_day_means_the_service_is_not_offered(
    client: Client, hierarchy: Hierarchy
) -> None:
    OpeningException.objects.create(
        station=hierarchy.station_heping, date=dt.date(2026, 12, 4), closed=True, note="检修"
    )
    html = client.get(reverse("resident:home"), {"q": "理发", "open": "1"}).content.decode()
    assert "和平里幸福驿站" not in html


@freeze_time(TUESDAY_15)
def test_the_empty_result_never_suggests_the_word_just_typed(
    client: Client, hierarchy: Hierarchy
) -> None:
    html = client.get(reverse("resident:home"), {"q": "理发", "open": "1"}).content.decode()
    assert "没有找到" in html
    assert "“理发”" not in html
    assert "只看正在开放" in html  # the open-now switch is on: the page says to turn it off
    html = client.get(reverse("resident:home"), {"q": "滑雪"}).content.decode()
    assert "“理发”" in html  # the district's own services are suggested
    assert "只看正在开放”，查看" not in html


@freeze_time(FRIDAY_10)
def test_a_session_that_no_longer_fits_changed_hours_is_warned(
    client: Client, hierarchy: Hierarchy
) -> None:
    OpeningException.objects.create(
        station=hierarchy.station_heping,
        date=dt.date(2026, 12, 4),
        closed=False,
        opens=dt.time(14, 0),
        closes=dt.time(18, 0),
        note="上午培训",
    )
    html = client.get(_station_url(hierarchy.station_heping)).content.decode()
    assert "当天驿站调整了开放时间，不包含这个时段" in html


@freeze_time(FRIDAY_10)
def test_dates_read_8_dec_in_english_and_time_ranges_stay_whole(
    client: Client, hierarchy: Hierarchy
) -> None:
    client.cookies["django_language"] = "en"
    html = client.get(_station_url(hierarchy.station_heping)).content.decode()
    assert "4 Dec" in html
    assert "12/4" not in html
    assert '<span class="nowrap">9:00–11:30</span>' in html
