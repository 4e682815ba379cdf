"""双报到 and service-record endpoints, under ``/api/activities/duty/`` (see linli.activities.api).

Units and members file and read their own registrations and records; staff read and decide on
those of their scope (``linli.activities.duty``: outside it is 404).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from ninja.security import SessionAuth
from pydantic import Field

from linli.accounts.api_auth import TokenAuth
from linli.accounts.models import AnyUser, User
from linli.accounts.scopes import signed_in_user
from linli.activities import certificate, duty
from linli.activities.models import Registration, ServiceRecord, VolunteerCertificate
from linli.core import pdf
from linli.core.masking import mask_phone
from linli.places.models import Community

router = Router(tags=["activities: 双报到 and service"], auth=[TokenAuth(), SessionAuth()])


class ErrorOut(Schema):
    code: str
    message: str


ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


class RegistrationIn(Schema):
    community_id: int = Field(gt=0, le=2**63 - 1)
    party_organisation: str = Field(max_length=150)
    liaison_name: str = Field(max_length=50)
    liaison_phone: str = Field(max_length=30)
    offers: str = Field(default="", max_length=2000)
    employer: str = Field(default="", max_length=150)
    skills: str = Field(default="", max_length=300)
    availability: str = Field(default="", max_length=200)
    preferred_posts: str = Field(default="", max_length=300)


class RegistrationOut(Schema):
    id: int
    kind: str
    community_id: int
    reporter: str
    party_organisation: str
    liaison_name: str
    liaison_phone: str
    status: str
    return_reason: str
    receipt_number: str


class ReturnIn(Schema):
    reason: str = Field(max_length=300)


class RecordIn(Schema):
    community_id: int = Field(gt=0, le=2**63 - 1)
    started_at: dt.datetime
    ended_at: dt.datetime
    travel_minutes: int = Field(default=0, ge=0, le=1440)
    what: str = Field(max_length=300)


class RecordOut(Schema):
    id: int
    volunteer_id: int
    community_id: int
    started_at: dt.datetime
    ended_at: dt.datetime
    travel_minutes: int
    what: str
    hours: Decimal
    status: str
    correction_request: str


class CorrectionIn(Schema):
    text: str = Field(max_length=300)


class StandingOut(Schema):
    hours: Decimal
    pending_hours: Decimal
    stars: int
    next_at: int | None


def _registration(r: Registration, user: AnyUser) -> dict[str, Any]:
    own = r.submitted_by_id == user.pk
    return {
        "id": r.pk,
        "kind": r.kind,
        "community_id": r.community_id,
        "reporter": r.reporter_name,
        "party_organisation": r.party_organisation,
        "liaison_name": r.liaison_name,
        "liaison_phone": r.liaison_phone if own else mask_phone(r.liaison_phone),
        "status": r.status,
        "return_reason": r.return_reason,
        "receipt_number": r.receipt_number,
    }


def _record(r: ServiceRecord) -> dict[str, Any]:
    return {
        "id": r.pk,
        "volunteer_id": r.volunteer_id,
        "community_id": r.community_id,
        "started_at": r.started_at,
        "ended_at": r.ended_at,
        "travel_minutes": r.travel_minutes,
        "what": r.what,
        "hours": r.hours,
        "status": r.status,
        "correction_request": r.correction_request,
    }


def _community(request: HttpRequest, pk: int) -> Community:
    district_id = signed_in_user(request).district_id
    found = (
        Community.objects.filter(pk=pk, district_id=district_id).first() if district_id else None
    )
    if found is None:
        raise Http404("No such community.")
    return found


@router.get("/registrations", response={200: list[RegistrationOut], **ERRORS})
def list_registrations(request: HttpRequest) -> Any:
    """Staff: the registrations of their scope; units and members: their own."""
    rows = duty.registrations_for_user(request.user).select_related("organisation", "member__user")
    return [_registration(r, request.user) for r in rows[:500]]


@router.post("/registrations", response={201: RegistrationOut, **ERRORS})
def create_registration(request: HttpRequest, body: RegistrationIn) -> Any:
    data = body.dict()
    community = _community(request, data.pop("community_id"))
    registration = duty.submit_registration(
        actor=request.user,
        data=duty.RegistrationInput(community=community, **data),
        request=request,
    )
    return Status(201, _registration(registration, request.user))


@router.post("/registrations/{int:pk}/approve", response={200: RegistrationOut, **ERRORS})
def approve(request: HttpRequest, pk: int) -> Any:
    return _registration(
        duty.approve_registration(
            actor=signed_in_user(request), registration_id=pk, request=request
        ),
        request.user,
    )


@router.post("/registrations/{int:pk}/return", response={200: RegistrationOut, **ERRORS})
def give_back(request: HttpRequest, pk: int, body: ReturnIn) -> Any:
    return _registration(
        duty.return_registration(
            actor=signed_in_user(request), registration_id=pk, reason=body.reason, request=request
        ),
        request.user,
    )


@router.get("/records", response={200: list[RecordOut], **ERRORS})
def list_records(request: HttpRequest) -> Any:
    """Staff: the service records of their scope; volunteers: their own."""
    return [_record(r) for r in duty.records_for_user(request.user)[:1000]]


@router.post("/records", response={201: RecordOut, **ERRORS})
def log_record(request: HttpRequest, body: RecordIn) -> Any:
    record = duty.log_service(
        actor=request.user,
        community=_community(request, body.community_id),
        started_at=body.started_at,
        ended_at=body.ended_at,
        travel_minutes=body.travel_minutes,
        what=body.what,
        request=request,
    )
    return Status(201, _record(record))


@router.post("/records/{int:pk}/confirm", response={200: RecordOut, **ERRORS})
def confirm_record(request: HttpRequest, pk: int) -> Any:
    return _record(duty.confirm_service(actor=request.user, record_id=pk, request=request))


@router.post("/records/{int:pk}/correction", response={200: RecordOut, **ERRORS})
def ask_correction(request: HttpRequest, pk: int, body: CorrectionIn) -> Any:
    return _record(
        duty.request_correction(actor=request.user, record_id=pk, text=body.text, request=request)
    )


@router.get("/standing", response={200: StandingOut, **ERRORS})
def my_standing(request: HttpRequest) -> Any:
    """The caller's confirmed hours and star level."""
    s = duty.standing(signed_in_user(request))
    return {
        "hours": s.hours,
        "pending_hours": s.pending_hours,
        "stars": s.stars,
        "next_at": s.next_at,
    }


