"""Every change to activities, sign-ups and check-ins: one keyword-only function per use case.

Each function owns its transaction, re-reads the record through ``linli.activities.permissions``
under a row lock (``select_for_update`` on the activity serialises the sign-ups and check-ins of
one activity, so capacity and "once per session" hold under concurrent requests), writes the
audit entry and sends the app's signal. Refusals raise the errors of
``linli.activities.exceptions`` before anything is written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts import services as accounts_services
from linli.accounts.models import AnyUser, User
from linli.activities import permissions, schedule, signals
from linli.activities.exceptions import (
    AlreadyCheckedIn,
    AlreadySignedUp,
    CheckOutRefused,
    DoorCodeRefused,
    InvalidActivity,
    SignUpRefused,
)
from linli.activities.models import Activity, Audience, Category, CheckIn, SignUp
from linli.core import audit
from linli.core.masking import mask_name, mask_phone
from linli.places.models import Community, Organisation, Station

# How long a door code stays good; the door page shows a fresh one every few minutes
# (templates/activities/console/door.html polls at a third of this).
DOOR_CODE_SECONDS = 15 * 60
DOOR_SALT = "linli.activities.door"
# People may check in from this long before a session starts until it ends.
EARLY_CHECKIN = dt.timedelta(hours=1)


@dataclass
class ActivityInput:
    """What an activity form or API call provides, resolved to records."""

    title: str
    category: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    station: Station | None = None
    community: Community | None = None
    venue: str = ""
    audience: str = Audience.EVERYONE
    description: str = ""
    organiser: Organisation | None = None
    partners: list[Organisation] = field(default_factory=list)
    rrule: str = ""
    capacity: int = 0
    signup_required: bool = True


FIELDS = (
    "title",
    "category",
    "audience",
    "description",
    "station",
    "community",
    "subdistrict",
    "venue",
    "organiser",
    "starts_at",
    "ends_at",
    "rrule",
    "capacity",
    "signup_required",
)


def _validate(actor: AnyUser, data: ActivityInput) -> tuple[Community | None, Any]:
    """Check an activity's fields and scope; return its community and subdistrict."""
    if not data.title.strip():
        raise InvalidActivity(_("Please give the activity a title."), field="title")
    if data.category not in Category.values:
        raise InvalidActivity(_("Please choose a category."), field="category")
    if data.audience not in Audience.values:
        raise InvalidActivity(_("Please choose who it is for."), field="audience")
    if data.ends_at <= data.starts_at:
        raise InvalidActivity(_("The end must be after the start."), field="ends_at")
    rule = data.rrule.strip()
    if rule:
        if not schedule.rule_is_supported(rule):
            raise InvalidActivity(
                _("The repeat rule “%(rule)s” is not one we can read.") % {"rule": rule},
                field="rrule",
            )
        start, end = timezone.localtime(data.starts_at), timezone.localtime(data.ends_at)
        if start.date() != end.date():
            raise InvalidActivity(
                _("A repeating activity must end on the day it starts."), field="ends_at"
            )
    if data.capacity < 0 or data.capacity > 100_000:
        raise InvalidActivity(_("Places must be between 0 and 100000."), field="capacity")
    station = data.station
    if station is not None:
        if not permissions.places_for_user(actor).filter(pk=station.pk).exists():
            raise InvalidActivity(_("You cannot hold an activity at this place."), field="station")
        community, subdistrict = station.community, station.subdistrict
    elif data.community is not None:
        community, subdistrict = data.community, data.community.subdistrict
        if not data.venue.strip():
            raise InvalidActivity(_("Please choose a place or describe the venue."), field="venue")
    else:
        raise InvalidActivity(_("Please choose a place or a community."), field="station")
    if not permissions.may_create_in(actor, community, subdistrict):
        raise InvalidActivity(_("You cannot add activities for this community."), field="community")
    district_id = subdistrict.district_id
    for organisation in [data.organiser, *data.partners]:
        if organisation is not None and organisation.district_id != district_id:
            raise InvalidActivity(_("Choose an organisation of the district."), field="organiser")
    return community, subdistrict


