"""Services (服务项目) and where they are offered (a station and a schedule)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dateutil.rrule import rrulestr
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import AnyUser
from linli.core import audit, limits
from linli.core.audited import CREATE, DELETE, UPDATE, audited_change
from linli.core.exceptions import Forbidden, NotFound
from linli.places import permissions
from linli.places.models import (
    District,
    Organisation,
    Service,
    ServiceAtStation,
    ServiceCategory,
    Station,
)
from linli.places.rrule_words import NEVER_YEARS, next_day
from linli.places.services._scope import _require_editor, resolve_district
from linli.places.services.stations import _locked_station
from linli.places.services.validators import _invalid, _require_text

SERVICE_FIELDS = (
    "name",
    "category",
    "organisation",
    "description",
    "fee",
    "fee_description",
    "booking_required",
    "is_active",
)


@dataclass(frozen=True, kw_only=True)
class ServiceInput:
    """A service by codes; ``organisation`` is the provider's name (created when new)."""

    name: str
    category: str
    organisation: str = ""
    organisation_kind: str = Organisation.Kind.SOCIAL
    description: str = ""
    fee: str = Service.Fee.FREE
    fee_description: str = ""
    booking_required: bool = False
    is_active: bool = True
    district: str = ""


@dataclass(frozen=True, kw_only=True)
class ScheduleInput:
    """When a service is offered at a station: an RRULE (HSDS) and optional times."""

    rrule: str = ""
    opens: dt.time | None = None
    closes: dt.time | None = None
    note: str = ""


def check_schedule(schedule: ScheduleInput) -> None:
    """Refuse an RRULE dateutil cannot read, one with no date in the next years, or a half-given
    or reversed time window."""
    if schedule.rrule:
        if len(schedule.rrule) > limits.RRULE:
            raise _invalid(
                limits.text_problem(schedule.rrule, max_length=limits.RRULE),
                code="invalid_rrule",
                field_name="rrule",
            )
        try:
            # Parsing only: dateutil expands nothing until iterated.
            rrulestr(schedule.rrule, dtstart=dt.datetime(2024, 1, 1))
        except (ValueError, TypeError, OverflowError):
            raise _invalid(
                _("“%(rrule)s” is not a valid recurrence rule (RRULE).")
                % {"rrule": schedule.rrule},
                code="invalid_rrule",
                field_name="rrule",
            ) from None
        # A valid rule may never occur (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30): residents would
        # never see a date, and a page would search for one in vain.
        today = timezone.localdate()
        if next_day(schedule.rrule, today=today) is None:
            raise _invalid(
                _(
                    "“%(rrule)s” has no date in the next %(years)s years; check the month, "
                    "day and end date."
                )
                % {"rrule": schedule.rrule, "years": NEVER_YEARS},
                code="rrule_never_occurs",
                field_name="rrule",
            )
    if (schedule.opens is None) != (schedule.closes is None):
        raise _invalid(
            _("Give both the start and the end time, or neither."),
            code="invalid_hours",
            field_name="opens",
        )
    if schedule.opens and schedule.closes and not schedule.closes > schedule.opens:
        raise _invalid(
            _("Closing time must be after opening time."), code="invalid_hours", field_name="closes"
        )


def add_service_at_station(
    *,
    actor: AnyUser,
    service: Service,
    station: Station,
    schedule: ScheduleInput | None = None,
    request: HttpRequest | None = None,
) -> ServiceAtStation:
    """Offer a service at a station (or change its schedule there); keepers may, at their own."""
    schedule = schedule or ScheduleInput()
    check_schedule(schedule)
    with audited_change(
        actor=actor, action=UPDATE, lock=lambda: _locked_station(actor, station), request=request
    ) as change:
        locked = change.obj
        if service.district_id != locked.district_id:
            raise NotFound(_("No such service."), code="not_found")
        wanted = {
            "rrule": schedule.rrule.strip(),
            "opens": schedule.opens,
            "closes": schedule.closes,
            "schedule_note": schedule.note.strip(),
        }
        link = ServiceAtStation.objects.filter(service=service, station=locked).first()
        before = {k: getattr(link, k) for k in wanted} if link is not None else {}
        if link is None:
            change.action = CREATE
            link = ServiceAtStation(service=service, station=locked, district_id=locked.district_id)
        for name, value in wanted.items():
            setattr(link, name, value)
        change.subject = link
        change.changes = audit.diff(before, wanted, fields=wanted)
        change.context = {"station": locked.code, "service": service.name}
        if change.action == CREATE or change.changes:
            link.save()
    return link


def remove_service_at_station(
    *, actor: AnyUser, link: ServiceAtStation, request: HttpRequest | None = None
) -> None:
    """Stop offering a service at one station; the service itself stays."""
    with audited_change(
        actor=actor,
        action=DELETE,
        lock=lambda: _locked_station(actor, link.station),
        request=request,
        delete=True,
    ) as change:
        change.subject = link
        change.changes = {}
        change.context = {"station": link.station.code, "service": link.service.name}


