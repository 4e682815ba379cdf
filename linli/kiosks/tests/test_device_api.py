"""The device API: signatures, replays, key rotation and revocation, idempotent ingest."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from django.utils import timezone
from freezegun import freeze_time

from linli.accounts.models import User
from linli.core.models import AuditEntry
from linli.kiosks import health, services
from linli.kiosks.models import Device, DeviceStatus, Fault, HealthSubject, Reading

HEARTBEAT = "/api/kiosks/device/heartbeat"
READINGS = "/api/kiosks/device/readings"


@pytest.fixture(autouse=True)
def _consenting_resident(kiosk: Device, hierarchy: Any) -> None:
    """The health kiosk's readings below are of subject "s1", who has consented."""
    subject = HealthSubject.objects.create(
        district_id=kiosk.district_id,
        community=hierarchy.xingfu,
        pseudonym="s1",
        created_at=timezone.now(),
    )
    health.grant_consent(subject=subject, text_version=health.CONSENT_VERSION, channel="kiosk")


def _batch(ids: range, *, item: str = "pulse", value: float = 72.0) -> dict[str, Any]:
    at = (timezone.now() - dt.timedelta(minutes=5)).isoformat()
    return {
        "readings": [
            {"id": f"r{i}", "item": item, "value": value + i, "measured_at": at, "subject": "s1"}
            for i in ids
        ]
    }


def test_a_signed_heartbeat_is_accepted_and_recorded(
    signed_post: Any, device_key: services.IssuedKey, kiosk: Device
) -> None:
    response = signed_post(HEARTBEAT, {}, key=device_key)
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "online", "fault_id": None}
    kiosk.refresh_from_db()
    assert kiosk.last_heartbeat_at is not None
    assert timezone.now() - kiosk.last_heartbeat_at < dt.timedelta(seconds=5)


def test_it_refuses_a_request_signed_with_the_wrong_secret(
    signed_post: Any, device_key: services.IssuedKey, kiosk: Device
) -> None:
    before = Device.objects.get(pk=kiosk.pk).last_heartbeat_at
    response = signed_post(HEARTBEAT, {}, key=device_key, secret="0" * 64)
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert Device.objects.get(pk=kiosk.pk).last_heartbeat_at == before


def test_it_refuses_a_body_changed_after_signing(
    signed_post: Any, device_key: services.IssuedKey
) -> None:
    response = signed_post(
        READINGS, _batch(range(1)), key=device_key, body=json.dumps(_batch(range(2))).encode()
    )
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert Reading.objects.count() == 0


def test_it_refuses_an_unknown_key(signed_post: Any, device_key: services.IssuedKey) -> None:
    fake = services.IssuedKey(key=type(device_key.key)(key_id="ffffffffffffffff"), secret="x")
    response = signed_post(HEARTBEAT, {}, key=fake)
    assert response.status_code == 401
    assert response.json()["code"] == "unknown_key"


def test_it_refuses_an_unsigned_request(client: Any, device_key: services.IssuedKey) -> None:
    response = client.post(HEARTBEAT, data={}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "unsigned"


def test_it_refuses_a_replayed_nonce(signed_post: Any, device_key: services.IssuedKey) -> None:
    assert signed_post(HEARTBEAT, {}, key=device_key, nonce="nonce-0001").status_code == 200
    response = signed_post(HEARTBEAT, {}, key=device_key, nonce="nonce-0001")
    assert response.status_code == 401
    assert response.json()["code"] == "replayed_nonce"


def test_a_replayed_batch_stores_nothing_more(
    signed_post: Any, device_key: services.IssuedKey
) -> None:
    batch = _batch(range(3))
    assert signed_post(READINGS, batch, key=device_key, nonce="batch-nonce-1").status_code == 200
    response = signed_post(READINGS, batch, key=device_key, nonce="batch-nonce-1")
    assert response.status_code == 401
    assert Reading.objects.count() == 3


@pytest.mark.parametrize("offset", [-310, 310, -86400])
def test_it_refuses_a_stale_or_future_timestamp(
    signed_post: Any, device_key: services.IssuedKey, offset: int
) -> None:
    ts = int(timezone.now().timestamp()) + offset
    response = signed_post(HEARTBEAT, {}, key=device_key, timestamp=ts)
    assert response.status_code == 401
    assert response.json()["code"] == "stale_timestamp"


def test_a_timestamp_within_the_allowed_skew_is_accepted(
    signed_post: Any, device_key: services.IssuedKey
) -> None:
    ts = int(timezone.now().timestamp()) - 290
    assert signed_post(HEARTBEAT, {}, key=device_key, timestamp=ts).status_code == 200


def test_it_refuses_a_revoked_key(
    signed_post: Any, device_key: services.IssuedKey, district_admin: User, as_user: Any
) -> None:
    client = as_user(district_admin)
    response = client.post(f"/api/kiosks/keys/{device_key.key.key_id}/revoke")
    assert response.status_code == 204
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_REVOKED).count() == 1
    response = signed_post(HEARTBEAT, {}, key=device_key)
    assert response.status_code == 401
    assert response.json()["code"] == "revoked_key"


def test_rotation_keeps_both_keys_valid_until_the_old_one_retires(
    signed_post: Any, device_key: services.IssuedKey, kiosk: Device, district_admin: User
) -> None:
    new = services.issue_device_key(actor=district_admin, device=kiosk)
    assert new.key.key_id != device_key.key.key_id
    assert signed_post(HEARTBEAT, {}, key=device_key).status_code == 200
    assert signed_post(HEARTBEAT, {}, key=new).status_code == 200
    with freeze_time(timezone.now() + dt.timedelta(days=1, minutes=1)):
        old = signed_post(HEARTBEAT, {}, key=device_key)
        assert old.status_code == 401
        assert old.json()["code"] == "retired_key"
        assert signed_post(HEARTBEAT, {}, key=new).status_code == 200