class CertificateIn(Schema):
    community_id: int = Field(gt=0, le=2**63 - 1)
    volunteer_id: int | None = Field(default=None, gt=0, le=2**63 - 1)


class CertificateOut(Schema):
    id: int
    serial: str
    volunteer_id: int
    community_id: int
    hours: Decimal
    duties: int
    period_start: dt.date
    period_end: dt.date
    issued_at: dt.datetime


def _certificate(c: VolunteerCertificate) -> dict[str, Any]:
    return {
        "id": c.pk,
        "serial": c.serial,
        "volunteer_id": c.volunteer_id,
        "community_id": c.community_id,
        "hours": c.hours,
        "duties": c.duties,
        "period_start": c.period_start,
        "period_end": c.period_end,
        "issued_at": c.issued_at,
    }


@router.post("/certificates", response={201: CertificateOut, **ERRORS})
def issue(request: HttpRequest, body: CertificateIn) -> Any:
    """A service-hours certificate: one's own, or (community staff) a volunteer's there."""
    user = signed_in_user(request)
    volunteer: User | None = user
    if body.volunteer_id is not None and body.volunteer_id != user.pk:
        volunteer = User.objects.filter(pk=body.volunteer_id).first()
    if volunteer is None:
        raise certificate.refused_for_someone_else()
    issued = certificate.issue_certificate(
        actor=user,
        volunteer=volunteer,
        community=_community(request, body.community_id),
        request=request,
    )
    return Status(201, _certificate(issued))


@router.get("/certificates/{int:pk}/pdf", response={200: None, **ERRORS})
def certificate_file(request: HttpRequest, pk: int) -> Any:
    """The certificate's PDF (the volunteer's own, or staff of its community's scope)."""
    issued = certificate.get_certificate_for_user(request.user, pk)
    return pdf.response(certificate.document(issued), f"{issued.serial}.pdf")
