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
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.errors import ValidationError
from ninja.security import SessionAuth
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

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


def _readings_body() -> dict[str, Any]:
    """The OpenAPI request body of /device/readings (the view parses the body itself)."""
    schema = ReadingsIn.model_json_schema()
    defs = schema.pop("$defs", {})
    schema["properties"]["readings"]["items"] = defs["ReadingIn"]
    return {"required": True, "content": {"application/json": {"schema": schema}}}


@router.post(
    "/device/readings",
    auth=None,
    response={200: ReadingsOut, **DEVICE_ERRORS},
    summary="A batch of readings (signed; idempotent by reading id)",
    openapi_extra={"requestBody": _readings_body()},
)
def readings(request: HttpRequest) -> dict[str, Any]:
    """Stores each reading once: a retried batch comes back as duplicates.

    The body is validated straight from its bytes (pydantic's JSON parser): the device API's
    hot path, where ninja's ``json.loads`` and then validating 500 dicts cost a quarter of the
    request (bench/ingest.py). Errors are the usual 422 naming each field.
    """
    try:
        data = ReadingsIn.model_validate_json(request.body)
    except PydanticValidationError as exc:
        raise ValidationError(
            [
                {"loc": ["body", "data", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False)
            ]
        ) from None
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
    stock_attention: int = Field(description="Items low, or medicine expiring soon.")


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
            "stock_attention": s.stock_attention,
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


# --- stock and occupancy (medicine cabinet, vending machine, parcel lockers) ------------------


class StockEventIn(BaseModel):
    id: str = Field(min_length=1, max_length=64, description="The device's own id of the event.")
    item: str = Field(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="The medicine, product or compartment size (the device's code).",
    )
    kind: str = Field(
        description="stocktake | restock | dispense (medicine cabinet) | sale (vending) | "
        "deposit | pickup (parcel lockers)"
    )
    quantity: int = Field(ge=0, le=100_000, description="The count (stocktake) or the change.")
    at: dt.datetime
    name: str = Field("", max_length=100, description="The item's name (its first stocktake).")
    capacity: int | None = Field(None, ge=0, le=100_000)
    low_at: int | None = Field(None, ge=0, le=100_000, description="Text the keeper at this.")
    expires_on: dt.date | None = Field(None, description="Medicine: the batch's expiry date.")


class StockEventsIn(BodySchema):
    events: list[StockEventIn] = Field(max_length=MAX_BATCH)


class RefusedEvent(Schema):
    index: int
    id: str
    field: str
    reason: str


class StockEventsOut(Schema):
    accepted: int
    duplicates: int
    refused: list[RefusedEvent]
    low: list[str] = Field(description="Items now at or below their low mark (keeper texted).")


@router.post(
    "/device/stock",
    auth=None,
    response={200: StockEventsOut, **DEVICE_ERRORS, 400: ErrorOut},
    summary="Stock and occupancy events (signed; idempotent by event id)",
)
def stock_events(request: HttpRequest, data: StockEventsIn) -> dict[str, Any]:
    """Each event is applied once: a retried batch comes back as duplicates."""
    from linli.kiosks import stock

    result = stock.record_stock_events(
        signed=services.SignedRequest.from_request(request),
        events=[
            stock.StockEventInput(
                event_id=e.id,
                item=e.item,
                kind=e.kind,
                quantity=e.quantity,
                at=e.at,
                name=e.name,
                capacity=e.capacity,
                low_at=e.low_at,
                expires_on=e.expires_on,
            )
            for e in data.events
        ],
    )
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "refused": result.refused,
        "low": [i.code for i in result.low],
    }


class StockItemOut(Schema):
    device_id: int
    device: str
    device_kind: str
    code: str
    name: str
    available: int
    capacity: int | None
    low_at: int
    low: bool
    expires_on: dt.date | None
    expiring: bool
    updated_at: dt.datetime


def _stock_out(item: Any, *, today: dt.date, days: int) -> dict[str, Any]:
    return {
        "device_id": item.device_id,
        "device": item.device.name,
        "device_kind": item.device.kind,
        "code": item.code,
        "name": item.name,
        "available": item.quantity,
        "capacity": item.capacity,
        "low_at": item.low_at,
        "low": item.is_low,
        "expires_on": item.expires_on,
        "expiring": item.expires_within(today, days),
        "updated_at": item.updated_at,
    }


@router.get(
    "/huts/{hut_id}/stock",
    response={200: list[StockItemOut], **ERRORS},
    summary="What a hut's cabinet, vending machine and lockers have available",
)
def hut_stock(request: HttpRequest, hut_id: Id) -> list[dict[str, Any]]:
    from linli.kiosks import stock

    user = _staff_user(request)
    hut = permissions.get_hut_for_user(user, hut_id)
    today, days = timezone.localdate(), stock.expiry_days()
    return [_stock_out(i, today=today, days=days) for i in stock.hut_stock(hut)]


