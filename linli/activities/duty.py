"""双报到 and service records: who may see and change them, and the services that change them.

Access (the chokepoint for these resources): community staff see the registrations and service
records of their scope (a subdistrict's staff all of its communities', the district's everyone's);
a unit liaison or a party member sees their own; everything else is 404. Approving, returning
and confirming are for editors in scope (district, subdistrict and community staff).

Every change is one keyword-only function owning its transaction, the row lock, the audit entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeGuard

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AnyUser, Role, User
from linli.accounts.scopes import is_signed_in, scope_q
from linli.activities import permissions
from linli.activities.models import (
    NATIONAL_STAR_HOURS,
    PartyMember,
    Registration,
    ServiceRecord,
    StarTier,
    stars_for,
)
from linli.activities.services import normalise_phone
from linli.core import audit
from linli.core.exceptions import Conflict, Forbidden, LinliError
from linli.core.limits import one_or_404
from linli.core.masking import mask_phone
from linli.places.models import Community, Organisation


class DutyRefused(LinliError):
    """A registration or service record is refused; ``details["field"]`` names the field."""

    code = "duty_refused"


class OverlappingService(Conflict):
    code = "overlapping_service"


# ------------------------------------------------------------------------------ permissions


def registrations_for_user(user: AnyUser) -> QuerySet[Registration]:
    """Registrations ``user`` may see: staff those of their scope, others their own."""
    if permissions.is_staff(user):
        return Registration.objects.filter(scope_q(user.scope, station=None))
    if is_signed_in(user):
        return Registration.objects.filter(submitted_by=user)
    return Registration.objects.none()


def get_registration_for_user(user: AnyUser, pk: Any) -> Registration:
    """The registration ``pk`` if ``user`` may see it, else 404."""
    return one_or_404(
        registrations_for_user(user).select_related("community", "organisation", "member__user"),
        pk,
        missing="No such registration.",
    )


def records_for_user(user: AnyUser) -> QuerySet[ServiceRecord]:
    """Service records ``user`` may see: staff those of their scope, volunteers their own."""
    if permissions.is_staff(user):
        return ServiceRecord.objects.filter(scope_q(user.scope, station=None))
    if is_signed_in(user):
        return ServiceRecord.objects.filter(volunteer=user)
    return ServiceRecord.objects.none()


def get_record_for_user(user: AnyUser, pk: Any) -> ServiceRecord:
    """The service record ``pk`` if ``user`` may see it, else 404."""
    return one_or_404(
        records_for_user(user).select_related("volunteer", "community", "activity"),
        pk,
        missing="No such service record.",
    )


def may_decide(user: AnyUser, community_id: int) -> TypeGuard[User]:
    """Whether ``user`` may approve, return or confirm for this community (editors in scope)."""
    return permissions.is_editor(user) and (
        user.scope.everything
        or Community.objects.filter(scope_q(user.scope, community="pk"), pk=community_id).exists()
    )


def may_report(user: AnyUser) -> TypeGuard[User]:
    """Whether ``user`` may file a 双报到 registration (a unit liaison or a party member)."""
    return is_signed_in(user) and user.role in {Role.UNIT_LIAISON, Role.PARTY_MEMBER}


# ------------------------------------------------------------------------------ registrations


@dataclass
class RegistrationInput:
    community: Community
    party_organisation: str
    liaison_name: str
    liaison_phone: str
    offers: str = ""
    # For a party member:
    employer: str = ""
    employer_party_organisation: str = ""
    skills: str = ""
    availability: str = ""
    preferred_posts: str = ""


def _require(value: str, field: str, message: str) -> str:
    value = value.strip()
    if not value:
        raise DutyRefused(message, field=field)
    return value


def submit_registration(
    *, actor: AnyUser, data: RegistrationInput, request: HttpRequest | None = None
) -> Registration:
    """A unit liaison reports their unit, or a party member reports themself, to a community."""
    if not may_report(actor):
        raise Forbidden(_("Only unit liaisons and party members report here."))
    community = data.community
    if community.district_id != actor.district_id:
        raise DutyRefused(_("Choose a community of your district."), field="community")
    party_organisation = _require(
        data.party_organisation, "party_organisation", _("Please name the party organisation.")
    )
    liaison = _require(data.liaison_name, "liaison_name", _("Please name the liaison."))
    phone = normalise_phone(data.liaison_phone)
    if not phone:
        raise DutyRefused(
            _("“%(phone)s” is not an 11-digit mobile number.") % {"phone": data.liaison_phone[:30]},
            field="liaison_phone",
        )
    with transaction.atomic():
        kind = (
            Registration.Kind.UNIT if actor.role == Role.UNIT_LIAISON else Registration.Kind.MEMBER
        )
        organisation = member = None
        if kind == Registration.Kind.UNIT:
            organisation = (
                None
                if actor.organisation_id is None
                else Organisation.objects.filter(
                    pk=actor.organisation_id, kind=Organisation.Kind.UNIT
                ).first()
            )
            if organisation is None:
                raise DutyRefused(
                    _("Your account is not linked to a reporting unit; ask the district."),
                    field="community",
                )
        else:
            employer = _require(data.employer, "employer", _("Please name your employer."))
            member, _created = PartyMember.objects.update_or_create(
                user=actor,
                defaults={
                    "district_id": actor.district_id,
                    "employer": employer,
                    "employer_party_organisation": party_organisation,
                    "skills": data.skills.strip(),
                    "availability": data.availability.strip(),
                    "preferred_posts": data.preferred_posts.strip(),
                },
            )
        live = Registration.objects.filter(
            community=community,
            status__in=[Registration.Status.PENDING, Registration.Status.APPROVED],
        ).filter(Q(organisation=organisation) if organisation else Q(member=member))
        if live.exists():
            raise Conflict(
                _("You have already reported to this community."), code="already_reported"
            )
        registration = Registration.objects.create(
            district_id=community.district_id,
            subdistrict_id=community.subdistrict_id,
            community=community,
            kind=kind,
            organisation=organisation,
            member=member,
            party_organisation=party_organisation,
            liaison_name=liaison,
            liaison_phone=phone,
            offers=data.offers.strip(),
            submitted_by=actor,
        )
        audit.record(
            actor=actor,
            action="create",
            obj=registration,
            changes={"kind": kind, "liaison_phone": mask_phone(phone)},
            request=request,
        )
    return registration


def _lock_registration(actor: User, pk: int) -> Registration:
    visible = get_registration_for_user(actor, pk)
    if not may_decide(actor, visible.community_id):
        raise Forbidden(_("You may not decide on this registration."))
    locked = Registration.objects.select_for_update().get(pk=visible.pk)
    if locked.status != Registration.Status.PENDING:
        raise Conflict(
            _("This registration was already decided (%(status)s).")
            % {"status": locked.get_status_display()},
            code="already_decided",
        )
    return locked


def approve_registration(
    *, actor: User, registration_id: int, request: HttpRequest | None = None
) -> Registration:
    """Approve a pending registration; the unit or member gets a receipt number."""
    with transaction.atomic():
        registration = _lock_registration(actor, registration_id)
        # One receipt number at a time per community: lock it before counting the issued ones.
        Community.objects.select_for_update().get(pk=registration.community_id)
        now = timezone.now()
        year = timezone.localtime(now).year
        prefix = f"SBD-{registration.community.code}-{year}-"
        issued = Registration.objects.filter(receipt_number__startswith=prefix).count()
        registration.status = Registration.Status.APPROVED
        registration.receipt_number = f"{prefix}{issued + 1:04d}"
        registration.decided_by, registration.decided_at = actor, now
        registration.return_reason = ""
        registration.save()
        audit.record(
            actor=actor,
            action="update",
            obj=registration,
            changes={"status": ["pending", "approved"], "receipt": registration.receipt_number},
            request=request,
        )
    return registration


def return_registration(
    *, actor: User, registration_id: int, reason: str, request: HttpRequest | None = None
) -> Registration:
    """Return a pending registration with a reason the unit or member reads."""
    reason = _require(reason, "reason", _("Please say why it is returned."))[:300]
    with transaction.atomic():
        registration = _lock_registration(actor, registration_id)
        registration.status = Registration.Status.RETURNED
        registration.return_reason = reason
        registration.decided_by, registration.decided_at = actor, timezone.now()
        registration.save()
        audit.record(
            actor=actor,
            action="update",
            obj=registration,
            changes={"status": ["pending", "returned"], "reason": reason},
            request=request,
        )
    return registration


# ------------------------------------------------------------------------------ service records


def _hours(start: dt.datetime, end: dt.datetime) -> Decimal:
    """Whole quarter hours between ``start`` and ``end`` (rounded down)."""
    quarters = int((end - start).total_seconds() // 900)
    return (Decimal(quarters) / 4).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def log_service(
    *,
    actor: AnyUser,
    community: Community,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    what: str,
    travel_minutes: int = 0,
    volunteer: User | None = None,
    request: HttpRequest | None = None,
) -> ServiceRecord:
    """A volunteer logs a duty (or staff log it for them); hours that overlap are refused."""
    person = volunteer or actor
    if person != actor and not may_decide(actor, community.pk):
        raise Forbidden(_("You may not log service for someone else."))
    if not is_signed_in(person) or community.district_id != person.district_id:
        raise DutyRefused(_("Choose a community of your district."), field="community")
    volunteer = person
    what = _require(what, "what", _("Please say what was done."))[:300]
    if ended_at <= started_at:
        raise DutyRefused(_("The end must be after the start."), field="ended_at")
    if ended_at - started_at > dt.timedelta(hours=16):
        raise DutyRefused(_("One duty lasts at most 16 hours."), field="ended_at")
    if ended_at > timezone.now() + dt.timedelta(minutes=5):
        raise DutyRefused(_("Service can be logged once it is done."), field="ended_at")
    if not 0 <= travel_minutes <= 24 * 60:
        raise DutyRefused(_("Travel must be between 0 and 1440 minutes."), field="travel_minutes")
    with transaction.atomic():
        # Serialise one volunteer's records so two overlapping requests cannot both pass.
        User.objects.select_for_update().get(pk=volunteer.pk)
        clash = (
            ServiceRecord.objects.filter(
                volunteer=volunteer, started_at__lt=ended_at, ended_at__gt=started_at
            )
            .order_by("started_at")
            .first()
        )
        if clash is not None:
            local = timezone.localtime(clash.started_at)
            raise OverlappingService(
                _(
                    "These hours overlap the duty of %(day)s %(start)s–%(end)s (%(what)s); "
                    "the same hour cannot be counted twice."
                )
                % {
                    "day": f"{local:%Y-%m-%d}",
                    "start": f"{local:%H:%M}",
                    "end": f"{timezone.localtime(clash.ended_at):%H:%M}",
                    "what": clash.what,
                },
                field="started_at",
            )
        unit_id = (
            Organisation.objects.filter(pk=volunteer.organisation_id, kind=Organisation.Kind.UNIT)
            .values_list("pk", flat=True)
            .first()
            if volunteer.role == Role.UNIT_LIAISON and volunteer.organisation_id is not None
            else None
        )
        record = ServiceRecord.objects.create(
            unit_id=unit_id,
            district_id=community.district_id,
            subdistrict_id=community.subdistrict_id,
            community=community,
            volunteer=volunteer,
            started_at=started_at,
            ended_at=ended_at,
            travel_minutes=travel_minutes,
            what=what,
            hours=_hours(started_at, ended_at),
        )
        audit.record(
            actor=actor,
            action="create",
            obj=record,
            changes={"hours": str(record.hours), "travel_minutes": travel_minutes},
            request=request,
        )
    return record


def confirm_service(
    *, actor: AnyUser, record_id: int, request: HttpRequest | None = None
) -> ServiceRecord:
    """Staff of the community confirm a logged duty."""
    with transaction.atomic():
        visible = get_record_for_user(actor, record_id)
        if not may_decide(actor, visible.community_id):
            raise Forbidden(_("You may not confirm this record."))
        record = ServiceRecord.objects.select_for_update().get(pk=visible.pk)
        if record.status == ServiceRecord.Status.CONFIRMED and not record.correction_request:
            raise Conflict(_("This record is already confirmed."), code="already_confirmed")
        record.status = ServiceRecord.Status.CONFIRMED
        record.confirmed_by, record.confirmed_at = actor, timezone.now()
        record.correction_request = ""
        record.save()
        audit.record(
            actor=actor,
            action="update",
            obj=record,
            changes={"status": ["recorded", "confirmed"]},
            request=request,
        )
    return record


def request_correction(
    *, actor: AnyUser, record_id: int, text: str, request: HttpRequest | None = None
) -> ServiceRecord:
    """A volunteer asks for their own record to be corrected."""
    text = _require(text, "text", _("Please say what should be corrected."))[:300]
    with transaction.atomic():
        visible = get_record_for_user(actor, record_id)
        if visible.volunteer_id != actor.pk:
            raise Forbidden(_("Only the volunteer asks for a correction."))
        record = ServiceRecord.objects.select_for_update().get(pk=visible.pk)
        record.correction_request = text
        record.correction_requested_at = timezone.now()
        record.save(update_fields=["correction_request", "correction_requested_at"])
        audit.record(
            actor=actor, action="update", obj=record, changes={"correction": text}, request=request
        )
    return record


# ------------------------------------------------------------------------------ hours and stars


def star_tiers(district_id: int | None) -> tuple[int, ...]:
    """The district's star thresholds in hours (its own tiers, else the national rule)."""
    if district_id is None:
        return NATIONAL_STAR_HOURS
    own = tuple(
        StarTier.objects.filter(district_id=district_id)
        .order_by("stars")
        .values_list("min_hours", flat=True)
    )
    return own or NATIONAL_STAR_HOURS


@dataclass(frozen=True)
class Standing:
    """A volunteer's confirmed hours, stars, and what the next star needs."""

    hours: Decimal
    pending_hours: Decimal
    stars: int
    next_at: int | None


def standing(user: User) -> Standing:
    """Cumulative confirmed hours and the star level they earn (pending hours shown apart)."""
    rows = ServiceRecord.objects.filter(volunteer=user)
    confirmed = rows.filter(status=ServiceRecord.Status.CONFIRMED).aggregate(h=Sum("hours"))["h"]
    pending = rows.filter(status=ServiceRecord.Status.RECORDED).aggregate(h=Sum("hours"))["h"]
    cent = Decimal("0.01")  # SQLite's SUM drops the decimals; every database reads "2.00"
    hours = Decimal(confirmed or 0).quantize(cent)
    tiers = star_tiers(user.district_id)
    stars = stars_for(hours, tiers)
    return Standing(
        hours=hours,
        pending_hours=Decimal(pending or 0).quantize(cent),
        stars=stars,
        next_at=tiers[stars] if stars < len(tiers) else None,
    )
