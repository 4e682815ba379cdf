"""Every change to smart huts goes through one function here.

Staff actions (closing a fault, issuing keys) take the actor, re-read the row through
``linli.kiosks.permissions`` under a row lock, and write an audit entry in the same transaction.
Device requests (heartbeats, readings) are authenticated by ``authenticate_device`` inside the
transaction that does their work, so a request is acknowledged only once its nonce and its rows
are committed together: "acknowledged ⇒ committed" (the device API answers after the commit).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.accounts.models import AnyUser, User
from linli.accounts.scopes import is_editor
from linli.core import audit, limits
from linli.core.exceptions import Conflict, Forbidden, LinliError, NotFound
from linli.core.models import AuditEntry
from linli.kiosks import crypto, permissions, signing
from linli.kiosks.models import (
    MANAGED_AREAS,
    Device,
    DeviceKey,
    DeviceKind,
    DeviceNonce,
    DeviceStatus,
    Fault,
    FaultEvent,
    HealthConsent,
    HealthSubject,
    MeasurementItem,
    Reading,
)
from linli.places.models import Station
from linli.places.permissions import can_change_station


class DeviceRefused(LinliError):
    """A device request that is not signed as it must be (wrong key, replay, stale, revoked)."""

    status = 401


# --- device authentication -------------------------------------------------------------------


@dataclass(frozen=True)
class SignedRequest:
    """What a device request carries for its signature check (built by linli.kiosks.api)."""

    method: str
    path: str
    body: bytes
    key_id: str
    timestamp: str
    nonce: str
    signature: str

    @classmethod
    def from_request(cls, request: HttpRequest) -> SignedRequest:
        """Read the four signing headers of ``request`` (missing ones are empty)."""
        h = request.headers
        return cls(
            method=request.method or "",
            path=request.path,
            body=request.body,
            key_id=h.get("X-Linli-Key", ""),
            timestamp=h.get("X-Linli-Timestamp", ""),
            nonce=h.get("X-Linli-Nonce", ""),
            signature=h.get("X-Linli-Signature", ""),
        )


def authenticate_device(signed: SignedRequest, *, now: dt.datetime) -> Device:
    """The device that signed ``signed``, its nonce recorded; refuses anything else.

    Must run inside the transaction of the request's work: a request whose work rolls back
    leaves no nonce, and a committed one cannot be replayed.
    """
    if not all((signed.key_id, signed.timestamp, signed.nonce, signed.signature)):
        raise DeviceRefused(
            gettext_lazy("The request is not signed: send the four X-Linli-* headers."),
            code="unsigned",
        )
    key = DeviceKey.objects.select_related("device").filter(key_id=signed.key_id[:32]).first()
    if key is None:
        raise DeviceRefused(gettext_lazy("This device key is unknown."), code="unknown_key")
    if key.revoked_at is not None:
        raise DeviceRefused(gettext_lazy("This device key has been revoked."), code="revoked_key")
    if not key.is_valid_at(now):
        raise DeviceRefused(
            gettext_lazy("This device key has been replaced by a newer one."), code="retired_key"
        )
    try:
        sent_at = int(signed.timestamp)
    except ValueError:
        sent_at = 0
    skew = settings.LINLI_KIOSK_CLOCK_SKEW_SECONDS
    if abs(now.timestamp() - sent_at) > skew:
        raise DeviceRefused(
            gettext_lazy(
                "The request's timestamp is more than %(seconds)s seconds from the server's "
                "clock; check the device's clock."
            )
            % {"seconds": skew},
            code="stale_timestamp",
        )
    if not signing.NONCE_RE.match(signed.nonce):
        raise DeviceRefused(
            gettext_lazy("The nonce must be 8 to 64 letters, digits, '-' or '_'."),
            code="bad_nonce",
        )
    message = signing.canonical(
        method=signed.method,
        path=signed.path,
        timestamp=signed.timestamp,
        nonce=signed.nonce,
        body=signed.body,
    )
    secret = signing.device_secret(key.key_id)
    if not signing.signature_matches(secret=secret, signature=signed.signature, message=message):
        raise DeviceRefused(gettext_lazy("The signature does not match."), code="bad_signature")
    table = DeviceNonce._meta.db_table
    with connection.cursor() as cursor:
        # One statement that both checks and records: concurrent replays wait on the unique
        # index and then insert nothing.
        cursor.execute(
            f"INSERT INTO {table} (device_id, nonce, seen_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (device_id, nonce) DO NOTHING",
            [key.device_id, signed.nonce, connection.ops.adapt_datetimefield_value(now)],
        )
        fresh = cursor.rowcount == 1
    if not fresh:
        raise DeviceRefused(
            gettext_lazy("This nonce has been used already: the request is a replay."),
            code="replayed_nonce",
        )
    return key.device


def prune_nonces(*, now: dt.datetime) -> int:
    """Delete nonces older than the clock skew (a request that old is refused anyway)."""
    limit = now - dt.timedelta(seconds=2 * settings.LINLI_KIOSK_CLOCK_SKEW_SECONDS)
    deleted, _by_model = DeviceNonce.objects.filter(seen_at__lt=limit).delete()
    return deleted


# --- device keys -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    key: DeviceKey
    secret: str  # shown once to the person installing the device


def issue_device_key(
    *,
    actor: AnyUser,
    device: Device,
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> IssuedKey:
    """Give the device a new key; keys it already has stay valid for the overlap, then retire."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            permissions.devices_for_user(actor).select_for_update().filter(pk=device.pk).first()
        )
        if locked is None:
            raise NotFound(_("No such device."))
        if not permissions.can_manage_keys(actor, locked):
            raise Forbidden(_("Only administrators may issue device keys."))
        overlap = now + dt.timedelta(seconds=settings.LINLI_KIOSK_KEY_OVERLAP_SECONDS)
        retiring = locked.keys.filter(revoked_at__isnull=True).filter(
            Q(retires_at__isnull=True) | Q(retires_at__gt=overlap)
        )
        retired = retiring.update(retires_at=overlap)
        key = DeviceKey.objects.create(device=locked, key_id=secrets.token_hex(8), created_at=now)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=key,
            district_id=locked.district_id,
            request=request,
            object_repr=f"{locked.code} {key.key_id}",
            changes={"device": locked.code, "older_keys_retire_at": overlap.isoformat()}
            if retired
            else {"device": locked.code},
        )
    return IssuedKey(key=key, secret=signing.device_secret(key.key_id))


