"""The sample district's smart huts: devices, keys, faults and a year of health readings.

Fictional, deterministic (seeded) data for the demo: each smart hut gets its eleven function
areas, one device offline and a few fault tickets; a dozen residents per hut measure every two
weeks for a year, some above the follow-up thresholds, and the 异常待随访 list is filed for the
last month. Also creates two demo accounts: the first hut's keeper (``hutkeeper``) and the
family doctor of its community (``doctor``). A step of ``linli.sample.load.STEPS``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from linli.accounts.models import Role, User
from linli.kiosks import crypto, followup, health, services
from linli.kiosks.models import (
    SMART_HUT,
    BoardPost,
    Device,
    DeviceKey,
    DeviceKind,
    DeviceStatus,
    Fault,
    FaultEvent,
    FollowUp,
    HealthConsent,
    HealthSubject,
    Reading,
    Section,
    StockEvent,
    StockItem,
    StockKind,
)
from linli.places.models import District, Station

if TYPE_CHECKING:
    from .load import Sample

SEED = 20260815
DEMO_PASSWORD = "linli-demo-2026"  # the same as the other demo accounts (sample/accounts.py)
# (username, what ``linli demo_logins`` adds after "real name · place"), in make demo's banner.
DEMO_LOGINS = [
    ("hutkeeper", "（故障工单、库存提醒、阅报栏）"),
    ("doctor", "（异常待随访；每次查看健康数据都记入审计日志）"),
]

FUNCTION_AREAS: list[tuple[str, str, str]] = [
    (DeviceKind.MICRO_LIBRARY, Section.READING, "微型图书馆"),
    (DeviceKind.E_NEWSPAPER, Section.READING, "电子阅报栏"),
    (DeviceKind.HEALTH_KIOSK, Section.HEALTH, "体检一体机"),
    (DeviceKind.MEDICINE_CABINET, Section.HEALTH, "无人售药柜"),
    (DeviceKind.PUBLICITY_BOARD, Section.PUBLICITY, "理论宣传栏"),
    (DeviceKind.GOV_TERMINAL, Section.GOVERNMENT, "政务服务终端"),
    (DeviceKind.PARCEL_LOCKER, Section.CONVENIENCE, "24小时快递柜"),
    (DeviceKind.VENDING_MACHINE, Section.CONVENIENCE, "自动售货机"),
    (DeviceKind.CHARGING, Section.CONVENIENCE, "应急充电"),
    (DeviceKind.REST_AREA, Section.CONVENIENCE, "便民休息区"),
    (DeviceKind.AWNING, Section.CONVENIENCE, "户外遮阳棚"),
]


@dataclass(frozen=True)
class Profile:
    """A sample resident's typical values (mean) — some above the thresholds on purpose."""

    systolic: float
    diastolic: float
    glucose: float
    weight: float
    height: float
    spo2: float
    uric_acid: float


PROFILES = [
    Profile(128, 80, 5.4, 62, 160, 98, 330),
    Profile(150, 94, 5.8, 70, 165, 97, 360),  # hypertension
    Profile(136, 86, 7.6, 74, 168, 97, 350),  # high fasting glucose
    Profile(122, 76, 5.1, 82, 162, 98, 300),  # obese (BMI ≈ 31)
    Profile(176, 104, 6.2, 68, 170, 96, 440),  # BP near urgent, high uric acid
    Profile(118, 72, 4.9, 55, 158, 95.5, 280),  # SpO2 near 95 %
]


@dataclass(frozen=True)
class KioskSample:
    huts: int
    devices: int
    subjects: int
    readings: int
    followups: int


def load(sample: Sample) -> None:
    """The sample step: fill the sample district's smart huts."""
    load_kiosk_sample(sample.district)


def delete(district: District) -> None:
    """Remove what ``load`` created (health subjects protect their community, so first)."""
    FollowUp.objects.filter(district=district).delete()
    Reading.objects.filter(district=district).delete()
    HealthSubject.objects.filter(district=district).delete()
    BoardPost.objects.filter(district=district).delete()
    Device.objects.filter(district=district).delete()
    User.objects.filter(username__in=["hutkeeper", "doctor"], district=district).delete()


