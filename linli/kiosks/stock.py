"""Stock and occupancy of the medicine cabinet, the vending machine and the parcel lockers.

A stocked device reports events through the signed device API (``POST
/api/kiosks/device/stock``); each is stored once per (device, event id), like readings, and
moves the item's "available" count:

=================  ==========================================  =======================
device             events                                      "available" means
=================  ==========================================  =======================
medicine cabinet   stocktake, restock, dispense                boxes of the medicine
vending machine    stocktake, restock, sale                    units of the product
parcel lockers     stocktake, deposit, pickup                  free compartments
=================  ==========================================  =======================

``stocktake`` sets the count (and introduces an item: it needs a ``name``); the others add or
take ``quantity``. An item at or below its ``low_at`` mark texts the keeper once per low
episode; medicine expiring within ``LINLI_KIOSK_EXPIRY_WARNING_DAYS`` shows on the hut page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.exceptions import LinliError
from linli.kiosks.models import Device, DeviceKind, StockEvent, StockItem, StockKind
from linli.kiosks.services import SignedRequest, authenticate_device
from linli.places.models import Station

EVENTS: dict[str, frozenset[str]] = {
    DeviceKind.MEDICINE_CABINET: frozenset(
        {StockKind.STOCKTAKE, StockKind.RESTOCK, StockKind.DISPENSE}
    ),
    DeviceKind.VENDING_MACHINE: frozenset({StockKind.STOCKTAKE, StockKind.RESTOCK, StockKind.SALE}),
    DeviceKind.PARCEL_LOCKER: frozenset({StockKind.STOCKTAKE, StockKind.DEPOSIT, StockKind.PICKUP}),
}
ADDS = frozenset({StockKind.RESTOCK, StockKind.PICKUP})
# What counts as use of the hut: medicine dispensed, products sold, parcels deposited.
USES = frozenset({StockKind.DISPENSE, StockKind.SALE, StockKind.DEPOSIT})


@dataclass(frozen=True)
class StockEventInput:
    """One event as a device sends it (linli.kiosks.api.StockEventIn)."""

    event_id: str
    item: str
    kind: str
    quantity: int
    at: dt.datetime
    name: str = ""
    capacity: int | None = None
    low_at: int | None = None
    expires_on: dt.date | None = None


@dataclass
class StockResult:
    accepted: int = 0
    duplicates: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)
    low: list[StockItem] = field(default_factory=list)


class _Refused(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        self.field_name, self.reason = field_name, reason


def _apply(
    device: Device, items: dict[str, StockItem], event: StockEventInput, now: dt.datetime
) -> StockItem:
    """Apply one event to the device's items (in memory); raises _Refused naming the field."""
    if event.kind not in EVENTS[device.kind]:
        allowed = ", ".join(sorted(EVENTS[device.kind]))
        raise _Refused(
            "kind",
            _("%(kind)s is not an event of this device (it reports %(allowed)s).")
            % {"kind": event.kind, "allowed": allowed},
        )
    if event.at.tzinfo is None:
        raise _Refused("at", _("The event time has no time zone."))
    if event.at > now + dt.timedelta(seconds=settings.LINLI_KIOSK_CLOCK_SKEW_SECONDS):
        raise _Refused("at", _("The event time is in the future."))
    item = items.get(event.item)
    if event.kind == StockKind.STOCKTAKE:
        capacity = event.capacity if event.capacity is not None else None
        if capacity is None and item is not None:
            capacity = item.capacity
        if capacity is not None and event.quantity > capacity:
            raise _Refused(
                "quantity",
                _("%(quantity)s is more than the capacity of %(capacity)s.")
                % {"quantity": event.quantity, "capacity": capacity},
            )
        if item is None:
            if not event.name.strip():
                raise _Refused("name", _("A new item needs its name in its first stocktake."))
            item = StockItem(
                district_id=device.district_id, device=device, code=event.item, quantity=0
            )
            items[event.item] = item
        if event.name.strip():
            item.name = event.name.strip()
        item.quantity = event.quantity
        item.capacity = capacity
        if event.low_at is not None:
            item.low_at = event.low_at
        if event.expires_on is not None:
            item.expires_on = event.expires_on
        item.updated_at = now
        return item
    if item is None:
        raise _Refused(
            "item",
            _("%(item)s is not stocked here: report a stocktake with its name first.")
            % {"item": event.item},
        )
    if event.quantity < 1:
        raise _Refused("quantity", _("The quantity must be at least 1."))
    if event.kind in ADDS:
        if item.capacity is not None and item.quantity + event.quantity > item.capacity:
            raise _Refused(
                "quantity",
                _("%(item)s would exceed its capacity of %(capacity)s.")
                % {"item": item.name, "capacity": item.capacity},
            )
        item.quantity += event.quantity
        if event.expires_on is not None:
            item.expires_on = event.expires_on
    else:
        if event.quantity > item.quantity:
            raise _Refused(
                "quantity",
                _("Only %(left)s of %(item)s are available.")
                % {"left": item.quantity, "item": item.name},
            )
        item.quantity -= event.quantity
    item.updated_at = now
    return item