def revoke_device_key(
    *,
    actor: AnyUser,
    key_id: str,
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> DeviceKey:
    """Revoke a key at once (a stolen or decommissioned device); its requests are refused."""
    now = now or timezone.now()
    with transaction.atomic():
        key = (
            DeviceKey.objects.select_for_update()
            .filter(key_id=key_id, device__in=permissions.devices_for_user(actor))
            .select_related("device")
            .first()
        )
        if key is None:
            raise NotFound(_("No such device key."))
        if not permissions.can_manage_keys(actor, key.device):
            raise Forbidden(_("Only administrators may revoke device keys."))
        if key.revoked_at is not None:
            raise Conflict(_("This key has been revoked already."), code="already_revoked")
        key.revoked_at = now
        key.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action=AuditEntry.Action.TOKEN_REVOKED,
            obj=key,
            district_id=key.device.district_id,
            request=request,
            object_repr=f"{key.device.code} {key.key_id}",
        )
    return key


# --- status, heartbeats and faults -----------------------------------------------------------


def _set_status(device: Device, status: str, *, since: dt.datetime) -> None:
    if device.status != status:
        device.status = status
        device.status_since = since


def _settled_status(device: Device, *, now: dt.datetime) -> str:
    """The status a device returns to when no fault is open."""
    return DeviceStatus.OFFLINE if device.is_silent_at(now) else DeviceStatus.ONLINE


def _alert_later(device: Device, fault: Fault | None, kind: str) -> None:
    from linli.kiosks import tasks

    device_id, fault_id = device.pk, fault.pk if fault else None
    transaction.on_commit(
        lambda: tasks.alert_keeper.enqueue(device_id=device_id, fault_id=fault_id, kind=kind)
    )


def _open_fault(
    device: Device, *, summary: str, source: str, actor: User | None, now: dt.datetime
) -> Fault:
    """Open a ticket on a locked device, set it to fault, and alert the keeper after commit."""
    fault = Fault.objects.create(
        district_id=device.district_id,
        station_id=device.station_id,
        device=device,
        summary=summary[:200],
        source=source,
        opened_at=now,
    )
    FaultEvent.objects.create(
        fault=fault,
        kind=FaultEvent.Kind.OPENED,
        at=now,
        actor=actor if source == Fault.Source.STAFF else None,
        note=summary[:500],
    )
    _set_status(device, DeviceStatus.FAULT, since=now)
    device.save(update_fields=["status", "status_since"])
    _alert_later(device, fault, "fault")
    return fault


