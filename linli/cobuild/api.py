"""The co-construction JSON API, mounted at ``/api/cobuild/`` (``router`` below).

Token or session authentication as the rest of the staff API; anonymous requests get 401, users
who are not staff 403, records outside the user's scope 404. Every write goes through
``linli.cobuild.services``; errors are JSON ``{code, message}`` (``linli.api``'s handlers).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.security import SessionAuth

from linli.accounts.api_auth import TokenAuth
from linli.accounts.models import AnyUser
from linli.cobuild import permissions, queries, services
from linli.cobuild.models import Resource
from linli.core.limits import BodySchema, Id
from linli.places.models import District, Organisation

router = Router(tags=["cobuild"], auth=[TokenAuth(), SessionAuth()])


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


class DutyOut(Schema):
    id: int
    unit: str
    community: str | None
    origin: str


class SkipOut(Schema):
    unit: str
    reason: str


class ReminderOut(Schema):
    kind: str = Field(description="duty (a unit on duty) or member (a reported party member)")
    name: str = Field(description="The unit's name, or the member's (masked unless you manage).")
    phone: str = Field(description="The mobile texted, masked; empty when unreachable.")
    status: str = Field(description="sent, or unreachable (no mobile to text)")
    date: dt.date = Field(description="The date the reminder announced.")
    sent_at: dt.datetime


class DayOut(Schema):
    """A co-construction day with its roster."""

    id: int
    date: dt.date
    planned_date: dt.date
    reason: str
    confirmed: bool
    moved_reason: str
    on_duty: list[DutyOut]
    skipped: list[SkipOut]
    reminders: list[ReminderOut]


class CalendarOut(Schema):
    subdistrict: str
    year: int
    year_known: bool = Field(description="False: chinesecalendar does not know the year yet.")
    days: list[DayOut]


class CalendarQuery(Schema):
    subdistrict_id: int = Field(ge=1, le=2**63 - 1)
    year: int = Field(ge=2024, le=2100)


class SwapIn(BodySchema):
    duty_id: int = Field(ge=1, le=2**63 - 1)
    other_id: int = Field(ge=1, le=2**63 - 1)
    reason: str = Field(max_length=200)


class SwapOut(Schema):
    id: int
    status: str
    duty_id: int
    other_id: int
    reason: str


class WindowSchema(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime


class ResourceIn(BodySchema):
    title: str = Field(max_length=120)
    category: str = Field(description="venue, skill, funds, materials or volunteer_hours")
    skill: str = Field("", description="legal, medical, repair, teaching … or empty")
    subdistrict: str = Field(description="Subdistrict code.", max_length=32)
    community: str = Field("", description="Community code; empty for the whole subdistrict.")
    provider_kind: str = Field(description="unit, party_member or new_organisation")
    organisation: str = Field("", description="The unit's or organisation's name.", max_length=150)
    provider_name: str = Field("", description="The party member's name.", max_length=50)
    quantity: int = Field(1, ge=1, le=1_000_000)
    quantity_unit: str = Field("", max_length=20)
    description: str = Field("", max_length=2000)
    station: str = Field("", description="Station code: the resource is there.", max_length=40)
    address: str = Field("", max_length=200)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    windows: list[WindowSchema] = Field(default_factory=list, max_length=50)


class ResourceOut(Schema):
    id: int
    title: str
    category: str
    skill: str
    subdistrict: str
    community: str | None
    provider_kind: str
    provider: str = Field(description="A party member's name is masked unless you may edit it.")
    quantity: int
    quantity_unit: str
    station: str | None
    address: str
    lon: float
    lat: float
    windows: list[WindowSchema]


class ResourceQuery(Schema):
    category: str = ""
    q: str = Field("", max_length=60)
    page: int = Field(1, ge=1, le=100_000)


class ResourcePage(Schema):
    total: int
    page: int
    page_size: int
    items: list[ResourceOut]


PAGE_SIZE = 50


def _staff(request: HttpRequest) -> Any:
    permissions.require_staff(request.user)
    return request.user


@router.get("/calendar", response={200: CalendarOut, **ERRORS}, summary="Days and roster")
def calendar(request: HttpRequest, query: Query[CalendarQuery]) -> dict[str, Any]:
    user = _staff(request)
    subdistrict = permissions.get_subdistrict_for_user(user, query.subdistrict_id)
    cal = queries.calendar_for(user, subdistrict, query.year)
    return {
        "subdistrict": subdistrict.code,
        "year": cal.year,
        "year_known": cal.year_known,
        "days": [
            {
                "id": d.day.pk,
                "date": d.day.date,
                "planned_date": d.day.planned_date,
                "reason": d.day.reason,
                "confirmed": d.day.confirmed,
                "moved_reason": d.day.moved_reason,
                "on_duty": [
                    {
                        "id": duty.pk,
                        "unit": duty.unit.organisation.name,
                        "community": duty.unit.community.code if duty.unit.community else None,
                        "origin": duty.origin,
                    }
                    for duty in d.duties
                ],
                "skipped": [
                    {"unit": s.unit.organisation.name, "reason": s.reason} for s in d.skips
                ],
                "reminders": [
                    {
                        "kind": r.kind,
                        "name": r.name,
                        "phone": r.phone_masked,
                        "status": r.status,
                        "date": r.date,
                        "sent_at": r.sent_at,
                    }
                    for r in d.reminders
                ],
            }
            for d in cal.days
        ],
    }


def _swap_out(swap: Any) -> dict[str, Any]:
    return {
        "id": swap.pk,
        "status": swap.status,
        "duty_id": swap.duty_id,
        "other_id": swap.other_id,
        "reason": swap.reason,
    }


@router.post("/swaps", response={201: SwapOut, **ERRORS}, summary="Ask for a swap")
def request_swap(request: HttpRequest, payload: SwapIn) -> Status[dict[str, Any]]:
    user = _staff(request)
    duty = permissions.get_duty_for_user(user, payload.duty_id)
    other = permissions.get_duty_for_user(user, payload.other_id)
    swap = services.request_swap(
        actor=user,
        duty=duty,
        other=other,
        reason=payload.reason,
        today=timezone.localdate(),
        request=request,
    )
    return Status(201, _swap_out(swap))


@router.post(
    "/swaps/{swap_id}/approve", response={200: SwapOut, **ERRORS}, summary="Approve a swap"
)
def approve_swap(request: HttpRequest, swap_id: Id) -> dict[str, Any]:
    user = _staff(request)
    swap = permissions.get_swap_for_user(user, swap_id, for_change=True)
    return _swap_out(
        services.approve_swap(actor=user, swap=swap, today=timezone.localdate(), request=request)
    )


@router.post("/swaps/{swap_id}/refuse", response={200: SwapOut, **ERRORS}, summary="Refuse a swap")
def refuse_swap(request: HttpRequest, swap_id: Id) -> dict[str, Any]:
    user = _staff(request)
    swap = permissions.get_swap_for_user(user, swap_id, for_change=True)
    return _swap_out(services.refuse_swap(actor=user, swap=swap, request=request))


def resource_out(user: AnyUser, resource: Resource) -> dict[str, Any]:
    """A resource as the API and the export show it to ``user``."""
    return {
        "id": resource.pk,
        "title": resource.title,
        "category": resource.category,
        "skill": resource.skill,
        "subdistrict": resource.subdistrict.code,
        "community": resource.community.code if resource.community else None,
        "provider_kind": resource.provider_kind,
        "provider": queries.provider_shown(user, resource),
        "quantity": resource.quantity,
        "quantity_unit": resource.quantity_unit,
        "station": resource.station.code if resource.station else None,
        "address": resource.address,
        "lon": resource.lon,
        "lat": resource.lat,
        "windows": [
            {"starts_at": w.starts_at, "ends_at": w.ends_at} for w in resource.windows.all()
        ],
    }


def _resource_input(payload: ResourceIn) -> services.ResourceInput:
    return services.ResourceInput(
        title=payload.title,
        category=payload.category,
        skill=payload.skill,
        subdistrict_code=payload.subdistrict,
        community_code=payload.community,
        provider_kind=payload.provider_kind,
        organisation_name=payload.organisation,
        provider_name=payload.provider_name,
        quantity=payload.quantity,
        quantity_unit=payload.quantity_unit,
        description=payload.description,
        station_code=payload.station,
        address=payload.address,
        lon=payload.lon,
        lat=payload.lat,
        windows=tuple(services.WindowInput(w.starts_at, w.ends_at) for w in payload.windows),
    )


@router.get("/resources", response={200: ResourcePage, **ERRORS}, summary="The resources list")
def list_resources(request: HttpRequest, query: Query[ResourceQuery]) -> dict[str, Any]:
    user = _staff(request)
    qs = queries.resources(user, category=query.category, q=query.q)
    total = qs.count()
    start = (query.page - 1) * PAGE_SIZE
    return {
        "total": total,
        "page": query.page,
        "page_size": PAGE_SIZE,
        "items": [resource_out(user, r) for r in qs[start : start + PAGE_SIZE]],
    }


@router.get(
    "/resources/{resource_id}", response={200: ResourceOut, **ERRORS}, summary="One resource"
)
def get_resource(request: HttpRequest, resource_id: Id) -> dict[str, Any]:
    user = _staff(request)
    return resource_out(user, permissions.get_resource_for_user(user, resource_id))


def _district(user: AnyUser) -> District:
    from linli.places.services import resolve_district

    return resolve_district(user)


@router.post("/resources", response={201: ResourceOut, **ERRORS}, summary="File a resource")
def create_resource(request: HttpRequest, payload: ResourceIn) -> Status[dict[str, Any]]:
    user = _staff(request)
    resource = services.create_resource(
        actor=user, district=_district(user), data=_resource_input(payload), request=request
    )
    return Status(201, resource_out(user, resource))


@router.put(
    "/resources/{resource_id}", response={200: ResourceOut, **ERRORS}, summary="Change a resource"
)
def update_resource(request: HttpRequest, resource_id: Id, payload: ResourceIn) -> dict[str, Any]:
    user = _staff(request)
    resource = permissions.get_resource_for_user(user, resource_id, for_change=True)
    resource = services.update_resource(
        actor=user, resource=resource, data=_resource_input(payload), request=request
    )
    return resource_out(user, resource)


@router.delete(
    "/resources/{resource_id}", response={204: None, **ERRORS}, summary="Withdraw a resource"
)
def delete_resource(request: HttpRequest, resource_id: Id) -> Status[None]:
    user = _staff(request)
    resource = permissions.get_resource_for_user(user, resource_id, for_change=True)
    services.deactivate_resource(actor=user, resource=resource, request=request)
    return Status(204, None)


class ProjectOut(Schema):
    id: int
    title: str
    state: str
    need_id: int
    resource_id: int | None
    claimed_by: str | None
    evaluation: str


class ClaimIn(Schema):
    organisation_id: int = Field(ge=1, le=2**63 - 1)


def _project_out(project: Any) -> dict[str, Any]:
    return {
        "id": project.pk,
        "title": project.title,
        "state": project.state,
        "need_id": project.need_id,
        "resource_id": project.resource_id,
        "claimed_by": project.claimed_by.name if project.claimed_by else None,
        "evaluation": project.evaluation,
    }


@router.get("/projects", response={200: list[ProjectOut], **ERRORS}, summary="The projects list")
def list_projects(request: HttpRequest) -> list[dict[str, Any]]:
    user = _staff(request)
    projects = permissions.projects_for_user(user).select_related("claimed_by")[:500]
    return [_project_out(p) for p in projects]


@router.post(
    "/projects/{project_id}/claim", response={200: ProjectOut, **ERRORS}, summary="Claim a project"
)
def claim_project(request: HttpRequest, project_id: int, payload: ClaimIn) -> dict[str, Any]:
    user = _staff(request)
    project = permissions.get_project_for_user(user, project_id, for_change=True)
    organisation = Organisation.objects.filter(
        district_id=project.district_id, pk=payload.organisation_id
    ).first()
    if organisation is None:
        raise Http404("No such organisation.")
    return _project_out(
        services.claim_project(
            actor=user, project=project, organisation=organisation, request=request
        )
    )
