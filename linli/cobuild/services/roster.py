"""The duty rotation: units on it, declared unavailability, the roster, and swaps."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import AnyUser, User
from linli.cobuild import permissions
from linli.cobuild.models import (
    CoBuildDay,
    DutyAssignment,
    DutySkip,
    DutyUnit,
    SwapRequest,
    Unavailability,
)
from linli.cobuild.rotation import rotate
from linli.cobuild.services.days import _manager, policy_for
from linli.core import audit
from linli.core.exceptions import Conflict, Forbidden, LinliError, NotFound
from linli.core.models import AuditEntry
from linli.places.models import Community, Organisation, Subdistrict


def add_duty_unit(
    *,
    actor: AnyUser,
    subdistrict: Subdistrict,
    organisation: Organisation,
    community: Community | None = None,
    request: HttpRequest | None = None,
) -> DutyUnit:
    """Put a reporting unit on the subdistrict's rotation (or its community's), at the end."""
    _manager(actor, subdistrict)
    if organisation.kind != Organisation.Kind.UNIT or (
        organisation.district_id != subdistrict.district_id
    ):
        raise LinliError(
            _("“%(name)s” is not a reporting unit of this district.") % {"name": organisation},
            code="not_a_unit",
            field="organisation",
        )
    if community is not None and community.subdistrict_id != subdistrict.pk:
        raise LinliError(
            _("%(community)s is not in %(subdistrict)s.")
            % {"community": community, "subdistrict": subdistrict},
            code="community_outside_subdistrict",
            field="community",
        )
    with transaction.atomic():
        if DutyUnit.objects.filter(subdistrict=subdistrict, organisation=organisation).exists():
            raise Conflict(
                _("%(name)s is already on this subdistrict's rotation.") % {"name": organisation},
                code="already_on_rotation",
                field="organisation",
            )
        last = DutyUnit.objects.filter(subdistrict=subdistrict).order_by("-position").first()
        unit = DutyUnit.objects.create(
            district_id=subdistrict.district_id,
            subdistrict=subdistrict,
            community=community,
            organisation=organisation,
            position=(last.position + 1) if last else 1,
        )
        audit.record(actor=actor, action=AuditEntry.Action.CREATE, obj=unit, request=request)
    return unit


def declare_unavailable(
    *,
    actor: AnyUser,
    unit: DutyUnit,
    day: CoBuildDay,
    reason: str,
    request: HttpRequest | None = None,
) -> Unavailability:
    """Record that ``unit`` cannot be on duty on ``day`` (the next roster passes it over)."""
    reason = (reason or "").strip()
    if not reason:
        raise LinliError(
            _("Say why the unit cannot serve: the roster shows it."),
            code="reason_required",
            field="reason",
        )
    if day.subdistrict_id != unit.subdistrict_id:
        raise LinliError(
            _("That day belongs to another subdistrict's calendar."),
            code="day_of_another_subdistrict",
            field="day",
        )
    _manager(actor, unit.subdistrict)
    with transaction.atomic():
        item, created = Unavailability.objects.update_or_create(
            unit=unit, day=day, defaults={"reason": reason[:200]}
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            obj=item,
            district_id=unit.district_id,
            request=request,
            changes={"reason": [None, item.reason]},
        )
    return item


def generate_roster(
    *,
    actor: AnyUser,
    subdistrict: Subdistrict,
    year: int,
    today: dt.date,
    request: HttpRequest | None = None,
) -> int:
    """(Re)compute the roster of the year's days from ``today`` on; returns the duties written.

    Past days keep their duties and count towards fairness. Each rotation group — the
    subdistrict-wide units, and each community rotating its own units — is rotated on its own
    (``linli.cobuild.rotation.rotate``). Duties an approved swap placed are kept when their day
    is still ahead, and count for the units that hold them.
    """
    _manager(actor, subdistrict)
    per_day = policy_for(subdistrict).units_per_day
    with transaction.atomic():
        days = list(
            CoBuildDay.objects.select_for_update()
            .filter(subdistrict=subdistrict, year=year)
            .order_by("date")
        )
        if not days:
            raise LinliError(
                _("Plan the year's co-construction days before the roster."),
                code="no_days",
                field="year",
            )
        future = [d for d in days if d.date >= today]
        units = list(DutyUnit.objects.filter(subdistrict=subdistrict, is_active=True))
        if not units:
            raise LinliError(
                _("No reporting unit is on this subdistrict's rotation yet."),
                code="no_units",
            )
        future_ids = {d.pk for d in future}
        kept = list(
            DutyAssignment.objects.filter(day__in=days).exclude(
                day__in=future_ids, origin=DutyAssignment.Origin.ROTATION
            )
        )
        DutyAssignment.objects.filter(
            day__in=future_ids, origin=DutyAssignment.Origin.ROTATION
        ).delete()
        DutySkip.objects.filter(day__in=future_ids).delete()
        prior = Counter(d.unit_id for d in kept if d.day_id not in future_ids)
        fixed: dict[int, list[int]] = defaultdict(list)
        for duty in kept:
            if duty.day_id in future_ids:
                fixed[duty.day_id].append(duty.unit_id)
        away = {
            (u.unit_id, u.day_id): u.reason
            for u in Unavailability.objects.filter(day__in=future_ids, unit__in=units)
        }
        groups: dict[int | None, list[int]] = defaultdict(list)
        for unit in units:
            groups[unit.community_id].append(unit.pk)
        written = 0
        for ids in groups.values():
            result = rotate(
                days=[d.pk for d in future],
                units=ids,
                per_day=per_day,
                unavailable=frozenset(away),
                prior_counts={u: prior[u] for u in ids},
                fixed=fixed,
            )
            rows = [
                DutyAssignment(day_id=day_id, unit_id=unit_id)
                for day_id, on_duty in result.on_duty.items()
                for unit_id in on_duty
                if unit_id not in fixed.get(day_id, ())
            ]
            DutyAssignment.objects.bulk_create(rows)
            written += len(rows)
            DutySkip.objects.bulk_create(
                DutySkip(day_id=s.day, unit_id=s.unit, reason=away[(s.unit, s.day)])
                for s in result.skips
            )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=subdistrict,
            request=request,
            object_type="cobuild.dutyassignment",
            object_repr=gettext("Duty roster %(year)s of %(subdistrict)s")
            % {"year": year, "subdistrict": subdistrict},
            changes={"duties": [None, written]},
        )
    return written


def _swap_problem(duty: DutyAssignment, other: DutyAssignment, today: dt.date) -> LinliError | None:
    if duty.day.subdistrict_id != other.day.subdistrict_id:
        return LinliError(
            _(
                "%(unit)s is on another subdistrict's roster: a swap is only between units of "
                "the same subdistrict."
            )
            % {"unit": other.unit.organisation},
            code="swap_other_subdistrict",
            field="other",
        )
    if duty.pk == other.pk or duty.day_id == other.day_id:
        return LinliError(
            _("Choose a duty on another day to exchange with."), code="swap_same_day", field="other"
        )
    if duty.unit.community_id != other.unit.community_id:
        return LinliError(
            _("The two units are on different rotations (subdistrict-wide and a community's)."),
            code="swap_other_rotation",
            field="other",
        )
    if duty.day.date < today or other.day.date < today:
        return LinliError(_("A past duty cannot be swapped."), code="swap_in_past", field="other")
    clash = (
        DutyAssignment.objects.filter(day=other.day, unit=duty.unit).exists()
        or DutyAssignment.objects.filter(day=duty.day, unit=other.unit).exists()
    )
    if clash:
        return LinliError(
            _("One of the units is already on duty on the other day."),
            code="swap_double_duty",
            field="other",
        )
    return None


def request_swap(
    *,
    actor: AnyUser,
    duty: DutyAssignment,
    other: DutyAssignment,
    reason: str,
    today: dt.date,
    request: HttpRequest | None = None,
) -> SwapRequest:
    """Ask the subdistrict to exchange two units' duty days."""
    subdistrict = duty.day.subdistrict
    if not permissions.can_request_swap(actor, subdistrict):
        raise Forbidden(_("You may not ask for swaps on this roster."), code="forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise LinliError(
            _("Say why the units want to swap."), code="reason_required", field="reason"
        )
    problem = _swap_problem(duty, other, today)
    if problem is not None:
        raise problem
    with transaction.atomic():
        swap = SwapRequest.objects.create(
            district_id=subdistrict.district_id,
            subdistrict=subdistrict,
            duty=duty,
            other=other,
            reason=reason[:200],
            requested_by=actor,
        )
        audit.record(actor=actor, action=AuditEntry.Action.CREATE, obj=swap, request=request)
    return swap


