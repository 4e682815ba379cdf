"""Browser journey: a keeper sees a fault on his smart hut's page and closes it with a note."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from linli.kiosks import services
from linli.kiosks.models import Device, DeviceKind, DeviceStatus, Fault, Section
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, screenshot
from tests.personas import PASSWORD


@pytest.fixture
def reference(transactional_db: Any) -> None:
    """Reference lists again: a transactional test flushes what the data migration loaded."""
    sync_reference_data()


def _log_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


def test_a_keeper_sees_a_fault_on_the_hut_page_and_closes_it(
    reference: None, smart_hut: Any, hut_keeper: Any, desktop_page: Any, page: Any
) -> None:
    now = timezone.now()
    devices = {
        kind: Device.objects.create(
            district_id=smart_hut.district_id,
            station=smart_hut,
            section=section,
            kind=kind,
            code=f"H001-{i}",
            name=name,
            status=DeviceStatus.ONLINE,
            status_since=now - dt.timedelta(days=10),
            last_heartbeat_at=now - dt.timedelta(minutes=1),
        )
        for i, (kind, section, name) in enumerate(
            [
                (DeviceKind.HEALTH_KIOSK, Section.HEALTH, "体检一体机"),
                (DeviceKind.PARCEL_LOCKER, Section.CONVENIENCE, "24小时快递柜"),
                (DeviceKind.MICRO_LIBRARY, Section.READING, "微型图书馆"),
            ]
        )
    }
    fault = services.report_fault(
        actor=hut_keeper, device=devices[DeviceKind.PARCEL_LOCKER], summary="3号格柜门打不开"
    )

    console = desktop_page
    _log_in(console, hut_keeper.username)
    console.goto("/console/kiosks/")
    console.get_by_role("link", name="幸福里智慧小屋").click()
    console.wait_for_url(f"**/console/kiosks/huts/{smart_hut.pk}/")
    faults = console.locator("section", has=console.get_by_role("heading", name="未关闭的故障"))
    assert "3号格柜门打不开" in faults.inner_text()
    assert console.locator("section[aria-label='便民服务']").get_by_text("故障").count() == 1
    screenshot(console, "kiosks-hut-fault")
    assert axe_violations(console) == []

    faults.get_by_role("link", name="处理").click()
    console.wait_for_url(f"**/console/kiosks/faults/{fault.pk}/")
    # Closing without a note is refused beside the field, and nothing changes.
    console.get_by_role("button", name="关闭故障工单").click()
    assert "关闭前请填写" in console.locator(".field-error").inner_text()
    assert Fault.objects.get(pk=fault.pk).status == Fault.Status.OPEN

    console.get_by_label("故障是如何修复的？").fill("清理了卡住的快递，柜门恢复正常")
    console.get_by_role("button", name="关闭故障工单").click()
    console.wait_for_url(f"**/console/kiosks/huts/{smart_hut.pk}/")
    assert "故障工单已关闭" in console.locator(".messages").inner_text()
    assert "暂无未关闭的故障" in console.inner_text("body")
    assert "清理了卡住的快递" in console.inner_text("body")
    screenshot(console, "kiosks-hut-closed")
    assert Fault.objects.get(pk=fault.pk).closed_by_id == hut_keeper.pk
    assert Device.objects.get(pk=fault.device_id).status == DeviceStatus.ONLINE

    # The hut page fits a phone.
    _log_in(page, hut_keeper.username)
    page.goto(f"/console/kiosks/huts/{smart_hut.pk}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "kiosks-hut-phone")
    assert width <= 390