def report_fault(
    *,
    actor: AnyUser,
    device: Device,
    summary: str,
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Fault:
    """Staff open a fault ticket on a device or managed area (a broken awning, a jammed locker)."""
    now = now or timezone.now()
    summary = summary.strip()
    if not summary:
        raise LinliError(_("Describe the fault."), code="required", field="summary")
    with transaction.atomic():
        locked = (
            permissions.devices_for_user(actor).select_for_update().filter(pk=device.pk).first()
        )
        if locked is None:
            raise NotFound(_("No such device."))
        station = Station.objects.get(pk=locked.station_id)
        if not can_change_station(actor, station):
            raise Forbidden(_("You may not report faults at this hut."))
        fault = _open_fault(
            locked, summary=summary, source=Fault.Source.STAFF, actor=actor, now=now
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=fault,
            request=request,
            changes={"summary": fault.summary, "device": locked.code},
        )
    return fault


def close_fault(
    *,
    actor: AnyUser,
    fault: Fault,
    note: str,
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Fault:
    """The keeper closes a fault with a note of what was done; the device leaves fault status."""
    now = now or timezone.now()
    note = note.strip()
    if not note:
        raise LinliError(
            _("Say how the fault was fixed before closing it."), code="required", field="note"
        )
    if problem := limits.text_problem(note, max_length=limits.DESCRIPTION, multiline=True):
        raise LinliError(problem, code="invalid", field="note")
    with transaction.atomic():
        locked = (
            permissions.faults_for_user(actor)
            .select_for_update(of=("self",))
            .select_related("station")
            .filter(pk=fault.pk)
            .first()
        )
        if locked is None:
            raise NotFound(_("No such fault."))
        if not permissions.can_handle_fault(actor, locked):
            raise Forbidden(_("You may not close faults at this hut."))
        if locked.status == Fault.Status.CLOSED:
            raise Conflict(_("This fault has been closed already."), code="already_closed")
        locked.status = Fault.Status.CLOSED
        locked.closed_at = now
        locked.closed_by = actor
        locked.closing_note = note
        locked.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
        FaultEvent.objects.create(
            fault=locked, kind=FaultEvent.Kind.CLOSED, at=now, actor=actor, note=note[:500]
        )
        device = Device.objects.select_for_update().get(pk=locked.device_id)
        if not device.faults.filter(status=Fault.Status.OPEN).exists():
            _set_status(device, _settled_status(device, now=now), since=now)
            device.save(update_fields=["status", "status_since"])
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            request=request,
            changes={"status": ["open", "closed"]},
        )
    return locked


@dataclass(frozen=True)
class HeartbeatResult:
    device: Device
    fault: Fault | None


def record_heartbeat(
    *, signed: SignedRequest, fault: str = "", now: dt.datetime | None = None
) -> HeartbeatResult:
    """A device says it is alive, and maybe that something is wrong (``fault``).

    An offline device comes back online; a reported fault opens a ticket unless the same
    summary is already open on the device (a device repeats its fault in every heartbeat).
    """
    now = now or timezone.now()
    fault = fault.strip()
    with transaction.atomic():
        device = authenticate_device(signed, now=now)
        device = Device.objects.select_for_update().get(pk=device.pk)
        device.last_heartbeat_at = now
        opened = None
        if (
            fault
            and not device.faults.filter(status=Fault.Status.OPEN, summary=fault[:200]).exists()
        ):
            opened = _open_fault(
                device, summary=fault, source=Fault.Source.DEVICE, actor=None, now=now
            )
        if device.status == DeviceStatus.OFFLINE:
            _set_status(device, DeviceStatus.ONLINE, since=now)
        device.save(update_fields=["last_heartbeat_at", "status", "status_since"])
    return HeartbeatResult(device=device, fault=opened)


def mark_offline_devices(*, now: dt.datetime | None = None) -> list[Device]:
    """Set connected devices that missed their heartbeats to offline and alert their keepers.

    "Offline since" is the last heartbeat (or, for a device never heard from, its
    registration). A device in fault stays in fault: the ticket says more than "offline".
    """
    now = now or timezone.now()
    limit = now - dt.timedelta(seconds=settings.LINLI_KIOSK_OFFLINE_SECONDS)
    changed: list[Device] = []
    with transaction.atomic():
        candidates = (
            Device.objects.select_for_update(
                skip_locked=connection.features.has_select_for_update_skip_locked
            )
            .filter(status=DeviceStatus.ONLINE)
            .exclude(kind__in=MANAGED_AREAS)
            .filter(
                Q(last_heartbeat_at__lt=limit)
                | Q(last_heartbeat_at__isnull=True, status_since__lt=limit)
            )
        )
        for device in candidates:
            _set_status(
                device, DeviceStatus.OFFLINE, since=device.last_heartbeat_at or device.status_since
            )
            device.save(update_fields=["status", "status_since"])
            _alert_later(device, None, "offline")
            changed.append(device)
    return changed


# --- readings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadingInput:
    """One reading as a device sends it."""

    reading_id: str
    item: str
    value: float | str
    measured_at: dt.datetime
    subject: str = ""


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)


