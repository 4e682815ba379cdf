"""The daily 异常待随访 list: filing, versioned thresholds, closing, recheck reminders, access."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from linli.accounts.models import User
from linli.accounts.sms import ConsoleSender
from linli.core.models import AuditEntry
from linli.kiosks import followup, health, services
from linli.kiosks.models import Device, FollowUp, HealthSubject, ThresholdTable
from linli.kiosks.thresholds import DEFAULT_RULES
from tests.personas import login

READINGS = "/api/kiosks/device/readings"


@pytest.fixture
def subject(kiosk: Device, hierarchy: Any, resident: User) -> HealthSubject:
    """A consenting resident who linked his phone (gets recheck reminders)."""
    subject = HealthSubject.objects.create(
        district_id=kiosk.district_id,
        community=hierarchy.xingfu,
        pseudonym=health.pseudonym_for("phone", resident.phone),
        user=resident,
        created_at=timezone.now(),
    )
    health.grant_consent(subject=subject, text_version=health.CONSENT_VERSION, channel="kiosk")
    return subject


def _send(
    signed_post: Any, key: services.IssuedKey, subject: HealthSubject, values: dict[str, Any]
) -> None:
    at = timezone.now() - dt.timedelta(minutes=5)
    readings = [
        {
            "id": f"{subject.pk}-{item}-{at.timestamp()}",
            "item": item,
            "value": value,
            "measured_at": at.isoformat(),
            "subject": subject.pseudonym,
        }
        for item, value in values.items()
    ]
    body = signed_post(READINGS, {"readings": readings}, key=key).json()
    assert body["refused"] == [], body


def test_readings_over_the_thresholds_file_one_follow_up_per_resident_and_day(
    signed_post: Any, device_key: services.IssuedKey, subject: HealthSubject
) -> None:
    _send(signed_post, device_key, subject, {"systolic": 185, "diastolic": 95, "pulse": 70})
    today = timezone.localdate()
    assert followup.build_daily_list(day=today) == 1
    assert followup.build_daily_list(day=today) == 0  # re-running files nothing twice
    item = FollowUp.objects.get()
    assert item.level == "urgent"
    assert item.table_version == "2026-1"
    assert sorted(f["item"] for f in item.findings) == ["diastolic", "systolic"]
    assert item.finding_labels() == ["血压偏高"]
    assert "185" not in str(item.findings)  # judgements only; values stay encrypted


def test_readings_within_the_thresholds_file_nothing(
    signed_post: Any, device_key: services.IssuedKey, subject: HealthSubject
) -> None:
    _send(signed_post, device_key, subject, {"systolic": 139, "diastolic": 89, "spo2": 95})
    assert followup.build_daily_list(day=timezone.localdate()) == 0


def test_a_later_reading_the_same_day_joins_the_open_follow_up(
    signed_post: Any, device_key: services.IssuedKey, subject: HealthSubject
) -> None:
    _send(signed_post, device_key, subject, {"bmi": 25})
    followup.build_daily_list(day=timezone.localdate())
    _send(signed_post, device_key, subject, {"spo2": 88})
    followup.build_daily_list(day=timezone.localdate())
    item = FollowUp.objects.get()
    assert item.level == "urgent"
    assert item.finding_labels() == ["血氧饱和度偏低", "超重"]


def test_a_new_threshold_version_applies_from_its_date_only(
    signed_post: Any, device_key: services.IssuedKey, subject: HealthSubject
) -> None:
    stricter = [dict(r) for r in DEFAULT_RULES]
    for rule in stricter:
        if rule["item"] == "systolic" and rule["level"] == "abnormal":
            rule["value"] = 130
    ThresholdTable.objects.create(
        version="2027-1", valid_from=timezone.localdate() + dt.timedelta(days=1), rules=stricter
    )
    _send(signed_post, device_key, subject, {"systolic": 135})
    assert followup.build_daily_list(day=timezone.localdate()) == 0
    later = followup.table_in_force(timezone.localdate() + dt.timedelta(days=1))
    assert later is not None
    assert later.version == "2027-1"


def test_a_threshold_table_with_a_broken_rule_is_refused(db: Any) -> None:
    from django.core.exceptions import ValidationError

    table = ThresholdTable(version="bad", valid_from=dt.date(2027, 1, 1), rules=[{"op": "~"}])
    with pytest.raises(ValidationError, match="rule 1"):
        table.full_clean()


def test_a_withdrawn_resident_is_not_filed(
    signed_post: Any, device_key: services.IssuedKey, subject: HealthSubject
) -> None:
    _send(signed_post, device_key, subject, {"systolic": 190})
    health.withdraw_consent(subject=subject)
    assert followup.build_daily_list(day=timezone.localdate()) == 0


@pytest.fixture
def filed(signed_post: Any, device_key: services.IssuedKey, subject: HealthSubject) -> FollowUp:
    _send(signed_post, device_key, subject, {"fasting_glucose": 7.4})
    call_command("kiosk", "followups")
    return FollowUp.objects.get()


def test_the_doctor_closes_a_follow_up_and_a_recheck_falls_due_in_two_weeks(
    filed: FollowUp, family_doctor: User
) -> None:
    client = login(Client(), family_doctor)
    page = client.get(f"/console/kiosks/followups/{filed.pk}/").content.decode()
    assert "7.4" in page
    assert "空腹血糖偏高" in page
    response = client.post(f"/console/kiosks/followups/{filed.pk}/", {"note": "电话随访，建议复查"})
    assert response.status_code == 302
    item = FollowUp.objects.get(pk=filed.pk)
    assert item.status == FollowUp.Status.CLOSED
    assert item.closed_by == family_doctor
    assert item.recheck_due == timezone.localdate() + dt.timedelta(days=14)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_HEALTH, changes={}).exists()


def test_closing_without_a_note_is_refused_and_keeps_the_follow_up_open(
    filed: FollowUp, family_doctor: User
) -> None:
    client = login(Client(), family_doctor)
    response = client.post(f"/console/kiosks/followups/{filed.pk}/", {"note": ""})
    assert response.status_code == 400
    assert "关闭随访前请记录处理情况" in response.content.decode()
    assert FollowUp.objects.get(pk=filed.pk).status == FollowUp.Status.OPEN


def test_the_recheck_reminder_is_texted_once_when_due(
    filed: FollowUp, family_doctor: User, resident: User
) -> None:
    followup.close_followup(actor=family_doctor, follow_up=filed, note="已电话随访")
    ConsoleSender.sent.clear()
    assert followup.send_recheck_reminders(today=timezone.localdate()) == 0
    due = timezone.localdate() + dt.timedelta(days=14)
    with freeze_time(timezone.now() + dt.timedelta(days=14)):
        assert followup.send_recheck_reminders(today=due) == 1
        assert followup.send_recheck_reminders(today=due) == 0
    assert [phone for phone, _m in ConsoleSender.sent] == [resident.phone]
    assert "再测量一次" in ConsoleSender.sent[0][1]


def test_the_list_shows_the_communitys_follow_ups_only_to_its_doctors(
    filed: FollowUp, family_doctor: User, other_family_doctor: User, community_staff: User
) -> None:
    mine = login(Client(), family_doctor).get("/console/kiosks/followups/")
    assert filed.subject.label in mine.content.decode()
    other = login(Client(), other_family_doctor)
    assert filed.subject.label not in other.get("/console/kiosks/followups/").content.decode()
    assert other.get(f"/console/kiosks/followups/{filed.pk}/").status_code == 404
    staff = login(Client(), community_staff)
    assert staff.get("/console/kiosks/followups/").status_code == 403
    assert staff.post(f"/console/kiosks/followups/{filed.pk}/", {"note": "x"}).status_code == 403
    assert FollowUp.objects.get(pk=filed.pk).status == FollowUp.Status.OPEN
    refusals = AuditEntry.objects.filter(
        action=AuditEntry.Action.VIEW_HEALTH, changes={"refused": True}
    )
    assert refusals.count() == 3
