"""Read-side functions of the smart huts (pages, API, dashboards)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from linli.accounts.models import AnyUser, Role, User
from linli.kiosks import permissions
from linli.kiosks.models import (
    Device,
    DeviceStatus,
    Fault,
    FollowUp,
    HealthSubject,
    Reading,
    Section,
)
from linli.places.models import Station


def keeper_phones(device: Device) -> list[str]:
    """Whom to text about the device: its keeper, else the hut's keepers, else its contact."""
    if device.keeper is not None and device.keeper.is_active and device.keeper.phone:
        return [device.keeper.phone]
    phones = [
        p
        for p in User.objects.filter(
            station_id=device.station_id, role=Role.STATION_KEEPER, is_active=True
        )
        .exclude(phone="")
        .values_list("phone", flat=True)
    ]
    if phones:
        return phones
    contact = Station.objects.filter(pk=device.station_id).values_list("contact_phone", flat=True)
    return [c for c in contact if c]


@dataclass(frozen=True)
class HutSummary:
    hut: Station
    counts: dict[str, int]
    open_faults: int


def hut_summaries(user: AnyUser) -> list[HutSummary]:
    """Each hut the user may see with its devices counted by status and its open faults."""
    huts = list(permissions.huts_for_user(user).select_related("community").order_by("code"))
    counts: dict[int, Counter[str]] = {h.pk: Counter() for h in huts}
    for station_id, status in Device.objects.filter(station__in=huts).values_list(
        "station_id", "status"
    ):
        counts[station_id][status] += 1
    faults = Counter(
        Fault.objects.filter(station__in=huts, status=Fault.Status.OPEN).values_list(
            "station_id", flat=True
        )
    )
    return [
        HutSummary(
            hut=h,
            counts={s.value: counts[h.pk][s.value] for s in DeviceStatus},
            open_faults=faults[h.pk],
        )
        for h in huts
    ]


@dataclass(frozen=True)
class SectionView:
    section: str
    label: str
    devices: list[Device]


def hut_sections(hut: Station) -> list[SectionView]:
    """The hut's devices grouped by section, in the sections' order; empty sections included."""
    devices = list(
        Device.objects.filter(station=hut)
        .select_related("keeper")
        .prefetch_related(
            Prefetch(
                "faults",
                queryset=Fault.objects.filter(status=Fault.Status.OPEN),
                to_attr="open_faults",
            )
        )
    )
    return [
        SectionView(
            section=s.value, label=str(s.label), devices=[d for d in devices if d.section == s]
        )
        for s in Section
    ]


def hut_faults(hut: Station, *, status: str | None = None) -> QuerySet[Fault]:
    """The hut's fault tickets, newest first, with their device."""
    faults = Fault.objects.filter(station=hut).select_related("device", "closed_by")
    if status:
        faults = faults.filter(status=status)
    return faults


@dataclass(frozen=True)
class SubjectRow:
    subject: HealthSubject
    readings: int
    latest: Any


def subjects_with_latest_reading(subjects: QuerySet[HealthSubject]) -> list[SubjectRow]:
    """Each subject with its number of readings and the time of the latest, latest first."""
    from django.db.models import Count, Max

    stats: dict[str, dict[str, Any]] = {
        row["subject"]: dict(row)
        for row in Reading.objects.filter(subject__in=subjects.values("pseudonym"))
        .values("subject")
        .annotate(n=Count("pk"), latest=Max("measured_at"))
    }
    rows = [
        SubjectRow(
            subject=s,
            readings=stats.get(s.pseudonym, {}).get("n", 0),
            latest=stats.get(s.pseudonym, {}).get("latest"),
        )
        for s in subjects
    ]
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(rows, key=lambda r: r.latest or never, reverse=True)


@dataclass(frozen=True)
class FollowUpList:
    open: list[FollowUp]
    recheck_due: list[FollowUp]


def followup_list(follow_ups: QuerySet[FollowUp], *, today: dt.date) -> FollowUpList:
    """The doctor's 异常待随访 list: open ones (urgent first, newest day first) and rechecks due."""
    open_ = sorted(
        follow_ups.filter(status=FollowUp.Status.OPEN).select_related("subject"),
        key=lambda f: (f.level != FollowUp.Level.URGENT, -f.day.toordinal(), f.pk),
    )
    due = list(
        follow_ups.filter(status=FollowUp.Status.CLOSED, recheck_due__lte=today)
        .filter(recheck_due__gte=today - dt.timedelta(days=30))
        .select_related("subject")
        .order_by("recheck_due", "pk")
    )
    return FollowUpList(open=open_, recheck_due=due)


@dataclass(frozen=True)
class LatestValue:
    name: str
    value: str
    unit: str
    measured_at: dt.datetime


def latest_by_item(rows: list[Any]) -> list[LatestValue]:
    """The latest reading of each item, in the catalogue's order (rows oldest first)."""
    latest: dict[str, Any] = {}
    for row in rows:
        latest[row.reading.item] = row
    ordered = sorted(
        latest.values(), key=lambda r: (r.item.sort_order if r.item else 999, r.reading.item)
    )
    return [
        LatestValue(
            name=r.item.display_name if r.item else r.reading.item,
            value=r.shown,
            unit=r.item.unit if r.item else "",
            measured_at=r.reading.measured_at,
        )
        for r in ordered
    ]


# Charts on the resident's page: blood pressure together, then single-item series.
CHARTS = (("systolic", "diastolic"), ("weight",), ("fasting_glucose",), ("spo2",))


def chart_series(rows: list[Any]) -> list[dict[str, Any]]:
    """ECharts-ready series for the items that have numeric readings (rows oldest first)."""
    charts = []
    for codes in CHARTS:
        series = []
        unit = ""
        for code in codes:
            points = [
                [timezone.localtime(r.reading.measured_at).strftime("%Y-%m-%d"), r.value]
                for r in rows
                if r.reading.item == code and not isinstance(r.value, str)
            ]
            if points:
                item = next(r.item for r in rows if r.reading.item == code)
                unit = item.unit if item else ""
                name = item.display_name if item else code
                series.append({"name": name, "data": points})
        if series:
            title = " / ".join(str(s["name"]) for s in series)
            charts.append({"id": "-".join(codes), "title": title, "unit": unit, "series": series})
    return charts
