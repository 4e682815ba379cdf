"""The console on the sample district (what ``make demo`` shows), for a person to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from linli.places.reference import sync_reference_data
from linli.sample.accounts import DEMO_PASSWORD
from linli.sample.load import load_sample
from tests.e2e.conftest import screenshot
from tests.e2e.test_console_import import log_in

pytestmark = pytest.mark.slow


@pytest.fixture
def sample(transactional_db: Any, settings: Any, tmp_path: Path) -> Any:
    settings.VAR_DIR = tmp_path / "var"
    settings.LINLI_NETWORK_DIR = tmp_path / "networks"
    settings.LINLI_CIRCLE_CACHE_DIR = tmp_path / "cache"
    sync_reference_data()
    return load_sample().district


def test_district_admin_browses_the_sample_district(sample: Any, desktop_page: Any) -> None:
    page = desktop_page
    log_in(page, "district", DEMO_PASSWORD)
    page.wait_for_url("**/console/")
    expect(page.locator(".badge-sample")).to_be_visible()
    screenshot(page, "console-sample-home")
    page.goto("/console/stations/")
    expect(page.locator(".pager-links")).to_be_visible()  # more than one page of stations
    screenshot(page, "console-sample-stations")
    page.locator(".pager-links a", has_text="2").first.click()
    page.wait_for_url("**page=2*")
    page.goto("/console/compounds/")
    screenshot(page, "console-sample-compounds")


def test_keeper_sees_only_hours_and_services(sample: Any, desktop_page: Any) -> None:
    page = desktop_page
    log_in(page, "keeper", DEMO_PASSWORD)
    page.wait_for_url("**/console/")
    page.goto("/console/stations/")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1
    rows.get_by_role("link").first.click()
    page.wait_for_url("**/hours/")
    expect(page.locator("#hours")).to_be_visible()
    screenshot(page, "console-keeper-hours")
