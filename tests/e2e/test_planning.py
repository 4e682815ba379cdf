"""Browser journey: a district planner analyses the sample district and works the gap list.

The sample district (linli.sample, ~120 compounds) is loaded so the screenshots show what
planners will see. The analysis runs through the page's button; the test settings use Django's
immediate task backend, so it finishes inside the POST (about half a minute for the sample's
isochrones), hence the longer timeouts on that step.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from linli.places.models import Compound
from linli.places.reference import sync_reference_data
from linli.planning.models import AnalysisRun, Gap, RunStatus, SitingRun
from linli.sample.accounts import DEMO_PASSWORD
from linli.sample.load import load_sample
from tests.e2e.conftest import SCREENSHOTS, axe_violations, screenshot, watch_csp

pytestmark = pytest.mark.slow


@pytest.fixture
def sample(transactional_db: Any, settings: Any, tmp_path: Path) -> Any:
    settings.VAR_DIR = tmp_path / "var"
    settings.LINLI_NETWORK_DIR = tmp_path / "networks"
    settings.LINLI_CIRCLE_CACHE_DIR = tmp_path / "cache"
    sync_reference_data()
    return load_sample().district


def _log_in(page: Any, username: str) -> None:
    # Enter in the password field: the login page also has a language button before "Log in".
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


# Available premises offered for siting: named after the compounds they stand next to.
PREMISES: list[tuple[str, float, float]] = []


def _premises_sheet(run: AnalysisRun, folder: Path) -> Path:
    """A premises sheet: a room at the gate of each of the four most populous compounds farther
    than 300 m from a 幸福驿站, and a warehouse far from any street (inside the district's box)."""
    from openpyxl import Workbook

    from linli.places.models import Gate
    from linli.planning.models import CompoundAccess

    codes = (
        CompoundAccess.objects.filter(run=run, category="happiness_station", meters__gt=300)
        .order_by("-compound__population")
        .values_list("compound__code", flat=True)
    )
    PREMISES.clear()
    for code in codes[:4]:
        gate = Gate.objects.filter(compound__code=code).select_related("compound").first()
        assert gate is not None
        PREMISES.append((f"{gate.compound.name}门口闲置用房", gate.lon + 0.0001, gate.lat))
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["编号(id)", "名称(name)", "经度(lon)", "纬度(lat)"])
    for i, (name, lon, lat) in enumerate(PREMISES, start=1):
        ws.append([f"P{i}", name, lon, lat])
    district = run.district
    assert district.max_lon is not None
    assert district.max_lat is not None
    ws.append(["P9", "城郊仓库", district.max_lon + 0.015, district.max_lat + 0.015])
    path = folder / "可用场所.xlsx"
    wb.save(path)
    return path


