"""The health kiosk: catalogue, pseudonymous identification, consent, and who reads readings."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.models import User
from linli.accounts.sms import ConsoleSender
from linli.core.models import AuditEntry
from linli.kiosks import health, services
from linli.kiosks.models import HealthConsent, HealthSubject, MeasurementItem, Reading
from tests.personas import login

IDENTIFY = "/api/kiosks/device/identify"
CONSENT = "/api/kiosks/device/consent"
READINGS = "/api/kiosks/device/readings"
ID_NUMBER = "11010519491231002X"  # the GB 11643 example: a valid check digit


def _reading(i: int, subject: str, item: str = "systolic", value: Any = 128) -> dict[str, Any]:
    at = (timezone.now() - dt.timedelta(minutes=10 - i)).isoformat()
    return {"id": f"h{i}", "item": item, "value": value, "measured_at": at, "subject": subject}


@pytest.fixture
def consented(signed_post: Any, device_key: services.IssuedKey) -> str:
    """A resident identified by ID card who accepted the consent text at the kiosk."""
    subject = signed_post(IDENTIFY, {"id_number": ID_NUMBER}, key=device_key).json()["subject"]
    response = signed_post(
        CONSENT, {"subject": subject, "text_version": health.CONSENT_VERSION}, key=device_key
    )
    assert response.status_code == 200, response.content
    return str(subject)


def test_the_default_catalogue_has_the_21_items_with_units_and_loinc(db: Any) -> None:
    items = MeasurementItem.objects.all()
    assert items.count() == 21
    systolic = items.get(code="systolic")
    assert (systolic.unit, systolic.loinc) == ("mmHg", "8480-6")
    assert items.filter(loinc="").count() == 4
    assert set(items.filter(value_type="text").values_list("code", flat=True)) == {
        "ecg",
        "tcm_constitution",
    }


def test_identification_by_id_card_stores_only_a_pseudonym(
    signed_post: Any, device_key: services.IssuedKey, smart_hut: Any
) -> None:
    response = signed_post(IDENTIFY, {"id_number": ID_NUMBER.lower()}, key=device_key)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["has_consent"] is False
    assert body["consent_version"] == health.CONSENT_VERSION
    subject = HealthSubject.objects.get()
    assert subject.pseudonym == body["subject"] == health.pseudonym_for("id", ID_NUMBER)
    assert ID_NUMBER not in subject.pseudonym
    assert subject.community_id == smart_hut.community_id
    again = signed_post(IDENTIFY, {"id_number": ID_NUMBER}, key=device_key).json()
    assert again["subject"] == body["subject"]
    assert HealthSubject.objects.count() == 1


def test_the_pseudonym_depends_on_a_secret_outside_the_database(settings: Any) -> None:
    first = health.pseudonym_for("id", ID_NUMBER)
    settings.LINLI_KIOSK_PSEUDONYM_SECRET = "another secret"
    assert health.pseudonym_for("id", ID_NUMBER) != first


def test_an_id_number_with_a_wrong_check_digit_is_refused(
    signed_post: Any, device_key: services.IssuedKey
) -> None:
    response = signed_post(IDENTIFY, {"id_number": "110105194912310021"}, key=device_key)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_id_number"
    assert HealthSubject.objects.count() == 0


def test_identification_by_phone_and_texted_code_links_the_resident(
    signed_post: Any, device_key: services.IssuedKey, resident: User
) -> None:
    ConsoleSender.sent.clear()
    sent = signed_post("/api/kiosks/device/phone-code", {"phone": resident.phone}, key=device_key)
    assert sent.status_code == 204
    found = re.search(r"\b(\d{6})\b", ConsoleSender.sent[-1][1])
    assert found is not None
    code = found.group(1)
    response = signed_post(IDENTIFY, {"phone": resident.phone, "code": code}, key=device_key)
    assert response.status_code == 200, response.content
    subject = HealthSubject.objects.get()
    assert subject.user == resident
    assert health.subject_for_resident(resident) == subject


def test_readings_without_consent_are_refused(
    signed_post: Any, device_key: services.IssuedKey
) -> None:
    subject = signed_post(IDENTIFY, {"id_number": ID_NUMBER}, key=device_key).json()["subject"]
    body = signed_post(READINGS, {"readings": [_reading(0, subject)]}, key=device_key).json()
    assert body["accepted"] == 0
    assert "同意" in body["refused"][0]["reason"]
    assert Reading.objects.count() == 0


def test_consent_is_recorded_with_its_text_version_and_time(consented: str) -> None:
    consent = HealthConsent.objects.get()
    assert consent.text_version == health.CONSENT_VERSION
    assert timezone.now() - consent.granted_at < dt.timedelta(seconds=30)
    assert consent.withdrawn_at is None


def test_an_outdated_consent_text_is_refused(
    signed_post: Any, device_key: services.IssuedKey
) -> None:
    subject = signed_post(IDENTIFY, {"id_number": ID_NUMBER}, key=device_key).json()["subject"]
    response = signed_post(CONSENT, {"subject": subject, "text_version": "2019"}, key=device_key)
    assert response.status_code == 400
    assert response.json()["code"] == "old_consent_text"
    assert HealthConsent.objects.count() == 0


def test_an_implausible_value_is_refused_with_its_reason(
    signed_post: Any, device_key: services.IssuedKey, consented: str
) -> None:
    batch = [
        _reading(0, consented, "systolic", 128),
        _reading(1, consented, "systolic", 420),
        _reading(2, consented, "pulse", "fast"),
        _reading(3, consented, "ecg", "窦性心律"),
        _reading(4, consented, "shoe_size", 42),
    ]
    body = signed_post(READINGS, {"readings": batch}, key=device_key).json()
    assert body["accepted"] == 2
    reasons = {r["id"]: r["reason"] for r in body["refused"]}
    assert reasons["h1"] == "420 mmHg 不是合理的收缩压（应在 50 与 300 之间）。"
    assert reasons["h2"] == "脉搏需要一个数值。"
    assert reasons["h4"] == "shoe_size 不在测量项目目录中。"


def test_the_plausible_range_is_inclusive(db: Any) -> None:
    spo2 = MeasurementItem.objects.get(code="spo2")
    assert spo2.problem_with(100) is None
    assert spo2.problem_with(50) is None
    assert spo2.problem_with(100.1) is not None
    assert spo2.problem_with(49.9) is not None


def _doctor_client(user: User) -> Client:
    return login(Client(), user)


def _readings_url(subject: HealthSubject) -> str:
    return f"/api/kiosks/health/subjects/{subject.pk}/readings"


def test_the_family_doctor_reads_decrypted_readings_and_the_read_is_audited(
    signed_post: Any, device_key: services.IssuedKey, consented: str, family_doctor: User
) -> None:
    signed_post(READINGS, {"readings": [_reading(0, consented, value=151)]}, key=device_key)
    subject = HealthSubject.objects.get()
    response = _doctor_client(family_doctor).get(_readings_url(subject))
    assert response.status_code == 200
    assert [(r["item"], r["value"], r["unit"]) for r in response.json()] == [
        ("systolic", 151.0, "mmHg")
    ]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_HEALTH)
    assert entry.actor == family_doctor
    assert entry.object_id == str(subject.pk)
    assert entry.changes == {}
    page = _doctor_client(family_doctor).get(f"/console/kiosks/health/{subject.pk}/")
    assert "151" in page.content.decode()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_HEALTH).count() == 2


@pytest.mark.parametrize(
    "persona", ["community_staff", "district_admin", "hut_keeper", "subdistrict_staff"]
)
def test_staff_outside_the_family_doctor_role_are_refused_and_the_refusal_logged(
    signed_post: Any,
    device_key: services.IssuedKey,
    consented: str,
    persona: str,
    request: Any,
) -> None:
    user = request.getfixturevalue(persona)
    subject = HealthSubject.objects.get()
    client = _doctor_client(user)
    assert client.get(_readings_url(subject)).status_code == 403
    assert client.get(f"/console/kiosks/health/{subject.pk}/").status_code == 403
    assert client.get("/console/kiosks/health/").status_code == 403
    refusals = AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_HEALTH, actor=user)
    assert refusals.count() == 3
    assert all(e.changes == {"refused": True} for e in refusals)


def test_a_family_doctor_of_another_community_is_refused_and_logged(
    consented: str, other_family_doctor: User
) -> None:
    subject = HealthSubject.objects.get()
    client = _doctor_client(other_family_doctor)
    assert client.get(_readings_url(subject)).status_code == 404
    assert "#" not in client.get("/console/kiosks/health/").content.decode().split("<main")[1]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_HEALTH)
    assert entry.changes == {"refused": True}


def test_withdrawal_stops_new_readings_and_hides_old_ones_from_the_doctor(
    signed_post: Any, device_key: services.IssuedKey, consented: str, family_doctor: User
) -> None:
    signed_post(READINGS, {"readings": [_reading(0, consented)]}, key=device_key)
    subject = HealthSubject.objects.get()
    client = _doctor_client(family_doctor)
    assert subject.label in client.get("/console/kiosks/health/").content.decode()
    health.withdraw_consent(subject=subject)
    body = signed_post(READINGS, {"readings": [_reading(1, consented)]}, key=device_key).json()
    assert body["accepted"] == 0
    assert Reading.objects.count() == 1
    assert client.get(_readings_url(subject)).status_code == 404
    assert subject.label not in client.get("/console/kiosks/health/").content.decode()


def test_consent_given_again_after_withdrawal_shows_the_readings_again(
    consented: str, family_doctor: User
) -> None:
    subject = HealthSubject.objects.get()
    health.withdraw_consent(subject=subject)
    health.grant_consent(subject=subject, text_version=health.CONSENT_VERSION, channel="phone")
    assert HealthConsent.objects.filter(subject=subject).count() == 2
    assert _doctor_client(family_doctor).get(_readings_url(subject)).status_code == 200