def _snapshot(activity: Activity) -> dict[str, Any]:
    return {name: getattr(activity, name) for name in FIELDS}


def create_activity(
    *, actor: AnyUser, data: ActivityInput, request: HttpRequest | None = None
) -> Activity:
    """Create an activity in the actor's scope."""
    if not permissions.is_editor(actor):
        raise InvalidActivity(_("You cannot add activities."), code="forbidden")
    community, subdistrict = _validate(actor, data)
    with transaction.atomic():
        activity = Activity.objects.create(
            district_id=subdistrict.district_id,
            subdistrict=subdistrict,
            community=community,
            station=data.station,
            venue=data.venue.strip(),
            title=data.title.strip(),
            category=data.category,
            audience=data.audience,
            description=data.description.strip(),
            organiser=data.organiser,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            rrule=data.rrule.strip(),
            capacity=data.capacity,
            signup_required=data.signup_required,
            created_by=actor,
        )
        activity.partners.set(data.partners)
        audit.record(
            actor=actor,
            action="create",
            obj=activity,
            changes=audit.diff({}, _snapshot(activity), fields=FIELDS),
            request=request,
        )
        signals.activity_changed.send(sender=Activity, activity=activity, created=True)
    return activity


def update_activity(
    *, actor: AnyUser, activity: Activity, data: ActivityInput, request: HttpRequest | None = None
) -> Activity:
    """Change an activity the actor may change; sign-ups and check-ins keep their sessions."""
    community, subdistrict = _validate(actor, data)
    with transaction.atomic():
        locked = _lock(actor, activity.pk, for_change=True)
        before = _snapshot(locked)
        locked.subdistrict, locked.community, locked.station = subdistrict, community, data.station
        locked.venue = data.venue.strip()
        locked.title = data.title.strip()
        locked.category, locked.audience = data.category, data.audience
        locked.description = data.description.strip()
        locked.organiser = data.organiser
        locked.starts_at, locked.ends_at = data.starts_at, data.ends_at
        locked.rrule = data.rrule.strip()
        locked.capacity, locked.signup_required = data.capacity, data.signup_required
        locked.save()
        locked.partners.set(data.partners)
        audit.record(
            actor=actor,
            action="update",
            obj=locked,
            changes=audit.diff(before, _snapshot(locked), fields=FIELDS),
            request=request,
        )
        signals.activity_changed.send(sender=Activity, activity=locked, created=False)
    return locked


def set_cancelled(
    *, actor: AnyUser, activity: Activity, cancelled: bool, request: HttpRequest | None = None
) -> Activity:
    """Cancel an activity (it leaves the public pages and feeds) or bring it back."""
    with transaction.atomic():
        locked = _lock(actor, activity.pk, for_change=True)
        if locked.is_cancelled != cancelled:
            locked.is_cancelled = cancelled
            locked.save(update_fields=["is_cancelled", "updated_at"])
            audit.record(
                actor=actor,
                action="update",
                obj=locked,
                changes={"is_cancelled": [not cancelled, cancelled]},
                request=request,
            )
            signals.activity_changed.send(sender=Activity, activity=locked, created=False)
    return locked


def _lock(actor: AnyUser, pk: int, *, for_change: bool = False) -> Activity:
    """The activity through the permission chokepoint, locked for this transaction."""
    permissions.get_activity_for_user(actor, pk, for_change=for_change)
    return Activity.objects.select_for_update(of=("self",)).select_related("station").get(pk=pk)


def _lock_public(pk: int) -> Activity:
    activity = permissions.get_public_activity(pk)
    return (
        Activity.objects.select_for_update(of=("self",))
        .select_related("station")
        .get(pk=activity.pk)
    )


# --------------------------------------------------------------------------------- sign-ups