def _service_snapshot(service: Service) -> dict[str, Any]:
    return {
        "name": service.name,
        "category": service.category.code if service.category_id else None,
        "organisation": service.organisation.name if service.organisation else None,
        "description": service.description,
        "fee": service.fee,
        "fee_description": service.fee_description,
        "booking_required": service.booking_required,
        "is_active": service.is_active,
    }


def can_change_service(actor: AnyUser, service: Service) -> bool:
    """Editors may change a service if every station offering it is in their scope.

    A service shared with another community belongs to both; only someone whose scope covers all
    of its stations (or the whole district) may rename or re-price it. Anyone may still manage
    the service's links at their own stations (``add/remove_service_at_station``).
    """
    if not (actor is not None and actor.is_authenticated and actor.is_staff_role):
        return False
    if not (actor.is_superuser or actor.role in permissions.EDITOR_ROLES):
        return False
    scope = actor.scope
    if scope.everything:
        return True
    if service.district_id != scope.district_id:
        return False
    if scope.subdistrict_id is None and scope.community_id is None:
        return True
    station_ids = set(service.at_stations.values_list("station_id", flat=True))
    if not station_ids:
        return False
    visible = set(
        permissions.stations_for_user(actor).filter(pk__in=station_ids).values_list("pk", flat=True)
    )
    return station_ids == visible


def _apply_service(service: Service, data: ServiceInput, district: District) -> None:
    _require_text(data.name, field_name="name", label=_("Name"))
    try:
        category = ServiceCategory.objects.get(code=data.category)
    except ServiceCategory.DoesNotExist:
        raise _invalid(
            _("Unknown service category “%(code)s”.") % {"code": data.category},
            code="unknown_service_category",
            field_name="category",
        ) from None
    if data.fee not in Service.Fee.values:
        raise _invalid(_("Unknown fee kind."), code="invalid", field_name="fee")
    organisation = None
    if data.organisation.strip():
        if data.organisation_kind not in Organisation.Kind.values:
            raise _invalid(
                _("Unknown organisation kind."), code="invalid", field_name="organisation_kind"
            )
        # Providers are named in sheets and forms; a new name creates the organisation so a
        # fresh district can import its services before anyone has typed up the providers.
        organisation, _created = Organisation.objects.get_or_create(
            district=district,
            name=data.organisation.strip(),
            defaults={"kind": data.organisation_kind},
        )
    service.district = district
    service.category = category
    service.organisation = organisation
    service.name = data.name.strip()
    service.description = data.description.strip()
    service.fee = data.fee
    service.fee_description = data.fee_description.strip()
    service.booking_required = data.booking_required
    service.is_active = data.is_active
    service.save()


def create_service(
    *,
    actor: AnyUser,
    data: ServiceInput,
    stations: Sequence[tuple[Station, ScheduleInput]] = (),
    request: HttpRequest | None = None,
) -> Service:
    """Create a service, offered at the given stations.

    Staff below the district level must name at least one station of their scope: a service at
    no station would be invisible to them (``permissions.services_for_user``).
    """
    editor = _require_editor(actor)
    district = resolve_district(actor, data.district)
    scope = editor.scope
    if not stations and (scope.community_id is not None or scope.subdistrict_id is not None):
        raise _invalid(
            _("Choose at least one station that offers this service."),
            code="station_required",
            field_name="stations",
        )
    with transaction.atomic():
        with audited_change(
            actor=actor,
            action=CREATE,
            lock=Service,
            snapshot=_service_snapshot,
            fields=SERVICE_FIELDS,
            request=request,
        ) as change:
            _apply_service(change.obj, data, district)
        for station, schedule in stations:
            add_service_at_station(
                actor=actor, service=change.obj, station=station, schedule=schedule, request=request
            )
    return change.obj


def _locked_service(actor: AnyUser, service: Service) -> Service:
    """Re-read the service under a row lock; refuse one offered outside the actor's area."""
    # services_for_user is DISTINCT, which cannot be locked: check, then lock by pk.
    visible = permissions.services_for_user(actor).filter(pk=service.pk).exists()
    locked = (
        Service.objects.select_for_update(of=("self",))
        .select_related("category", "organisation", "district")
        .filter(pk=service.pk)
        .first()
    )
    if not visible or locked is None:
        raise NotFound(_("No such service."), code="not_found")
    if not can_change_service(actor, locked):
        raise Forbidden(
            _("This service is also offered outside your area; ask the district to change it."),
            code="shared_service",
        )
    return locked


def update_service(
    *, actor: AnyUser, service: Service, data: ServiceInput, request: HttpRequest | None = None
) -> Service:
    """Replace a service's details (not its stations)."""
    _require_editor(actor)
    with audited_change(
        actor=actor,
        action=UPDATE,
        lock=lambda: _locked_service(actor, service),
        snapshot=_service_snapshot,
        fields=SERVICE_FIELDS,
        request=request,
    ) as change:
        _apply_service(change.obj, data, change.obj.district)
    return change.obj
