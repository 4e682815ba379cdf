"""The activities JSON API, mounted at ``/api/activities/`` (OpenAPI at ``/api/docs``).

Session or personal API token, as the places API. Staff list and change the activities of their
scope (``linli.activities.permissions``; outside it is 404); residents sign up, cancel and check
in for themselves. Thin: authorise → validate (the schemas) → one service or query → respond.
Domain refusals come back as ``{"code", "message"}`` (linli.api's handler for LinliError).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.security import SessionAuth
from pydantic import Field

from linli.accounts.api_auth import TokenAuth
from linli.activities import permissions, queries, schedule, services
from linli.activities.exceptions import SignUpRefused
from linli.activities.models import Activity, Audience, Category, CheckIn, SignUp
from linli.core import limits
from linli.core.exceptions import LinliError
from linli.core.limits import Id
from linli.core.masking import mask_phone
from linli.places.models import Community, Organisation, Station

router = Router(tags=["activities"], auth=[TokenAuth(), SessionAuth()])

PK = Field(gt=0, le=2**63 - 1)


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


class ActivityOut(Schema):
    id: int
    title: str
    category: str
    audience: str
    station_id: int | None
    community_id: int | None
    subdistrict_id: int
    venue: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    rrule: str
    capacity: int
    signup_required: bool
    is_cancelled: bool
    organiser_id: int | None
    description: str


class ActivityIn(Schema):
    title: str = Field(min_length=1, max_length=120)
    category: Literal[tuple(Category.values)]  # type: ignore[valid-type]  # the choices, read at import
    audience: Literal[tuple(Audience.values)] = Audience.EVERYONE  # type: ignore[valid-type]  # the choices, read at import
    station_id: int | None = Field(default=None, gt=0, le=2**63 - 1)
    community_id: int | None = Field(default=None, gt=0, le=2**63 - 1)
    venue: str = Field(default="", max_length=200)
    starts_at: dt.datetime
    ends_at: dt.datetime
    rrule: str = Field(default="", max_length=200)
    capacity: int = Field(default=0, ge=0, le=100_000)
    signup_required: bool = True
    organiser_id: int | None = Field(default=None, gt=0, le=2**63 - 1)
    partner_ids: list[Id] = Field(default_factory=list, max_length=50)
    description: limits.DescriptionText = ""


class SessionOut(Schema):
    key: str
    start: dt.datetime
    end: dt.datetime
    confirmed: int
    waiting: int
    capacity: int


class SignUpIn(Schema):
    session: str = Field(pattern=r"^\d{12}$", description="The session's key, YYYYMMDDHHMM")
    name: str = Field(default="", max_length=50, description="Staff only: sign someone else up")
    phone: str = Field(default="", max_length=30)


class SignUpOut(Schema):
    id: int
    activity_id: int
    occurrence: dt.datetime
    name: str
    phone: str
    status: str


class CodeIn(Schema):
    code: str = Field(min_length=1, max_length=500)


class CheckInOut(Schema):
    id: int
    activity_id: int
    occurrence: dt.datetime
    name: str
    method: str
    checked_in_at: dt.datetime
    checked_out_at: dt.datetime | None


class TickIn(Schema):
    id: uuid.UUID
    signup: int = PK
    at: dt.datetime | None = None


class TicksIn(Schema):
    ticks: list[TickIn] = Field(max_length=500)


class TickOut(Schema):
    id: uuid.UUID
    status: str
    checkin: int | None = None
    message: str = ""


class CountOut(Schema):
    key: Any
    label: str
    persons: int
    person_times: int


class CountsOut(Schema):
    by: str
    persons: int
    person_times: int
    rows: list[CountOut]


class ListQuery(Schema):
    category: str = Field(default="", max_length=20)
    limit: int = Field(default=100, ge=1, le=500)


class DaysQuery(Schema):
    days: int = Field(default=60, ge=1, le=400)


class CountQuery(Schema):
    by: Literal["activity", "station", "category", "community", "subdistrict", "month", "year"] = (
        "month"
    )
    year: int | None = Field(default=None, ge=2000, le=2100)
    month: int | None = Field(default=None, ge=1, le=12)
    category: str = Field(default="", max_length=20)
    activity: int | None = Field(default=None, gt=0, le=2**63 - 1)
    station: int | None = Field(default=None, gt=0, le=2**63 - 1)
    community: int | None = Field(default=None, gt=0, le=2**63 - 1)
    subdistrict: int | None = Field(default=None, gt=0, le=2**63 - 1)


def _out(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "title": activity.title,
        "category": activity.category,
        "audience": activity.audience,
        "station_id": activity.station_id,
        "community_id": activity.community_id,
        "subdistrict_id": activity.subdistrict_id,
        "venue": activity.venue,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "rrule": activity.rrule,
        "capacity": activity.capacity,
        "signup_required": activity.signup_required,
        "is_cancelled": activity.is_cancelled,
        "organiser_id": activity.organiser_id,
        "description": activity.description,
    }


def _require_staff(request: HttpRequest) -> None:
    if not permissions.is_staff(request.user):
        raise PermissionDenied


def _input(request: HttpRequest, body: ActivityIn) -> services.ActivityInput:
    """Resolve the ids of an activity body to records the user may use (else 400)."""
    from linli.activities.exceptions import InvalidActivity
    from linli.places.permissions import communities_for_user, organisations_for_user

    def pick(model: Any, queryset: Any, pk: int | None, field: str) -> Any:
        if pk is None:
            return None
        found = queryset.filter(pk=pk).first()
        if found is None:
            raise InvalidActivity(
                _("There is no %(field)s %(id)s in your area.") % {"field": field, "id": pk},
                field=field,
            )
        return found

    user = request.user
    organisations = organisations_for_user(user)
    partners = list(organisations.filter(pk__in=body.partner_ids))
    if len(partners) != len(set(body.partner_ids)):
        raise InvalidActivity(
            _("One of the partner organisations is not in your district."), field="partners"
        )
    return services.ActivityInput(
        title=body.title,
        category=body.category,
        audience=body.audience,
        station=pick(Station, permissions.places_for_user(user), body.station_id, "station"),
        community=pick(Community, communities_for_user(user), body.community_id, "community"),
        venue=body.venue,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        rrule=body.rrule,
        capacity=body.capacity,
        signup_required=body.signup_required,
        organiser=pick(Organisation, organisations, body.organiser_id, "organiser"),
        partners=partners,
        description=body.description,
    )


@router.get("/", response={200: list[ActivityOut], **ERRORS}, summary="List activities")
def list_activities(request: HttpRequest, q: Query[ListQuery]) -> Any:
    """Activities of the caller's scope, newest start first."""
    _require_staff(request)
    rows = permissions.activities_for_user(request.user).order_by("-starts_at", "-pk")
    if q.category:
        rows = rows.filter(category=q.category)
    return [_out(a) for a in rows[: q.limit]]