def normalise_phone(phone: str) -> str:
    """A mainland mobile number as 11 digits (as the phone login reads it), or ""."""
    try:
        return accounts_services.normalise_phone(phone or "")
    except accounts_services.InvalidPhone:
        return ""


def _session(activity: Activity, occurrence: dt.datetime, *, now: dt.datetime) -> Any:
    occ = schedule.find_occurrence(activity, occurrence)
    if occ is None:
        raise SignUpRefused(_("This activity has no session at that time."), field="occurrence")
    if occ.end <= now:
        raise SignUpRefused(_("This session is over."), field="occurrence")
    return occ


def _place_status(activity: Activity, occurrence: dt.datetime) -> str:
    if not activity.has_limit:
        return SignUp.Status.CONFIRMED
    taken = SignUp.objects.filter(
        activity=activity, occurrence=occurrence, status=SignUp.Status.CONFIRMED
    ).count()
    return SignUp.Status.CONFIRMED if taken < activity.capacity else SignUp.Status.WAITING


def _create_signup(
    *,
    actor: User,
    activity: Activity,
    occurrence: dt.datetime,
    name: str,
    phone: str,
    user: User | None,
    request: HttpRequest | None,
) -> SignUp:
    now = timezone.now()
    occ = _session(activity, occurrence, now=now)
    if (
        SignUp.objects.active()
        .filter(activity=activity, occurrence=occ.start, phone=phone)
        .exists()
    ):
        raise AlreadySignedUp(_("This phone number is already signed up for this session."))
    status = _place_status(activity, occ.start)
    signup = SignUp.objects.create(
        district_id=activity.district_id,
        activity=activity,
        occurrence=occ.start,
        user=user,
        name=name,
        phone=phone,
        status=status,
        registered_by=actor if actor is not user else None,
        created_at=now,
        confirmed_at=now if status == SignUp.Status.CONFIRMED else None,
    )
    audit.record(
        actor=actor,
        action="create",
        obj=signup,
        object_repr=f"{mask_name(name)} · {activity.title}"[:200],
        changes={"phone": mask_phone(phone), "status": status, "occurrence": occ.key},
        request=request,
    )
    signals.signup_changed.send(sender=SignUp, signup=signup)
    return signup


def sign_up(
    *, actor: AnyUser, activity_id: int, occurrence: dt.datetime, request: HttpRequest | None = None
) -> SignUp:
    """A logged-in resident signs up for a session: a place, or the waiting list when full."""
    if not (actor is not None and actor.is_authenticated):
        raise SignUpRefused(_("Please log in with your phone to sign up."), code="unauthenticated")
    phone = normalise_phone(getattr(actor, "phone", ""))
    if not phone:
        raise SignUpRefused(
            _("Your account has no mobile number; ask the station to sign you up."), field="phone"
        )
    with transaction.atomic():
        activity = _lock_public(activity_id)
        if not activity.signup_required:
            raise SignUpRefused(_("No sign-up is needed: just come along."))
        if activity.district_id != actor.district_id and not actor.is_superuser:
            raise SignUpRefused(_("This activity is in another district."))
        name = (actor.real_name or "").strip() or mask_phone(phone)
        return _create_signup(
            actor=actor,
            activity=activity,
            occurrence=occurrence,
            name=name,
            phone=phone,
            user=actor,
            request=request,
        )


def register_on_behalf(
    *,
    actor: AnyUser,
    activity_id: int,
    occurrence: dt.datetime,
    name: str,
    phone: str,
    request: HttpRequest | None = None,
) -> SignUp:
    """Staff sign a resident up by name and phone (an elderly resident without a phone login)."""
    name = name.strip()
    if not name or len(name) > 50:
        raise SignUpRefused(_("Please give the person's name (up to 50 characters)."), field="name")
    number = normalise_phone(phone)
    if not number:
        raise SignUpRefused(
            _("“%(phone)s” is not an 11-digit mobile number.") % {"phone": phone[:30]},
            field="phone",
        )
    with transaction.atomic():
        activity = _lock(actor, activity_id)
        if not permissions.may_register_for_others(actor, activity):
            raise SignUpRefused(_("You cannot sign people up for this activity."), code="forbidden")
        return _create_signup(
            actor=actor,
            activity=activity,
            occurrence=occurrence,
            name=name,
            phone=number,
            user=None,
            request=request,
        )


