"""The smart huts' JSON API, mounted at ``/api/kiosks/``.

Two audiences:

* **Devices** (``/api/kiosks/device/…``): no session, no token — every request is signed with
  the device's key (linli.kiosks.signing documents the headers); the refusals are 401 with a
  code saying which check failed (``unknown_key``, ``revoked_key``, ``retired_key``,
  ``stale_timestamp``, ``bad_signature``, ``replayed_nonce``, ``unsigned``). A 200 answer to a
  batch means its rows are committed; a device retries anything else with a new nonce.
* **Staff** (the rest): session or personal API token like the other routers, scoped through
  linli.kiosks.permissions (outside the scope is 404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.security import SessionAuth
from pydantic import BaseModel, Field

from linli.accounts.api_auth import TokenAuth
from linli.core.limits import BodySchema, Id
from linli.kiosks import permissions, queries, services
from linli.places.permissions import require_staff
from linli.places.schemas import ErrorOut

router = Router(tags=["kiosks"], auth=[TokenAuth(), SessionAuth()])

ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
DEVICE_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 422: ErrorOut}
MAX_BATCH = 1000


# --- devices ---------------------------------------------------------------------------------


class HeartbeatIn(BodySchema):
    fault: str = Field("", max_length=200, description="A fault the device detected, if any.")


class HeartbeatOut(Schema):
    status: str
    fault_id: int | None


class ReadingIn(BaseModel):
    """One reading (a plain pydantic model: ninja's Schema wraps every object of a 500-row
    batch in its attribute getter, a third of the request's time)."""

    id: str = Field(min_length=1, max_length=64, description="The device's own id of the reading.")
    item: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    value: float | str = Field(description="A number, or a short text (an ECG interpretation).")
    measured_at: dt.datetime
    subject: str = Field("", max_length=64, description="The resident's pseudonymous key.")


class ReadingsIn(BodySchema):
    readings: list[ReadingIn] = Field(max_length=MAX_BATCH)


class RefusedReading(Schema):
    index: int
    id: str
    reason: str


class ReadingsOut(Schema):
    accepted: int
    duplicates: int
    refused: list[RefusedReading]


@router.post(
    "/device/heartbeat",
    auth=None,
    response={200: HeartbeatOut, **DEVICE_ERRORS},
    summary="A device's heartbeat (signed)",
)
def heartbeat(request: HttpRequest, data: HeartbeatIn) -> dict[str, Any]:
    """The device is alive; ``fault`` opens a ticket and texts the keeper."""
    result = services.record_heartbeat(
        signed=services.SignedRequest.from_request(request), fault=data.fault
    )
    return {"status": result.device.status, "fault_id": result.fault.pk if result.fault else None}


@router.post(
    "/device/readings",
    auth=None,
    response={200: ReadingsOut, **DEVICE_ERRORS},
    summary="A batch of readings (signed; idempotent by reading id)",
)
def readings(request: HttpRequest, data: ReadingsIn) -> dict[str, Any]:
    """Stores each reading once: a retried batch comes back as duplicates."""
    result = services.ingest_readings(
        signed=services.SignedRequest.from_request(request),
        readings=[
            services.ReadingInput(
                reading_id=r.id,
                item=r.item,
                value=r.value,
                measured_at=r.measured_at,
                subject=r.subject,
            )
            for r in data.readings
        ],
    )
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "refused": result.refused,
    }


# --- staff -----------------------------------------------------------------------------------


def _staff_user(request: HttpRequest) -> Any:
    require_staff(request.user)
    return request.user


def _device_out(device: Any) -> dict[str, Any]:
    return {
        "id": device.pk,
        "code": device.code,
        "name": device.name,
        "section": device.section,
        "kind": device.kind,
        "status": device.status,
        "status_since": device.status_since,
        "last_heartbeat_at": device.last_heartbeat_at,
        "keeper": str(device.keeper) if device.keeper else None,
    }


class DeviceOut(Schema):
    id: int
    code: str
    name: str
    section: str
    kind: str
    status: str
    status_since: dt.datetime
    last_heartbeat_at: dt.datetime | None
    keeper: str | None