@router.post("/", response={201: ActivityOut, **ERRORS}, summary="Create an activity")
def create_activity(request: HttpRequest, body: ActivityIn) -> Any:
    if not permissions.is_editor(request.user):
        raise PermissionDenied
    activity = services.create_activity(
        actor=request.user, data=_input(request, body), request=request
    )
    return Status(201, _out(activity))


@router.get("/{int:pk}", response={200: ActivityOut, **ERRORS}, summary="One activity")
def get_activity(request: HttpRequest, pk: int) -> Any:
    _require_staff(request)
    return _out(permissions.get_activity_for_user(request.user, pk))


@router.put("/{int:pk}", response={200: ActivityOut, **ERRORS}, summary="Change an activity")
def update_activity(request: HttpRequest, pk: int, body: ActivityIn) -> Any:
    activity = permissions.get_activity_for_user(request.user, pk, for_change=True)
    return _out(
        services.update_activity(
            actor=request.user, activity=activity, data=_input(request, body), request=request
        )
    )


@router.get(
    "/{int:pk}/sessions", response={200: list[SessionOut], **ERRORS}, summary="Coming sessions"
)
def sessions(request: HttpRequest, pk: int, q: Query[DaysQuery]) -> Any:
    """The next sessions of a published activity and how full they are (anyone logged in)."""
    activity = permissions.get_public_activity(pk)
    now = timezone.now()
    out = []
    for occ in schedule.occurrences(activity, after=now, until=now + dt.timedelta(days=q.days)):
        p = queries.places(activity, occ.start)
        out.append(
            {
                "key": occ.key,
                "start": occ.start,
                "end": occ.end,
                "confirmed": p.confirmed,
                "waiting": p.waiting,
                "capacity": activity.capacity,
            }
        )
    return out


def _signup_out(signup: SignUp, *, full_phone: bool) -> dict[str, Any]:
    return {
        "id": signup.pk,
        "activity_id": signup.activity_id,
        "occurrence": signup.occurrence,
        "name": signup.name,
        "phone": signup.phone if full_phone else mask_phone(signup.phone),
        "status": signup.status,
    }


