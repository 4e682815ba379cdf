"""Browser journey: a family doctor works through the community's 异常待随访 list."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

import pytest
from django.utils import timezone

from linli.accounts.models import User
from linli.kiosks import followup, health, services, signing
from linli.kiosks.models import Device, DeviceKind, DeviceStatus, FollowUp, HealthSubject, Section
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, screenshot
from tests.personas import PASSWORD


@pytest.fixture
def reference(transactional_db: Any) -> None:
    """Reference lists again: a transactional test flushes what the data migrations loaded."""
    sync_reference_data()
    health.load_default_catalogue()
    followup.ensure_default_table()


def _ingest(key: services.IssuedKey, subject: HealthSubject, values: dict[str, float]) -> None:
    at = timezone.now() - dt.timedelta(hours=1)
    readings = [
        services.ReadingInput(
            reading_id=f"{subject.pk}-{item}",
            item=item,
            value=value,
            measured_at=at,
            subject=subject.pseudonym,
        )
        for item, value in values.items()
    ]
    body = json.dumps({}).encode()
    path = "/api/kiosks/device/readings"
    headers = signing.signed_headers(
        key_id=key.key.key_id,
        secret=key.secret,
        method="POST",
        path=path,
        body=body,
        timestamp=int(timezone.now().timestamp()),
        nonce=secrets.token_urlsafe(12),
    )
    signed = services.SignedRequest(
        method="POST",
        path=path,
        body=body,
        key_id=headers["X-Linli-Key"],
        timestamp=headers["X-Linli-Timestamp"],
        nonce=headers["X-Linli-Nonce"],
        signature=headers["X-Linli-Signature"],
    )
    result = services.ingest_readings(signed=signed, readings=readings)
    assert result.refused == []


def _subject(hierarchy: Any, n: int) -> HealthSubject:
    subject = HealthSubject.objects.create(
        district=hierarchy.district,
        community=hierarchy.xingfu,
        pseudonym=health.pseudonym_for("id", f"e2e-{n}"),
        created_at=timezone.now(),
    )
    health.grant_consent(subject=subject, text_version=health.CONSENT_VERSION, channel="kiosk")
    return subject


def test_a_family_doctor_works_through_the_follow_up_list(
    reference: None,
    hierarchy: Any,
    smart_hut: Any,
    family_doctor: User,
    district_admin: User,
    desktop_page: Any,
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
    key = services.issue_device_key(actor=district_admin, device=kiosk)
    urgent, mild, well = (_subject(hierarchy, n) for n in range(3))
    _ingest(key, urgent, {"systolic": 186, "diastolic": 112})
    _ingest(key, mild, {"bmi": 26.1, "fasting_glucose": 7.2})
    _ingest(key, well, {"systolic": 121, "diastolic": 78})
    assert followup.build_daily_list(day=timezone.localdate()) == 2

    page = desktop_page
    page.goto("/accounts/login/")
    page.fill("input[name=username]", family_doctor.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    page.get_by_role("link", name="异常待随访").click()
    page.wait_for_url("**/console/kiosks/followups/")
    rows = page.locator("#to-follow-up ~ .table-scroll tbody tr")
    assert rows.count() == 2
    assert urgent.label in rows.nth(0).inner_text()  # urgent first
    assert "紧急" in rows.nth(0).inner_text()
    assert well.label not in page.inner_text("main")
    screenshot(page, "kiosks-followups")
    assert axe_violations(page) == []

    rows.nth(0).get_by_role("link").click()
    page.wait_for_url("**/console/kiosks/followups/*/")
    assert "186" in page.inner_text("main")
    assert "≥ 180" in page.inner_text("main") or ">= 180" in page.inner_text("main")
    page.get_by_label("处理情况（电话、上门、健康指导、转诊）").fill(
        "已电话联系，建议今日到社区卫生服务中心就诊"
    )
    page.get_by_role("button", name="完成随访").click()
    page.wait_for_url("**/console/kiosks/followups/")
    assert "随访已完成" in page.locator(".messages").inner_text()
    assert page.locator("#to-follow-up ~ .table-scroll tbody tr").count() == 1
    assert mild.label in page.locator("#to-follow-up ~ .table-scroll").inner_text()
    closed = FollowUp.objects.get(subject=urgent)
    assert closed.status == FollowUp.Status.CLOSED
    assert closed.recheck_due == timezone.localdate() + dt.timedelta(days=14)

    page.locator("#to-follow-up ~ .table-scroll").get_by_role("link").click()
    page.get_by_label("处理情况（电话、上门、健康指导、转诊）").fill("上门随访，给予饮食指导")
    page.get_by_role("button", name="完成随访").click()
    page.wait_for_url("**/console/kiosks/followups/")
    assert "暂无待随访居民" in page.inner_text("main")
    screenshot(page, "kiosks-followups-done")