def test_a_planner_analyses_the_district_and_exports_the_gaps(
    desktop_page: Any, sample: Any, browser: Any, live_server: Any, tmp_path: Path
) -> None:
    page = desktop_page
    _log_in(page, "district")

    page.goto("/console/planning/")
    expect(page.get_by_text("本区尚未进行生活圈分析")).to_be_visible()
    screenshot(page, "planning-home")

    # The district's own rule first: a 幸福驿站 within five minutes' walk of every compound.
    page.get_by_role("link", name=re.compile("区级驿站标准")).click()
    expect(page.get_by_role("heading", name=re.compile("驿站标准"))).to_be_visible()
    page.fill("#id_happiness_station-minutes", "5")
    page.fill("#id_happiness_station-source", "示例区十分钟生活圈规划（2026）")
    page.get_by_role("button", name="保存驿站标准").click()
    expect(page.get_by_text("本区驿站标准已保存")).to_be_visible()
    expect(page.locator("#id_happiness_station-minutes")).to_have_value("5")
    screenshot(page, "planning-station-rules")
    page.goto("/console/planning/")

    with page.expect_navigation(timeout=180_000):
        page.get_by_role("button", name="发起新的分析").click(timeout=180_000)
    run = AnalysisRun.objects.get()
    assert run.status == RunStatus.DONE, run.error

    page.wait_for_selector("#pl-map path.leaflet-interactive, #pl-map canvas", timeout=20_000)
    page.wait_for_selector("#pl-chart svg")
    expect(page.get_by_role("heading", name="缺口清单：未达配套标准的小区")).to_be_visible()
    rows = page.locator("#pl-gap-list tbody tr")
    assert rows.count() == 25
    # The compounds lacking a 幸福驿站 within five minutes are gaps like any other category's.
    lacking = Gap.objects.filter(run=run, standard="district", category="happiness_station")
    assert lacking.exists()
    assert {g.threshold_m for g in lacking} == {300}
    expect(page.locator("#gf-standard option", has_text="区级标准 · 5分钟生活圈")).to_have_count(1)
    assert "120 个小区已显示" in page.inner_text("#pl-map-note")
    screenshot(page, "planning-run")
    # Only this page's own content: the console's shared menu is checked by its own journeys.
    violations = [
        v
        for v in axe_violations(page)
        if any(
            ".sidenav" not in str(n["target"]) and ".topbar" not in str(n["target"])
            for n in v["nodes"]
        )
    ]
    assert violations == [], [
        (v["id"], [n["target"] for n in v["nodes"]][:5], v["nodes"][0].get("failureSummary"))
        for v in violations
    ]

    page.check("#pl-iso")
    page.wait_for_timeout(1500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#pl-map").screenshot(path=str(SCREENSHOTS / "planning-map-isochrones.png"))
    assert page.locator("#pl-iso-note").is_hidden()
    # Day care has no isochrones: the map says so, never drawing 幸福驿站's in their place.
    page.select_option("#pl-category", "elderly_day_care")
    page.wait_for_selector("#pl-iso-note", state="visible")
    page.select_option("#pl-category", "happiness_station")
    page.uncheck("#pl-iso")
    for item in ("驿站5分钟范围边界", "道路或步行道", "5 分钟以内"):
        assert item in page.inner_text("#pl-legend")

    # Filter the gap list to one category; htmx swaps the table in place.
    page.select_option("#gf-category", label="托儿所")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#pl-gap-list tbody tr td:nth-child(3)')]"
        ".every(td => td.textContent.trim() === '托儿所')"
    )
    expected = Gap.objects.filter(run=run, category="nursery").count()
    assert f"共 {expected} 条缺口" in page.inner_text("#pl-gap-table")

    # Accept the first gap: its row is replaced with the new status.
    first = page.locator("#pl-gap-list tbody tr").first
    gap_id = int(first.get_attribute("id").removeprefix("gap-"))
    first.get_by_role("button", name="采纳").click()
    page.wait_for_selector(f"#gap-{gap_id} .pl-badge-accepted")
    assert Gap.objects.get(pk=gap_id).status == "accepted"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出筛选结果（Excel）").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["缺口编号", "小区编码", "小区"]
    assert sheet.max_row - 1 == expected
    assert {sheet.cell(row=r, column=6).value for r in range(2, sheet.max_row + 1)} == {"托儿所"}

    # Propose three new 幸福驿站 within 300 m; the proposal appears with whom each site serves.
    page.goto(f"/console/planning/runs/{run.pk}/#siting")
    page.fill("#ps-k", "3")
    page.fill("#ps-radius", "300")
    with page.expect_navigation(timeout=60_000):
        page.get_by_role("button", name="测算选址").click(timeout=60_000)
    page.wait_for_selector(".pl-sites li")
    assert page.locator(".pl-sites li").count() == 3
    assert "新覆盖" in page.inner_text(".pl-sites")
    page.wait_for_selector(".pl-map-label")
    # The proposed 幸福驿站 sites are not shown on another category's walking times.
    page.select_option("#pl-category", "elderly_day_care")
    page.wait_for_selector("#pl-sites-note", state="visible")
    assert page.locator(".pl-map-label").count() == 0
    assert "幸福驿站" in page.inner_text("#pl-sites-note")
    page.select_option("#pl-category", "happiness_station")
    page.wait_for_selector(".pl-map-label")
    page.locator("#siting").screenshot(path=str(SCREENSHOTS / "planning-sites-list.png"))
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "planning-sites")

    # Only premises the district has available: upload a sheet; the proposal names them, and
    # the one too far from any street is named as left out.
    premises_xlsx = _premises_sheet(run, tmp_path)
    broken = load_workbook(premises_xlsx)
    broken.worksheets[0]["C3"] = "东经113度"
    broken_xlsx = tmp_path / "填错的清单.xlsx"
    broken.save(broken_xlsx)
    page.goto(f"/console/planning/runs/{run.pk}/#siting")
    page.set_input_files("#ps-premises", str(broken_xlsx))
    with page.expect_navigation():
        page.get_by_role("button", name="测算选址").click()
    assert "第 3 行，C 经度(lon) 列，值“东经113度”" in page.inner_text("#ps-error")
    page.locator("#siting").screenshot(path=str(SCREENSHOTS / "planning-premises-error.png"))
    assert SitingRun.objects.filter(candidate_source="premises").count() == 0

    page.goto(f"/console/planning/runs/{run.pk}/#siting")
    page.fill("#ps-k", "2")
    page.fill("#ps-radius", "300")
    page.check("#ps-source-premises")
    page.set_input_files("#ps-premises", str(premises_xlsx))
    page.locator(".pl-siting-form").screenshot(path=str(SCREENSHOTS / "planning-premises-form.png"))
    with page.expect_navigation(timeout=60_000):
        page.get_by_role("button", name="测算选址").click(timeout=60_000)
    page.wait_for_selector(".pl-site-name")
    names = page.locator(".pl-sites .pl-site-name").all_inner_texts()
    assert names
    assert set(names) <= {name for name, _lon, _lat in PREMISES}
    assert "城郊仓库（编号 P9" in page.inner_text(".pl-warning")
    assert page.locator("input[name=source][value=previous]").is_checked()
    page.locator(".pl-siting-result details.pl-premises summary").click()
    page.locator(".pl-siting-result").screenshot(
        path=str(SCREENSHOTS / "planning-premises-sites.png")
    )

    # A community's staff see only their own community's compounds and cannot start anything.
    other = browser.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 850}, locale="zh-CN"
    )
    violations = watch_csp(other)
    staff = other.new_page()
    _log_in(staff, "community")
    staff.goto(f"/console/planning/runs/{run.pk}/")
    staff.wait_for_selector("#pl-map path.leaflet-interactive, #pl-map canvas", timeout=20_000)
    expect(staff.get_by_text("您只能看到本辖区内的小区。")).to_be_visible()
    assert staff.get_by_role("button", name="测算选址").count() == 0
    assert staff.get_by_role("link", name="下载离线地图").count() == 0
    community = staff_user_community()
    own = Compound.objects.filter(community=community).count()
    assert f"{own} 个小区已显示" in staff.inner_text("#pl-map-note")
    screenshot(staff, "planning-community")
    other.close()
    assert not violations, violations


def staff_user_community() -> Any:
    from linli.accounts.models import User

    user = User.objects.select_related("community").get(username="community")
    return user.community


def test_a_queued_analysis_says_so_and_updates_itself(desktop_page: Any, sample: Any) -> None:
    run = AnalysisRun.objects.create(district=sample, status=RunStatus.QUEUED)
    _log_in(desktop_page, "district")

    desktop_page.goto("/console/planning/")

    status = desktop_page.locator(f"#pl-run-status-{run.pk}")
    assert "正在排队" in status.inner_text()
    assert desktop_page.get_by_role("button", name="发起新的分析").is_disabled()
    screenshot(desktop_page, "planning-queued")
    AnalysisRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, error="测试：路网文件缺失"
    )
    desktop_page.wait_for_function(
        f"() => document.querySelector('#pl-run-status-{run.pk}')"
        ".classList.contains('pl-status-failed')",
        timeout=15_000,
    )
    assert "路网文件缺失" in desktop_page.inner_text(f"#pl-run-status-{run.pk}")