@router.post(
    "/{int:pk}/signups", response={201: SignUpOut, **ERRORS}, summary="Sign up for a session"
)
def create_signup(request: HttpRequest, pk: int, body: SignUpIn) -> Any:
    """Sign yourself up; staff in scope give ``name`` and ``phone`` to sign someone else up."""
    activity = permissions.get_public_activity(pk)
    occ = schedule.occurrence_at(activity, body.session)
    if occ is None:
        raise SignUpRefused(_("This activity has no session at that time."), field="session")
    if body.name or body.phone:
        signup = services.register_on_behalf(
            actor=request.user,
            activity_id=activity.pk,
            occurrence=occ.start,
            name=body.name,
            phone=body.phone,
            request=request,
        )
    else:
        signup = services.sign_up(
            actor=request.user, activity_id=activity.pk, occurrence=occ.start, request=request
        )
    return Status(201, _signup_out(signup, full_phone=signup.user_id == request.user.pk))


@router.get(
    "/{int:pk}/signups", response={200: list[SignUpOut], **ERRORS}, summary="Sign-ups (staff)"
)
def list_signups(request: HttpRequest, pk: int, session: str = "") -> Any:
    """Sign-ups of an activity in scope; phones in full only for editors."""
    _require_staff(request)
    activity = permissions.get_activity_for_user(request.user, pk)
    rows = permissions.signups_for_user(request.user).filter(activity=activity)
    if session:
        occ = schedule.occurrence_at(activity, session)
        if occ is None:
            raise Http404("No such session.")
        rows = rows.filter(occurrence=occ.start)
    full = permissions.sees_personal_data(request.user, activity)
    return [_signup_out(s, full_phone=full) for s in rows[:2000]]


@router.post(
    "/signups/{int:pk}/cancel", response={200: SignUpOut, **ERRORS}, summary="Cancel a sign-up"
)
def cancel_signup(request: HttpRequest, pk: int) -> Any:
    signup = services.cancel_signup(actor=request.user, signup_id=pk, request=request)
    return _signup_out(signup, full_phone=signup.user_id == request.user.pk)


def _checkin_out(c: CheckIn) -> dict[str, Any]:
    return {
        "id": c.pk,
        "activity_id": c.activity_id,
        "occurrence": c.occurrence,
        "name": c.name,
        "method": c.method,
        "checked_in_at": c.checked_in_at,
        "checked_out_at": c.checked_out_at,
    }


@router.post("/checkins", response={201: CheckInOut, **ERRORS}, summary="Check in with a door code")
def check_in(request: HttpRequest, body: CodeIn) -> Any:
    return Status(
        201,
        _checkin_out(
            services.check_in_by_code(actor=request.user, code=body.code, request=request)
        ),
    )


@router.post(
    "/checkins/ticks", response={200: list[TickOut], **ERRORS}, summary="Sync the keeper's ticks"
)
def sync_ticks(request: HttpRequest, body: TicksIn) -> Any:
    """Record queued ticks; a tick id already seen is answered ``duplicate`` and counts once."""
    _require_staff(request)
    out = []
    for item in body.ticks:
        try:
            result = services.tick(
                actor=request.user,
                tick_id=item.id,
                signup_id=item.signup,
                at=item.at,
                request=request,
            )
        except (Http404, PermissionDenied):
            out.append({"id": item.id, "status": "refused"})
            continue
        except LinliError as err:
            out.append({"id": item.id, "status": "refused", "message": str(err.message)})
            continue
        out.append({"id": item.id, "status": result.status, "checkin": result.checkin_id})
    return out


@router.post(
    "/checkins/{int:pk}/checkout", response={200: CheckInOut, **ERRORS}, summary="Check out"
)
def check_out(request: HttpRequest, pk: int) -> Any:
    return _checkin_out(services.check_out(actor=request.user, checkin_id=pk, request=request))


@router.get("/counts", response={200: CountsOut, **ERRORS}, summary="Persons and person-times")
def counts(request: HttpRequest, q: Query[CountQuery]) -> Any:
    """Attendance of the caller's scope grouped by one dimension (persons = distinct people)."""
    _require_staff(request)
    flt = queries.CountFilter(
        year=q.year,
        month=q.month if q.year else None,
        category=q.category,
        activity=q.activity,
        station=q.station,
        community=q.community,
        subdistrict=q.subdistrict,
    )
    rows = queries.counts_by(request.user, q.by, flt)
    total = queries.figure(flt.apply(permissions.checkins_for_user(request.user)))
    return {
        "by": q.by,
        "persons": total.persons,
        "person_times": total.person_times,
        "rows": [
            {
                "key": list(r.key) if isinstance(r.key, tuple) else r.key,
                "label": r.label,
                "persons": r.persons,
                "person_times": r.person_times,
            }
            for r in rows
        ],
    }


# 双报到 and service records: /api/activities/duty/… (linli.activities.duty_api).
from linli.activities.duty_api import router as duty_router  # noqa: E402

router.add_router("/duty/", duty_router)
