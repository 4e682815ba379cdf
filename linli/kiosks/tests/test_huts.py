"""Huts, device status, offline detection, fault tickets, and who may see and close them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from linli.accounts.models import User
from linli.accounts.sms import ConsoleSender
from linli.core import limits
from linli.core.exceptions import Conflict, LinliError
from linli.core.models import AuditEntry
from linli.kiosks import permissions, services
from linli.kiosks.models import Device, DeviceStatus, Fault, FaultEvent


@pytest.fixture
def open_fault(kiosk: Device, hut_keeper: User) -> Fault:
    return services.report_fault(actor=hut_keeper, device=kiosk, summary="屏幕不亮")


@pytest.fixture(autouse=True)
def _empty_outbox() -> None:
    ConsoleSender.sent.clear()


# --- offline detection -----------------------------------------------------------------------


def test_a_silent_device_goes_offline_since_its_last_heartbeat_and_the_keeper_is_texted(
    kiosk: Device, awning: Device, django_capture_on_commit_callbacks: Any
) -> None:
    last = timezone.now() - dt.timedelta(minutes=11)
    Device.objects.filter(pk=kiosk.pk).update(last_heartbeat_at=last)
    with django_capture_on_commit_callbacks(execute=True):
        changed = services.mark_offline_devices()
    assert [d.pk for d in changed] == [kiosk.pk]
    kiosk.refresh_from_db()
    assert kiosk.status == DeviceStatus.OFFLINE
    assert kiosk.status_since == last
    assert len(ConsoleSender.sent) == 1
    phone, message = ConsoleSender.sent[0]
    assert phone == "13700002222"
    assert "体检一体机" in message
    assert "离线" in message
    # The managed area sends no heartbeats and is never "offline".
    assert Device.objects.get(pk=awning.pk).status == DeviceStatus.ONLINE


def test_a_device_nine_minutes_silent_is_still_online(kiosk: Device) -> None:
    Device.objects.filter(pk=kiosk.pk).update(
        last_heartbeat_at=timezone.now() - dt.timedelta(minutes=9)
    )
    assert services.mark_offline_devices() == []
    assert Device.objects.get(pk=kiosk.pk).status == DeviceStatus.ONLINE


def test_an_offline_device_is_alerted_once(
    kiosk: Device, django_capture_on_commit_callbacks: Any
) -> None:
    Device.objects.filter(pk=kiosk.pk).update(
        last_heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_offline_devices()
        services.mark_offline_devices()
    assert len(ConsoleSender.sent) == 1


def test_the_check_command_marks_offline_devices(kiosk: Device) -> None:
    Device.objects.filter(pk=kiosk.pk).update(
        last_heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    call_command("kiosk", "check-devices")
    assert Device.objects.get(pk=kiosk.pk).status == DeviceStatus.OFFLINE


def test_without_an_active_keeper_the_alert_goes_to_the_huts_contact(
    kiosk: Device,
    hut_keeper: User,
    community_staff: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    hut_keeper.is_active = False
    hut_keeper.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_fault(actor=community_staff, device=kiosk, summary="门锁故障")
    assert [phone for phone, _msg in ConsoleSender.sent] == ["13812345678"]


# --- fault tickets ---------------------------------------------------------------------------


def test_the_keeper_closes_a_fault_with_a_note_and_the_device_is_online_again(
    open_fault: Fault, kiosk: Device, hut_keeper: User, as_user: Any
) -> None:
    assert Device.objects.get(pk=kiosk.pk).status == DeviceStatus.FAULT
    response = as_user(hut_keeper).post(
        f"/console/kiosks/faults/{open_fault.pk}/", {"note": "更换了电源适配器"}
    )
    assert response.status_code == 302
    fault = Fault.objects.get(pk=open_fault.pk)
    assert fault.status == Fault.Status.CLOSED
    assert fault.closed_by == hut_keeper
    assert fault.closing_note == "更换了电源适配器"
    assert list(fault.events.values_list("kind", flat=True)) == ["opened", "closed"]
    assert Device.objects.get(pk=kiosk.pk).status == DeviceStatus.ONLINE
    assert AuditEntry.objects.filter(
        object_type="kiosks.fault", object_id=str(fault.pk), action=AuditEntry.Action.UPDATE
    ).exists()


def test_closing_without_a_note_is_refused_beside_the_field_and_changes_nothing(
    open_fault: Fault, hut_keeper: User, as_user: Any
) -> None:
    response = as_user(hut_keeper).post(f"/console/kiosks/faults/{open_fault.pk}/", {"note": "  "})
    assert response.status_code == 400
    assert "请填写故障是如何修复的" in response.content.decode()
    assert Fault.objects.get(pk=open_fault.pk).status == Fault.Status.OPEN


def test_a_closed_fault_cannot_be_closed_twice(open_fault: Fault, hut_keeper: User) -> None:
    services.close_fault(actor=hut_keeper, fault=open_fault, note="已修复")
    with pytest.raises(Conflict):
        services.close_fault(actor=hut_keeper, fault=open_fault, note="再次")
    assert FaultEvent.objects.filter(kind=FaultEvent.Kind.CLOSED).count() == 1


def test_a_device_silent_while_in_fault_returns_to_offline_not_online(
    open_fault: Fault, kiosk: Device, hut_keeper: User
) -> None:
    Device.objects.filter(pk=kiosk.pk).update(
        last_heartbeat_at=timezone.now() - dt.timedelta(hours=2)
    )
    services.close_fault(actor=hut_keeper, fault=open_fault, note="已修复")
    assert Device.objects.get(pk=kiosk.pk).status == DeviceStatus.OFFLINE


def test_a_staff_report_texts_the_keeper(
    kiosk: Device, hut_keeper: User, community_staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _api(community_staff).post(
            f"/api/kiosks/devices/{kiosk.pk}/faults",
            {"summary": "快递柜 3 号格门打不开"},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    assert ConsoleSender.sent[0][0] == "13700002222"


def _api(user: User) -> Any:
    from django.test import Client

    from tests.personas import login

    return login(Client(), user)


# --- who sees what ---------------------------------------------------------------------------


def test_the_keeper_sees_his_hut_and_its_sections(
    kiosk: Device, awning: Device, open_fault: Fault, hut_keeper: User, as_user: Any
) -> None:
    client = as_user(hut_keeper)
    index = client.get("/console/kiosks/")
    assert index.status_code == 200
    assert "幸福里智慧小屋" in index.content.decode()
    page = client.get(f"/console/kiosks/huts/{kiosk.station_id}/").content.decode()
    for words in ("健康", "便民服务", "体检一体机", "户外遮阳棚", "屏幕不亮", "处理"):
        assert words in page


def test_a_keeper_of_another_station_does_not_see_the_hut(
    kiosk: Device, open_fault: Fault, station_keeper: User, as_user: Any
) -> None:
    client = as_user(station_keeper)
    assert "幸福里智慧小屋" not in client.get("/console/kiosks/").content.decode()
    assert client.get(f"/console/kiosks/huts/{kiosk.station_id}/").status_code == 404
    assert client.get(f"/console/kiosks/faults/{open_fault.pk}/").status_code == 404
    response = client.post(f"/console/kiosks/faults/{open_fault.pk}/", {"note": "x"})
    assert response.status_code == 404
    assert Fault.objects.get(pk=open_fault.pk).status == Fault.Status.OPEN


def test_another_communitys_staff_cannot_close_the_fault_through_the_api(
    open_fault: Fault, other_community_staff: User
) -> None:
    response = _api(other_community_staff).post(
        f"/api/kiosks/faults/{open_fault.pk}/close", {"note": "x"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert Fault.objects.get(pk=open_fault.pk).status == Fault.Status.OPEN


def test_another_districts_admin_sees_no_huts(kiosk: Device, other_district_admin: User) -> None:
    response = _api(other_district_admin).get("/api/kiosks/huts")
    assert response.status_code == 200
    assert response.json() == []


def test_the_communitys_staff_may_close_the_fault(open_fault: Fault, community_staff: User) -> None:
    response = _api(community_staff).post(
        f"/api/kiosks/faults/{open_fault.pk}/close",
        {"note": "远程重启后恢复"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "closed"


def test_a_resident_is_sent_to_log_in_and_refused_by_the_api(
    kiosk: Device, resident: User, as_user: Any
) -> None:
    client = as_user(resident)
    assert client.get("/console/kiosks/").status_code == 302
    assert client.get("/api/kiosks/huts").status_code == 403


def test_the_huts_api_counts_devices_by_status(
    kiosk: Device, awning: Device, open_fault: Fault, district_admin: User
) -> None:
    response = _api(district_admin).get("/api/kiosks/huts")
    assert response.json() == [
        {
            "id": kiosk.station_id,
            "code": "H001",
            "name": "幸福里智慧小屋",
            "online": 1,
            "offline": 0,
            "fault": 1,
            "open_faults": 1,
            "stock_attention": 0,
        }
    ]
    detail = _api(district_admin).get(f"/api/kiosks/huts/{kiosk.station_id}").json()
    assert [d["code"] for d in detail["devices"]] == ["H001-HK", "H001-AW"]


def test_the_chokepoint_refuses_garbage_ids(hut_keeper: User) -> None:
    from django.http import Http404

    for pk in ("abc", -1, 0, 2**70):
        with pytest.raises(Http404):
            permissions.get_fault_for_user(hut_keeper, pk)


def test_an_over_long_closing_note_is_refused_not_cut(open_fault: Fault, hut_keeper: User) -> None:
    with pytest.raises(LinliError) as refused:
        services.close_fault(
            actor=hut_keeper, fault=open_fault, note="修" * (limits.DESCRIPTION + 1)
        )
    assert refused.value.details["field"] == "note"
    assert "2000" in str(refused.value)
    assert Fault.objects.get(pk=open_fault.pk).status == Fault.Status.OPEN