def test_a_keeper_may_not_issue_or_revoke_device_keys(
    kiosk: Device, device_key: services.IssuedKey, hut_keeper: User, as_user: Any
) -> None:
    client = as_user(hut_keeper)
    assert client.post(f"/api/kiosks/devices/{kiosk.pk}/keys").status_code == 403
    assert client.post(f"/api/kiosks/keys/{device_key.key.key_id}/revoke").status_code == 403
    assert kiosk.keys.count() == 1


def test_an_administrator_issues_a_key_and_the_secret_signs(
    kiosk: Device, district_admin: User, as_user: Any, signed_post: Any
) -> None:
    response = as_user(district_admin).post(f"/api/kiosks/devices/{kiosk.pk}/keys")
    assert response.status_code == 201
    body = response.json()
    key = kiosk.keys.get(key_id=body["key_id"])
    issued = services.IssuedKey(key=key, secret=body["secret"])
    assert signed_post(HEARTBEAT, {}, key=issued).status_code == 200


def test_a_batch_is_stored_once_and_a_retry_reports_duplicates(
    signed_post: Any, device_key: services.IssuedKey
) -> None:
    first = signed_post(READINGS, _batch(range(5)), key=device_key)
    assert first.status_code == 200
    assert first.json() == {"accepted": 5, "duplicates": 0, "refused": []}
    retry = signed_post(READINGS, _batch(range(3, 8)), key=device_key)
    assert retry.json() == {"accepted": 3, "duplicates": 2, "refused": []}
    assert Reading.objects.count() == 8
    assert sorted(Reading.objects.values_list("reading_id", flat=True)) == [
        f"r{i}" for i in range(8)
    ]


def test_a_reading_in_the_future_is_refused_with_its_reason_and_the_rest_stored(
    signed_post: Any, device_key: services.IssuedKey
) -> None:
    batch = _batch(range(2))
    batch["readings"][1]["measured_at"] = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    response = signed_post(READINGS, batch, key=device_key)
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1
    assert body["refused"] == [{"index": 1, "id": "r1", "reason": "测量时间晚于当前时间。"}]


def test_a_malformed_batch_is_refused_whole(
    signed_post: Any, device_key: services.IssuedKey
) -> None:
    batch = _batch(range(2))
    batch["readings"][1]["item"] = "Pulse; DROP"
    response = signed_post(READINGS, batch, key=device_key)
    assert response.status_code == 422
    assert Reading.objects.count() == 0


def test_values_are_stored_encrypted_and_read_back(
    signed_post: Any, device_key: services.IssuedKey
) -> None:
    signed_post(READINGS, _batch(range(1), value=131.5), key=device_key)
    reading = Reading.objects.get()
    assert b"131.5" not in bytes(reading.ciphertext)
    assert reading.key_id == "dev"
    assert services.reading_value(reading) == 131.5


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(
    signed_post: Any, device_key: services.IssuedKey
) -> None:
    signed_post(READINGS, _batch(range(2)), key=device_key)
    a, b = Reading.objects.order_by("reading_id")
    b.ciphertext = a.ciphertext
    with pytest.raises(InvalidTag):
        services.reading_value(b)


def test_rotating_the_data_key_reseals_every_reading(
    signed_post: Any, device_key: services.IssuedKey, settings: Any
) -> None:
    signed_post(READINGS, _batch(range(3)), key=device_key)
    old_key = settings.LINLI_KIOSK_DATA_KEYS["dev"]
    settings.LINLI_KIOSK_DATA_KEYS = {"k2": b"\x02" * 32, "dev": old_key}
    settings.LINLI_KIOSK_DATA_KEY_ID = "k2"
    signed_post(READINGS, _batch(range(3, 4)), key=device_key)
    assert sorted(Reading.objects.values_list("key_id", flat=True)) == ["dev", "dev", "dev", "k2"]
    assert services.rekey_readings() == 3
    settings.LINLI_KIOSK_DATA_KEYS = {"k2": b"\x02" * 32}  # the old key is gone
    values = [services.reading_value(r) for r in Reading.objects.order_by("reading_id")]
    assert values == [72.0, 73.0, 74.0, 75.0]


def test_a_heartbeat_reporting_a_fault_opens_one_ticket_and_texts_the_keeper(
    signed_post: Any,
    device_key: services.IssuedKey,
    kiosk: Device,
    hut_keeper: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from linli.accounts.sms import ConsoleSender

    ConsoleSender.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(HEARTBEAT, {"fault": "打印机缺纸"}, key=device_key)
    assert response.json()["status"] == "fault"
    with django_capture_on_commit_callbacks(execute=True):
        again = signed_post(HEARTBEAT, {"fault": "打印机缺纸"}, key=device_key)
    assert again.json() == {"status": "fault", "fault_id": None}
    fault = Fault.objects.get()
    assert fault.source == Fault.Source.DEVICE
    assert [phone for phone, _msg in ConsoleSender.sent] == ["13700002222"]
    assert "打印机缺纸" in ConsoleSender.sent[0][1]
    assert list(fault.events.values_list("kind", flat=True)) == ["opened", "alerted"]
    assert Device.objects.get(pk=kiosk.pk).status == DeviceStatus.FAULT