def _locked_swap(actor: AnyUser, swap: SwapRequest) -> SwapRequest:
    locked = (
        permissions.swaps_for_user(actor)
        .select_for_update(of=("self",))
        .select_related("subdistrict")
        .filter(pk=swap.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such swap request."), code="not_found")
    _manager(actor, locked.subdistrict)
    if locked.status != SwapRequest.Status.PENDING:
        raise Conflict(
            _("This swap was already decided (%(status)s).")
            % {"status": locked.get_status_display()},
            code="swap_decided",
        )
    return locked


def approve_swap(
    *, actor: User, swap: SwapRequest, today: dt.date, request: HttpRequest | None = None
) -> SwapRequest:
    """Approve a pending swap: the two units exchange their days on the roster."""
    with transaction.atomic():
        locked = _locked_swap(actor, swap)
        duties = {
            d.pk: d
            for d in DutyAssignment.objects.select_for_update(of=("self",))
            .select_related("day", "unit__organisation")
            .filter(pk__in=[locked.duty_id, locked.other_id])
        }
        duty, other = duties.get(locked.duty_id), duties.get(locked.other_id)
        if duty is None or other is None:  # pragma: no cover - cascades delete the request
            raise Conflict(_("The roster changed: ask again."), code="swap_stale")
        problem = _swap_problem(duty, other, today)
        if problem is not None:
            raise problem
        # Neither day holds the other unit (checked above), so no step meets (day, unit) twice.
        duty.unit, other.unit = other.unit, duty.unit
        duty.origin = other.origin = DutyAssignment.Origin.SWAP
        duty.save(update_fields=["unit", "origin"])
        other.save(update_fields=["unit", "origin"])
        locked.status = SwapRequest.Status.APPROVED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            request=request,
            changes={"status": [SwapRequest.Status.PENDING, SwapRequest.Status.APPROVED]},
        )
    return locked


def refuse_swap(
    *, actor: User, swap: SwapRequest, request: HttpRequest | None = None
) -> SwapRequest:
    """Refuse a pending swap; the roster stays as it is."""
    with transaction.atomic():
        locked = _locked_swap(actor, swap)
        locked.status = SwapRequest.Status.REFUSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            request=request,
            changes={"status": [SwapRequest.Status.PENDING, SwapRequest.Status.REFUSED]},
        )
    return locked