class HutOut(Schema):
    id: int
    code: str
    name: str
    online: int
    offline: int
    fault: int
    open_faults: int


class HutDetail(Schema):
    id: int
    code: str
    name: str
    devices: list[DeviceOut]


class FaultOut(Schema):
    id: int
    hut_id: int
    device_id: int
    device: str
    summary: str
    source: str
    status: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    closing_note: str


class FaultIn(BodySchema):
    summary: str = Field(min_length=1, max_length=200)


class CloseIn(BodySchema):
    note: str = Field(min_length=1, max_length=2000)


class KeyOut(Schema):
    key_id: str
    secret: str = Field(description="Shown once: configure the device with it.")
    created_at: dt.datetime


def _fault_out(fault: Any) -> dict[str, Any]:
    return {
        "id": fault.pk,
        "hut_id": fault.station_id,
        "device_id": fault.device_id,
        "device": fault.device.name,
        "summary": fault.summary,
        "source": fault.source,
        "status": fault.status,
        "opened_at": fault.opened_at,
        "closed_at": fault.closed_at,
        "closing_note": fault.closing_note,
    }


@router.get("/huts", response={200: list[HutOut], **ERRORS}, summary="Smart huts in your area")
def list_huts(request: HttpRequest) -> list[dict[str, Any]]:
    user = _staff_user(request)
    return [
        {
            "id": s.hut.pk,
            "code": s.hut.code,
            "name": s.hut.name,
            **s.counts,
            "open_faults": s.open_faults,
        }
        for s in queries.hut_summaries(user)
    ]


@router.get("/huts/{hut_id}", response={200: HutDetail, **ERRORS}, summary="A hut's devices")
def hut_detail(request: HttpRequest, hut_id: Id) -> dict[str, Any]:
    user = _staff_user(request)
    hut = permissions.get_hut_for_user(user, hut_id)
    devices = [d for s in queries.hut_sections(hut) for d in s.devices]
    return {
        "id": hut.pk,
        "code": hut.code,
        "name": hut.name,
        "devices": [_device_out(d) for d in devices],
    }


@router.get("/faults", response={200: list[FaultOut], **ERRORS}, summary="Fault tickets")
def list_faults(request: HttpRequest, status: str = "open") -> list[dict[str, Any]]:
    """Fault tickets of the huts in your area (``status=open|closed|all``), newest first."""
    user = _staff_user(request)
    faults = permissions.faults_for_user(user).select_related("device")
    if status != "all":
        faults = faults.filter(status=status)
    return [_fault_out(f) for f in faults[:500]]


@router.post(
    "/devices/{device_id}/faults",
    response={201: FaultOut, **ERRORS, 400: ErrorOut},
    summary="Report a fault on a device or managed area",
)
def report_fault(request: HttpRequest, device_id: Id, data: FaultIn) -> Status[dict[str, Any]]:
    user = _staff_user(request)
    device = permissions.get_device_for_user(user, device_id)
    fault = services.report_fault(actor=user, device=device, summary=data.summary, request=request)
    return Status(201, _fault_out(fault))


@router.post(
    "/faults/{fault_id}/close",
    response={200: FaultOut, **ERRORS, 400: ErrorOut, 409: ErrorOut},
    summary="Close a fault with a note",
)
def close_fault(request: HttpRequest, fault_id: Id, data: CloseIn) -> dict[str, Any]:
    """The hut's keeper (or an administrator in scope) closes the ticket."""
    user = _staff_user(request)
    fault = permissions.get_fault_for_user(user, fault_id, for_change=True)
    closed = services.close_fault(actor=user, fault=fault, note=data.note, request=request)
    return _fault_out(closed)


@router.post(
    "/devices/{device_id}/keys",
    response={201: KeyOut, **ERRORS},
    summary="Issue a device key (rotation: older keys stay valid for the overlap)",
)
def issue_key(request: HttpRequest, device_id: Id) -> Status[dict[str, Any]]:
    user = _staff_user(request)
    device = permissions.get_device_for_user(user, device_id, manage_keys=True)
    issued = services.issue_device_key(actor=user, device=device, request=request)
    return Status(
        201,
        {
            "key_id": issued.key.key_id,
            "secret": issued.secret,
            "created_at": issued.key.created_at or timezone.now(),
        },
    )


