"""Browser journeys of a service's schedule: staff build it from choices (no RRULE typed), a
refused one keeps what was typed with the error beside the field, and residents searching for
the service see "open now" and "next offered" by the service's own schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from linli.places import queries
from linli.places.models import ServiceAtStation
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, screenshot
from tests.e2e.test_station_upkeep import log_in
from tests.personas import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def reference(transactional_db: Any) -> None:
    sync_reference_data()


def test_staff_build_a_schedule_and_a_refusal_keeps_what_they_typed(
    reference: None, hierarchy: Any, district_admin: Any, page: Any
) -> None:
    page.set_default_timeout(30_000)  # a busy machine
    station = hierarchy.station_xingfu
    haircut = ServiceAtStation.objects.get(station=hierarchy.station_heping).service
    log_in(page, district_admin.username, PASSWORD)
    page.goto(f"/console/stations/{station.pk}/hours/")
    form = page.locator("#add-service")
    form.locator("select[name=service]").select_option(str(haircut.pk))
    form.get_by_label("重复方式").select_option("weekly")
    # The days appear once "every week" is chosen (Alpine shows them: wait for it, as a person
    # would); there is no rule to type.
    expect(form.get_by_label("周二", exact=True)).to_be_visible()
    expect(form.locator("input[name=rrule]")).to_be_hidden()
    form.locator("input[name=schedule_note]").fill("请带身份证")
    form.get_by_role("button", name="增加服务").click()
    # Refused: no day chosen. The page shows the error beside the days; nothing typed is lost.
    error = page.locator("#add-service .field-error")
    assert "请至少选择一个星期几" in error.first.inner_text()
    form = page.locator("#add-service")
    assert form.locator("input[name=schedule_note]").input_value() == "请带身份证"
    assert form.get_by_label("重复方式").input_value() == "weekly"
    screenshot(page, "console-schedule-refused-phone")
    assert axe_violations(page) == []
    form.get_by_label("周二", exact=True).check()
    form.get_by_role("button", name="增加服务").click()
    page.wait_for_url(f"**/console/stations/{station.pk}/**")
    link = ServiceAtStation.objects.get(station=station, service=haircut)
    assert link.rrule == "FREQ=WEEKLY;BYDAY=TU"
    assert "每周二" in page.locator("#services").inner_text()


def test_a_resident_searching_for_a_service_sees_its_own_schedule(
    reference: None, hierarchy: Any, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tuesday 8 December 2026, 15:00: the station is open; the haircut is on first Fridays.
    monkeypatch.setattr(queries, "now_local", lambda: dt.datetime(2026, 12, 8, 15, 0))
    page.set_default_timeout(30_000)
    page.goto("/?q=理发&open=1")
    assert page.locator(".r-card").count() == 0
    assert "和平里幸福驿站" not in page.inner_text("main")
    page.goto("/?q=理发")
    card = page.locator(".r-card", has_text="和平里幸福驿站")
    assert "现在不提供 · 下次 1月1日（周五）9:00" in card.inner_text()
    screenshot(page, "resident-service-not-offered-now")