def cancel_signup(*, actor: AnyUser, signup_id: int, request: HttpRequest | None = None) -> SignUp:
    """Cancel a sign-up; a place it held goes to the first on the waiting list, who is told."""
    with transaction.atomic():
        visible = permissions.get_signup_for_user(actor, signup_id)
        if permissions.is_staff(actor) and not permissions.may_register_for_others(
            actor, visible.activity
        ):
            raise SignUpRefused(_("You cannot change this sign-up."), code="forbidden")
        Activity.objects.select_for_update().get(pk=visible.activity_id)
        signup = SignUp.objects.select_for_update().get(pk=visible.pk)
        if signup.status == SignUp.Status.CANCELLED:
            raise SignUpRefused(_("This sign-up was already cancelled."), code="already_cancelled")
        held_place = signup.status == SignUp.Status.CONFIRMED
        signup.status = SignUp.Status.CANCELLED
        signup.cancelled_at = timezone.now()
        signup.save(update_fields=["status", "cancelled_at"])
        audit.record(
            actor=actor,
            action="update",
            obj=signup,
            object_repr=f"{mask_name(signup.name)} · {signup.activity.title}"[:200],
            changes={"status": ["confirmed" if held_place else "waiting", "cancelled"]},
            request=request,
        )
        signals.signup_changed.send(sender=SignUp, signup=signup)
        if held_place and signup.occurrence > timezone.now():
            _promote_first_waiting(signup.activity, signup.occurrence)
    return signup


def _promote_first_waiting(activity: Activity, occurrence: dt.datetime) -> SignUp | None:
    """Give a freed place to the first on the waiting list and queue the message telling them."""
    from linli.activities.tasks import tell_place_freed

    if _place_status(activity, occurrence) != SignUp.Status.CONFIRMED:
        return None
    first = (
        SignUp.objects.select_for_update()
        .filter(activity=activity, occurrence=occurrence, status=SignUp.Status.WAITING)
        .order_by("created_at", "pk")
        .first()
    )
    if first is None:
        return None
    first.status = SignUp.Status.CONFIRMED
    first.confirmed_at = timezone.now()
    first.save(update_fields=["status", "confirmed_at"])
    audit.record(
        actor=None,
        action="update",
        obj=first,
        object_repr=f"{mask_name(first.name)} · {activity.title}"[:200],
        changes={"status": ["waiting", "confirmed"]},
    )
    signals.signup_changed.send(sender=SignUp, signup=first)
    # With the database backend the task row commits with the promotion (or not at all).
    tell_place_freed.enqueue(first.pk)
    return first


# --------------------------------------------------------------------------------- check-in


def door_code(activity: Activity, occurrence: dt.datetime) -> str:
    """The signed code of one session for the QR at the door; good for DOOR_CODE_SECONDS."""
    key = timezone.localtime(occurrence).strftime("%Y%m%d%H%M")
    return signing.dumps({"a": activity.pk, "o": key}, salt=DOOR_SALT, compress=False)


