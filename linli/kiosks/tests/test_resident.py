"""The resident's own health page: his readings only, export, withdrawing and giving consent."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.models import Role, User
from linli.kiosks import health, services
from linli.kiosks.models import Device, HealthSubject
from tests.personas import login

READINGS = "/api/kiosks/device/readings"


@pytest.fixture
def mine(
    kiosk: Device, hierarchy: Any, resident: User, signed_post: Any, device_key: Any
) -> HealthSubject:
    """The resident's subject (linked by phone) with a few readings."""
    subject = HealthSubject.objects.create(
        district_id=kiosk.district_id,
        community=hierarchy.xingfu,
        pseudonym=health.pseudonym_for("phone", resident.phone),
        user=resident,
        created_at=timezone.now(),
    )
    health.grant_consent(subject=subject, text_version=health.CONSENT_VERSION, channel="kiosk")
    readings = []
    for days, (sys_, dia) in enumerate([(150, 95), (138, 86)]):
        at = (timezone.now() - dt.timedelta(days=10 - days)).isoformat()
        readings += [
            {
                "id": f"s{days}",
                "item": "systolic",
                "value": sys_,
                "measured_at": at,
                "subject": subject.pseudonym,
            },
            {
                "id": f"d{days}",
                "item": "diastolic",
                "value": dia,
                "measured_at": at,
                "subject": subject.pseudonym,
            },
        ]
    readings.append(
        {
            "id": "e1",
            "item": "ecg",
            "value": "=HYPERLINK(1)",
            "measured_at": at,
            "subject": subject.pseudonym,
        }
    )
    assert signed_post(READINGS, {"readings": readings}, key=device_key).json()["accepted"] == 5
    return subject


def test_the_resident_sees_his_latest_readings_charts_and_the_disclaimer(
    mine: HealthSubject, resident: User
) -> None:
    page = login(Client(), resident).get("/health/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "仅供参考，不作为诊断依据" in text
    assert "收缩压" in text
    assert "138" in text
    charts = page.context["charts"]
    assert charts[0]["id"] == "systolic-diastolic"
    assert [p[1] for p in charts[0]["series"][0]["data"]] == [150.0, 138.0]


def test_another_resident_sees_none_of_it(mine: HealthSubject, hierarchy: Any) -> None:
    other = User.objects.create_user(
        username="13900002222", role=Role.RESIDENT, district=hierarchy.district, phone="13900002222"
    )
    page = login(Client(), other).get("/health/")
    assert page.status_code == 200
    assert "138" not in page.content.decode().split("<main")[1]
    assert page.context["subject"] is None


def test_the_export_holds_the_whole_history_and_never_a_live_formula(
    mine: HealthSubject, resident: User
) -> None:
    response = login(Client(), resident).get("/health/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["测量时间", "项目", "数值", "单位", "LOINC 编码"]
    assert len(rows) == 6
    assert rows[1][1:] == ["收缩压", "150", "mmHg", "8480-6"]
    assert rows[-1][2] == "'=HYPERLINK(1)"


def test_withdrawing_and_giving_consent_again_on_the_phone(
    mine: HealthSubject, resident: User
) -> None:
    client = login(Client(), resident)
    response = client.post("/health/consent/", {"action": "withdraw"})
    assert response.status_code == 302
    assert not health.has_consent(mine)
    # He still sees his own readings after withdrawing.
    assert "138" in client.get("/health/").content.decode()
    client.post("/health/consent/", {"action": "grant", "text_version": health.CONSENT_VERSION})
    assert health.has_consent(mine)
    latest = mine.consents.order_by("pk").last()
    assert latest is not None
    assert latest.channel == "phone"


def test_staff_are_sent_to_the_console_and_visitors_to_the_phone_login(
    community_staff: User, db: Any
) -> None:
    assert login(Client(), community_staff).get("/health/")["Location"] == "/console/"
    assert Client().get("/health/")["Location"].startswith("/accounts/phone/")


def test_readings_of_an_unlinked_subject_stay_private(
    kiosk: Device, resident: User, signed_post: Any, device_key: services.IssuedKey
) -> None:
    page = login(Client(), resident).get("/health/")
    assert "体检一体机上用手机号" in page.content.decode()
