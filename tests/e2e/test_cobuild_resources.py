"""Browser journey: community staff file a resource on the resources list (资源清单); windows
that overlap are refused beside the field with everything typed kept; the English list on a
phone shows it."""

from __future__ import annotations

from typing import Any

import pytest

from linli.accounts.models import User
from linli.cobuild.models import Resource
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, log_in, screenshot
from tests.personas import PASSWORD, Hierarchy


@pytest.fixture
def reference(transactional_db: Any) -> None:
    sync_reference_data()


def test_community_staff_file_a_resource_after_fixing_overlapping_windows(
    reference: None, hierarchy: Hierarchy, community_staff: User, desktop_page: Any, page: Any
) -> None:
    desk = desktop_page
    log_in(desk, community_staff.username, PASSWORD)
    desk.wait_for_url("**/console/")
    desk.get_by_role("link", name="资源清单").click()
    desk.wait_for_url("**/console/cobuild/resources/")
    desk.locator("a.btn-add").click()
    desk.get_by_label("资源名称").fill("法律咨询")
    desk.get_by_label("类别").select_option("skill")
    desk.get_by_label("技能").select_option("legal")
    desk.get_by_label("提供方").select_option("party_member")
    desk.get_by_label("党员姓名").fill("李明华")
    desk.get_by_label("数量").fill("6")
    desk.get_by_label("所在驿站").select_option("S001")
    desk.get_by_label("可用时间").fill("2026-01-09 09:00-12:00\n2026-01-09 11:00-13:00")
    desk.get_by_role("button", name="保存").click()
    desk.get_by_text("重叠").wait_for()
    screenshot(desk, "cobuild-resource-refused")
    assert desk.get_by_label("党员姓名").input_value() == "李明华"
    assert not Resource.objects.exists()

    desk.get_by_label("可用时间").fill("2026-01-09 09:00-12:00\n2026-02-06 09:00-12:00")
    desk.get_by_role("button", name="保存").click()
    desk.get_by_text("资源“法律咨询”已保存。").wait_for()
    assert axe_violations(desk) == []
    screenshot(desk, "cobuild-resources-desktop")
    resource = Resource.objects.get()
    assert resource.windows.count() == 2

    log_in(page, community_staff.username, PASSWORD)
    page.get_by_role("button", name="English").click()
    page.goto("/console/cobuild/resources/")
    page.get_by_role("link", name="法律咨询").wait_for()
    page.get_by_text("Party member").first.wait_for()
    screenshot(page, "cobuild-resources-phone-en")
