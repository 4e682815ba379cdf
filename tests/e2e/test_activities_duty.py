"""A party member logs a duty on his phone and sees his hours and his star; overlapping hours
are refused beside the field, with what he typed kept."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from linli.accounts.models import Role, User
from linli.activities.models import ServiceRecord
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, screenshot
from tests.personas import PASSWORD


@pytest.fixture
def reference(transactional_db: Any) -> None:
    sync_reference_data()


def test_a_party_member_logs_a_duty_and_sees_his_hours_and_star(
    reference: None, hierarchy: Any, page: Any
) -> None:
    member = User.objects.create_user(
        username="dangyuan",
        password=PASSWORD,
        role=Role.PARTY_MEMBER,
        real_name="赵红军",
        phone="13700001234",
        district=hierarchy.district,
        community=hierarchy.xingfu,
    )
    earlier = timezone.now() - dt.timedelta(days=30)
    ServiceRecord.objects.create(
        district=hierarchy.district,
        subdistrict=hierarchy.east,
        community=hierarchy.xingfu,
        volunteer=member,
        started_at=earlier,
        ended_at=earlier + dt.timedelta(hours=10),
        what="往年累计（补录）",
        hours=Decimal("120.00"),
        status=ServiceRecord.Status.CONFIRMED,
    )
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "dangyuan")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    page.goto("/activities/service/")
    assert "120.00" in page.get_by_test_id("hours").inner_text()
    assert page.get_by_test_id("stars").get_attribute("aria-label").startswith("1")

    fmt = "%Y-%m-%dT%H:%M"
    start = timezone.localtime() - dt.timedelta(hours=4)
    page.select_option("select[name=community]", str(hierarchy.xingfu.pk))
    page.fill("input[name=started_at]", start.strftime(fmt))
    page.fill("input[name=ended_at]", (start + dt.timedelta(hours=2)).strftime(fmt))
    page.fill("input[name=travel_minutes]", "30")
    page.fill("input[name=what]", "城市共建日：楼道清理")
    page.get_by_role("button", name="登记").click()
    page.wait_for_load_state()
    assert "2.00" in page.get_by_test_id("hours").inner_text()
    assert "城市共建日：楼道清理" in page.inner_text("main")
    assert "不计入" in page.inner_text("main")

    # The same hours again: refused beside the field, the description kept.
    page.select_option("select[name=community]", str(hierarchy.xingfu.pk))
    page.fill("input[name=started_at]", (start + dt.timedelta(hours=1)).strftime(fmt))
    page.fill("input[name=ended_at]", (start + dt.timedelta(hours=3)).strftime(fmt))
    page.fill("input[name=what]", "助老服务")
    page.get_by_role("button", name="登记").click()
    page.wait_for_load_state()
    assert "重叠" in page.inner_text("main")
    assert page.input_value("input[name=what]") == "助老服务"
    assert ServiceRecord.objects.filter(volunteer=member).count() == 2
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert axe_violations(page) == []
    screenshot(page, "activities-service-record-390")
    assert re.search(r"\d", page.get_by_test_id("hours").inner_text())
