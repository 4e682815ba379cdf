"""Browser journey: a subdistrict worker merges two spellings of one provider (服务组织)."""

from __future__ import annotations

from typing import Any

import pytest

from linli.accounts.models import User
from linli.places.models import Organisation, Service, ServiceCategory
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, log_in, screenshot
from tests.personas import PASSWORD, Hierarchy


@pytest.fixture
def reference(transactional_db: Any) -> None:
    """Reference lists again: a transactional test flushes what the data migration loaded."""
    sync_reference_data()


def test_subdistrict_staff_merges_two_spellings_of_the_red_cross(
    reference: None, hierarchy: Hierarchy, subdistrict_staff: User, desktop_page: Any
) -> None:
    district = hierarchy.district
    category = ServiceCategory.objects.get(code="haircut")
    wrong = Organisation.objects.create(
        district=district, name="红十字会", kind="partner", phone="0351-7654321"
    )
    right = Organisation.objects.create(
        district=district, name="市红十字会", kind="partner", credit_code="91350200776049653A"
    )
    for provider, name in ((wrong, "急救培训"), (wrong, "应急救护演练"), (right, "献血咨询")):
        Service.objects.create(
            district=district, organisation=provider, category=category, name=name
        )

    page = desktop_page
    log_in(page, subdistrict_staff.username, PASSWORD)
    page.wait_for_url("**/console/")
    page.get_by_role("link", name="服务组织").click()
    page.wait_for_url("**/console/organisations/")
    page.fill("#q", "红十字")
    page.get_by_role("button", name="搜索").click()
    page.locator("#results").get_by_role("link", name="市红十字会", exact=True).wait_for()
    screenshot(page, "console-organisations-list")
    assert axe_violations(page) == []

    page.locator("#results").get_by_role("link", name="红十字会", exact=True).click()
    page.wait_for_url(f"**/console/organisations/{wrong.pk}/")
    page.get_by_role("link", name="删除").click()
    assert "不能删除" in page.locator("h2").first.inner_text()
    page.get_by_role("link", name="合并到其他组织").click()
    page.wait_for_url(f"**/console/organisations/{wrong.pk}/merge/")
    page.get_by_label("合并到").select_option(label="市红十字会")
    screenshot(page, "console-organisation-merge")
    assert axe_violations(page) == []
    page.get_by_role("button", name="合并").click()

    page.wait_for_url(f"**/console/organisations/{right.pk}/")
    assert "转移 2 个服务项目" in page.locator(".messages").inner_text()
    services = page.locator("#services").inner_text()
    for name in ("急救培训", "应急救护演练", "献血咨询"):
        assert name in services
    assert page.locator("#id_phone").input_value() == "0351-7654321"
    screenshot(page, "console-organisation-form")
    assert axe_violations(page) == []
    assert not Organisation.objects.filter(pk=wrong.pk).exists()
