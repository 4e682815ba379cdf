"""The needs JSON API, mounted at ``/api/needs/`` (OpenAPI at ``/api/docs``).

Staff (session or API token) list, read and act on the needs of their scope; residents raise
needs and rate their own; anyone reads the public timeline. Thin: permissions → one service or
query → JSON. Refusals are the API's ``{"code", "message"}`` errors (linli.api).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.security import SessionAuth
from pydantic import Field

from linli.accounts.api_auth import TokenAuth
from linli.accounts.scopes import signed_in_user
from linli.core.exceptions import Forbidden
from linli.needs import permissions, queries, services
from linli.needs.deadlines import BEIJING
from linli.needs.models import Need, NeedStep
from linli.places.models import Compound, District

router = Router(tags=["needs"], auth=[TokenAuth(), SessionAuth()])
MAX_PAGE = 200
Id = Field(gt=0, lt=2**62)


class NeedOut(Schema):
    id: int
    reference: str
    category: str
    urgency: str
    status: str
    scale: str
    description: str
    public_summary: str
    community_id: int
    community: str
    compound_id: int | None
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    due_unknown_year: int | None
    resolved_at: dt.datetime | None
    assigned_organisation_id: int | None
    assigned_grid_id: int | None
    extension_requested_until: dt.datetime | None
    rating: str
    contact_name: str
    contact_phone: str


class StepOut(Schema):
    action: str
    from_status: str
    to_status: str
    public_note: str
    at: dt.datetime


class NeedDetailOut(NeedOut):
    steps: list[StepOut]


class NeedPage(Schema):
    count: int
    results: list[NeedOut]


def _out(need: Need) -> dict[str, Any]:
    return {
        "id": need.pk,
        "reference": need.reference,
        "category": need.category,
        "urgency": need.urgency,
        "status": need.status,
        "scale": need.scale,
        "description": need.description,
        "public_summary": need.public_summary,
        "community_id": need.community_id,
        "community": need.community.name,
        "compound_id": need.compound_id,
        "submitted_at": need.submitted_at,
        "due_at": need.due_at,
        "due_unknown_year": need.due_unknown_year,
        "resolved_at": need.resolved_at,
        "assigned_organisation_id": need.assigned_organisation_id,
        "assigned_grid_id": need.assigned_grid_id,
        "extension_requested_until": need.extension_requested_until,
        "rating": need.rating_level,
        "contact_name": need.contact_name,
        "contact_phone": need.contact_phone,
    }


def _detail(need: Need, *, internal: bool) -> dict[str, Any]:
    steps = need.steps.all() if internal else queries.public_steps(need)
    return {
        **_out(need),
        "steps": [
            {
                "action": s.action,
                "from_status": s.from_status,
                "to_status": s.to_status,
                "public_note": s.public_note,
                "at": s.at,
            }
            for s in steps
        ],
    }


class ListFilters(Schema):
    status: str = ""
    category: str = ""
    community: int | None = Field(default=None, gt=0, lt=2**62)
    overdue: bool = False
    escalated: bool = False
    q: str = Field(default="", max_length=50)
    offset: int = Field(default=0, ge=0, le=10_000_000)
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)


@router.get("/", response=NeedPage, summary="Needs in the caller's scope (staff)")
def list_needs(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    f = queries.NeedFilter(
        status=filters.status,
        category=filters.category,
        community_id=filters.community,
        overdue=filters.overdue,
        escalated=filters.escalated,
        text=filters.q.strip(),
    )
    queryset = queries.filter_needs(
        permissions.needs_for_user(request.user), f, now=timezone.now()
    ).select_related("community")
    rows = queryset[filters.offset : filters.offset + filters.limit]
    return {"count": queryset.count(), "results": [_out(n) for n in rows]}


@router.get("/mine/", response=list[NeedDetailOut], summary="The caller's own needs (resident)")
def mine(request: HttpRequest) -> list[dict[str, Any]]:
    needs = permissions.my_needs(request.user).select_related("community")[:100]
    return [_detail(n, internal=False) for n in needs]


class NeedIn(Schema):
    category: str
    description: str = Field(max_length=4000)
    compound_id: int | None = Field(default=None, gt=0, lt=2**62)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    scale: Literal["personal", "shared"] = "personal"
    anonymous: bool = False
    contact_preference: Literal["phone", "sms", "visit", "none"] = "phone"


@router.post("/", response={201: NeedDetailOut}, summary="Raise a need (resident)")
def create(request: HttpRequest, payload: NeedIn) -> Status[dict[str, Any]]:
    user = signed_in_user(request)
    district = get_object_or_404(District, pk=user.district_id) if user.district_id else None
    if district is None:
        raise Forbidden("This account belongs to no district.")
    compound = None
    if payload.compound_id is not None:
        compound = Compound.objects.filter(pk=payload.compound_id, district=district).first()
        if compound is None:
            raise Http404("No such compound.")
    need = services.raise_need(
        actor=user,
        district=district,
        category=payload.category,
        description=payload.description,
        compound=compound,
        lon=payload.lon,
        lat=payload.lat,
        scale=payload.scale,
        anonymous=payload.anonymous,
        contact_preference=payload.contact_preference,
        request=request,
    )
    return Status(
        201, _detail(Need.objects.select_related("community").get(pk=need.pk), internal=False)
    )


@router.get("/{int:need_id}/", response=NeedDetailOut, summary="One need with its steps (staff)")
def detail(request: HttpRequest, need_id: int) -> dict[str, Any]:
    return _detail(permissions.get_need_for_user(request.user, need_id), internal=True)


class StepIn(Schema):
    action: Literal[
        "accept",
        "decline",
        "dispatch",
        "start",
        "return",
        "request_extension",
        "approve_extension",
        "refuse_extension",
        "resolve",
        "follow_up",
        "reopen",
    ]
    public_note: str = Field(default="", max_length=2000)
    internal_note: str = Field(default="", max_length=2000)
    public_summary: str = Field(default="", max_length=400)
    urgency: str = ""
    grid_id: int | None = Field(default=None, gt=0, lt=2**62)
    organisation_id: int | None = Field(default=None, gt=0, lt=2**62)
    until: dt.datetime | None = None
    outcome: str = ""


@router.post(
    "/{int:need_id}/steps/", response=NeedDetailOut, summary="Take a workflow step (staff)"
)
def take_step(request: HttpRequest, need_id: int, payload: StepIn) -> dict[str, Any]:
    A = NeedStep.Action
    common: dict[str, Any] = {"actor": request.user, "need_id": need_id, "request": request}
    notes: dict[str, Any] = {
        "public_note": payload.public_note,
        "internal_note": payload.internal_note,
    }
    action: str = payload.action
    if action == A.ACCEPT:
        services.accept_need(
            **common, public_summary=payload.public_summary, urgency=payload.urgency, **notes
        )
    elif action == A.DECLINE:
        services.decline_need(**common, **notes)
    elif action == A.DISPATCH:
        services.dispatch_need(
            **common, grid_id=payload.grid_id, organisation_id=payload.organisation_id, **notes
        )
    elif action == A.START:
        services.start_need(**common, **notes)
    elif action == A.RETURN:
        services.return_need(**common, **notes)
    elif action == A.REQUEST_EXTENSION:
        until = payload.until or timezone.now()
        if timezone.is_naive(until):
            until = until.replace(tzinfo=BEIJING)
        services.request_extension(**common, until=until, reason=payload.internal_note)
    elif action in (A.APPROVE_EXTENSION, A.REFUSE_EXTENSION):
        services.decide_extension(**common, approve=action == A.APPROVE_EXTENSION, **notes)
    elif action == A.RESOLVE:
        services.resolve_need(**common, **notes)
    elif action == A.FOLLOW_UP:
        services.log_follow_up(**common, outcome=payload.outcome, note=payload.internal_note)
    elif action == A.REOPEN:
        services.reopen_need(**common, **notes)
    return _detail(permissions.get_need_for_user(request.user, need_id), internal=True)


class RatingIn(Schema):
    level: Literal["satisfied", "fairly", "dissatisfied"]
    comment: str = Field(default="", max_length=1000)
    reopen: bool = False


@router.post("/mine/{int:need_id}/rating/", response=NeedDetailOut, summary="Rate one's own need")
def rate(request: HttpRequest, need_id: int, payload: RatingIn) -> dict[str, Any]:
    services.rate_need(
        actor=signed_in_user(request),
        need_id=need_id,
        level=payload.level,
        comment=payload.comment,
        reopen=payload.reopen,
        request=request,
    )
    need = permissions.get_my_need(request.user, need_id)
    return _detail(need, internal=False)


class RateOut(Schema):
    key: Any
    name: str
    counted: int
    resolved: int
    due: int
    on_time: int
    rated: int
    satisfied: int
    resolved_rate: float | None
    on_time_rate: float | None
    satisfied_rate: float | None


class RatesQuery(Schema):
    by: Literal["community", "unit", "category"] = "community"
    year: int | None = Field(default=None, ge=2000, le=2100)


@router.get("/rates/", response=list[RateOut], summary="On time, resolved, satisfied (staff)")
def rates(request: HttpRequest, params: Query[RatesQuery]) -> list[dict[str, Any]]:
    by, year = params.by, params.year or timezone.now().astimezone(BEIJING).year
    start = dt.datetime(year, 1, 1, tzinfo=BEIJING)
    end = dt.datetime(year + 1, 1, 1, tzinfo=BEIJING)
    rows = queries.rates(
        permissions.needs_for_user(request.user), by=by, start=start, end=end, now=timezone.now()
    )
    return [
        {
            **r.__dict__,
            "resolved_rate": r.resolved_rate,
            "on_time_rate": r.on_time_rate,
            "satisfied_rate": r.satisfied_rate,
        }
        for r in rows
    ]


class PublicNeed(Schema):
    id: int
    category: str
    status: str
    summary: str
    submitted_at: dt.datetime
    resolved_at: dt.datetime | None
    community: str
    compound: str
    rating: str


class PublicQuery(Schema):
    offset: int = Field(default=0, ge=0, le=10_000_000)


@router.get(
    "/public/{district_code}/",
    auth=None,
    response=list[PublicNeed],
    summary="The public timeline of a district (no personal data)",
)
def public(
    request: HttpRequest, district_code: str, page: Query[PublicQuery]
) -> list[dict[str, Any]]:
    offset = page.offset
    district = get_object_or_404(District, code=district_code)
    rows = queries.public_timeline(district.pk).values(*queries.PUBLIC_FIELDS)[offset : offset + 50]
    return [
        {k: v for k, v in queries.public_row(r).items() if not k.endswith("_label")} for r in rows
    ]
