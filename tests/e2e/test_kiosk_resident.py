"""Browser journey: a resident in senior mode sees his own readings on the phone."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from linli.accounts.sms import ConsoleSender
from linli.kiosks import crypto, health, services
from linli.kiosks.models import Device, DeviceKind, DeviceStatus, HealthSubject, Reading, Section
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, screenshot


@pytest.fixture
def reference(transactional_db: Any) -> None:
    """Reference lists again: a transactional test flushes what the data migrations loaded."""
    sync_reference_data()
    health.load_default_catalogue()


def test_a_resident_in_senior_mode_sees_his_own_readings(
    reference: None, hierarchy: Any, smart_hut: Any, resident: Any, page: Any, live_server: Any
) -> None:
    kiosk = Device.objects.create(
        district=hierarchy.district,
        station=smart_hut,
        section=Section.HEALTH,
        kind=DeviceKind.HEALTH_KIOSK,
        code="H001-HK",
        name="体检一体机",
        status=DeviceStatus.ONLINE,
        status_since=timezone.now(),
    )
    subject = HealthSubject.objects.create(
        district=hierarchy.district,
        community=hierarchy.xingfu,
        pseudonym=health.pseudonym_for("phone", resident.phone),
        user=resident,
        created_at=timezone.now(),
    )
    health.grant_consent(subject=subject, text_version=health.CONSENT_VERSION, channel="kiosk")
    for day in range(30):
        at = timezone.now() - dt.timedelta(days=30 - day)
        for item, value in (("systolic", 128 + day % 7), ("diastolic", 80 + day % 5)):
            reading = Reading(
                district=hierarchy.district,
                device=kiosk,
                reading_id=f"{item}-{day}",
                item=item,
                subject=subject.pseudonym,
                measured_at=at,
                received_at=at,
            )
            aad = services.reading_aad(kiosk.pk, reading.reading_id)
            reading.key_id, reading.ciphertext = crypto.seal(str(float(value)).encode(), aad=aad)
            reading.save()

    ConsoleSender.sent.clear()
    page.context.add_cookies([{"name": "linli_elderly", "value": "1", "url": live_server.url}])
    page.goto("/health/")
    page.wait_for_url("**/accounts/phone/**")
    page.fill("input[name=phone]", resident.phone)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/accounts/phone/code/**")
    code = re.search(r"\b(\d{6})\b", ConsoleSender.sent[-1][1])
    assert code is not None
    page.fill("input[name=code]", code.group(1))
    page.locator("main button[type=submit]").first.click()
    page.wait_for_load_state()
    if "/health/" not in page.url:
        page.goto("/health/")
    assert page.locator("html").get_attribute("class") == "elderly"
    assert "仅供参考，不作为诊断依据" in page.inner_text("main")
    latest = page.locator(".h-card").first
    assert "收缩压" in latest.inner_text()
    assert (
        latest.locator(".h-card__value").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        >= 28
    )
    page.locator(".h-chart svg").first.wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(page, "kiosks-resident-senior")
    assert axe_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="下载我的全部测量数据（CSV）").click()
    assert download.value.suggested_filename == "my-health-readings.csv"
