"""Background tasks of the smart huts (Django's tasks framework; the database backend in
production, run by ``linli db_worker``).

Tasks carry ids only and re-read the rows: an alert for a fault closed in the meantime is
dropped rather than sent late.
"""

from __future__ import annotations

from django.conf import settings
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext


@task()
def alert_keeper(device_id: int, fault_id: int | None, kind: str) -> int:
    """Text the keeper responsible for the device about a fault or an outage; returns SMS sent."""
    from linli.accounts.sms import get_sender
    from linli.kiosks.models import Device, DeviceStatus, Fault, FaultEvent
    from linli.kiosks.queries import keeper_phones

    device = Device.objects.select_related("station", "keeper").filter(pk=device_id).first()
    if device is None:
        return 0
    fault = Fault.objects.filter(pk=fault_id).first() if fault_id else None
    if kind == "fault" and (fault is None or fault.status != Fault.Status.OPEN):
        return 0
    if kind == "offline" and device.status != DeviceStatus.OFFLINE:
        return 0
    # Texts go out in the installation's language, whoever's request queued them.
    with translation.override(settings.LANGUAGE_CODE):
        if fault is not None:
            message = _(
                "[Linli] %(hut)s: %(device)s reports a fault: %(summary)s. Please see to it."
            ) % {"hut": device.station.name, "device": device.name, "summary": fault.summary}
        else:
            since = timezone.localtime(device.status_since)
            message = _(
                "[Linli] %(hut)s: %(device)s has been offline since %(since)s. Please check it."
            ) % {
                "hut": device.station.name,
                "device": device.name,
                "since": since.strftime("%Y-%m-%d %H:%M"),
            }
    phones = keeper_phones(device)
    sender = get_sender()
    for phone in phones:
        sender.send(phone=phone, message=message)
    if fault is not None:
        FaultEvent.objects.create(
            fault=fault,
            kind=FaultEvent.Kind.ALERTED,
            at=timezone.now(),
            note=", ".join(p[:3] + "****" + p[-4:] for p in phones)[:500],
        )
    return len(phones)


@task()
def alert_low_stock(device_id: int, item_ids: list[int]) -> int:
    """Text the keeper that items of a stocked device ran low; returns SMS sent.

    Items restocked in the meantime (no longer in their low episode) are left out.
    """
    from linli.accounts.sms import get_sender
    from linli.kiosks.models import Device, StockItem
    from linli.kiosks.queries import keeper_phones

    device = Device.objects.select_related("station", "keeper").filter(pk=device_id).first()
    if device is None:
        return 0
    items = [
        i
        for i in StockItem.objects.filter(pk__in=item_ids, device=device)
        if i.low_alerted_at is not None and i.is_low
    ]
    if not items:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        listed = pgettext("list separator", ", ").join(
            _("%(item)s (%(left)s left)") % {"item": i.name, "left": i.quantity} for i in items
        )
        message = _("[Linli] %(hut)s: %(device)s is running low: %(items)s. Please restock.") % {
            "hut": device.station.name,
            "device": device.name,
            "items": listed,
        }
    phones = keeper_phones(device)
    sender = get_sender()
    for phone in phones:
        sender.send(phone=phone, message=message)
    return len(phones)