@router.post(
    "/keys/{key_id}/revoke",
    response={204: None, **ERRORS, 409: ErrorOut},
    summary="Revoke a device key at once",
)
def revoke_key(request: HttpRequest, key_id: str) -> Status[None]:
    user = _staff_user(request)
    services.revoke_device_key(actor=user, key_id=key_id, request=request)
    return Status(204, None)


# --- health kiosk (devices) ------------------------------------------------------------------


class IdentifyIn(BodySchema):
    id_number: str = Field("", max_length=18, description="Read from the resident ID card.")
    phone: str = Field("", max_length=20)
    code: str = Field("", max_length=8, description="The code texted to the phone.")


class IdentifyOut(Schema):
    subject: str = Field(description="The pseudonymous key to send with the readings.")
    has_consent: bool
    consent_version: str
    consent_text: str


class PhoneCodeIn(BodySchema):
    phone: str = Field(min_length=5, max_length=20)


class ConsentIn(BodySchema):
    subject: str = Field(min_length=1, max_length=64)
    text_version: str = Field(min_length=1, max_length=20)


class ConsentOut(Schema):
    text_version: str
    granted_at: dt.datetime


@router.post(
    "/device/identify",
    auth=None,
    response={200: IdentifyOut, **DEVICE_ERRORS, 400: ErrorOut},
    summary="Identify the resident at the kiosk (signed)",
)
def identify(request: HttpRequest, data: IdentifyIn) -> dict[str, Any]:
    """By ID card, or by phone and the texted code; answers the pseudonymous key."""
    from linli.kiosks import health

    found = health.identify_resident(
        signed=services.SignedRequest.from_request(request),
        id_number=data.id_number,
        phone=data.phone,
        code=data.code,
    )
    return {
        "subject": found.subject.pseudonym,
        "has_consent": found.has_consent,
        "consent_version": health.CONSENT_VERSION,
        "consent_text": str(health.CONSENT_TEXT),
    }


@router.post(
    "/device/phone-code",
    auth=None,
    response={204: None, **DEVICE_ERRORS, 400: ErrorOut, 429: ErrorOut},
    summary="Text a code to the resident's phone (signed)",
)
def phone_code(request: HttpRequest, data: PhoneCodeIn) -> Status[None]:
    from linli.kiosks import health

    health.send_code_from_kiosk(
        signed=services.SignedRequest.from_request(request), phone=data.phone
    )
    return Status(204, None)


@router.post(
    "/device/consent",
    auth=None,
    response={200: ConsentOut, **DEVICE_ERRORS, 400: ErrorOut},
    summary="Record the resident's consent to health-data processing (signed)",
)
def consent(request: HttpRequest, data: ConsentIn) -> dict[str, Any]:
    from linli.kiosks import health

    granted = health.record_consent_at_kiosk(
        signed=services.SignedRequest.from_request(request),
        subject_key=data.subject,
        text_version=data.text_version,
    )
    return {"text_version": granted.text_version, "granted_at": granted.granted_at}


# --- health data (family doctors) ------------------------------------------------------------


class HealthReadingOut(Schema):
    item: str
    name: str
    value: float | str
    unit: str
    measured_at: dt.datetime


@router.get(
    "/health/subjects/{subject_id}/readings",
    response={200: list[HealthReadingOut], **ERRORS},
    summary="A resident's readings (family doctors of his community; audited)",
)
def subject_readings(request: HttpRequest, subject_id: Id) -> list[dict[str, Any]]:
    from linli.kiosks import health

    subject = permissions.get_subject_for_doctor(request.user, subject_id, request=request)
    return [
        {
            "item": row.reading.item,
            "name": row.item.display_name if row.item else row.reading.item,
            "value": row.value,
            "unit": row.item.unit if row.item else "",
            "measured_at": row.reading.measured_at,
        }
        for row in health.readings_of(subject)
    ]
