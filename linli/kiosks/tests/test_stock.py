"""Stock and occupancy: the medicine cabinet, vending machine and parcel lockers report events;
keepers see low stock and expiring medicine, and are texted about low stock once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.models import User
from linli.accounts.sms import ConsoleSender
from linli.kiosks import services
from linli.kiosks.models import Device, DeviceKind, DeviceStatus, Section, StockEvent, StockItem
from linli.places.models import Station
from tests.personas import login

STOCK = "/api/kiosks/device/stock"


def _device(hut: Station, kind: str, code: str, name: str) -> Device:
    return Device.objects.create(
        district_id=hut.district_id,
        station=hut,
        section=Section.HEALTH if kind == DeviceKind.MEDICINE_CABINET else Section.CONVENIENCE,
        kind=kind,
        code=code,
        name=name,
        status=DeviceStatus.ONLINE,
        status_since=timezone.now(),
    )


@pytest.fixture
def cabinet(smart_hut: Station, hut_keeper: User) -> Device:
    return _device(smart_hut, DeviceKind.MEDICINE_CABINET, "H001-MC", "无人售药柜")


@pytest.fixture
def lockers(smart_hut: Station) -> Device:
    return _device(smart_hut, DeviceKind.PARCEL_LOCKER, "H001-PL", "24小时快递柜")


@pytest.fixture
def cabinet_key(cabinet: Device, district_admin: User) -> services.IssuedKey:
    return services.issue_device_key(actor=district_admin, device=cabinet)


@pytest.fixture
def lockers_key(lockers: Device, district_admin: User) -> services.IssuedKey:
    return services.issue_device_key(actor=district_admin, device=lockers)


def _at(minutes: int = 5) -> str:
    return (timezone.now() - dt.timedelta(minutes=minutes)).isoformat()


def _event(eid: str, item: str, kind: str, quantity: int, **extra: Any) -> dict[str, Any]:
    return {"id": eid, "item": item, "kind": kind, "quantity": quantity, "at": _at(), **extra}


STOCKTAKE = _event(
    "e1",
    "amoxicillin",
    "stocktake",
    20,
    name="阿莫西林胶囊",
    low_at=5,
    expires_on=(dt.date.today() + dt.timedelta(days=200)).isoformat(),
)


def test_a_stocktake_then_dispensing_moves_the_count_once(
    signed_post: Any, cabinet_key: services.IssuedKey, cabinet: Device
) -> None:
    batch = {"events": [STOCKTAKE, _event("e2", "amoxicillin", "dispense", 3)]}
    first = signed_post(STOCK, batch, key=cabinet_key)
    assert first.status_code == 200, first.content
    assert first.json() == {"accepted": 2, "duplicates": 0, "refused": [], "low": []}
    again = signed_post(STOCK, batch, key=cabinet_key)  # the answer was lost; sent again
    assert again.json()["duplicates"] == 2
    item = StockItem.objects.get(device=cabinet, code="amoxicillin")
    assert (item.name, item.quantity) == ("阿莫西林胶囊", 17)
    assert StockEvent.objects.filter(device=cabinet).count() == 2


def test_falling_to_the_low_mark_texts_the_keeper_once(
    signed_post: Any,
    cabinet_key: services.IssuedKey,
    cabinet: Device,
    hut_keeper: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    signed_post(STOCK, {"events": [STOCKTAKE]}, key=cabinet_key)
    with django_capture_on_commit_callbacks(execute=True):
        low = signed_post(
            STOCK, {"events": [_event("e2", "amoxicillin", "dispense", 15)]}, key=cabinet_key
        )
    assert low.json()["low"] == ["amoxicillin"]
    assert [phone for phone, _m in ConsoleSender.sent] == ["13700002222"]
    assert "阿莫西林胶囊" in ConsoleSender.sent[0][1]
    with django_capture_on_commit_callbacks(execute=True):
        signed_post(
            STOCK, {"events": [_event("e3", "amoxicillin", "dispense", 1)]}, key=cabinet_key
        )
    assert len(ConsoleSender.sent) == 1  # still the same low episode
    signed_post(STOCK, {"events": [_event("e4", "amoxicillin", "restock", 30)]}, key=cabinet_key)
    assert StockItem.objects.get(code="amoxicillin").low_alerted_at is None


@pytest.mark.parametrize(
    ("event", "field", "words"),
    [
        (_event("x1", "amoxicillin", "sale", 1), "kind", "sale"),
        (_event("x2", "ibuprofen", "dispense", 1), "item", "ibuprofen"),
        (_event("x3", "amoxicillin", "dispense", 99), "quantity", "20"),
        (_event("x4", "amoxicillin", "dispense", 0), "quantity", "1"),
        (_event("x5", "vitamin_c", "stocktake", 4), "name", ""),
    ],
)
def test_a_bad_event_is_refused_naming_its_field_and_the_rest_is_applied(
    signed_post: Any,
    cabinet_key: services.IssuedKey,
    event: dict[str, Any],
    field: str,
    words: str,
) -> None:
    signed_post(STOCK, {"events": [STOCKTAKE]}, key=cabinet_key)
    ok = _event("ok", "amoxicillin", "dispense", 1)
    answer = signed_post(STOCK, {"events": [event, ok]}, key=cabinet_key).json()
    assert answer["accepted"] == 1
    [refused] = answer["refused"]
    assert (refused["index"], refused["id"], refused["field"]) == (0, event["id"], field)
    assert words in refused["reason"]
    assert StockItem.objects.get(code="amoxicillin").quantity == 19
    assert not StockEvent.objects.filter(event_id=event["id"]).exists()


def test_a_malformed_batch_is_a_422_naming_the_field_and_stores_nothing(
    signed_post: Any, cabinet_key: services.IssuedKey
) -> None:
    bad = {"events": [{**STOCKTAKE, "quantity": -3}]}
    response = signed_post(STOCK, bad, key=cabinet_key)
    assert response.status_code == 422
    assert "quantity" in response.content.decode()
    assert not StockItem.objects.exists()


def test_a_device_without_stock_is_refused(
    signed_post: Any, device_key: services.IssuedKey
) -> None:
    response = signed_post(STOCK, {"events": [STOCKTAKE]}, key=device_key)  # the health kiosk
    assert response.status_code == 400
    assert response.json()["code"] == "not_stocked"
    assert not StockItem.objects.exists()


def test_stock_events_need_a_valid_signature(
    signed_post: Any, cabinet_key: services.IssuedKey
) -> None:
    response = signed_post(STOCK, {"events": [STOCKTAKE]}, key=cabinet_key, secret="0" * 64)
    assert response.status_code == 401
    assert not StockItem.objects.exists()


def test_lockers_report_free_compartments_within_their_capacity(
    signed_post: Any, lockers_key: services.IssuedKey, lockers: Device
) -> None:
    take = _event("l1", "small", "stocktake", 10, name="小格口", capacity=10, low_at=2)
    answer = signed_post(
        STOCK,
        {
            "events": [
                take,
                _event("l2", "small", "deposit", 4),
                _event("l3", "small", "pickup", 1),
                _event("l4", "small", "pickup", 9),
            ]
        },
        key=lockers_key,
    ).json()
    assert answer["accepted"] == 3
    assert answer["refused"][0]["field"] == "quantity"
    assert StockItem.objects.get(device=lockers, code="small").quantity == 7


# --- staff: the hut page and the API ---------------------------------------------------------


@pytest.fixture
def stocked(signed_post: Any, cabinet_key: services.IssuedKey, cabinet: Device) -> Device:
    soon = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    events = [
        STOCKTAKE,
        _event("s2", "ors", "stocktake", 2, name="口服补液盐", low_at=3),
        _event("s3", "nitro", "stocktake", 8, name="硝酸甘油片", expires_on=soon),
        _event("s4", "amoxicillin", "dispense", 2),
    ]
    assert signed_post(STOCK, {"events": events}, key=cabinet_key).json()["accepted"] == 4
    return cabinet


def test_the_keeper_sees_low_stock_and_expiring_medicine_on_the_hut_page(
    stocked: Device, hut_keeper: User, as_user: Any
) -> None:
    page = as_user(hut_keeper).get(f"/console/kiosks/huts/{stocked.station_id}/").content.decode()
    assert "需要补货或检查" in page
    assert "口服补液盐" in page
    assert "仅剩 2" in page
    assert "硝酸甘油片" in page


def test_the_stock_api_lists_the_huts_items_and_what_needs_attention(
    stocked: Device, hut_keeper: User
) -> None:
    client = login(Client(), hut_keeper)
    items = client.get(f"/api/kiosks/huts/{stocked.station_id}/stock").json()
    by_code = {i["code"]: i for i in items}
    assert by_code["amoxicillin"]["available"] == 18
    assert by_code["ors"]["low"] is True
    assert by_code["nitro"]["expiring"] is True
    attention = client.get("/api/kiosks/stock/attention").json()
    assert {i["code"] for i in attention} == {"ors", "nitro"}
    usage = client.get(f"/api/kiosks/huts/{stocked.station_id}/usage").json()
    assert usage == [{"month": f"{timezone.localdate():%Y-%m}", "kind": "dispense", "quantity": 2}]


def test_stock_outside_ones_scope_is_not_found(
    stocked: Device, other_community_staff: User
) -> None:
    client = login(Client(), other_community_staff)
    assert client.get(f"/api/kiosks/huts/{stocked.station_id}/stock").status_code == 404
    assert client.get(f"/api/kiosks/huts/{stocked.station_id}/usage").status_code == 404
    assert client.get("/api/kiosks/stock/attention").json() == []


def test_residents_cannot_read_stock(stocked: Device, resident: User) -> None:
    client = login(Client(), resident)
    assert client.get(f"/api/kiosks/huts/{stocked.station_id}/stock").status_code in (401, 403)