def load_kiosk_sample(district: District, *, days: int = 365) -> KioskSample:
    """Fill the district's smart huts (idempotent: a second run changes nothing)."""
    huts = list(
        Station.objects.filter(district=district, category__code=SMART_HUT).order_by("code")
    )
    if not huts or Device.objects.filter(district=district).exists():
        return KioskSample(len(huts), 0, 0, 0, 0)
    rng = random.Random(SEED)
    now = timezone.now().replace(microsecond=0)
    health.load_default_catalogue()
    followup.ensure_default_table()
    with transaction.atomic():
        keeper, _doctor = _demo_users(district, huts[0])
        devices = [d for i, hut in enumerate(huts) for d in _devices(hut, i, keeper, now)]
        _faults(devices, keeper, now)
        _stock(devices, rng, now)
        _board(district, huts, devices, now)
        kiosks = [d for d in devices if d.kind == DeviceKind.HEALTH_KIOSK]
        subjects, readings = 0, 0
        for hut_index, kiosk in enumerate(kiosks):
            for n, profile in enumerate(PROFILES * 2):
                subject = _subject(kiosk, f"{hut_index}-{n}", now - dt.timedelta(days=days))
                readings += _readings(kiosk, subject, profile, rng, now=now, days=days)
                subjects += 1
    today = timezone.localdate(now)
    for back in range(30, -1, -1):
        followup.build_daily_list(day=today - dt.timedelta(days=back))
    # The older part of the month has been worked through; the last week waits for the doctor.
    doctor = User.objects.get(username="doctor")
    for item in FollowUp.objects.filter(
        district=district, day__lt=today - dt.timedelta(days=7), status=FollowUp.Status.OPEN
    ):
        if item.community_id == doctor.community_id:
            followup.close_followup(
                actor=doctor, follow_up=item, note="电话随访，已给予健康指导。（示例数据）"
            )
    return KioskSample(
        len(huts),
        len(devices),
        subjects,
        readings,
        FollowUp.objects.filter(district=district).count(),
    )


def _demo_users(district: District, hut: Station) -> tuple[User, User]:
    password = make_password(DEMO_PASSWORD)
    User.objects.filter(username__in=["hutkeeper", "doctor"]).delete()
    keeper = User.objects.create(
        username="hutkeeper",
        password=password,
        role=Role.STATION_KEEPER,
        real_name="小屋管理员",
        phone="13700000001",
        district=district,
        community=hut.community,
        station=hut,
    )
    doctor = User.objects.create(
        username="doctor",
        password=password,
        role=Role.FAMILY_DOCTOR,
        real_name="家庭医生",
        district=district,
        subdistrict=hut.subdistrict,
        community=hut.community,
    )
    return keeper, doctor


def _devices(hut: Station, index: int, keeper: User, now: dt.datetime) -> list[Device]:
    devices = []
    for order, (kind, section, name) in enumerate(FUNCTION_AREAS):
        device = Device.objects.create(
            district_id=hut.district_id,
            station=hut,
            section=section,
            kind=kind,
            code=f"{hut.code}-{kind}",
            name=name,
            keeper=keeper if index == 0 else None,
            status=DeviceStatus.ONLINE,
            status_since=now - dt.timedelta(days=200),
            last_heartbeat_at=None if kind in {"awning", "rest_area", "publicity_board"} else now,
            sort_order=order,
        )
        if device.is_connected:
            DeviceKey.objects.create(
                device=device, key_id=f"sample{index}{order:02d}", created_at=now
            )
        devices.append(device)
    # One vending machine has been silent for three hours.
    silent = next(d for d in devices if d.kind == DeviceKind.VENDING_MACHINE)
    silent.last_heartbeat_at = now - dt.timedelta(hours=3)
    silent.status = DeviceStatus.OFFLINE
    silent.status_since = silent.last_heartbeat_at
    silent.save()
    return devices


