"""``linli kiosk simulate``: realistic traffic from N smart huts through the signed device API.

For the demo and the benchmark. Each hut gets (if missing) a health kiosk, a parcel locker and
a vending machine with a fresh key; a dozen residents per hut are identified by ID card and
consent through the API. Then, for each simulated minute, every device sends a heartbeat,
residents measure at the kiosk (a batch of readings, some above the thresholds), now and then
a device reports a fault, and a few batches are sent twice as a device would after a lost
answer (the server reports them as duplicates). Simulated minutes run back to back: M minutes
of traffic take seconds, with the readings' times spread over the last M minutes.

Without ``--url`` the requests go through Django's test client in this process (same code
path, no server needed); with it, over HTTP to a running Linli whose database and
``LINLI_DEVICE_KEY_SECRET`` this command shares (it issues the keys in that database).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from linli.kiosks import signing
from linli.kiosks.models import (
    SMART_HUT,
    Device,
    DeviceKey,
    DeviceKind,
    DeviceStatus,
    Section,
)
from linli.places.models import Station

SIMULATED = [
    (DeviceKind.HEALTH_KIOSK, Section.HEALTH, "体检一体机"),
    (DeviceKind.PARCEL_LOCKER, Section.CONVENIENCE, "24小时快递柜"),
    (DeviceKind.VENDING_MACHINE, Section.CONVENIENCE, "自动售货机"),
    (DeviceKind.MEDICINE_CABINET, Section.HEALTH, "无人售药柜"),
]
# What the stocked devices hold at the start: (item, name, count, low mark, capacity).
STOCK: dict[str, list[tuple[str, str, int, int, int | None]]] = {
    DeviceKind.PARCEL_LOCKER: [("small", "小格口", 30, 3, 40), ("large", "大格口", 6, 1, 8)],
    DeviceKind.VENDING_MACHINE: [("water", "矿泉水", 40, 8, 48), ("bread", "全麦面包", 15, 4, 20)],
    DeviceKind.MEDICINE_CABINET: [
        ("ors", "口服补液盐", 12, 4, None),
        ("ibuprofen", "布洛芬", 20, 5, None),
    ],
}
# The event that uses an item up, and the one that brings it back, per device kind.
USE: dict[str, tuple[str, str]] = {
    DeviceKind.PARCEL_LOCKER: ("deposit", "pickup"),
    DeviceKind.VENDING_MACHINE: ("sale", "restock"),
    DeviceKind.MEDICINE_CABINET: ("dispense", "restock"),
}
FAULTS = ["打印纸用完", "网络信号弱", "3号格柜门无法关闭", "出货口卡住"]


@dataclass
class Stats:
    requests: int = 0
    heartbeats: int = 0
    readings_sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    faults: int = 0
    retries: int = 0
    stock_events: int = 0
    stock_refused: int = 0
    low_stock: int = 0
    errors: list[str] = field(default_factory=list)


Send = Callable[[str, bytes, dict[str, str]], tuple[int, dict[str, Any]]]


def http_sender(base_url: str) -> Send:
    """POST to a running server."""

    def send(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            base_url.rstrip("/") + path,
            data=body,
            headers={"Content-Type": "application/json", **headers},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, json.loads(raw) if raw else {}

    return send


def client_sender() -> Send:
    """Send through Django's test client in this process."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")

    def send(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        response = client.post(path, data=body, content_type="application/json", headers=headers)
        raw = response.content
        return response.status_code, json.loads(raw) if raw else {}

    return send


def _id_number(rng: random.Random) -> str:
    """A fictional resident ID number with a valid check digit (GB 11643)."""
    body = "140404" + f"{rng.randint(1940, 1975)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += f"{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


@dataclass
class SimDevice:
    device: Device
    key_id: str
    secret: str


def _devices(huts: list[Station], now: dt.datetime) -> list[SimDevice]:
    out = []
    for hut in huts:
        for kind, section, name in SIMULATED:
            device = Device.objects.filter(station=hut, kind=kind).first()
            if device is None:
                device = Device.objects.create(
                    district_id=hut.district_id,
                    station=hut,
                    section=section,
                    kind=kind,
                    code=f"{hut.code}-{kind}",
                    name=name,
                    status=DeviceStatus.ONLINE,
                    status_since=now,
                )
            key = DeviceKey.objects.create(
                device=device, key_id=secrets.token_hex(8), created_at=now
            )
            out.append(SimDevice(device, key.key_id, signing.device_secret(key.key_id)))
    return out


def _stock(
    post: Callable[[SimDevice, str, dict[str, Any]], dict[str, Any]],
    sim: SimDevice,
    events: list[dict[str, Any]],
    stats: Stats,
) -> None:
    answer = post(sim, "/api/kiosks/device/stock", {"events": events})
    stats.stock_events += answer.get("accepted", 0)
    stats.stock_refused += len(answer.get("refused", []))
    stats.low_stock += len(answer.get("low", []))


def simulate(*, huts: int, minutes: int, url: str = "", seed: int = 1) -> Stats:
    """Run the traffic; returns what was sent and what the server answered."""
    rng = random.Random(seed)
    now = timezone.now()
    stations = list(Station.objects.filter(category__code=SMART_HUT).order_by("pk")[:huts])
    devices = _devices(stations, now)
    send = http_sender(url) if url else client_sender()
    stats = Stats()

    def post(sim: SimDevice, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload).encode()
        headers = signing.signed_headers(
            key_id=sim.key_id,
            secret=sim.secret,
            method="POST",
            path=path,
            body=body,
            timestamp=int(timezone.now().timestamp()),
            nonce=secrets.token_urlsafe(12),
        )
        status, answer = send(path, body, headers)
        stats.requests += 1
        if status >= 400:
            stats.errors.append(f"{path}: {status} {answer.get('code', '')}")
        return answer

    kiosks = [d for d in devices if d.device.kind == DeviceKind.HEALTH_KIOSK]
    residents: dict[int, list[str]] = {}
    for sim in kiosks:
        keys = []
        for _n in range(12):
            answer = post(sim, "/api/kiosks/device/identify", {"id_number": _id_number(rng)})
            if "subject" in answer:
                post(
                    sim,
                    "/api/kiosks/device/consent",
                    {"subject": answer["subject"], "text_version": answer["consent_version"]},
                )
                keys.append(answer["subject"])
        residents[sim.device.pk] = keys
    stocked = [d for d in devices if d.device.kind in STOCK]
    start = (now - dt.timedelta(minutes=minutes + 1)).isoformat()
    levels: dict[tuple[int, str], int] = {}
    for sim in stocked:
        events: list[dict[str, Any]] = []
        for item, name, count, low_at, capacity in STOCK[sim.device.kind]:
            levels[(sim.device.pk, item)] = count
            event: dict[str, Any] = {"id": f"sim-{secrets.token_hex(6)}", "item": item}
            event["kind"] = "stocktake"
            event |= {"quantity": count, "at": start, "name": name, "low_at": low_at}
            events.append(event | ({"capacity": capacity} if capacity else {}))
        _stock(post, sim, events, stats)
    last_batch: dict[int, dict[str, Any]] = {}
    for minute in range(minutes):
        at = now - dt.timedelta(minutes=minutes - minute)
        for sim in devices:
            fault = rng.choice(FAULTS) if rng.random() < 0.002 else ""
            post(sim, "/api/kiosks/device/heartbeat", {"fault": fault})
            stats.heartbeats += 1
            stats.faults += bool(fault)
        for sim in stocked:
            if rng.random() > 0.3:
                continue
            use, back = USE[sim.device.kind]
            item, _name, full, _low, _cap = rng.choice(STOCK[sim.device.kind])
            left = levels[(sim.device.pk, item)]
            # Use it up now and then; when it runs low the keeper restocks (or parcels go).
            kind, quantity = (use, 1) if left > 1 and rng.random() < 0.8 else (back, full - left)
            if quantity < 1:
                continue
            levels[(sim.device.pk, item)] = left - quantity if kind == use else full
            event = {"id": f"sim-{secrets.token_hex(6)}", "item": item, "kind": kind}
            _stock(post, sim, [event | {"quantity": quantity, "at": at.isoformat()}], stats)
        for sim in kiosks:
            if not residents[sim.device.pk] or rng.random() > 0.25:
                continue
            subject = rng.choice(residents[sim.device.pk])
            high = rng.random() < 0.2
            values = {
                "systolic": rng.randint(145, 185) if high else rng.randint(105, 138),
                "diastolic": rng.randint(90, 112) if high else rng.randint(65, 88),
                "pulse": rng.randint(58, 96),
                "spo2": rng.randint(93, 99),
                "fasting_glucose": round(
                    rng.uniform(7.0, 9.0) if high else rng.uniform(4.2, 6.4), 1
                ),
            }
            batch = {
                "readings": [
                    {
                        "id": f"sim-{subject[:8]}-{minute}-{item}",
                        "item": item,
                        "value": value,
                        "measured_at": at.isoformat(),
                        "subject": subject,
                    }
                    for item, value in values.items()
                ]
            }
            answer = post(sim, "/api/kiosks/device/readings", batch)
            stats.readings_sent += len(batch["readings"])
            stats.accepted += answer.get("accepted", 0)
            stats.duplicates += answer.get("duplicates", 0)
            stats.refused += len(answer.get("refused", []))
            last_batch[sim.device.pk] = batch
            if rng.random() < 0.05:  # the answer was "lost": the device sends the batch again
                again = post(sim, "/api/kiosks/device/readings", batch)
                stats.retries += 1
                stats.duplicates += again.get("duplicates", 0)
                stats.accepted += again.get("accepted", 0)
    return stats