class AttentionOut(StockItemOut):
    hut_id: int
    hut: str


@router.get(
    "/stock/attention",
    response={200: list[AttentionOut], **ERRORS},
    summary="Low stock and expiring medicine in the huts of your area",
)
def stock_attention(request: HttpRequest) -> list[dict[str, Any]]:
    from linli.kiosks import stock

    user = _staff_user(request)
    today, days = timezone.localdate(), stock.expiry_days()
    return [
        {
            **_stock_out(i, today=today, days=days),
            "hut_id": i.device.station_id,
            "hut": i.device.station.name,
        }
        for i in stock.needing_attention(permissions.huts_for_user(user))[:500]
    ]


class UsageOut(Schema):
    month: str = Field(description="YYYY-MM")
    kind: str
    quantity: int


@router.get(
    "/huts/{hut_id}/usage",
    response={200: list[UsageOut], **ERRORS},
    summary="Medicine dispensed, products sold and parcels deposited per month",
)
def hut_usage(
    request: HttpRequest, hut_id: Id, months: Annotated[int, Field(ge=1, le=36)] = 12
) -> list[dict[str, Any]]:
    from linli.kiosks import stock

    user = _staff_user(request)
    hut = permissions.get_hut_for_user(user, hut_id)
    return [
        {"month": f"{r.month:%Y-%m}", "kind": r.kind, "quantity": r.quantity}
        for r in stock.monthly_usage(hut, months=months)
    ]


# --- the e-newspaper board's feed ------------------------------------------------------------


class FeedPostOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    published_at: dt.datetime
    expires_at: dt.datetime | None


class FeedOut(Schema):
    fetched_at: dt.datetime
    posts: list[FeedPostOut]


def _feed_post(post: Any) -> dict[str, Any]:
    return {
        "id": post.pk,
        "kind": post.kind,
        "title": post.title,
        "body": post.body,
        "published_at": post.published_at,
        "expires_at": post.expires_at,
    }


@router.get(
    "/device/feed",
    auth=None,
    response={200: FeedOut, **DEVICE_ERRORS, 400: ErrorOut},
    summary="An e-newspaper board fetches its content feed (signed, empty body)",
)
def device_feed(request: HttpRequest) -> dict[str, Any]:
    """The posts in force for the board's hut, warnings first; the fetch time is recorded."""
    from linli.kiosks import board

    device, posts = board.fetch_feed(signed=services.SignedRequest.from_request(request))
    return {"fetched_at": device.feed_fetched_at, "posts": [_feed_post(p) for p in posts]}


class BoardPostOut(FeedPostOut):
    hut_id: int | None
    withdrawn_at: dt.datetime | None


class BoardPostIn(BodySchema):
    hut_id: Id | None = Field(None, description="One hut; omit for every hut of your area.")
    kind: str = Field(description="policy | notice | warning")
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=2000)
    expires_at: dt.datetime | None = None


def _board_post_out(post: Any) -> dict[str, Any]:
    return {**_feed_post(post), "hut_id": post.station_id, "withdrawn_at": post.withdrawn_at}


@router.get(
    "/board-posts",
    response={200: list[BoardPostOut], **ERRORS},
    summary="Posts to the e-newspaper boards of your area",
)
def list_board_posts(request: HttpRequest, hut_id: Id | None = None) -> list[dict[str, Any]]:
    """Newest first; ``hut_id`` limits them to the posts that hut's boards show now."""
    from linli.kiosks import board

    user = _staff_user(request)
    if hut_id is not None:
        posts = board.posts_in_force(permissions.get_hut_for_user(user, hut_id))
    else:
        posts = board.posts_for_user(user).order_by("-published_at", "-pk")
    return [_board_post_out(p) for p in posts[:200]]


@router.post(
    "/board-posts",
    response={201: BoardPostOut, **ERRORS, 400: ErrorOut},
    summary="Publish a post to a hut's e-newspaper boards (or every hut of your area)",
)
def publish_board_post(request: HttpRequest, data: BoardPostIn) -> Status[dict[str, Any]]:
    from linli.kiosks import board

    user = _staff_user(request)
    hut = permissions.get_hut_for_user(user, data.hut_id) if data.hut_id is not None else None
    post = board.publish_post(
        actor=user,
        hut=hut,
        kind=data.kind,
        title=data.title,
        body=data.body,
        expires_at=data.expires_at,
        request=request,
    )
    return Status(201, _board_post_out(post))


@router.post(
    "/board-posts/{post_id}/withdraw",
    response={200: BoardPostOut, **ERRORS},
    summary="Take a post off the boards",
)
def withdraw_board_post(request: HttpRequest, post_id: Id) -> dict[str, Any]:
    from linli.kiosks import board

    user = _staff_user(request)
    post = board.posts_for_user(user).filter(pk=post_id).first()
    if post is None:
        from django.http import Http404

        raise Http404("No such post.")
    return _board_post_out(board.withdraw_post(actor=user, post=post, request=request))