# (code, name, available, low mark, capacity, days to expiry or None) per stocked device kind.
STOCK: dict[str, list[tuple[str, str, int, int, int | None, int | None]]] = {
    DeviceKind.MEDICINE_CABINET: [
        ("amoxicillin", "阿莫西林胶囊", 18, 5, None, 240),
        ("ors", "口服补液盐", 2, 4, None, 400),  # low: the keeper is told
        ("nitroglycerin", "硝酸甘油片", 9, 3, None, 12),  # expiring soon
        ("ibuprofen", "布洛芬缓释胶囊", 25, 5, None, 300),
        ("loratadine", "氯雷他定片", 11, 4, None, 180),
    ],
    DeviceKind.VENDING_MACHINE: [
        ("water", "矿泉水", 36, 8, 48, None),
        ("bread", "全麦面包", 3, 4, 20, None),
        ("umbrella", "雨伞", 6, 2, 10, None),
    ],
    DeviceKind.PARCEL_LOCKER: [
        ("small", "小格口（空闲）", 14, 3, 40, None),
        ("medium", "中格口（空闲）", 9, 2, 24, None),
        ("large", "大格口（空闲）", 1, 1, 8, None),
    ],
}
USE: dict[str, str] = {
    DeviceKind.MEDICINE_CABINET: StockKind.DISPENSE,
    DeviceKind.VENDING_MACHINE: StockKind.SALE,
    DeviceKind.PARCEL_LOCKER: StockKind.DEPOSIT,
}


def _stock(devices: list[Device], rng: random.Random, now: dt.datetime) -> None:
    """What the cabinets, vending machines and lockers hold now, and six months of use."""
    today = timezone.localdate(now)
    events: list[StockEvent] = []
    for device in devices:
        if device.kind not in STOCK:
            continue
        for code, name, available, low_at, capacity, expiry in STOCK[device.kind]:
            StockItem.objects.create(
                district_id=device.district_id,
                device=device,
                code=code,
                name=name,
                quantity=available,
                capacity=capacity,
                low_at=low_at,
                expires_on=today + dt.timedelta(days=expiry) if expiry is not None else None,
                updated_at=now - dt.timedelta(minutes=rng.randint(5, 90)),
                low_alerted_at=now if available <= low_at else None,
            )
            for day in range(180, 0, -1):
                at = now - dt.timedelta(days=day, minutes=rng.randint(0, 600))
                for n in range(rng.randint(0, 3)):
                    events.append(
                        StockEvent(
                            district_id=device.district_id,
                            station_id=device.station_id,
                            device=device,
                            event_id=f"sample-{code}-{day}-{n}",
                            item=code,
                            kind=USE[device.kind],
                            quantity=1,
                            at=at,
                            received_at=at,
                        )
                    )
    StockEvent.objects.bulk_create(events, batch_size=2000)


def _board(
    district: District, huts: list[Station], devices: list[Device], now: dt.datetime
) -> None:
    """The e-newspaper boards' feed: a district policy, a hut notice, a weather warning."""
    admin = User.objects.filter(district=district, username="district").first()
    first = huts[0]
    posts = [
        (
            None,
            BoardPost.Kind.POLICY,
            "城乡居民医保缴费提醒",
            "2027年度城乡居民医保集中缴费期至12月31日，可在政务服务终端或手机上缴费。",
            None,
            3,
        ),
        (
            first,
            BoardPost.Kind.NOTICE,
            "本周六上午免费测血压",
            "社区卫生服务站医生周六 9:00—11:00 在小屋健康区为居民免费测量血压、血糖。",
            None,
            1,
        ),
        (
            None,
            BoardPost.Kind.WARNING,
            "寒潮蓝色预警",
            "未来两天最低气温降至零下 10 ℃，请老人减少外出，注意防寒保暖。",
            2,
            0,
        ),
    ]
    for hut, kind, title, body, days_left, days_ago in posts:
        BoardPost.objects.create(
            district=district,
            subdistrict=hut.subdistrict if hut else None,
            community=hut.community if hut else None,
            station=hut,
            kind=kind,
            title=f"{title}（示例数据）",
            body=body,
            published_at=now - dt.timedelta(days=days_ago, hours=1),
            expires_at=now + dt.timedelta(days=days_left) if days_left else None,
            author=admin,
        )
    for n, board in enumerate(d for d in devices if d.kind == DeviceKind.E_NEWSPAPER):
        board.feed_fetched_at = now - dt.timedelta(minutes=7 if n == 0 else 190)
        board.save(update_fields=["feed_fetched_at"])