def _reading_problem(reading: ReadingInput, *, latest: dt.datetime) -> str | None:
    """Why a reading cannot be stored (measured after ``latest`` is the future), or None."""
    value = reading.value
    if isinstance(value, float) and not math.isfinite(value):
        return _("The value is not a finite number.")
    if reading.measured_at.tzinfo is None:
        return _("The measurement time has no time zone.")
    if reading.measured_at > latest:
        return _("The measurement time is in the future.")
    return None


def _health_checks(
    device: Device, readings: list[ReadingInput]
) -> Callable[[ReadingInput], str | None]:
    """The health kiosk's extra checks: a known subject with consent, a catalogue item, a
    plausible value (two queries per batch, whatever its size)."""
    items = {i.code: i for i in MeasurementItem.objects.filter(is_active=True)}
    consented = set(
        HealthSubject.objects.filter(
            district_id=device.district_id,
            pseudonym__in={r.subject for r in readings if r.subject},
            pk__in=HealthConsent.objects.filter(withdrawn_at__isnull=True).values("subject_id"),
        ).values_list("pseudonym", flat=True)
    )

    def check(reading: ReadingInput) -> str | None:
        if reading.subject not in consented:
            return _("The resident has not consented to health-data processing (or withdrew).")
        item = items.get(reading.item)
        if item is None:
            return _("%(item)s is not in the measurement catalogue.") % {"item": reading.item}
        return item.problem_with(reading.value)

    return check


def reading_aad(device_id: int, reading_id: str) -> bytes:
    """What a reading's ciphertext is bound to: moving it to another row makes it unreadable."""
    return f"{device_id}/{reading_id}".encode()


@dataclass
class SealedBatch:
    """A batch checked and encrypted, ready for one INSERT: parallel columns, one per field."""

    device: Device
    reading_ids: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    measured: list[Any] = field(default_factory=list)
    blobs: list[bytes] = field(default_factory=list)
    key_id: str = ""
    received: Any = None
    refused: list[dict[str, Any]] = field(default_factory=list)

    def rows(self) -> list[tuple[Any, ...]]:
        """The rows in the column order of ``READING_COLUMNS``."""
        d, district = self.device.pk, self.device.district_id
        return [
            (district, d, rid, item, subject, at, self.received, self.key_id, blob)
            for rid, item, subject, at, blob in zip(
                self.reading_ids, self.items, self.subjects, self.measured, self.blobs, strict=True
            )
        ]


READING_COLUMNS = (
    "district_id, device_id, reading_id, item, subject, measured_at, received_at, key_id, "
    "ciphertext"
)


def seal_batch(*, device: Device, readings: list[ReadingInput], now: dt.datetime) -> SealedBatch:
    """Check every reading of a batch and encrypt the good ones; refused ones get a reason."""
    key_id, cipher = crypto.sealer()
    adapt = connection.ops.adapt_datetimefield_value
    batch = SealedBatch(device=device, key_id=key_id, received=adapt(now))
    check = _health_checks(device, readings) if device.kind == DeviceKind.HEALTH_KIOSK else None
    latest = now + dt.timedelta(seconds=settings.LINLI_KIOSK_CLOCK_SKEW_SECONDS)
    plain: list[bytes] = []
    aads: list[bytes] = []
    prefix = f"{device.pk}/"
    for index, reading in enumerate(readings):
        problem = _reading_problem(reading, latest=latest) or (check(reading) if check else None)
        if problem:
            batch.refused.append({"index": index, "id": reading.reading_id, "reason": problem})
            continue
        batch.reading_ids.append(reading.reading_id)
        batch.items.append(reading.item)
        batch.subjects.append(reading.subject)
        batch.measured.append(adapt(reading.measured_at))
        plain.append(json.dumps(reading.value).encode())
        # reading_aad(device.pk, reading_id), inlined: this loop is the ingest's hot path.
        aads.append((prefix + reading.reading_id).encode())
    batch.blobs = crypto.seal_all(cipher, plain, aads=aads)
    return batch