def record_stock_events(
    *, signed: SignedRequest, events: list[StockEventInput], now: dt.datetime | None = None
) -> StockResult:
    """Apply a device's stock events once each, in order, under the device's row lock.

    A retried batch reports its events as duplicates and changes nothing; a refused event is
    listed with the field at fault and the others are applied. Items that fall to their low
    mark text the keeper (once, after the commit).
    """
    now = now or timezone.now()
    result = StockResult()
    with transaction.atomic():
        device = authenticate_device(signed, now=now)
        if device.kind not in EVENTS:
            raise LinliError(
                _(
                    "This device does not report stock: only medicine cabinets, vending "
                    "machines and parcel lockers do."
                ),
                code="not_stocked",
            )
        device = Device.objects.select_for_update().get(pk=device.pk)
        seen = set(
            StockEvent.objects.filter(
                device=device, event_id__in=[e.event_id for e in events]
            ).values_list("event_id", flat=True)
        )
        items = {i.code: i for i in StockItem.objects.filter(device=device)}
        was_low = {code for code, i in items.items() if i.low_alerted_at is not None}
        touched: dict[str, StockItem] = {}
        rows: list[StockEvent] = []
        for index, event in enumerate(events):
            if event.event_id in seen:
                result.duplicates += 1
                continue
            try:
                item = _apply(device, items, event, now)
            except _Refused as refused:
                result.refused.append(
                    {
                        "index": index,
                        "id": event.event_id,
                        "field": refused.field_name,
                        "reason": refused.reason,
                    }
                )
                continue
            seen.add(event.event_id)
            touched[item.code] = item
            rows.append(
                StockEvent(
                    district_id=device.district_id,
                    station_id=device.station_id,
                    device=device,
                    event_id=event.event_id,
                    item=event.item,
                    kind=event.kind,
                    quantity=event.quantity,
                    at=event.at,
                    received_at=now,
                )
            )
        for item in touched.values():
            if item.is_low and item.code not in was_low:
                item.low_alerted_at = now
                result.low.append(item)
            elif not item.is_low:
                item.low_alerted_at = None
            item.save()
        StockEvent.objects.bulk_create(rows)
        result.accepted = len(rows)
        if result.low:
            _alert_low_later(device, [i.pk for i in result.low])
    return result


def _alert_low_later(device: Device, item_ids: list[int]) -> None:
    from linli.kiosks import tasks

    device_id = device.pk
    transaction.on_commit(
        lambda: tasks.alert_low_stock.enqueue(device_id=device_id, item_ids=item_ids)
    )


# --- reads -----------------------------------------------------------------------------------


def expiry_days() -> int:
    return int(settings.LINLI_KIOSK_EXPIRY_WARNING_DAYS)


def hut_stock(hut: Station) -> list[StockItem]:
    """The hut's stocked items, by device and code, each with ``low`` and ``expiring`` set."""
    today = timezone.localdate()
    items = list(
        StockItem.objects.filter(device__station=hut)
        .select_related("device")
        .order_by("device__sort_order", "device__code", "code")
    )
    for item in items:
        item.expiring = item.expires_within(today, expiry_days())  # type: ignore[attr-defined]
    return items


def needing_attention(huts: QuerySet[Station]) -> QuerySet[StockItem]:
    """Items of these huts that are low, or medicine expiring soon (expired included)."""
    soon = timezone.localdate() + dt.timedelta(days=expiry_days())
    return (
        StockItem.objects.filter(device__station__in=huts)
        .filter(
            Q(quantity__lte=F("low_at"))
            | Q(expires_on__lte=soon, device__kind=DeviceKind.MEDICINE_CABINET)
        )
        .select_related("device", "device__station")
        .order_by("device__station__code", "device__code", "code")
    )


@dataclass(frozen=True)
class UsageRow:
    month: dt.date
    kind: str
    label: str
    quantity: int


def monthly_usage(hut: Station, *, months: int = 12) -> list[UsageRow]:
    """Medicine dispensed, products sold and parcels deposited at the hut, per month (newest
    first), over the last ``months`` months."""
    today = timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time()))
    rows = (
        StockEvent.objects.filter(station=hut, kind__in=USES, at__gte=start)
        .annotate(month=TruncMonth("at"))
        .values("month", "kind")
        .annotate(total=Sum("quantity"))
        .order_by("-month", "kind")
    )
    labels = dict(StockKind.choices)
    out = []
    for r in rows:
        month = r["month"]
        day = month.date() if isinstance(month, dt.datetime) else month
        out.append(
            UsageRow(month=day, kind=r["kind"], label=str(labels[r["kind"]]), quantity=r["total"])
        )
    return out