def _faults(devices: list[Device], keeper: User, now: dt.datetime) -> None:
    def ticket(device: Device, summary: str, *, opened: dt.datetime, note: str = "") -> None:
        fault = Fault.objects.create(
            district_id=device.district_id,
            station_id=device.station_id,
            device=device,
            summary=summary,
            source=Fault.Source.DEVICE if device.is_connected else Fault.Source.STAFF,
            opened_at=opened,
        )
        FaultEvent.objects.create(fault=fault, kind=FaultEvent.Kind.OPENED, at=opened, note=summary)
        FaultEvent.objects.create(
            fault=fault,
            kind=FaultEvent.Kind.ALERTED,
            at=opened + dt.timedelta(seconds=5),
            note="137****0001",
        )
        if note:
            closed = opened + dt.timedelta(hours=5)
            fault.status = Fault.Status.CLOSED
            fault.closed_at, fault.closed_by, fault.closing_note = closed, keeper, note
            fault.save()
            FaultEvent.objects.create(
                fault=fault, kind=FaultEvent.Kind.CLOSED, at=closed, actor=keeper, note=note
            )
        else:
            device.status, device.status_since = DeviceStatus.FAULT, opened
            device.save(update_fields=["status", "status_since"])

    by_kind = {(d.station_id, d.kind): d for d in devices}
    first_hut = devices[0].station_id
    ticket(
        by_kind[(first_hut, DeviceKind.PARCEL_LOCKER)],
        "3号格柜门无法打开（示例数据）",
        opened=now - dt.timedelta(hours=2),
    )
    ticket(
        by_kind[(first_hut, DeviceKind.AWNING)],
        "遮阳棚支架松动（示例数据）",
        opened=now - dt.timedelta(days=1),
    )
    ticket(
        by_kind[(first_hut, DeviceKind.HEALTH_KIOSK)],
        "血压袖带漏气（示例数据）",
        opened=now - dt.timedelta(days=20),
        note="更换了血压袖带。",
    )
    ticket(
        by_kind[(first_hut, DeviceKind.GOV_TERMINAL)],
        "身份证读卡器无响应（示例数据）",
        opened=now - dt.timedelta(days=45),
        note="重新插拔读卡器并重启终端后恢复。",
    )


def _subject(kiosk: Device, tag: str, since: dt.datetime) -> HealthSubject:
    community = kiosk.station.community
    assert community is not None  # the sample's smart huts all belong to a community
    subject = HealthSubject.objects.create(
        district_id=kiosk.district_id,
        community=community,
        pseudonym=health.pseudonym_for("sample", tag),
        created_at=since,
    )
    HealthConsent.objects.create(
        subject=subject,
        text_version=health.CONSENT_VERSION,
        granted_at=since,
        channel="kiosk",
    )
    return subject


def _readings(
    kiosk: Device,
    subject: HealthSubject,
    p: Profile,
    rng: random.Random,
    *,
    now: dt.datetime,
    days: int,
) -> int:
    key_id, cipher = crypto.sealer()
    rows = []
    first = now - dt.timedelta(days=days)
    visit = first + dt.timedelta(days=rng.randint(0, 13), hours=rng.randint(8, 11))
    n = 0
    while visit < now - dt.timedelta(hours=1):
        weight = p.weight + rng.gauss(0, 0.8)
        values = {
            "systolic": round(p.systolic + rng.gauss(0, 6)),
            "diastolic": round(p.diastolic + rng.gauss(0, 4)),
            "pulse": round(72 + rng.gauss(0, 6)),
            "spo2": round(min(100.0, p.spo2 + rng.gauss(0, 0.8))),
            "height": p.height,
            "weight": round(weight, 1),
            "bmi": round(weight / (p.height / 100) ** 2, 1),
            "fasting_glucose": round(p.glucose + rng.gauss(0, 0.4), 1),
            "uric_acid": round(p.uric_acid + rng.gauss(0, 25)),
        }
        for item, value in values.items():
            reading_id = f"sample-{subject.pk}-{n}-{item}"
            rows.append(
                Reading(
                    district_id=kiosk.district_id,
                    device=kiosk,
                    reading_id=reading_id,
                    item=item,
                    subject=subject.pseudonym,
                    measured_at=visit,
                    received_at=visit,
                    key_id=key_id,
                    ciphertext=crypto.seal_with(
                        cipher,
                        str(float(value)).encode(),
                        aad=services.reading_aad(kiosk.pk, reading_id),
                    ),
                )
            )
        n += 1
        visit += dt.timedelta(days=rng.randint(10, 18), hours=rng.randint(-2, 2))
    Reading.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