def insert_batch(batch: SealedBatch) -> int:
    """Insert a sealed batch once per (device, reading id); returns how many rows were new.

    On PostgreSQL one ``INSERT … SELECT FROM unnest(…)`` with binary array parameters;
    elsewhere one multi-row ``VALUES``. Either way ``ON CONFLICT DO NOTHING``: a retried
    batch inserts nothing twice.
    """
    count = len(batch.reading_ids)
    if not count:
        return 0
    table = Reading._meta.db_table
    if connection.vendor == "postgresql":
        return _insert_by_unnest(batch, table)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * count)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({READING_COLUMNS}) VALUES {values} "
            "ON CONFLICT (device_id, reading_id) DO NOTHING",
            [value for row in batch.rows() for value in row],
        )
        return int(cursor.rowcount)


def _insert_by_unnest(batch: SealedBatch, table: str) -> int:
    """PostgreSQL: one ``INSERT … SELECT FROM unnest(arrays)`` with the arrays sent as binary
    parameters, on a cursor of our own on Django's connection (same transaction).

    Django's cursor binds client-side: it would quote the 2,500 values into SQL text in
    Python, and PostgreSQL would parse them back (bench/ingest.py measures both).
    """
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({READING_COLUMNS}) "
            "SELECT %b, %b, r, i, s, m, %b, %b, c FROM unnest("
            "%b::varchar[], %b::varchar[], %b::varchar[], %b::timestamptz[], %b::bytea[]"
            ") AS u(r, i, s, m, c) ON CONFLICT (device_id, reading_id) DO NOTHING",
            [
                batch.device.district_id,
                batch.device.pk,
                batch.received,
                batch.key_id,
                batch.reading_ids,
                batch.items,
                batch.subjects,
                batch.measured,
                batch.blobs,
            ],
        )
        return int(cursor.rowcount)


def ingest_readings(
    *,
    signed: SignedRequest,
    readings: list[ReadingInput],
    now: dt.datetime | None = None,
    insert: Callable[[SealedBatch], int] = insert_batch,
) -> IngestResult:
    """Store a device's batch once: authenticate, check, encrypt, insert, in one transaction.

    A retried batch inserts nothing new and reports its rows as duplicates; refused rows are
    listed with their reason and the rest is stored. ``insert`` is swapped only by
    bench/ingest.py to measure other ways of writing the same rows.
    """
    now = now or timezone.now()
    with transaction.atomic():
        device = authenticate_device(signed, now=now)
        batch = seal_batch(device=device, readings=readings, now=now)
        accepted = insert(batch)
    return IngestResult(
        accepted=accepted,
        duplicates=len(batch.reading_ids) - accepted,
        refused=batch.refused,
    )


def reading_value(reading: Reading) -> float | str:
    """Decrypt a reading's value (callers are the permission-checked queries and exports)."""
    plain = crypto.open_sealed(
        reading.key_id, reading.ciphertext, aad=reading_aad(reading.device_id, reading.reading_id)
    )
    value: float | str = json.loads(plain)
    return value


def rekey_readings(*, batch: int = 1000) -> int:
    """Re-seal every reading not under the current key (after a new key was introduced)."""
    current = crypto.current_key_id()
    done = 0
    while True:
        with transaction.atomic():
            chunk = list(
                Reading.objects.select_for_update().exclude(key_id=current).order_by("pk")[:batch]
            )
            if not chunk:
                return done
            for reading in chunk:
                aad = reading_aad(reading.device_id, reading.reading_id)
                plain = crypto.open_sealed(reading.key_id, reading.ciphertext, aad=aad)
                reading.key_id, reading.ciphertext = crypto.seal(plain, aad=aad)
            Reading.objects.bulk_update(chunk, ["key_id", "ciphertext"])
            done += len(chunk)


def register_device(
    *,
    actor: AnyUser,
    station: Station,
    kind: str,
    section: str,
    code: str,
    name: str,
    keeper: Any = None,
    now: dt.datetime | None = None,
) -> Device:
    """Add a device or managed area to a smart hut (editors in scope)."""
    now = now or timezone.now()
    with transaction.atomic():
        hut = permissions.huts_for_user(actor).filter(pk=station.pk).first()
        if hut is None:
            raise NotFound(_("No such smart hut."))
        if not is_editor(actor):
            raise Forbidden(_("Only administrators may add devices."))
        if Device.objects.filter(district_id=hut.district_id, code=code).exists():
            raise Conflict(
                _("A device with the code %(code)s exists already.") % {"code": code},
                code="duplicate_code",
                field="code",
            )
        device = Device.objects.create(
            district_id=hut.district_id,
            station=hut,
            kind=kind,
            section=section,
            code=code,
            name=name,
            keeper=keeper,
            status=DeviceStatus.ONLINE,
            status_since=now,
        )
        audit.record(actor=actor, action=AuditEntry.Action.CREATE, obj=device)
    return device
