"""Browser journey: the co-construction roster — a year the holiday calendar does not know is
flagged and confirmed by the subdistrict, a community asks for a duty swap, the subdistrict
approves it, and the roster shows the swapped units."""

from __future__ import annotations

from typing import Any

import pytest

from linli.accounts.models import User
from linli.cobuild import services
from linli.cobuild.models import CoBuildDay, DutyAssignment
from linli.places.models import Organisation
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, log_in, screenshot
from tests.personas import PASSWORD, Hierarchy

# A year chinesecalendar will not know for decades: its days are all ahead and unconfirmed.
YEAR = 2099


@pytest.fixture
def reference(transactional_db: Any) -> None:
    sync_reference_data()


def test_a_swap_asked_by_a_community_and_approved_by_the_subdistrict(
    reference: None,
    hierarchy: Hierarchy,
    subdistrict_staff: User,
    community_staff: User,
    desktop_page: Any,
    browser: Any,
    live_server: Any,
) -> None:
    for name in ("区税务局", "区人民医院", "区第一中学"):
        services.add_duty_unit(
            actor=subdistrict_staff,
            subdistrict=hierarchy.east,
            organisation=Organisation.objects.create(
                district=hierarchy.district, name=name, kind="unit"
            ),
        )
    page = desktop_page
    log_in(page, subdistrict_staff.username, PASSWORD)
    page.wait_for_url("**/console/")
    page.get_by_role("link", name="共建日与轮值表").click()
    page.goto(f"/console/cobuild/subdistricts/{hierarchy.east.pk}/?year={YEAR}")
    page.get_by_role("button", name=f"安排 {YEAR} 年的城市共建日").click()
    page.get_by_text("日历库尚未收录").wait_for()
    first = CoBuildDay.objects.get(subdistrict=hierarchy.east, year=YEAR, month=1)
    page.locator(f"#day-{first.pk}").get_by_role("button", name="确认该日期").click()
    page.locator(f"#day-{first.pk}").get_by_role("button", name="确认该日期").wait_for(
        state="detached"
    )
    assert page.locator("tbody .tag-off", has_text="待确认").count() == 11
    page.get_by_role("button", name="从今天起生成轮值表").click()
    page.get_by_text("轮值表已生成：共 12 个值班").wait_for()
    screenshot(page, "cobuild-roster-desktop")
    assert axe_violations(page) == []

    # The community asks to swap January's unit with February's.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="zh-CN"
    )
    phone = context.new_page()
    log_in(phone, community_staff.username, PASSWORD)
    phone.goto(f"/console/cobuild/subdistricts/{hierarchy.east.pk}/?year={YEAR}")
    january = phone.locator(f"#day-{first.pk}")
    january.get_by_text("对调区税务局的值班").click()
    january.get_by_label("原因").fill("单位年会")
    january.get_by_role("button", name="提交街道审批").click()
    phone.get_by_text("对调申请已提交，等待街道审批。").wait_for()
    screenshot(phone, "cobuild-roster-phone")
    context.close()

    page.reload()
    page.get_by_role("button", name="批准").click()
    page.get_by_text("对调已批准，轮值表已更新。").wait_for()
    assert page.locator(f"#day-{first.pk} .cb-units").inner_text().startswith("区人民医院")
    duty = DutyAssignment.objects.get(day=first)
    assert duty.unit.organisation.name == "区人民医院"
    assert duty.origin == "swap"
