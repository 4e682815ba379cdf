"""Every change to a need: one keyword-only function per use case.

Each function owns its transaction, re-reads the need through ``linli.needs.permissions`` under a
row lock, checks the step against ``linli.needs.workflow``, writes the step (public + internal
note), the audit entry and sends ``need_changed``. Pages, the staff API, Open311 and the task
worker all call these; a refused step raises a ``LinliError`` and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from linli.accounts.models import AnyUser, User
from linli.core import audit
from linli.core.exceptions import LinliError
from linli.core.models import AuditEntry
from linli.needs import permissions, photos, queries, tasks
from linli.needs.deadlines import compute_deadline, reminder_due
from linli.needs.models import (
    DEFAULT_URGENCY,
    DESCRIPTION_MAX,
    NOTE_MAX,
    OPEN_STATUSES,
    ApiClient,
    Category,
    Channel,
    ContactPreference,
    Follower,
    FollowUp,
    Need,
    NeedPhoto,
    NeedStep,
    Rating,
    RoutingRule,
    Scale,
    Status,
    Urgency,
)
from linli.needs.signals import need_changed
from linli.needs.workflow import check_transition
from linli.places.models import (
    Community,
    Compound,
    District,
    FacilityCategory,
    Gate,
    Grid,
    Organisation,
)

A = NeedStep.Action
# Status changes the followers are not texted about: the resident's own rating, the follow-up
# call they just had.
UNTOLD = frozenset({A.SUBMIT, A.RATE, A.FOLLOW_UP})


# ------------------------------------------------------------------------------------ routing


def _nearest_compound(district: District, lon: float, lat: float) -> Compound | None:
    """The compound whose gate is nearest to the pin (equirectangular distance is enough at a
    district's size; the answer only picks the responsible community)."""
    cos_lat = math.cos(math.radians(lat))
    best: tuple[float, int] | None = None
    for gate_lon, gate_lat, compound_id in Gate.objects.filter(district=district).values_list(
        "lon", "lat", "compound_id"
    ):
        d = ((gate_lon - lon) * cos_lat) ** 2 + (gate_lat - lat) ** 2
        if best is None or d < best[0]:
            best = (d, compound_id)
    if best is None:
        return None
    return Compound.objects.select_related("community").get(pk=best[1])


def route(
    *,
    district: District,
    category: str,
    compound: Compound | None,
    lon: float | None,
    lat: float | None,
) -> tuple[Compound, Organisation | None]:
    """The compound a need belongs to and the unit a routing rule names for its category."""
    if compound is None:
        if lon is None or lat is None:
            raise LinliError(
                _("Please choose your compound or put a pin on the map."),
                code="place_missing",
                field="compound",
            )
        if not district.contains(lon, lat, margin_deg=0):
            raise LinliError(
                _(
                    "The place you marked (%(lat).5f, %(lon).5f) is outside %(district)s. "
                    "Please mark a place inside the district."
                )
                % {"lat": lat, "lon": lon, "district": district.name},
                code="outside_district",
                field="lat",
            )
        compound = _nearest_compound(district, lon, lat)
        if compound is None:
            raise LinliError(
                _("Please choose your compound: the map cannot place a pin in this district yet."),
                code="place_missing",
                field="compound",
            )
    elif compound.district_id != district.pk:
        raise LinliError(
            _("The compound “%(name)s” is not in %(district)s.")
            % {"name": compound.name, "district": district.name},
            code="outside_district",
            field="compound",
        )
    unit = queries.routing_unit(
        district_id=district.pk, category=category, community_id=compound.community_id
    )
    return compound, unit


# ------------------------------------------------------------------------------------ helpers


def _text(value: str, *, field: str, limit: int, label: str, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise LinliError(
            _("Please fill in “%(field)s”.") % {"field": label}, code="required", field=field
        )
    if len(value) > limit:
        raise LinliError(
            _("“%(field)s” is %(length)s characters long; at most %(limit)s fit.")
            % {"field": label, "length": len(value), "limit": limit},
            code="too_long",
            field=field,
        )
    return value


def _choice(value: str, choices: Any, *, field: str, label: str) -> str:
    if value not in choices.values:
        raise LinliError(
            _("“%(value)s” is not a valid choice for “%(field)s”.")
            % {"value": value, "field": label},
            code="invalid_choice",
            field=field,
        )
    return value


def _apply_deadline(need: Need, start: dt.datetime) -> None:
    deadline = compute_deadline(start, need.urgency)
    need.due_at = deadline.due_at
    need.due_unknown_year = deadline.unknown_year
    need.reminded_at = None
    need.escalated_at = None


def _log(
    need: Need,
    *,
    action: str,
    actor: AnyUser | None,
    now: dt.datetime,
    from_status: str = "",
    public_note: str = "",
    internal_note: str = "",
    request: Any = None,
    changes: dict[str, Any] | None = None,
) -> NeedStep:
    step = NeedStep.objects.create(
        need=need,
        action=action,
        from_status=from_status,
        to_status=need.status,
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        public_note=public_note,
        internal_note=internal_note,
        at=now,
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE if action == A.SUBMIT else AuditEntry.Action.UPDATE,
        obj=need,
        request=request,
        changes={"step": action, "status": [from_status, need.status], **(changes or {})},
    )
    transaction.on_commit(lambda: need_changed.send(sender=Need, need=need, step=step))
    if from_status and from_status != need.status and action not in UNTOLD:
        transaction.on_commit(lambda: tasks.tell_followers.enqueue(step.pk))
    return step


# ------------------------------------------------------------------------------------ raising


def raise_need(
    *,
    actor: AnyUser | None,
    district: District,
    category: str,
    description: str,
    compound: Compound | None = None,
    lon: float | None = None,
    lat: float | None = None,
    scale: str = Scale.PERSONAL,
    anonymous: bool = False,
    contact_preference: str = ContactPreference.PHONE,
    contact_name: str = "",
    contact_phone: str = "",
    resident: Any = None,
    channel: str = Channel.ONLINE,
    photo_files: Sequence[tuple[str, Any]] = (),  # (name, file-like with read(n))
    api_client: ApiClient | None = None,
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """Raise a need (a resident for themselves, staff on a resident's behalf, or an Open311
    client with its key: ``api_client``)."""
    now = now or timezone.now()
    category = _choice(category, Category, field="category", label=_("category"))
    scale = _choice(scale, Scale, field="scale", label=_("who is affected"))
    contact_preference = _choice(
        contact_preference, ContactPreference, field="contact_preference", label=_("how to contact")
    )
    description = _text(
        description,
        field="description",
        limit=DESCRIPTION_MAX,
        label=_("description"),
        required=True,
    )
    contact_name = _text(contact_name, field="contact_name", limit=50, label=_("name"))
    contact_phone = _text(contact_phone, field="contact_phone", limit=20, label=_("mobile"))
    if len(photo_files) > photos.MAX_PHOTOS:
        raise LinliError(
            _("At most %(count)s photos can be attached.") % {"count": photos.MAX_PHOTOS},
            code="too_many_photos",
            field="photos",
        )
    if api_client is not None:
        limit = int(getattr(settings, "LINLI_OPEN311_PER_DAY", 1000))
        recent = Need.objects.filter(
            api_client=api_client, submitted_at__gte=now - dt.timedelta(days=1)
        )
        if recent.count() >= limit:
            raise LinliError(
                _(
                    "This API key has posted %(count)s requests in the last 24 hours, "
                    "the most we accept."
                )
                % {"count": limit},
                code="throttled",
            )
    if channel == Channel.ONLINE and (actor is not None and actor.is_authenticated):
        limit = int(getattr(settings, "LINLI_NEEDS_PER_DAY", 10))
        recent = Need.objects.filter(raised_by=actor, submitted_at__gte=now - dt.timedelta(days=1))
        if recent.count() >= limit:
            raise LinliError(
                _(
                    "You have sent %(count)s needs in the last 24 hours, the most we accept. "
                    "Please call your community if it is urgent."
                )
                % {"count": limit},
                code="throttled",
            )
    cleaned = [photos.clean_photo(f, name=name) for name, f in photo_files]
    compound, _unit = route(
        district=district, category=category, compound=compound, lon=lon, lat=lat
    )
    community = compound.community
    on_behalf = resident is not None and resident != actor
    if api_client is not None:
        channel = Channel.OPEN311
        if api_client.district_id != district.pk or api_client.revoked_at is not None:
            raise LinliError(_("This API key is not valid."), code="invalid_api_key")
    elif on_behalf or channel != Channel.ONLINE:
        if community not in permissions.communities_for_raising(actor):
            raise LinliError(
                _("You may raise needs only in your own community."),
                code="forbidden",
                field="compound",
            )
    elif actor is not None and actor.is_authenticated:
        resident = actor
        if not contact_phone:
            contact_phone = actor.phone
        if not contact_name:
            contact_name = actor.real_name
    with transaction.atomic():
        need = Need(
            district=district,
            subdistrict_id=community.subdistrict_id,
            community=community,
            grid_id=compound.grid_id,
            compound=compound,
            lon=lon,
            lat=lat,
            category=category,
            urgency=DEFAULT_URGENCY[category],
            scale=scale,
            description=description,
            anonymous=anonymous,
            contact_preference=contact_preference,
            contact_name=contact_name,
            contact_phone=contact_phone,
            channel=channel,
            resident=resident,
            raised_by=actor if (actor is not None and actor.is_authenticated) else None,
            submitted_at=now,
            api_client=api_client,
            open311_token=secrets.token_urlsafe(12) if api_client is not None else None,
        )
        _apply_deadline(need, now)
        need.save()
        for photo in cleaned:
            row = NeedPhoto(need=need, width=photo.width, height=photo.height)
            row.image.save(f"need-{need.pk}.jpg", ContentFile(photo.image), save=False)
            row.thumbnail.save(
                f"need-{need.pk}-thumb.jpg", ContentFile(photo.thumbnail), save=False
            )
            row.save()
        _log(
            need,
            action=A.SUBMIT,
            actor=actor,
            now=now,
            public_note=_("Your need was received and waits to be accepted."),
            request=request,
        )
    return need


# ------------------------------------------------------------------------------------ steps


def _step(
    *,
    actor: AnyUser,
    need_id: Any,
    action: str,
    public_note: str,
    internal_note: str,
    now: dt.datetime | None,
    request: Any,
    change: Any = None,
    resident_side: bool = False,
) -> Need:
    """The skeleton of every workflow step (see the module docstring)."""
    now = now or timezone.now()
    public_note = _text(public_note, field="public_note", limit=NOTE_MAX, label=_("public note"))
    internal_note = _text(
        internal_note, field="internal_note", limit=NOTE_MAX, label=_("internal note")
    )
    with transaction.atomic():
        if resident_side:
            need = permissions.get_my_need(actor, need_id, lock=True)
        else:
            need = permissions.get_need_for_user(actor, need_id, lock=True)
        transition = check_transition(status=need.status, action=action)
        permissions.require(actor, need, "resident" if resident_side else transition.who)
        before = need.status
        changes = change(need, now) if change is not None else None
        if transition.target is not None:
            need.status = transition.target
        need.save()
        _log(
            need,
            action=action,
            actor=actor,
            now=now,
            from_status=before,
            public_note=public_note,
            internal_note=internal_note,
            request=request,
            changes=changes,
        )
    return need


def accept_need(
    *,
    actor: AnyUser,
    need_id: Any,
    public_summary: str,
    urgency: str = "",
    public_note: str = "",
    internal_note: str = "",
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """受理: staff accept the need, write its public summary and may change its deadline class."""
    summary = _text(
        public_summary, field="public_summary", limit=200, label=_("public summary"), required=True
    )
    if urgency:
        _choice(urgency, Urgency, field="urgency", label=_("deadline class"))

    def change(need: Need, now: dt.datetime) -> dict[str, Any]:
        need.public_summary = summary
        need.accepted_at = now
        if urgency and urgency != need.urgency:
            need.urgency = urgency
            _apply_deadline(need, need.submitted_at)
        return {"urgency": need.urgency}

    return _step(
        actor=actor,
        need_id=need_id,
        action=A.ACCEPT,
        public_note=public_note,
        internal_note=internal_note,
        now=now,
        request=request,
        change=change,
    )


def decline_need(
    *,
    actor: AnyUser,
    need_id: Any,
    public_note: str,
    internal_note: str = "",
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """不予受理: the need is not for the community (the public note tells the resident why)."""
    _text(public_note, field="public_note", limit=NOTE_MAX, label=_("public note"), required=True)

    def change(need: Need, now: dt.datetime) -> None:
        need.closed_at = now

    return _step(
        actor=actor,
        need_id=need_id,
        action=A.DECLINE,
        public_note=public_note,
        internal_note=internal_note,
        now=now,
        request=request,
        change=change,
    )


def dispatch_need(
    *,
    actor: AnyUser,
    need_id: Any,
    organisation_id: Any = None,
    grid_id: Any = None,
    public_note: str = "",
    internal_note: str = "",
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """派单: hand the need to one of the community's grids, to a unit, or keep it in the
    community (neither given)."""

    def change(need: Need, now: dt.datetime) -> dict[str, Any]:
        need.assigned_organisation = None
        need.assigned_grid = None
        if organisation_id:
            organisation = Organisation.objects.filter(
                pk=permissions.as_pk(organisation_id), district_id=need.district_id
            ).first()
            if organisation is None:
                raise LinliError(
                    _("No such unit in this district."), code="invalid_unit", field="organisation"
                )
            need.assigned_organisation = organisation
        if grid_id:
            grid = Grid.objects.filter(
                pk=permissions.as_pk(grid_id), community_id=need.community_id
            ).first()
            if grid is None:
                raise LinliError(
                    _("That grid is not in the need's community."),
                    code="invalid_grid",
                    field="grid",
                )
            need.assigned_grid = grid
        return {
            "organisation": need.assigned_organisation_id,
            "grid": need.assigned_grid_id,
        }

    return _step(
        actor=actor,
        need_id=need_id,
        action=A.DISPATCH,
        public_note=public_note,
        internal_note=internal_note,
        now=now,
        request=request,
        change=change,
    )


def start_need(
    *,
    actor: AnyUser,
    need_id: Any,
    public_note: str = "",
    internal_note: str = "",
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """办理: the handler starts work."""
    return _step(
        actor=actor,
        need_id=need_id,
        action=A.START,
        public_note=public_note,
        internal_note=internal_note,
        now=now,
        request=request,
    )


def return_need(
    *,
    actor: AnyUser,
    need_id: Any,
    internal_note: str,
    public_note: str = "",
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """退回: the handler hands the need back for re-dispatch, saying why (internal note)."""
    _text(
        internal_note,
        field="internal_note",
        limit=NOTE_MAX,
        label=_("internal note"),
        required=True,
    )

    def change(need: Need, now: dt.datetime) -> None:
        need.assigned_organisation = None
        need.assigned_grid = None
        need.extension_requested_until = None
        need.extension_reason = ""

    return _step(
        actor=actor,
        need_id=need_id,
        action=A.RETURN,
        public_note=public_note,
        internal_note=internal_note,
        now=now,
        request=request,
        change=change,
    )


def request_extension(
    *,
    actor: AnyUser,
    need_id: Any,
    until: dt.datetime,
    reason: str,
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """延期申请: the handler asks the level above for a later deadline."""
    reason = _text(reason, field="reason", limit=NOTE_MAX, label=_("reason"), required=True)
    moment = now or timezone.now()

    def change(need: Need, now: dt.datetime) -> dict[str, Any]:
        if need.extension_pending:
            raise LinliError(
                _("An extension was already requested and waits for a decision."),
                code="extension_pending",
            )
        if until <= moment or (need.due_at is not None and until <= need.due_at):
            raise LinliError(
                _("The new deadline must be later than the current one."),
                code="extension_not_later",
                field="until",
            )
        need.extension_requested_until = until
        need.extension_reason = reason
        return {"until": until.isoformat()}

    return _step(
        actor=actor,
        need_id=need_id,
        action=A.REQUEST_EXTENSION,
        public_note="",
        internal_note=reason,
        now=now,
        request=request,
        change=change,
    )


def decide_extension(
    *,
    actor: AnyUser,
    need_id: Any,
    approve: bool,
    internal_note: str = "",
    public_note: str = "",
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """The level above approves (the deadline moves) or refuses a 延期申请."""

    def change(need: Need, now: dt.datetime) -> dict[str, Any]:
        if not need.extension_pending:
            raise LinliError(_("No extension was requested for this need."), code="no_extension")
        until = need.extension_requested_until
        if approve:
            need.due_at = until
            need.due_unknown_year = None
            need.reminded_at = None
            need.escalated_at = None
        need.extension_requested_until = None
        need.extension_reason = ""
        return {"until": until.isoformat() if until else None, "approved": approve}

    return _step(
        actor=actor,
        need_id=need_id,
        action=A.APPROVE_EXTENSION if approve else A.REFUSE_EXTENSION,
        public_note=public_note,
        internal_note=internal_note,
        now=now,
        request=request,
        change=change,
    )


def resolve_need(
    *,
    actor: AnyUser,
    need_id: Any,
    public_note: str,
    internal_note: str = "",
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """办结: the handler says what was done (the public note is required: the resident reads it)."""
    _text(public_note, field="public_note", limit=NOTE_MAX, label=_("public note"), required=True)

    def change(need: Need, now: dt.datetime) -> None:
        need.resolved_at = now
        need.extension_requested_until = None

    return _step(
        actor=actor,
        need_id=need_id,
        action=A.RESOLVE,
        public_note=public_note,
        internal_note=internal_note,
        now=now,
        request=request,
        change=change,
    )


def log_follow_up(
    *,
    actor: User,
    need_id: Any,
    outcome: str,
    note: str = "",
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """回访: staff log the call to the resident; the first one after 办结 moves the need on."""
    outcome = _choice(outcome, FollowUp.Outcome, field="outcome", label=_("outcome"))

    def change(need: Need, now: dt.datetime) -> dict[str, Any]:
        FollowUp.objects.create(need=need, outcome=outcome, note=note, called_by=actor, at=now)
        if need.status == Status.RESOLVED:
            need.status = Status.FOLLOWED_UP
        return {"outcome": outcome}

    return _step(
        actor=actor,
        need_id=need_id,
        action=A.FOLLOW_UP,
        public_note="",
        internal_note=note,
        now=now,
        request=request,
        change=change,
    )


def rate_need(
    *,
    actor: User,
    need_id: Any,
    level: str,
    comment: str = "",
    reopen: bool = False,
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """评价: the resident rates the result; 不满意 with ``reopen`` sends it back to handling."""
    level = _choice(level, Rating.Level, field="level", label=_("rating"))
    comment = _text(comment, field="comment", limit=500, label=_("comment"))
    if reopen and level != Rating.Level.DISSATISFIED:
        raise LinliError(
            _("Only a “dissatisfied” rating can ask for the need to be handled again."),
            code="reopen_needs_dissatisfied",
            field="reopen",
        )

    def change(need: Need, now: dt.datetime) -> dict[str, Any]:
        Rating.objects.create(
            need=need,
            level=level,
            comment=comment,
            comment_moderation=(
                Rating.Moderation.PENDING if comment else Rating.Moderation.APPROVED
            ),
            rated_by=actor,
            at=now,
        )
        need.closed_at = now
        need.rating_level = level
        return {"level": level}

    with transaction.atomic():
        need = _step(
            actor=actor,
            need_id=need_id,
            action=A.RATE,
            public_note="",
            internal_note="",
            now=now,
            request=request,
            change=change,
            resident_side=True,
        )
        if reopen:
            need = _reopen(
                actor=actor,
                need_id=need.pk,
                by_resident=True,
                now=now,
                request=request,
                public_note=_("The resident was not satisfied; the need is handled again."),
                internal_note="",
            )
    return need


def _reopen(
    *,
    actor: AnyUser,
    need_id: Any,
    by_resident: bool,
    now: dt.datetime | None,
    request: Any,
    public_note: str,
    internal_note: str,
) -> Need:
    def change(need: Need, now: dt.datetime) -> dict[str, Any]:
        need.reopen_count += 1
        need.resolved_at = None
        need.closed_at = None
        _apply_deadline(need, now)
        return {"reopen_count": need.reopen_count}

    return _step(
        actor=actor,
        need_id=need_id,
        action=A.REOPEN,
        public_note=public_note,
        internal_note=internal_note,
        now=now,
        request=request,
        change=change,
        resident_side=by_resident,
    )


def reopen_need(
    *,
    actor: AnyUser,
    need_id: Any,
    public_note: str = "",
    internal_note: str = "",
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """重办: staff send a resolved need back to handling with a new deadline."""
    return _reopen(
        actor=actor,
        need_id=need_id,
        by_resident=False,
        now=now,
        request=request,
        public_note=public_note,
        internal_note=internal_note,
    )


# ------------------------------------------------------------------------------------ deadlines


def sweep_deadlines(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Remind the handlers of needs near their deadline and escalate overdue needs to the
    subdistrict; run by the task worker (linli.needs.tasks). Returns (reminded, escalated).

    Each need is reminded once and escalated once per deadline (a new deadline — extension,
    重办 — clears both marks), so running the sweep twice does no harm.
    """
    now = now or timezone.now()
    reminded = escalated = 0
    candidates = Need.objects.filter(
        status__in=OPEN_STATUSES, due_at__isnull=False, escalated_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in candidates.iterator():
        with transaction.atomic():
            need = Need.objects.select_for_update().filter(pk=pk).first()
            if need is None or not need.is_open() or need.due_at is None:
                continue
            if need.due_at < now and need.escalated_at is None:
                need.escalated_at = now
                need.save(update_fields=["escalated_at", "updated_at"])
                _log(
                    need,
                    action=A.ESCALATE,
                    actor=None,
                    now=now,
                    from_status=need.status,
                    internal_note=_("The deadline passed; the subdistrict was told."),
                )
                escalated += 1
            elif need.reminded_at is None and reminder_due(need.due_at, need.urgency) <= now:
                need.reminded_at = now
                need.save(update_fields=["reminded_at", "updated_at"])
                _log(
                    need,
                    action=A.REMIND,
                    actor=None,
                    now=now,
                    from_status=need.status,
                    internal_note=_("The deadline is near."),
                )
                reminded += 1
    return reminded, escalated


def recompute_unknown_deadlines(*, now: dt.datetime | None = None) -> int:
    """Compute the deadlines that waited for a year's calendar, once chinesecalendar knows it."""
    count = 0
    for need in Need.objects.filter(status__in=OPEN_STATUSES, due_unknown_year__isnull=False):
        start = need.submitted_at
        last_reopen = need.steps.filter(action=A.REOPEN).order_by("-at").first()
        if last_reopen is not None:
            start = last_reopen.at
        deadline = compute_deadline(start, need.urgency)
        if deadline.due_at is not None:
            Need.objects.filter(pk=need.pk).update(due_at=deadline.due_at, due_unknown_year=None)
            count += 1
    return count


# ------------------------------------------------------------------------------------ duplicates


def follow_need(*, actor: User, need_id: Any, now: dt.datetime | None = None) -> Need:
    """ "+1": a resident says an open need nearby is theirs too and follows its public steps."""
    now = now or timezone.now()
    with transaction.atomic():
        pk = permissions.as_pk(need_id)
        need = (
            None
            if actor.district_id is None  # an account of no district follows nothing
            else Need.objects.select_for_update()
            .filter(pk=pk, district_id=actor.district_id)
            .exclude(status__in=(Status.MERGED, Status.DECLINED))
            .first()
        )
        if need is None:
            raise LinliError(_("This need cannot be followed."), code="not_followable")
        _follower, created = Follower.objects.get_or_create(
            need=need, user=actor, defaults={"at": now}
        )
        if created and need.resident_id != actor.pk:
            need.followers_count += 1
            need.save(update_fields=["followers_count", "updated_at"])
    return need


def merge_needs(
    *,
    actor: AnyUser,
    need_id: Any,
    into_id: Any,
    internal_note: str = "",
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """Merge a duplicate into another need of the same community: its resident and followers
    follow the other need from now on and keep seeing its progress."""
    now = now or timezone.now()
    with transaction.atomic():
        target = permissions.get_need_for_user(actor, into_id, lock=True)
        if target.pk == permissions.as_pk(need_id):
            raise LinliError(_("A need cannot be merged into itself."), code="merge_self")
        if target.status in (Status.MERGED, Status.DECLINED):
            raise LinliError(
                _("Need %(ref)s is closed; merge into an open one.") % {"ref": target.reference},
                code="merge_target_closed",
                field="into",
            )

        def change(need: Need, now: dt.datetime) -> dict[str, Any]:
            if need.community_id != target.community_id:
                raise LinliError(
                    _("Only needs of the same community can be merged."),
                    code="merge_other_community",
                    field="into",
                )
            need.merged_into = target
            need.closed_at = now
            people = set(need.followers.values_list("user_id", flat=True))
            if need.resident_id:
                people.add(need.resident_id)
            people.discard(target.resident_id)
            added = 0
            for user_id in people:
                _f, created = Follower.objects.get_or_create(
                    need=target, user_id=user_id, defaults={"at": now}
                )
                added += created
            Need.objects.filter(pk=target.pk).update(followers_count=F("followers_count") + added)
            return {"into": target.pk}

        need = _step(
            actor=actor,
            need_id=need_id,
            action=A.MERGE,
            public_note=_("Merged into need %(ref)s, which is handled for everyone.")
            % {"ref": target.reference},
            internal_note=internal_note,
            now=now,
            request=request,
            change=change,
        )
    return need


# ------------------------------------------------------------------------------------ moderation


def _lock_for_manager[T: (Rating, NeedPhoto)](model: type[T], pk: Any, *, actor: AnyUser) -> T:
    """A rating or photo of a need in the actor's scope, locked; its need's manager only."""
    row = (
        model.objects.select_for_update()
        .filter(pk=permissions.as_pk(pk), need__in=permissions.needs_for_user(actor).values("pk"))
        .first()
    )
    if row is None:
        raise Http404(f"No such {model._meta.model_name}.")
    if not permissions.can_take(actor, row.need, "manager"):
        raise PermissionDenied
    return row


def moderate_comment(
    *, actor: AnyUser, rating_id: Any, publish: bool, request: Any = None
) -> Rating:
    """Publish a rating's comment on the public pages, or keep it off them."""
    with transaction.atomic():
        rating = _lock_for_manager(Rating, rating_id, actor=actor)
        before = rating.comment_moderation
        rating.comment_moderation = (
            Rating.Moderation.APPROVED if publish else Rating.Moderation.HIDDEN
        )
        rating.save(update_fields=["comment_moderation"])
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=rating,
            district_id=rating.need.district_id,
            request=request,
            changes={"comment_moderation": [before, rating.comment_moderation]},
        )
    return rating


def review_photo(*, actor: AnyUser, photo_id: Any, publish: bool, request: Any = None) -> NeedPhoto:
    """Staff have looked at a photo: it may be shown on public pages, or never."""
    with transaction.atomic():
        photo = _lock_for_manager(NeedPhoto, photo_id, actor=actor)
        photo.reviewed_at = timezone.now()
        photo.approved = publish
        photo.save(update_fields=["reviewed_at", "approved"])
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=photo.need,
            request=request,
            changes={"photo": photo.pk, "approved": publish},
        )
    return photo


# ------------------------------------------------------------------------------------ Open311 keys


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_api_key(*, actor: AnyUser, name: str, request: Any = None) -> tuple[ApiClient, str]:
    """Issue an Open311 API key to a client; returns the client and the key (shown once)."""
    if not (
        (actor is not None and actor.is_authenticated)
        and (actor.is_superuser or actor.role == "district_admin")
        and actor.district_id
    ):
        raise PermissionDenied
    name = _text(name, field="name", limit=100, label=_("name"), required=True)
    key = secrets.token_urlsafe(24)
    with transaction.atomic():
        client = ApiClient.objects.create(
            district_id=actor.district_id, name=name, key_hash=hash_api_key(key), created_by=actor
        )
        audit.record(
            actor=actor, action=AuditEntry.Action.TOKEN_CREATED, obj=client, request=request
        )
    return client, key


def revoke_api_key(*, actor: AnyUser, client_id: Any, request: Any = None) -> ApiClient:
    """Revoke an Open311 client's key; its requests stay."""
    if not (
        (actor is not None and actor.is_authenticated)
        and (actor.is_superuser or actor.role == "district_admin")
    ):
        raise PermissionDenied
    with transaction.atomic():
        pk = permissions.as_pk(client_id)
        client = (
            None
            if actor.district_id is None  # a superuser of no district has no clients here
            else ApiClient.objects.select_for_update()
            .filter(pk=pk, district_id=actor.district_id)
            .first()
        )
        if client is None:
            raise Http404("No such client.")
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor, action=AuditEntry.Action.TOKEN_REVOKED, obj=client, request=request
        )
    return client


def api_client_for_key(key: str) -> ApiClient | None:
    """The active client a key belongs to, or None."""
    if not key or len(key) > 200:
        return None
    return ApiClient.objects.filter(key_hash=hash_api_key(key), revoked_at__isnull=True).first()


# ------------------------------------------------------------------------------------ needs list


def put_on_needs_list(
    *,
    actor: AnyUser,
    need_id: Any,
    public_note: str = "",
    internal_note: str = "",
    now: dt.datetime | None = None,
    request: Any = None,
) -> Need:
    """需求清单: the community cannot meet the need alone; units may take it up on the
    co-construction day. The resident and followers stay linked to it."""

    def change(need: Need, now: dt.datetime) -> dict[str, Any]:
        if need.on_needs_list:
            raise LinliError(_("This need is already on the needs list."), code="already_listed")
        need.on_needs_list = True
        return {"on_needs_list": True}

    return _step(
        actor=actor,
        need_id=need_id,
        action=A.NEEDS_LIST,
        public_note=public_note,
        internal_note=internal_note,
        now=now,
        request=request,
        change=change,
    )


# ------------------------------------------------------------------------------------ planning gaps

# What a facility category's group becomes among the needs' categories (a gap is a shortfall of
# a facility, so "public facilities" unless a closer category exists).
GAP_CATEGORY: dict[str, str] = {
    FacilityCategory.Group.ELDERLY: Category.ELDERLY_CARE,
    FacilityCategory.Group.MUNICIPAL: Category.ENVIRONMENT,
    FacilityCategory.Group.STATION: Category.SERVICES,
    FacilityCategory.Group.PUBLIC_SERVICE: Category.SERVICES,
}


def _gap_texts(
    *,
    compound: Compound,
    facility: str,
    threshold_m: float,
    meters: float | None,
    shortfall_m: float | None,
    population: int,
    standard: str,
    level: str,
) -> tuple[str, str]:
    """The need's description and public summary, in the district's language (stored text)."""
    with translation.override(settings.LANGUAGE_CODE):
        summary = _("%(compound)s: no %(facility)s within %(threshold)s m") % {
            "compound": compound.name,
            "facility": facility,
            "threshold": f"{threshold_m:,.0f}",
        }
        if meters is None:
            reach = _("none of them can be reached on foot")
        else:
            reach = _("the nearest is %(meters)s m away on foot, %(shortfall)s m too far") % {
                "meters": f"{meters:,.0f}",
                "shortfall": f"{shortfall_m or 0:,.0f}",
            }
        description = _(
            "Living-circle gap accepted by planners: %(compound)s has no %(facility)s within "
            "%(threshold)s m (%(standard)s, %(level)s); %(reach)s. %(population)s residents are "
            "affected."
        ) % {
            "compound": compound.name,
            "facility": facility,
            "threshold": f"{threshold_m:,.0f}",
            "standard": standard,
            "level": level,
            "reach": reach,
            "population": f"{population:,}",
        }
    return description[:DESCRIPTION_MAX], summary[:200]


def list_accepted_gap(
    *,
    actor: Any,
    district_id: int,
    compound_id: int,
    key: str,
    gap_id: int,
    category: str,
    standard: str,
    level: str,
    threshold_m: float,
    meters: float | None,
    shortfall_m: float | None,
    population: int,
    url: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> Need:
    """需求清单 from planning: an accepted living-circle gap becomes one accepted need on the needs
    list, routed to the community of its compound (the routing rules suggest the unit at 派单).

    Idempotent per gap (``key``, district): accepted again — after a reopen, or the same gap of a
    later analysis — the existing need is updated (the link to the gap, a step with the new
    figures when they changed), never duplicated. The planner must be able to raise and accept
    needs in the compound's community (the needs app's own scope check), else nothing changes.
    linli.needs.receivers calls it on ``linli.planning.signals.gap_accepted``.
    """
    now = now or timezone.now()
    key = _text(key, field="key", limit=200, label="key", required=True)
    # A link within this site only (it is shown as a link on the need's page).
    url = url if url.startswith("/") and not url.startswith("//") and len(url) <= 300 else ""
    district = District.objects.get(pk=district_id)
    compound = Compound.objects.select_related("community").get(
        pk=compound_id, district_id=district_id
    )
    facility_row = FacilityCategory.objects.filter(code=category).first()
    with translation.override(settings.LANGUAGE_CODE):
        facility = facility_row.display_name if facility_row else category
    need_category = GAP_CATEGORY.get(
        facility_row.group if facility_row else "", Category.FACILITIES
    )
    description, summary = _gap_texts(
        compound=compound,
        facility=facility,
        threshold_m=threshold_m,
        meters=meters,
        shortfall_m=shortfall_m,
        population=population,
        standard=standard,
        level=level,
    )
    compound, _unit = route(
        district=district, category=need_category, compound=compound, lon=None, lat=None
    )
    community = compound.community
    if not permissions.can_list_in(actor, community):
        raise PermissionDenied
    with transaction.atomic():
        existing = (
            permissions.needs_for_user(actor)
            .select_for_update()
            .filter(district_id=district_id, gap_key=key)
            .first()
        )
        if existing is not None:
            if existing.gap_ref == gap_id and existing.description == description:
                return existing
            before = existing.status
            existing.gap_ref = gap_id
            existing.gap_url = url
            existing.description = description
            existing.save(update_fields=["gap_ref", "gap_url", "description", "updated_at"])
            _log(
                existing,
                action=A.NOTE,
                actor=actor,
                now=now,
                from_status=before,
                internal_note=_text(note, field="note", limit=NOTE_MAX, label=_("note"))
                or _("The planners accepted this gap again: %(summary)s") % {"summary": summary},
                changes={"gap": gap_id},
            )
            return existing
        if Need.objects.filter(district_id=district_id, gap_key=key).exists():
            # Listed already, by someone whose scope does not reach it now: never a second one.
            raise PermissionDenied
        need = Need(
            district=district,
            subdistrict_id=community.subdistrict_id,
            community=community,
            grid_id=compound.grid_id,
            compound=compound,
            category=need_category,
            urgency=Urgency.COMPLEX,
            scale=Scale.SHARED,
            description=description,
            public_summary=summary,
            contact_preference=ContactPreference.NONE,
            channel=Channel.PLANNING,
            raised_by=actor,
            submitted_at=now,
            gap_key=key,
            gap_ref=gap_id,
            gap_url=url,
        )
        _apply_deadline(need, now)
        need.save()
        _log(
            need,
            action=A.SUBMIT,
            actor=actor,
            now=now,
            public_note=_("Raised from a living-circle gap the planners accepted."),
            internal_note=_text(note, field="note", limit=NOTE_MAX, label=_("note")),
            changes={"gap": gap_id},
        )
        need.status = Status.ACCEPTED
        need.accepted_at = now
        need.save(update_fields=["status", "accepted_at", "updated_at"])
        _log(need, action=A.ACCEPT, actor=actor, now=now, from_status=Status.SUBMITTED)
        need.on_needs_list = True
        need.save(update_fields=["on_needs_list", "updated_at"])
        _log(
            need,
            action=A.NEEDS_LIST,
            actor=actor,
            now=now,
            from_status=Status.ACCEPTED,
            public_note=_("On the needs list for the co-construction day."),
            changes={"on_needs_list": True},
        )
    return need


# ------------------------------------------------------------------------------------ routing rules


def set_routing_rule(
    *,
    actor: Any,
    category: str,
    organisation_id: Any,
    community_id: Any = None,
    request: Any = None,
) -> RoutingRule:
    """Name the unit that handles ``category`` in a community (or the whole district when no
    community is given); the rule for that category and place is replaced, never doubled."""
    if not permissions.can_edit_routing(actor):
        raise PermissionDenied
    category = _choice(category, Category, field="category", label=_("category"))
    district_id = actor.district_id
    if district_id is None:  # can_edit_routing already says so; mypy reads it here
        raise PermissionDenied
    organisation = Organisation.objects.filter(
        pk=permissions.as_pk(organisation_id), district_id=district_id
    ).first()
    if organisation is None:
        raise LinliError(
            _("No such unit in this district."), code="invalid_unit", field="organisation"
        )
    community = None
    if community_id not in (None, ""):
        community = Community.objects.filter(
            pk=permissions.as_pk(community_id), district_id=district_id
        ).first()
        if community is None:
            raise LinliError(
                _("No such community in this district."),
                code="invalid_community",
                field="community",
            )
    with transaction.atomic():
        rule = (
            permissions.routing_rules_for_user(actor)
            .select_for_update()
            .filter(category=category, community=community)
            .first()
        )
        if rule is None:
            rule = RoutingRule.objects.create(
                district_id=district_id,
                category=category,
                community=community,
                organisation=organisation,
            )
            audit.record(
                actor=actor,
                action=AuditEntry.Action.CREATE,
                obj=rule,
                request=request,
                changes={
                    "category": [None, category],
                    "community": [None, community.pk if community else None],
                    "organisation": [None, organisation.pk],
                },
            )
        elif rule.organisation_id != organisation.pk:
            before = rule.organisation_id
            rule.organisation = organisation
            rule.save(update_fields=["organisation"])
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=rule,
                request=request,
                changes={"organisation": [before, organisation.pk]},
            )
    return rule


def delete_routing_rule(*, actor: Any, rule_id: Any, request: Any = None) -> None:
    """Remove a routing rule: its needs are then handled by the community (or the district-wide
    rule for the category)."""
    if not permissions.can_edit_routing(actor):
        raise PermissionDenied
    with transaction.atomic():
        rule = (
            permissions.routing_rules_for_user(actor)
            .select_for_update()
            .filter(pk=permissions.as_pk(rule_id))
            .first()
        )
        if rule is None:
            raise Http404("No such routing rule.")
        audit.record(
            actor=actor,
            action=AuditEntry.Action.DELETE,
            obj=rule,
            request=request,
            changes={
                "category": [rule.category, None],
                "community": [rule.community_id, None],
                "organisation": [rule.organisation_id, None],
            },
        )
        rule.delete()
