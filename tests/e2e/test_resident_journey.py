"""A resident in the elderly-friendly mode finds the nearest open station that offers 理发.

The live server runs on real time, so the stations that should count as open are open
00:00–24:00 every day and the one that should not is closed by an exception today and tomorrow
(local time): the expected answer is the same whenever the test runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from linli.places import queries
from linli.places.models import (
    Community,
    District,
    FacilityCategory,
    OpeningException,
    OpeningHours,
    Organisation,
    Service,
    ServiceAtStation,
    ServiceCategory,
    Station,
    Subdistrict,
)
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, screenshot

HOME = (36.1800, 113.0700)  # where the resident stands (lat, lon)


@pytest.fixture
def haircut_town(transactional_db: Any) -> dict[str, Station]:
    """Four stations around the resident; only 南街 is near, open and cuts hair."""
    sync_reference_data()  # a transactional test starts from a flushed database
    district = District.objects.create(
        code="E2E01",
        name="测试区",
        centre_lon=113.075,
        centre_lat=36.185,
        is_sample=True,
        min_lon=113.05,
        min_lat=36.16,
        max_lon=113.10,
        max_lat=36.21,
    )
    sub = Subdistrict.objects.create(district=district, code="E2E0101", name="东关街道")
    community = Community.objects.create(
        district=district, subdistrict=sub, code="E2E010101", name="幸福里社区"
    )
    kind = FacilityCategory.objects.get(code="happiness_station")
    org = Organisation.objects.create(
        district=district, name="夕阳红志愿服务队", kind=Organisation.Kind.SOCIAL
    )
    haircut = Service.objects.create(
        district=district,
        organisation=org,
        name="义务理发",
        fee=Service.Fee.FREE,
        category=ServiceCategory.objects.get(code="haircut"),
    )
    counselling = Service.objects.create(
        district=district,
        organisation=org,
        name="心理疏导",
        fee=Service.Fee.FREE,
        category=ServiceCategory.objects.get(code="counselling"),
    )
    stations: dict[str, Station] = {}
    for code, name, lat, lon, service in [
        ("A", "东门幸福驿站", 36.1803, 113.0702, haircut),  # nearest haircut, closed today
        ("B", "南街幸福驿站", 36.1830, 113.0710, haircut),  # the answer
        ("C", "北苑幸福驿站", 36.1900, 113.0800, haircut),  # open, farther
        ("D", "口袋公园幸福驿站", 36.1801, 113.0701, counselling),  # nearest, no haircut
    ]:
        station = Station.objects.create(
            district=district,
            subdistrict=sub,
            community=community,
            category=kind,
            code=code,
            name=name,
            lat=lat,
            lon=lon,
            address=f"幸福里{name}",
            phone="0355-7654321",
            contact_name="李秀英",
            contact_phone="13912345678",
        )
        OpeningHours.objects.bulk_create(
            OpeningHours(station=station, weekday=d, opens=dt.time(0), closes=dt.time(0))
            for d in range(7)
        )
        ServiceAtStation.objects.create(
            district=district,
            service=service,
            station=station,
            # Whenever the station is open: "open now" is the station's here (a service with
            # its own schedule answers by that schedule: tests/e2e/test_service_schedule.py).
            rrule="",
        )
        stations[code] = station
    today = timezone.localdate()
    for day in (today, today + dt.timedelta(days=1)):
        OpeningException.objects.create(
            station=stations["A"], date=day, closed=True, note="理发师外出培训"
        )
    queries.clear_caches()
    return stations


def _no_serious_violations(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in violations
    ]


def _assert_elderly_sizes(page: Any) -> None:
    assert "elderly" in (page.get_attribute("html", "class") or "")
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 18
    heights = page.evaluate(
        """() => [...document.querySelectorAll('main button, main .btn, header button, main select,'
                 + ' main input[type=search], main .r-chip, .r-toggle, .r-results__sort a,'
                 + ' .leaflet-control-zoom a, .r-back a, .r-footer a')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.id || e.className || e.tagName, e.getBoundingClientRect().height])"""
    )
    assert heights
    small = [(name, h) for name, h in heights if h < 60]
    assert small == []


@pytest.mark.django_db(transaction=True)
def test_a_resident_finds_the_nearest_open_station_that_cuts_hair(
    page: Any, haircut_town: dict[str, Station]
) -> None:
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": HOME[0], "longitude": HOME[1]})

    page.goto("/")
    page.wait_for_selector("#map .leaflet-control-zoom")
    _no_serious_violations(page)
    screenshot(page, "resident-home")

    # Turn on the elderly-friendly mode: a plain form, the page comes back large.
    page.click("form[action='/prefs/elderly/'] button")
    page.wait_for_selector("html.elderly")
    _assert_elderly_sizes(page)
    _no_serious_violations(page)
    screenshot(page, "resident-home-elderly")

    page.fill("#q", "理发")
    page.check("#open-now")
    page.wait_for_url("**open=1**")
    page.click("#near-me")
    page.wait_for_selector("#results .r-results__sort")
    cards = page.locator("#results .r-card")
    names = [cards.nth(i).locator(".r-card__title").inner_text() for i in range(cards.count())]
    # 东门 is closed today and 口袋公园 has no haircut.
    assert names == ["南街幸福驿站", "北苑幸福驿站"]
    first = cards.first
    assert "义务理发" in first.inner_text()
    assert "350" in first.locator(".r-dist").inner_text()
    assert first.locator(".r-status--open").count() == 1
    _assert_elderly_sizes(page)
    _no_serious_violations(page)
    screenshot(page, "resident-search-elderly")

    first.locator(".r-card__title a").click()
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == "南街幸福驿站"
    services = page.inner_text(".r-services")
    assert "义务理发" in services
    assert "驿站开放时间内均可" in services
    html = page.content()
    assert "李秀英" not in html
    assert "13912345678" not in html
    assert page.get_attribute("a.r-call", "href") == "tel:0355-7654321"
    _assert_elderly_sizes(page)
    _no_serious_violations(page)
    screenshot(page, "resident-station-elderly")

    # And in the normal mode.
    page.click("form[action='/prefs/elderly/'] button")
    page.wait_for_function("!document.documentElement.classList.contains('elderly')")
    _no_serious_violations(page)
    screenshot(page, "resident-station")


@pytest.mark.django_db(transaction=True)
def test_without_location_permission_the_list_explains_and_stays_usable(
    page: Any, haircut_town: dict[str, Station]
) -> None:
    page.goto("/?q=理发")
    page.click("#near-me")  # no permission granted: the browser refuses, no pop-up from us
    page.wait_for_selector("#results .notice")
    assert page.locator("#results .r-card").count() == 3
    assert page.locator("#results .r-results__sort").count() == 0
    screenshot(page, "resident-search-no-location")