def read_door_code(code: str) -> tuple[Activity, schedule.Occurrence]:
    """The activity and session a door code names; refuses forged, expired and past codes."""
    try:
        payload = signing.loads(code[:500], salt=DOOR_SALT, max_age=DOOR_CODE_SECONDS)
    except signing.SignatureExpired:
        raise DoorCodeRefused(
            _("This code has expired. Please scan the code now shown at the door."),
            code="door_code_expired",
        ) from None
    except signing.BadSignature:
        raise DoorCodeRefused(
            _("This code is not one of ours. Please scan the code shown at the door."),
            code="door_code_forged",
        ) from None
    if not isinstance(payload, dict):
        raise DoorCodeRefused(_("This code is not one of ours."), code="door_code_forged")
    try:
        activity = permissions.get_public_activity(payload.get("a"))
    except Exception:
        raise DoorCodeRefused(
            _("This activity is no longer on."), code="door_code_cancelled"
        ) from None
    occ = schedule.occurrence_at(activity, str(payload.get("o", "")))
    if occ is None:
        raise DoorCodeRefused(_("This activity is no longer on."), code="door_code_cancelled")
    return activity, occ


def person_key(*, user: User | None = None, phone: str = "") -> str:
    """The same person across activities: their mobile when known, else their account."""
    if phone:
        return f"p{phone}"
    if user is not None:
        return f"u{user.pk}"
    raise ValueError("A check-in needs a phone number or an account.")


def _record_checkin(
    *,
    actor: User,
    activity: Activity,
    occurrence: dt.datetime,
    name: str,
    phone: str,
    user: User | None,
    signup: SignUp | None,
    method: str,
    at: dt.datetime,
    tick_id: uuid.UUID | None = None,
    request: HttpRequest | None = None,
) -> CheckIn:
    key = person_key(user=user, phone=phone)
    if CheckIn.objects.filter(activity=activity, occurrence=occurrence, person_key=key).exists():
        raise AlreadyCheckedIn(
            _("%(name)s is already checked in for this session.") % {"name": name}
        )
    checkin = CheckIn.objects.create(
        district_id=activity.district_id,
        subdistrict_id=activity.subdistrict_id,
        community_id=activity.community_id,
        station_id=activity.station_id,
        category=activity.category,
        activity=activity,
        occurrence=occurrence,
        signup=signup,
        user=user,
        person_key=key,
        name=name,
        phone=phone,
        method=method,
        tick_id=tick_id,
        checked_in_at=at,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        obj=checkin,
        object_repr=f"{mask_name(name)} · {activity.title}"[:200],
        changes={"method": method, "occurrence": timezone.localtime(occurrence).isoformat()},
        request=request,
    )
    signals.checked_in.send(sender=CheckIn, checkin=checkin)
    return checkin


def check_in_by_code(*, actor: AnyUser, code: str, request: HttpRequest | None = None) -> CheckIn:
    """A logged-in person checks themself in with the code from the door's QR."""
    if not (actor is not None and actor.is_authenticated):
        raise DoorCodeRefused(_("Please log in to check in."), code="unauthenticated")
    activity, occ = read_door_code(code)
    now = timezone.now()
    if not occ.start - EARLY_CHECKIN <= now < occ.end:
        raise DoorCodeRefused(_("This session is not on now."), code="door_code_not_now")
    phone = normalise_phone(getattr(actor, "phone", ""))
    with transaction.atomic():
        activity = _lock_public(activity.pk)
        signup = None
        if phone:
            signup = (
                SignUp.objects.filter(activity=activity, occurrence=occ.start, phone=phone)
                .exclude(status=SignUp.Status.CANCELLED)
                .first()
            )
        if signup is None:
            signup = SignUp.objects.filter(
                activity=activity, occurrence=occ.start, user=actor, status=SignUp.Status.CONFIRMED
            ).first()
        if activity.signup_required and (
            signup is None or signup.status != SignUp.Status.CONFIRMED
        ):
            raise DoorCodeRefused(
                _("You do not have a confirmed place for this session."), code="not_signed_up"
            )
        name = (actor.real_name or "").strip() or (signup.name if signup else str(actor))
        return _record_checkin(
            actor=actor,
            activity=activity,
            occurrence=occ.start,
            name=name,
            phone=phone,
            user=actor,
            signup=signup,
            method=CheckIn.Method.QR,
            at=now,
            request=request,
        )


