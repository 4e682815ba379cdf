"""Browser journeys in the staff console: importing a station sheet, and another community's 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from linli.accounts.models import User
from linli.places.models import Station
from linli.places.reference import sync_reference_data
from linli.places.tests.sheetfiles import STATION_HEADER, station_row, xlsx
from tests.e2e.conftest import axe_violations, screenshot
from tests.personas import PASSWORD, Hierarchy


@pytest.fixture
def reference(transactional_db: Any) -> None:
    """Reference lists again: a transactional test flushes what the data migration loaded."""
    sync_reference_data()


def log_in(page: Any, username: str, password: str) -> None:
    """Log in with Enter in the password field (the login page also has a language button)."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


def _bad_and_good_files(tmp_path: Path) -> tuple[Path, Path]:
    bad = xlsx(
        STATION_HEADER,
        [
            station_row(
                "XF-201", "幸福苑东区驿站", **{"经度*": "１１３．０７２"}
            ),  # full width: fine
            station_row("XF-202", "幸福苑西区驿站", **{"纬度*": "三十六"}),
            station_row("XF-202", "重复的驿站"),
            station_row("XF-203", "越界驿站", **{"社区编码": "T14040402001"}),
            station_row("XF-204", "坐标错误驿站", **{"经度*": 116.40, "纬度*": 39.90}),
        ],
    )
    good = xlsx(
        STATION_HEADER,
        [
            station_row("XF-201", "幸福苑东区驿站", **{"经度*": "１１３．０７２"}),
            station_row("XF-202", "幸福苑西区驿站", **{"纬度*": 36.1822}),
            station_row("XF-203", "幸福苑北区驿站", **{"经度*": 113.0705, "纬度*": 36.1830}),
        ],
    )
    paths = tmp_path / "驿站导入-有错误.xlsx", tmp_path / "驿站导入-已修正.xlsx"
    paths[0].write_bytes(bad.getvalue())
    paths[1].write_bytes(good.getvalue())
    return paths


def test_community_staff_imports_a_sheet_after_fixing_it(
    reference: None,
    hierarchy: Hierarchy,
    community_staff: User,
    desktop_page: Any,
    tmp_path: Path,
) -> None:
    page = desktop_page
    bad, good = _bad_and_good_files(tmp_path)
    log_in(page, community_staff.username, PASSWORD)
    page.wait_for_url("**/console/")
    screenshot(page, "console-home")

    page.goto("/console/stations/")
    page.get_by_role("link", name="导入").first.click()
    page.wait_for_url("**/console/import/stations/")
    page.set_input_files("input[type=file]", str(bad))
    page.click("button[value=import]")
    report = page.locator(".report-table")
    report.wait_for()
    text = report.inner_text()
    assert "G 纬度" in text
    assert "应填写数字" in text
    assert "与第 3 行相同" in text
    assert "不在您的管辖范围内" in text
    assert "F 经度" in text
    assert "发现 4 个问题" in page.locator(".banner-error").inner_text()
    screenshot(page, "console-import-report")
    assert not Station.objects.filter(code__startswith="XF-2").exists()

    with page.expect_download() as download:
        page.get_by_role("link", name="下载问题清单").click()
    assert download.value.suggested_filename.endswith("导入问题.xlsx")

    page.set_input_files("input[type=file]", str(good))
    page.click("button[value=check]")
    page.locator(".banner-ok").wait_for()
    assert "将新增 3 条" in page.locator(".banner-ok").inner_text()
    assert not Station.objects.filter(code__startswith="XF-2").exists()

    page.set_input_files("input[type=file]", str(good))
    page.click("button[value=import]")
    page.wait_for_url("**/console/stations/")
    assert "新增 3 条" in page.locator(".messages").inner_text()
    table = page.locator("#results table").inner_text()
    for name in ("幸福苑东区驿站", "幸福苑西区驿站", "幸福苑北区驿站"):
        assert name in table
    screenshot(page, "console-stations-after-import")
    assert Station.objects.filter(code__startswith="XF-2", community=hierarchy.xingfu).count() == 3

    row = page.locator("#results tbody tr").filter(has_text="XF-201")
    row.locator("input[type=checkbox]").check()
    page.get_by_role("link", name="修改").first.click()
    page.wait_for_url("**/console/stations/*/")
    screenshot(page, "console-station-edit")


def test_community_staff_cannot_open_another_communitys_station(
    reference: None, hierarchy: Hierarchy, community_staff: User, desktop_page: Any
) -> None:
    page = desktop_page
    log_in(page, community_staff.username, PASSWORD)
    page.wait_for_url("**/console/")
    page.goto("/console/stations/")
    assert "西园幸福驿站" not in page.locator("#results").inner_text()
    assert "西园社区" not in page.locator(".tree").inner_text()
    screenshot(page, "console-stations")
    for url in (
        f"/console/stations/{hierarchy.station_xiyuan.pk}/",
        f"/console/stations/{hierarchy.station_xiyuan.pk}/delete/",
        f"/console/stations/{hierarchy.station_heping.pk}/hours/",
    ):
        response = page.goto(url)
        assert response is not None
        assert response.status == 404, url
        assert "西园幸福驿站" not in page.content()
        assert "不在您的管辖范围内" in page.locator(".refused").inner_text()
    screenshot(page, "console-other-community-404")


def test_district_admin_pages_look_right(
    reference: None, hierarchy: Hierarchy, district_admin: User, desktop_page: Any
) -> None:
    """Not a journey: renders the other console pages so a person can look at them."""
    page = desktop_page
    log_in(page, district_admin.username, PASSWORD)
    page.wait_for_url("**/console/")
    page.goto("/console/stations/")
    page.get_by_role("link", name="西园社区").click()
    page.wait_for_url("**/console/stations/?community=*")
    assert "西园幸福驿站" in page.locator("#results").inner_text()
    assert "和平里幸福驿站" not in page.locator("#results").inner_text()
    # The search form swaps only the table (htmx) and keeps the address in step.
    page.goto("/console/stations/")
    page.fill("input[name=q]", "和平")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/console/stations/?*q=*")
    assert "西园幸福驿站" not in page.locator("#results").inner_text()
    assert "和平里幸福驿站" in page.locator("#results").inner_text()
    page.goto("/console/")  # away from the search box, whose change event would race the click
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    expect(page.locator(".sidenav").get_by_text("Stations and facilities")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="中文").click()
    page.goto("/console/compounds/")
    screenshot(page, "console-compounds")
    for url in (
        "/console/",
        "/console/stations/",
        "/console/import/stations/",
        f"/console/stations/{hierarchy.station_xingfu.pk}/",
    ):
        page.goto(url)
        found = axe_violations(page)
        assert found == [], [
            (v["id"], [n["target"] for n in v["nodes"]][:5], v["nodes"][0].get("failureSummary"))
            for v in found
        ]
    page.goto("/console/services/")
    screenshot(page, "console-services")
    page.goto(f"/console/compounds/{hierarchy.compound_xingfu.pk}/")
    screenshot(page, "console-compound-edit")
    page.goto("/console/import/services/")
    screenshot(page, "console-import")