@dataclass(frozen=True)
class TickResult:
    """What became of one tick from the keeper's list."""

    tick_id: uuid.UUID
    status: str  # "recorded", "duplicate" (sent before), "already" (checked in another way)
    checkin_id: int | None
    message: str = ""


def tick(
    *,
    actor: AnyUser,
    tick_id: uuid.UUID,
    signup_id: int,
    at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> TickResult:
    """The keeper ticks a signed-up person in; the same tick sent again counts once."""
    now = timezone.now()
    with transaction.atomic():
        existing = CheckIn.objects.filter(tick_id=tick_id).first()
        if existing is not None:
            if not permissions.checkins_for_user(actor).filter(pk=existing.pk).exists():
                raise DoorCodeRefused(_("This tick belongs to another list."), code="forbidden")
            return TickResult(tick_id, "duplicate", existing.pk)
        visible = permissions.get_signup_for_user(actor, signup_id)
        activity = _lock(actor, visible.activity_id)
        if not permissions.may_take_attendance(actor, activity):
            raise DoorCodeRefused(_("You cannot take attendance here."), code="forbidden")
        signup = SignUp.objects.get(pk=visible.pk)
        if signup.status == SignUp.Status.CANCELLED:
            raise CheckOutRefused(
                _("%(name)s cancelled this sign-up.") % {"name": signup.name},
                code="signup_cancelled",
            )
        if now < signup.occurrence - EARLY_CHECKIN:
            raise CheckOutRefused(
                _("This session has not started yet; tick people in when they arrive."),
                code="not_started",
            )
        # The device's clock says when the tick was made; a time in the future or before the
        # session could have started is the device's error, so the server's time is kept.
        when = at if at is not None and signup.occurrence - EARLY_CHECKIN <= at <= now else now
        key = person_key(user=signup.user, phone=signup.phone)
        already = CheckIn.objects.filter(
            activity=activity, occurrence=signup.occurrence, person_key=key
        ).first()
        if already is not None:
            return TickResult(tick_id, "already", already.pk)
        try:
            with transaction.atomic():
                checkin = _record_checkin(
                    actor=actor,
                    activity=activity,
                    occurrence=signup.occurrence,
                    name=signup.name,
                    phone=signup.phone,
                    user=signup.user,
                    signup=signup,
                    method=CheckIn.Method.LIST,
                    at=when,
                    tick_id=tick_id,
                    request=request,
                )
        except IntegrityError:
            # The same tick arrived twice at once; the other request recorded it.
            existing = CheckIn.objects.get(tick_id=tick_id)
            return TickResult(tick_id, "duplicate", existing.pk)
    return TickResult(tick_id, "recorded", checkin.pk)


def check_out(*, actor: AnyUser, checkin_id: int, request: HttpRequest | None = None) -> CheckIn:
    """Close a volunteer's duty: the time between check-in and check-out is service time."""
    with transaction.atomic():
        visible = permissions.get_checkin_for_user(actor, checkin_id)
        if permissions.is_staff(actor):
            _lock(actor, visible.activity_id)
        checkin = (
            CheckIn.objects.select_for_update(of=("self",))
            .select_related("activity")
            .get(pk=visible.pk)
        )
        if not checkin.activity.counts_hours:
            raise CheckOutRefused(_("Only volunteer duty has a check-out."))
        if checkin.checked_out_at is not None:
            raise CheckOutRefused(
                _("%(name)s has already checked out.") % {"name": checkin.name},
                code="already_checked_out",
            )
        checkin.checked_out_at = timezone.now()
        checkin.save(update_fields=["checked_out_at"])
        audit.record(
            actor=actor,
            action="update",
            obj=checkin,
            object_repr=f"{mask_name(checkin.name)} · {checkin.activity.title}"[:200],
            changes={"checked_out_at": checkin.checked_out_at.isoformat()},
            request=request,
        )
        signals.checked_out.send(sender=CheckIn, checkin=checkin)
    return checkin
