"""Every write to places: one named function per use case.

Each function owns its transaction, re-checks permission through ``linli.places.permissions``
(defence in depth: the console views, the JSON API in ``linli.places.api`` and the Excel importer
in ``linli.places.imports`` all call these, and none of them may be the only guard), records one
audit entry and raises a ``linli.core.exceptions`` error with a stable code on refusal.

Inputs are keyed by codes (category code, community code, function and amenity codes), not by
database ids, so that a sheet, a form and an API payload share one path.

Deleting a station is *soft* by default: ``is_active`` becomes False, the station leaves the
resident directory and the API's public lists, and its services, hours and history stay for the
audit trail and for activities that will refer to it. ``hard=True`` removes a record entered by
mistake together with its hours, exceptions, photos and service links; the audit entry keeps a
(masked) snapshot of what was removed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dateutil.rrule import rrulestr
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core import audit
from linli.core.exceptions import Conflict, Forbidden, LinliError, NotFound
from linli.core.models import AuditEntry
from linli.places import permissions
from linli.places.models import (
    Amenity,
    Community,
    Compound,
    District,
    FacilityCategory,
    Gate,
    Grid,
    OpeningException,
    OpeningHours,
    Organisation,
    Service,
    ServiceAtStation,
    ServiceCategory,
    Station,
    StationFunction,
    StationPhoto,
    Subdistrict,
)

STATION_FIELDS = (
    "code",
    "name",
    "category",
    "subdistrict",
    "community",
    "compound",
    "description",
    "address",
    "lon",
    "lat",
    "phone",
    "contact_name",
    "contact_phone",
    "holiday_policy",
    "is_active",
    "functions",
    "amenities",
)
COMPOUND_FIELDS = (
    "code",
    "name",
    "community",
    "grid",
    "households",
    "population",
    "address",
    "gates",
)
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


# --------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True, kw_only=True)
class StationInput:
    """A station as staff describe it, by codes; coordinates are WGS-84.

    ``community`` empty means a subdistrict-level place (the subdistrict's party service centre),
    which then needs ``subdistrict``. ``district`` is needed only for actors not bound to one
    district (superusers of a multi-district installation).
    """

    code: str
    name: str
    category: str
    community: str = ""
    subdistrict: str = ""
    lon: float
    lat: float
    address: str = ""
    description: str = ""
    phone: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    functions: Sequence[str] = ()
    amenities: Sequence[str] = ()
    compound: str = ""
    holiday_policy: str = Station.HolidayPolicy.OPEN
    is_active: bool = True
    district: str = ""


@dataclass(frozen=True, kw_only=True)
class HoursInput:
    """One opening interval on a weekday (0 = Monday); a close of 00:00 means midnight."""

    weekday: int
    opens: dt.time
    closes: dt.time


@dataclass(frozen=True, kw_only=True)
class GateInput:
    """A compound gate; coordinates are WGS-84."""

    name: str = ""
    lon: float
    lat: float


@dataclass(frozen=True, kw_only=True)
class CompoundInput:
    """A residential compound by codes; ``gates`` replace the compound's gates on update."""

    code: str
    name: str
    community: str
    grid: str = ""
    households: int = 0
    population: int = 0
    address: str = ""
    gates: Sequence[GateInput] = ()
    district: str = ""


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


# --------------------------------------------------------------------------------------------
# Shared helpers


def _invalid(message: Any, *, code: str, field_name: str) -> LinliError:
    return LinliError(message, code=code, field=field_name)


def _require_editor(actor: Any) -> None:
    if not (
        actor is not None
        and actor.is_authenticated
        and actor.is_staff_role
        and (actor.is_superuser or actor.role in permissions.EDITOR_ROLES)
    ):
        raise Forbidden(_("You may not change places."), code="forbidden")


def resolve_district(actor: Any, code: str = "") -> District:
    """The district an actor works in; superusers name it by code when there are several."""
    scope = actor.scope if actor is not None and actor.is_authenticated else None
    if scope is None or (scope.district_id is None and not scope.everything):
        raise Forbidden(_("You are not assigned to a district."), code="no_district")
    if scope.district_id is not None and not code:
        return District.objects.get(pk=scope.district_id)
    qs = District.objects.all()
    if not scope.everything:
        qs = qs.filter(pk=scope.district_id)
    if code:
        qs = qs.filter(code=code)
    districts = list(qs[:2])
    if len(districts) != 1:
        raise _invalid(
            _("Name the district by its code."), code="unknown_district", field_name="district"
        )
    return districts[0]


def _category(code: str) -> FacilityCategory:
    try:
        return FacilityCategory.objects.get(code=code)
    except FacilityCategory.DoesNotExist:
        raise _invalid(
            _("Unknown kind “%(code)s”.") % {"code": code},
            code="unknown_category",
            field_name="category",
        ) from None


def _placement(
    actor: Any, district: District, *, community_code: str, subdistrict_code: str
) -> tuple[Community | None, Subdistrict]:
    """Resolve where a record sits and check the actor may create records there."""
    community: Community | None = None
    if community_code:
        community = (
            Community.objects.select_related("subdistrict")
            .filter(district=district, code=community_code)
            .first()
        )
        if community is None:
            raise _invalid(
                _("Unknown community code “%(code)s”.") % {"code": community_code},
                code="unknown_community",
                field_name="community",
            )
        subdistrict = community.subdistrict
        if subdistrict_code and subdistrict.code != subdistrict_code:
            raise _invalid(
                _("Community “%(community)s” is not in subdistrict “%(code)s”.")
                % {"community": community.name, "code": subdistrict_code},
                code="subdistrict_mismatch",
                field_name="subdistrict",
            )
    else:
        found = Subdistrict.objects.filter(district=district, code=subdistrict_code).first()
        if not subdistrict_code or found is None:
            raise _invalid(
                _("Give a community code, or a subdistrict code for a subdistrict-level place."),
                code="unknown_community",
                field_name="community",
            )
        subdistrict = found
    if not permissions.can_create_in(actor, community, subdistrict):
        raise Forbidden(
            _("You may not place records in “%(place)s”.")
            % {"place": community.name if community else subdistrict.name},
            code="outside_scope",
            field="community",
        )
    return community, subdistrict


def _labelled(
    model: type[Any], codes: Iterable[str], *, field_name: str, error_code: str
) -> list[Any]:
    wanted = list(dict.fromkeys(c for c in codes if c))
    rows = list(model.objects.filter(code__in=wanted))
    missing = sorted(set(wanted) - {r.code for r in rows})
    if missing:
        raise _invalid(
            _("Unknown codes: %(codes)s.") % {"codes": ", ".join(missing)},
            code=error_code,
            field_name=field_name,
        )
    return rows


def _check_position(district: District, lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or not district.contains(lon, lat):
        raise _invalid(
            _("The point (%(lon)s, %(lat)s) lies outside %(district)s.")
            % {"lon": lon, "lat": lat, "district": district.name},
            code="outside_district",
            field_name="lon",
        )


def _require_text(value: str, *, field_name: str, label: Any) -> None:
    if not value.strip():
        raise _invalid(
            _("%(field)s is required.") % {"field": label}, code="required", field_name=field_name
        )


def _station_snapshot(station: Station, data: StationInput | None = None) -> dict[str, Any]:
    """The audited fields; after a write, ``data`` supplies the codes just set (no re-query)."""
    functions = data.functions if data else station.functions.values_list("code", flat=True)
    amenities = data.amenities if data else station.amenities.values_list("code", flat=True)
    return {
        **{f: getattr(station, f) for f in STATION_FIELDS if f not in {"functions", "amenities"}},
        "category": station.category.code if station.category_id else None,
        "subdistrict": station.subdistrict.code if station.subdistrict_id else None,
        "community": station.community.code if station.community else None,
        "compound": station.compound.code if station.compound else None,
        "functions": sorted(set(functions)),
        "amenities": sorted(set(amenities)),
    }


# --------------------------------------------------------------------------------------------
# Stations


def _apply_station(actor: Any, station: Station, data: StationInput, district: District) -> None:
    _require_text(data.code, field_name="code", label=_("Code"))
    _require_text(data.name, field_name="name", label=_("Name"))
    community, subdistrict = _placement(
        actor, district, community_code=data.community, subdistrict_code=data.subdistrict
    )
    _check_position(district, data.lon, data.lat)
    if data.holiday_policy not in Station.HolidayPolicy.values:
        raise _invalid(_("Unknown holiday policy."), code="invalid", field_name="holiday_policy")
    compound = None
    if data.compound:
        compound = Compound.objects.filter(district=district, code=data.compound).first()
        if compound is None or (community is not None and compound.community_id != community.pk):
            raise _invalid(
                _("Unknown compound code “%(code)s” in this community.") % {"code": data.compound},
                code="unknown_compound",
                field_name="compound",
            )
    clash = Station.objects.filter(district=district, code=data.code).exclude(pk=station.pk)
    if clash.exists():
        raise Conflict(
            _("The station code “%(code)s” is already used in the district.") % {"code": data.code},
            code="duplicate_code",
            field="code",
        )
    station.district = district
    station.subdistrict = subdistrict
    station.community = community
    station.compound = compound
    station.category = _category(data.category)
    station.code = data.code.strip()
    station.name = data.name.strip()
    for name in ("description", "address", "phone", "contact_name", "contact_phone"):
        setattr(station, name, getattr(data, name).strip())
    station.lon, station.lat = data.lon, data.lat
    station.holiday_policy = data.holiday_policy
    station.is_active = data.is_active
    functions = _labelled(
        StationFunction, data.functions, field_name="functions", error_code="unknown_function"
    )
    amenities = _labelled(
        Amenity, data.amenities, field_name="amenities", error_code="unknown_amenity"
    )
    # Foreign keys were resolved above; validating them again would cost a query each per row,
    # which an import of a thousand stations feels.
    station.full_clean(
        exclude=["district", "subdistrict", "community", "compound", "category"],
        validate_unique=False,
        validate_constraints=False,
    )
    station.save()
    station.functions.set(functions)
    station.amenities.set(amenities)


def create_station(
    *, actor: Any, data: StationInput, request: HttpRequest | None = None
) -> Station:
    """Create a station in a community (or subdistrict) of the actor's scope."""
    _require_editor(actor)
    district = resolve_district(actor, data.district)
    with transaction.atomic():
        station = Station()
        _apply_station(actor, station, data, district)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=station,
            request=request,
            changes=audit.diff({}, _station_snapshot(station, data), fields=STATION_FIELDS),
        )
    return station


def _locked_station(actor: Any, station: Station) -> Station:
    """Re-read the station under a row lock, refusing anything outside the actor's scope."""
    locked = (
        permissions.stations_for_user(actor)
        .select_for_update(of=("self",))
        .select_related("district", "category", "community", "subdistrict", "compound")
        .filter(pk=station.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such station."), code="not_found")
    if not permissions.can_change_station(actor, locked):
        raise Forbidden(_("You may not change this station."), code="forbidden")
    return locked


def update_station(
    *, actor: Any, station: Station, data: StationInput, request: HttpRequest | None = None
) -> Station:
    """Replace a station's details; moving it needs the right to create at the destination too."""
    _require_editor(actor)
    with transaction.atomic():
        locked = _locked_station(actor, station)
        before = _station_snapshot(locked)
        _apply_station(actor, locked, data, locked.district)
        changes = audit.diff(before, _station_snapshot(locked, data), fields=STATION_FIELDS)
        if changes:
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=locked,
                request=request,
                changes=changes,
            )
    return locked


def delete_station(
    *, actor: Any, station: Station, request: HttpRequest | None = None, hard: bool = False
) -> None:
    """Take a station out of service (default) or remove a mistaken record (``hard``)."""
    _require_editor(actor)
    with transaction.atomic():
        locked = _locked_station(actor, station)
        if not permissions.can_delete_station(actor, locked):
            raise Forbidden(_("You may not delete this station."), code="forbidden")
        snapshot = _station_snapshot(locked)
        if hard:
            audit.record(
                actor=actor,
                action=AuditEntry.Action.DELETE,
                obj=locked,
                request=request,
                changes={"hard": True, **audit.diff(snapshot, {}, fields=STATION_FIELDS)},
            )
            locked.delete()
        else:
            if locked.is_active:
                locked.is_active = False
                locked.save(update_fields=["is_active", "updated_at"])
            audit.record(
                actor=actor,
                action=AuditEntry.Action.DELETE,
                obj=locked,
                request=request,
                changes={"is_active": [True, False], "hard": False},
            )
    station.is_active = False


def _hours_problem(hours: Sequence[HoursInput]) -> str | None:
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for h in hours:
        if not 0 <= h.weekday <= 6:
            return str(_("Weekday must be 0 (Monday) to 6 (Sunday)."))
        if not (h.closes > h.opens or h.closes == dt.time(0, 0)):
            return str(_("Closing time must be after opening time."))
        by_day.setdefault(h.weekday, []).append((h.opens, h.closes))
    for intervals in by_day.values():
        intervals.sort()
        for (_o1, c1), (o2, _c2) in itertools.pairwise(intervals):
            if c1 == dt.time(0, 0) or o2 < c1:
                return str(_("Opening intervals on one day must not overlap."))
    return None


def set_opening_hours(
    *,
    actor: Any,
    station: Station,
    hours: Sequence[HoursInput],
    holiday_policy: str | None = None,
    request: HttpRequest | None = None,
) -> Station:
    """Replace the weekly opening hours (and optionally the holiday policy) of a station.

    A station keeper may do this for their own station.
    """
    problem = _hours_problem(hours)
    if problem:
        raise _invalid(problem, code="invalid_hours", field_name="hours")
    if holiday_policy is not None and holiday_policy not in Station.HolidayPolicy.values:
        raise _invalid(_("Unknown holiday policy."), code="invalid", field_name="holiday_policy")
    with transaction.atomic():
        locked = _locked_station(actor, station)
        before = [
            f"{h.weekday} {h.opens:%H:%M}-{h.closes:%H:%M}" for h in locked.opening_hours.all()
        ]
        locked.opening_hours.all().delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(station=locked, weekday=h.weekday, opens=h.opens, closes=h.closes)
            for h in sorted(hours, key=lambda h: (h.weekday, h.opens))
        )
        after = [
            f"{h.weekday} {h.opens:%H:%M}-{h.closes:%H:%M}"
            for h in sorted(hours, key=lambda h: (h.weekday, h.opens))
        ]
        changes: dict[str, Any] = {}
        if before != after:
            changes["opening_hours"] = [before, after]
        if holiday_policy is not None and holiday_policy != locked.holiday_policy:
            changes["holiday_policy"] = [locked.holiday_policy, holiday_policy]
            locked.holiday_policy = holiday_policy
            locked.save(update_fields=["holiday_policy", "updated_at"])
        if changes:
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=locked,
                request=request,
                changes=changes,
            )
    return locked


def check_schedule(schedule: ScheduleInput) -> None:
    """Refuse an RRULE dateutil cannot read, or a half-given or reversed time window."""
    if schedule.rrule:
        try:
            rrulestr(schedule.rrule, dtstart=dt.datetime(2024, 1, 1))
        except (ValueError, TypeError):
            raise _invalid(
                _("“%(rrule)s” is not a valid recurrence rule (RRULE).")
                % {"rrule": schedule.rrule},
                code="invalid_rrule",
                field_name="rrule",
            ) from None
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
    actor: Any,
    service: Service,
    station: Station,
    schedule: ScheduleInput | None = None,
    request: HttpRequest | None = None,
) -> ServiceAtStation:
    """Offer a service at a station (or change its schedule there); keepers may, at their own."""
    schedule = schedule or ScheduleInput()
    check_schedule(schedule)
    with transaction.atomic():
        locked = _locked_station(actor, station)
        if service.district_id != locked.district_id:
            raise NotFound(_("No such service."), code="not_found")
        wanted = {
            "rrule": schedule.rrule.strip(),
            "opens": schedule.opens,
            "closes": schedule.closes,
            "schedule_note": schedule.note.strip(),
        }
        link = ServiceAtStation.objects.filter(service=service, station=locked).first()
        created = link is None
        before = {k: getattr(link, k) for k in wanted} if link is not None else {}
        if link is None:
            link = ServiceAtStation(service=service, station=locked, district_id=locked.district_id)
        for name, value in wanted.items():
            setattr(link, name, value)
        changes = audit.diff(before, wanted, fields=wanted)
        if created or changes:
            link.save()
            audit.record(
                actor=actor,
                action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
                obj=link,
                request=request,
                changes={"station": locked.code, "service": service.name, **changes},
            )
    return link


def remove_service_at_station(
    *, actor: Any, link: ServiceAtStation, request: HttpRequest | None = None
) -> None:
    """Stop offering a service at one station; the service itself stays."""
    with transaction.atomic():
        _locked_station(actor, link.station)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.DELETE,
            obj=link,
            request=request,
            changes={"station": link.station.code, "service": link.service.name},
        )
        link.delete()


# --------------------------------------------------------------------------------------------
# Compounds


def _compound_snapshot(compound: Compound) -> dict[str, Any]:
    return {
        "code": compound.code,
        "name": compound.name,
        "community": compound.community.code if compound.community_id else None,
        "grid": compound.grid.code if compound.grid else None,
        "households": compound.households,
        "population": compound.population,
        "address": compound.address,
        "gates": [f"{g.name} {g.lon:.6f},{g.lat:.6f}" for g in compound.gates.all()],
    }


def _apply_compound(
    actor: Any, compound: Compound, data: CompoundInput, district: District
) -> None:
    _require_text(data.code, field_name="code", label=_("Code"))
    _require_text(data.name, field_name="name", label=_("Name"))
    community, _sub = _placement(
        actor, district, community_code=data.community, subdistrict_code=""
    )
    assert community is not None
    if data.households < 0 or data.population < 0:
        raise _invalid(
            _("Households and population cannot be negative."),
            code="invalid",
            field_name="households",
        )
    grid = None
    if data.grid:
        grid = Grid.objects.filter(district=district, code=data.grid, community=community).first()
        if grid is None:
            raise _invalid(
                _("Unknown grid code “%(code)s” in this community.") % {"code": data.grid},
                code="unknown_grid",
                field_name="grid",
            )
    for gate in data.gates:
        _check_position(district, gate.lon, gate.lat)
    if Compound.objects.filter(district=district, code=data.code).exclude(pk=compound.pk).exists():
        raise Conflict(
            _("The compound code “%(code)s” is already used in the district.")
            % {"code": data.code},
            code="duplicate_code",
            field="code",
        )
    compound.district = district
    compound.community = community
    compound.grid = grid
    compound.code = data.code.strip()
    compound.name = data.name.strip()
    compound.households = data.households
    compound.population = data.population
    compound.address = data.address.strip()
    compound.save()
    compound.gates.all().delete()
    Gate.objects.bulk_create(
        Gate(district=district, compound=compound, name=g.name.strip(), lon=g.lon, lat=g.lat)
        for g in data.gates
    )


def _locked_compound(actor: Any, compound: Compound) -> Compound:
    _require_editor(actor)
    locked = (
        permissions.compounds_for_user(actor)
        .select_for_update(of=("self",))
        .select_related("district", "community__subdistrict", "grid")
        .filter(pk=compound.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such compound."), code="not_found")
    if not permissions.can_create_in(actor, locked.community, locked.community.subdistrict):
        raise Forbidden(_("You may not change this compound."), code="forbidden")
    return locked


def create_compound(
    *, actor: Any, data: CompoundInput, request: HttpRequest | None = None
) -> Compound:
    """Create a compound with its gates in a community of the actor's scope."""
    _require_editor(actor)
    district = resolve_district(actor, data.district)
    with transaction.atomic():
        compound = Compound()
        _apply_compound(actor, compound, data, district)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=compound,
            request=request,
            changes=audit.diff({}, _compound_snapshot(compound), fields=COMPOUND_FIELDS),
        )
    return compound


def update_compound(
    *, actor: Any, compound: Compound, data: CompoundInput, request: HttpRequest | None = None
) -> Compound:
    """Replace a compound's details and gates."""
    with transaction.atomic():
        locked = _locked_compound(actor, compound)
        before = _compound_snapshot(locked)
        _apply_compound(actor, locked, data, locked.district)
        changes = audit.diff(before, _compound_snapshot(locked), fields=COMPOUND_FIELDS)
        if changes:
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=locked,
                request=request,
                changes=changes,
            )
    return locked


def delete_compound(*, actor: Any, compound: Compound, request: HttpRequest | None = None) -> None:
    """Remove a compound and its gates; stations that pointed to it keep their place."""
    with transaction.atomic():
        locked = _locked_compound(actor, compound)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.DELETE,
            obj=locked,
            request=request,
            changes=audit.diff(_compound_snapshot(locked), {}, fields=COMPOUND_FIELDS),
        )
        locked.delete()


# --------------------------------------------------------------------------------------------
# Services


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


def can_change_service(actor: Any, service: Service) -> bool:
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
    actor: Any,
    data: ServiceInput,
    stations: Sequence[tuple[Station, ScheduleInput]] = (),
    request: HttpRequest | None = None,
) -> Service:
    """Create a service, offered at the given stations.

    Staff below the district level must name at least one station of their scope: a service at
    no station would be invisible to them (``permissions.services_for_user``).
    """
    _require_editor(actor)
    district = resolve_district(actor, data.district)
    scope = actor.scope
    if not stations and (scope.community_id is not None or scope.subdistrict_id is not None):
        raise _invalid(
            _("Choose at least one station that offers this service."),
            code="station_required",
            field_name="stations",
        )
    with transaction.atomic():
        service = Service()
        _apply_service(service, data, district)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=service,
            request=request,
            changes=audit.diff({}, _service_snapshot(service), fields=SERVICE_FIELDS),
        )
        for station, schedule in stations:
            add_service_at_station(
                actor=actor, service=service, station=station, schedule=schedule, request=request
            )
    return service


def update_service(
    *, actor: Any, service: Service, data: ServiceInput, request: HttpRequest | None = None
) -> Service:
    """Replace a service's details (not its stations)."""
    _require_editor(actor)
    with transaction.atomic():
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
        before = _service_snapshot(locked)
        _apply_service(locked, data, locked.district)
        changes = audit.diff(before, _service_snapshot(locked), fields=SERVICE_FIELDS)
        if changes:
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=locked,
                request=request,
                changes=changes,
            )
    return locked


# --------------------------------------------------------------------------------------------
# Opening exceptions (临时调整 / 闭馆)
#
# The model keeps one OpeningException row per date (``opening_on`` looks exceptions up by date),
# so a closure over several days is several rows. Staff think in periods ("3月2日至6日 设备检修"),
# so the console shows and edits *periods*: runs of consecutive dates whose rows say the same
# thing. Days before today are history residents were already told; they are never changed or
# deleted here (the audit log and the resident page agree on what was announced), and editing or
# deleting a period that has begun only touches today and the days after it.

EXCEPTION_MAX_DAYS = 92
EXCEPTION_MAX_AHEAD_DAYS = 366
EXCEPTION_HISTORY_DAYS = 30


@dataclass(frozen=True, kw_only=True)
class ExceptionInput:
    """A change to the usual hours from ``first_day`` to ``last_day`` (inclusive).

    ``closed`` means closed all day; otherwise the station opens ``opens``–``closes`` on each day
    of the period (a close of 00:00 means midnight, as in the weekly hours). ``note`` is the
    reason residents read ("设备检修，暂停开放").
    """

    first_day: dt.date
    last_day: dt.date
    closed: bool = True
    opens: dt.time | None = None
    closes: dt.time | None = None
    note: str = ""


@dataclass(frozen=True)
class ExceptionPeriod:
    """Consecutive days with the same change; ``ids`` are the rows behind it (by date)."""

    first_day: dt.date
    last_day: dt.date
    closed: bool
    intervals: tuple[tuple[dt.time, dt.time], ...]
    note: str
    ids: tuple[int, ...]
    editable_ids: tuple[int, ...]

    @property
    def pk(self) -> int:
        """The row that names the period in URLs (its first row)."""
        return self.ids[0]

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def is_past(self) -> bool:
        """Over before today: shown for reference, no longer changed."""
        return not self.editable_ids

    @property
    def has_begun(self) -> bool:
        return len(self.editable_ids) < len(self.ids)

    @property
    def opens(self) -> dt.time | None:
        return self.intervals[0][0] if self.intervals else None

    @property
    def closes(self) -> dt.time | None:
        return self.intervals[0][1] if self.intervals else None


def _day_signature(rows: Sequence[Any]) -> tuple[Any, ...]:
    closed = all(r.closed or not (r.opens and r.closes) for r in rows)
    intervals = () if closed else tuple(sorted((r.opens, r.closes) for r in rows if not r.closed))
    return (closed, intervals, rows[0].note)


def exception_periods(
    station: Station, *, today: dt.date, since: dt.date | None = None
) -> list[ExceptionPeriod]:
    """The station's exceptions from ``since`` on, as periods of identical consecutive days.

    Both the console list and the edit/delete services use this, so "the period" means the same
    rows on the page and in the transaction.
    """
    qs = OpeningException.objects.filter(station=station).order_by("date", "opens", "pk")
    if since is not None:
        qs = qs.filter(date__gte=since)
    by_day: dict[dt.date, list[OpeningException]] = {}
    for row in qs:
        by_day.setdefault(row.date, []).append(row)
    periods: list[ExceptionPeriod] = []
    run: list[tuple[dt.date, list[OpeningException]]] = []

    def close_run() -> None:
        if not run:
            return
        closed, intervals, note = _day_signature(run[0][1])
        ids = tuple(r.pk for _day, rows in run for r in rows)
        editable = tuple(r.pk for day, rows in run if day >= today for r in rows)
        periods.append(
            ExceptionPeriod(run[0][0], run[-1][0], closed, intervals, note, ids, editable)
        )
        run.clear()

    for day in sorted(by_day):
        rows = by_day[day]
        if run and (
            day - run[-1][0] != dt.timedelta(days=1)
            or _day_signature(rows) != _day_signature(run[-1][1])
        ):
            close_run()
        run.append((day, rows))
    close_run()
    return periods


def _period_of(station: Station, exception: OpeningException, today: dt.date) -> ExceptionPeriod:
    if exception.station_id != station.pk:
        raise NotFound(_("No such change to the opening hours."), code="not_found")
    for period in exception_periods(station, today=today, since=exception.date - dt.timedelta(92)):
        if exception.pk in period.ids:
            return period
    raise NotFound(_("No such change to the opening hours."), code="not_found")


def check_exception(data: ExceptionInput, *, today: dt.date) -> None:
    """Refuse a reversed, past, too long or too distant period, or hours that do not add up."""
    if data.last_day < data.first_day:
        raise _invalid(
            _("The last day must not be before the first day."),
            code="invalid_dates",
            field_name="last_day",
        )
    if data.first_day < today:
        raise _invalid(
            _(
                "A change cannot start before today (%(today)s): residents have already seen "
                "the hours of past days."
            )
            % {"today": f"{today:%Y-%m-%d}"},
            code="past_date",
            field_name="first_day",
        )
    if data.first_day > today + dt.timedelta(days=EXCEPTION_MAX_AHEAD_DAYS):
        raise _invalid(
            _("A change may start at most %(days)s days ahead.")
            % {"days": EXCEPTION_MAX_AHEAD_DAYS},
            code="too_far_ahead",
            field_name="first_day",
        )
    if (data.last_day - data.first_day).days + 1 > EXCEPTION_MAX_DAYS:
        raise _invalid(
            _(
                "A change may last at most %(days)s days. For a longer closure, take the "
                "station out of service."
            )
            % {"days": EXCEPTION_MAX_DAYS},
            code="too_long",
            field_name="last_day",
        )
    if not data.note.strip():
        raise _invalid(
            _("Give the reason residents will read, for example “设备检修，暂停开放”."),
            code="required",
            field_name="note",
        )
    if len(data.note.strip()) > 200:
        raise _invalid(
            _("The reason may be at most 200 characters."), code="too_long", field_name="note"
        )
    if data.closed:
        return
    if data.opens is None or data.closes is None:
        raise _invalid(
            _("Give both the opening and the closing time, or choose “closed all day”."),
            code="invalid_hours",
            field_name="opens",
        )
    if not (data.closes > data.opens or data.closes == dt.time(0, 0)):
        raise _invalid(
            _("The closing time (%(closes)s) must be after the opening time (%(opens)s).")
            % {"opens": f"{data.opens:%H:%M}", "closes": f"{data.closes:%H:%M}"},
            code="invalid_hours",
            field_name="closes",
        )


def _period_text(data: ExceptionInput | ExceptionPeriod) -> str:
    """The audit log's one-line account of a period: 2026-03-02–2026-03-06 closed: 设备检修."""
    if isinstance(data, ExceptionPeriod):
        hours = (
            "closed" if data.closed else ",".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in data.intervals)
        )
    elif data.closed or data.opens is None or data.closes is None:
        hours = "closed"
    else:
        hours = f"{data.opens:%H:%M}-{data.closes:%H:%M}"
    return f"{data.first_day:%Y-%m-%d}–{data.last_day:%Y-%m-%d} {hours}: {data.note}".strip()


def _write_exception_days(station: Station, data: ExceptionInput) -> list[OpeningException]:
    """One row per day, saved one by one so the version receivers (places.queries) fire."""
    rows = []
    day = data.first_day
    while day <= data.last_day:
        row = OpeningException(
            station=station,
            date=day,
            closed=data.closed,
            opens=None if data.closed else data.opens,
            closes=None if data.closed else data.closes,
            note=data.note.strip(),
        )
        row.save()
        rows.append(row)
        day += dt.timedelta(days=1)
    return rows


def _refuse_overlap(station: Station, data: ExceptionInput, *, ignore: Iterable[int] = ()) -> None:
    taken = (
        OpeningException.objects.filter(
            station=station, date__gte=data.first_day, date__lte=data.last_day
        )
        .exclude(pk__in=list(ignore))
        .order_by("date")
        .values_list("date", flat=True)
        .first()
    )
    if taken is not None:
        raise Conflict(
            _(
                "There is already a change to the hours on %(date)s. Edit or delete that one "
                "first, so residents see one clear notice per day."
            )
            % {"date": f"{taken:%Y-%m-%d}"},
            code="overlapping_exception",
            field="first_day",
        )


def _local_today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def add_opening_exception(
    *,
    actor: Any,
    station: Station,
    data: ExceptionInput,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
) -> list[OpeningException]:
    """Close a station, or change its hours, on one day or a period (keepers: their own)."""
    today = _local_today(today)
    check_exception(data, today=today)
    with transaction.atomic():
        locked = _locked_station(actor, station)
        _refuse_overlap(locked, data)
        rows = _write_exception_days(locked, data)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=rows[0],
            district_id=locked.district_id,
            object_repr=f"{locked.name}: {_period_text(data)}"[:200],
            request=request,
            changes={"station": locked.code, "opening_exception": [None, _period_text(data)]},
        )
    return rows


def update_opening_exception(
    *,
    actor: Any,
    station: Station,
    exception: OpeningException,
    data: ExceptionInput,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
) -> list[OpeningException]:
    """Replace the period holding ``exception`` from today on; days already past stay."""
    today = _local_today(today)
    check_exception(data, today=today)
    with transaction.atomic():
        locked = _locked_station(actor, station)
        period = _period_of(locked, exception, today)
        if period.is_past:
            raise Forbidden(
                _("This change is over; past days stay as residents were told."),
                code="past_exception",
            )
        _refuse_overlap(locked, data, ignore=period.editable_ids)
        for row in OpeningException.objects.filter(pk__in=period.editable_ids):
            row.delete()
        rows = _write_exception_days(locked, data)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=rows[0],
            district_id=locked.district_id,
            object_repr=f"{locked.name}: {_period_text(data)}"[:200],
            request=request,
            changes={
                "station": locked.code,
                "opening_exception": [_period_text(period), _period_text(data)],
            },
        )
    return rows


def delete_opening_exception(
    *,
    actor: Any,
    station: Station,
    exception: OpeningException,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
) -> int:
    """Withdraw the period holding ``exception`` from today on (ends a begun closure early).

    Returns the number of days withdrawn.
    """
    today = _local_today(today)
    with transaction.atomic():
        locked = _locked_station(actor, station)
        period = _period_of(locked, exception, today)
        if period.is_past:
            raise Forbidden(
                _("This change is over; past days stay as residents were told."),
                code="past_exception",
            )
        rows = list(OpeningException.objects.filter(pk__in=period.editable_ids))
        days = len({r.date for r in rows})
        audit.record(
            actor=actor,
            action=AuditEntry.Action.DELETE,
            obj=rows[0],
            district_id=locked.district_id,
            object_repr=f"{locked.name}: {_period_text(period)}"[:200],
            request=request,
            changes={
                "station": locked.code,
                "opening_exception": [_period_text(period), None],
                "from": f"{max(period.first_day, today):%Y-%m-%d}",
            },
        )
        for row in rows:
            row.delete()
    return days


# --------------------------------------------------------------------------------------------
# Station photos (照片)
#
# The model has no cover flag: the resident page shows photos in ``sort_order`` and the first one
# leads, so "set as cover" moves a photo to the front. Every photo needs a caption: it is the
# image's alt text on the resident page, read out by screen readers.

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_COUNT = 12
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_FORMATS = {"jpeg": "jpg", "png": "png", "webp": "webp"}


def _sniff_image(head: bytes) -> str | None:
    """The format named by the file's first bytes (JPEG, PNG or WebP), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def check_photo(upload: Any) -> str:
    """Refuse anything but a readable JPEG, PNG or WebP of at most 5 MB; return its format.

    The first bytes must say JPEG/PNG/WebP whatever the file is called, and Pillow (what Django's
    ImageField uses) must open and verify it, so a truncated or disguised file is refused.
    """
    not_image = _invalid(
        _("This file is not a JPEG, PNG or WebP photo. Please choose a photo file."),
        code="invalid_image",
        field_name="image",
    )
    size = getattr(upload, "size", None) or 0
    if size > PHOTO_MAX_BYTES:
        raise _invalid(
            _("The photo is %(size)s MB; at most %(limit)s MB is allowed.")
            % {"size": f"{size / 1024 / 1024:.1f}", "limit": PHOTO_MAX_BYTES // 1024 // 1024},
            code="too_large",
            field_name="image",
        )
    if size == 0:
        raise not_image
    upload.seek(0)
    kind = _sniff_image(upload.read(16))
    upload.seek(0)
    if kind is None:
        raise not_image
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(upload) as image:
            if (image.format or "").lower() != kind:
                raise not_image
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise _invalid(
                    _("The photo has too many pixels; please upload a smaller one."),
                    code="too_large",
                    field_name="image",
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_image from None
    finally:
        upload.seek(0)
    return kind


def _locked_photo(actor: Any, photo: StationPhoto) -> tuple[Station, StationPhoto]:
    station = _locked_station(actor, photo.station)
    locked = StationPhoto.objects.filter(pk=photo.pk, station=station).first()
    if locked is None:
        raise NotFound(_("No such photo."), code="not_found")
    return station, locked


def _renumber(photos: Sequence[StationPhoto]) -> None:
    """Save sort_order 1..n one by one (receivers fire); only rows that changed are written."""
    for order, photo in enumerate(photos, start=1):
        if photo.sort_order != order:
            photo.sort_order = order
            photo.save(update_fields=["sort_order"])


def _photo_caption(caption: str) -> str:
    """The caption trimmed, or refused: it is the photo's alt text, so it is required."""
    caption = caption.strip()
    if not caption:
        raise _invalid(
            _("Describe the photo in a few words; screen readers read it to blind residents."),
            code="required",
            field_name="caption",
        )
    if len(caption) > 120:
        raise _invalid(
            _("The caption may be at most 120 characters."), code="too_long", field_name="caption"
        )
    return caption


def add_station_photo(
    *,
    actor: Any,
    station: Station,
    image: Any,
    caption: str,
    request: HttpRequest | None = None,
) -> StationPhoto:
    """Add a photo at the end of the station's photos; its caption is required (alt text)."""
    caption = _photo_caption(caption)
    kind = check_photo(image)
    stored = ""
    try:
        with transaction.atomic():
            locked = _locked_station(actor, station)
            photos = list(StationPhoto.objects.filter(station=locked).order_by("sort_order", "pk"))
            if len(photos) >= PHOTO_MAX_COUNT:
                raise Conflict(
                    _("A station may have at most %(count)s photos; delete one first.")
                    % {"count": PHOTO_MAX_COUNT},
                    code="too_many_photos",
                    field="image",
                )
            _renumber(photos)
            photo = StationPhoto(station=locked, caption=caption, sort_order=len(photos) + 1)
            # The stored name is ours (station code + format), never the uploader's file name.
            photo.image.save(f"{locked.code}.{PHOTO_FORMATS[kind]}", image, save=False)
            stored = str(photo.image.name)
            photo.save()
            audit.record(
                actor=actor,
                action=AuditEntry.Action.CREATE,
                obj=photo,
                district_id=locked.district_id,
                request=request,
                changes={"station": locked.code, "caption": [None, caption], "image": stored},
            )
    except BaseException:
        # The file was written before the rows; a rolled-back photo leaves no file behind.
        if stored:
            StationPhoto.image.field.storage.delete(stored)
        raise
    return photo


def update_station_photo(
    *, actor: Any, photo: StationPhoto, caption: str, request: HttpRequest | None = None
) -> StationPhoto:
    """Change a photo's caption (its alt text)."""
    caption = _photo_caption(caption)
    with transaction.atomic():
        station, locked = _locked_photo(actor, photo)
        if locked.caption != caption:
            before = locked.caption
            locked.caption = caption
            locked.save(update_fields=["caption"])
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=locked,
                district_id=station.district_id,
                request=request,
                changes={"station": station.code, "caption": [before, caption]},
            )
    return locked


def move_station_photo(
    *, actor: Any, photo: StationPhoto, to: str, request: HttpRequest | None = None
) -> StationPhoto:
    """Move a photo one place ``"up"`` or ``"down"``, or to the front (``"first"``, the cover)."""
    if to not in ("up", "down", "first"):
        raise _invalid(_("Unknown move."), code="invalid", field_name="to")
    with transaction.atomic():
        station, locked = _locked_photo(actor, photo)
        photos = list(StationPhoto.objects.filter(station=station).order_by("sort_order", "pk"))
        at = next(i for i, p in enumerate(photos) if p.pk == locked.pk)
        before = [p.pk for p in photos]
        moving = photos.pop(at)
        where = {"first": 0, "up": max(at - 1, 0), "down": min(at + 1, len(photos))}[to]
        photos.insert(where, moving)
        if [p.pk for p in photos] != before:
            _renumber(photos)
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=moving,
                district_id=station.district_id,
                request=request,
                changes={"station": station.code, "position": [at + 1, where + 1]},
            )
    return moving


def delete_station_photo(
    *, actor: Any, photo: StationPhoto, request: HttpRequest | None = None
) -> None:
    """Remove a photo; its file is deleted once the transaction has committed."""
    with transaction.atomic():
        station, locked = _locked_photo(actor, photo)
        name = locked.image.name
        storage = locked.image.storage
        audit.record(
            actor=actor,
            action=AuditEntry.Action.DELETE,
            obj=locked,
            district_id=station.district_id,
            request=request,
            changes={"station": station.code, "caption": [locked.caption, None], "image": name},
        )
        locked.delete()
        _renumber(list(StationPhoto.objects.filter(station=station).order_by("sort_order", "pk")))
        transaction.on_commit(lambda: storage.delete(name) if name else None)


# --------------------------------------------------------------------------------------------
# Organisations (服务组织)
#
# Organisations are district-wide: who may change them is ``permissions.can_change_organisations``
# (district admins and subdistrict staff). Saving an organisation, or a service whose provider
# changes, fires the receivers in ``linli.places.queries`` that touch the stations showing it, so
# resident pages and the HSDS lists show the new name at once. ``merge_organisations`` therefore
# saves each moved service one by one rather than with ``QuerySet.update`` (which sends no signal).

ORGANISATION_FIELDS = ("name", "kind", "description", "credit_code", "phone", "email", "website")

# GB 32100-2015 统一社会信用代码: 18 characters from a 31-character set (digits and capitals
# without I, O, S, V, Z). Positions 1–2: registration authority and organisation type; 3–8: the
# registering authority's administrative division (GB/T 2260, six digits); 9–17: the subject
# code (组织机构代码); 18: a check character, 31 − (Σ valueᵢ × 3^(i−1) mod 31) mod 31, over
# positions 1–17, written with the same character set (a result of 31 is written "0").
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
# Mainland numbers as staff write them: a mobile, an area code and a landline (with an extension),
# a 400/800 hotline, or a local landline without its area code. Several are separated by 、 or /.
_PHONE_RE = re.compile(
    r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|[48]00-?\d{3}-?\d{4}|\d{7,8})$"
)
_PHONE_SEPARATORS = re.compile(r"[、,，;；/]")


@dataclass(frozen=True, kw_only=True)
class OrganisationInput:
    """What staff enter for an organisation; the service normalises and checks every field."""

    name: str
    kind: str = Organisation.Kind.SOCIAL
    description: str = ""
    credit_code: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""


def credit_code_check_char(first17: str) -> str:
    """The GB 32100-2015 check character (position 18) for the first 17 characters."""
    total = sum(
        CREDIT_CODE_CHARS.index(ch) * weight
        for ch, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def clean_credit_code(raw: str) -> str:
    """A credit code in its canonical form (half-width capitals), or ``""``; refuses bad ones.

    Copied codes arrive with full-width characters, lower case and spaces; those are forgiven.
    A wrong length, a letter outside the set or a wrong check character is refused, because a
    mistyped code would otherwise be published in the HSDS ``organization_identifier`` list.
    """
    code = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).upper()
    if not code:
        return ""
    if len(code) != 18:
        raise _invalid(
            _("The unified social credit code has 18 characters; this one has %(n)s.")
            % {"n": len(code)},
            code="invalid_credit_code",
            field_name="credit_code",
        )
    if not _CREDIT_CODE_RE.match(code):
        raise _invalid(
            _(
                "The unified social credit code uses digits and capital letters other than "
                "I, O, S, V and Z, with digits in positions 3 to 8."
            ),
            code="invalid_credit_code",
            field_name="credit_code",
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise _invalid(
            _(
                "The last character of the credit code does not match the others (the check "
                "character should be %(expected)s); please check the code for a typo."
            )
            % {"expected": expected},
            code="invalid_credit_code",
            field_name="credit_code",
        )
    return code


def clean_organisation_phone(raw: str) -> str:
    """Phone numbers in half-width digits, several separated by 、; refuses what is no number."""
    value = unicodedata.normalize("NFKC", raw).strip()
    if not value:
        return ""
    numbers = []
    for part in _PHONE_SEPARATORS.split(value):
        number = re.sub(r"[\s()（）]", "", part)
        number = re.sub(r"^(?:\+86|0086)-?", "", number)
        if not number:
            continue
        if not _PHONE_RE.match(number):
            raise _invalid(
                _(
                    "“%(number)s” is not a phone number: write a mobile (13912345678), a landline "
                    "with its area code (0351-1234567) or a hotline (400-123-4567)."
                )
                % {"number": part.strip()},
                code="invalid_phone",
                field_name="phone",
            )
        numbers.append(number)
    joined = "、".join(numbers)
    if len(joined) > 30:  # Organisation.phone's max_length
        raise _invalid(
            _("Too many numbers: keep the phone field to two numbers."),
            code="invalid_phone",
            field_name="phone",
        )
    return joined


def clean_organisation_email(raw: str) -> str:
    """An e-mail address, or ``""``; refuses what is no address."""
    email = unicodedata.normalize("NFKC", raw).strip()
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise _invalid(
                _("Enter an e-mail address such as office@example.org.cn."),
                code="invalid_email",
                field_name="email",
            ) from None
    return email


def clean_organisation_website(raw: str) -> str:
    """A web address with its scheme (``https://`` when staff leave it out), or ``""``."""
    website = unicodedata.normalize("NFKC", raw).strip()
    if website:
        if "://" not in website:
            website = f"https://{website}"
        try:
            URLValidator(schemes=["http", "https"])(website)
            if len(website) > 200:  # Organisation.website's max_length
                raise ValidationError("too long")
        except ValidationError:
            raise _invalid(
                _("Enter a web address such as https://www.example.org.cn."),
                code="invalid_website",
                field_name="website",
            ) from None
    return website


def _name_key(name: str) -> str:
    """Names that differ only in width, case or spaces are the same organisation."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def _clean_organisation(data: OrganisationInput) -> dict[str, Any]:
    name = re.sub(r"\s+", " ", data.name).strip()
    _require_text(name, field_name="name", label=_("Name"))
    if len(name) > 150:
        raise _invalid(
            _("The name is longer than 150 characters."), code="invalid", field_name="name"
        )
    if data.kind not in Organisation.Kind.values:
        raise _invalid(_("Unknown organisation kind."), code="invalid", field_name="kind")
    return {
        "name": name,
        "kind": data.kind,
        "description": data.description.strip(),
        "credit_code": clean_credit_code(data.credit_code),
        "phone": clean_organisation_phone(data.phone),
        "email": clean_organisation_email(data.email),
        "website": clean_organisation_website(data.website),
    }


def _organisation_snapshot(organisation: Organisation) -> dict[str, Any]:
    return {field: getattr(organisation, field) for field in ORGANISATION_FIELDS}


def _refuse_duplicate(district_id: int, values: dict[str, Any], *, exclude_pk: int | None) -> None:
    others = Organisation.objects.filter(district_id=district_id)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    key = _name_key(values["name"])
    for other_pk, other_name in others.values_list("pk", "name"):
        if _name_key(other_name) == key:
            raise Conflict(
                _(
                    "The district already has an organisation named “%(name)s”. Open it and edit "
                    "it, or merge this one into it."
                )
                % {"name": other_name},
                code="duplicate_organisation",
                field="name",
                existing=other_pk,
            )
    code = values["credit_code"]
    if code:
        same = others.filter(credit_code=code).first()
        if same is not None:
            raise Conflict(
                _("“%(name)s” already has the credit code %(code)s; is it the same organisation?")
                % {"name": same.name, "code": code},
                code="duplicate_credit_code",
                field="credit_code",
                existing=same.pk,
            )


def _require_organisation_editor(actor: Any) -> None:
    if not permissions.can_change_organisations(actor):
        raise Forbidden(_("You may not change organisations."), code="forbidden")


def _locked_organisation(actor: Any, organisation: Organisation) -> Organisation:
    _require_organisation_editor(actor)
    locked = (
        permissions.organisations_for_user(actor)
        .select_for_update()
        .filter(pk=organisation.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such organisation."), code="not_found")
    return locked


def create_organisation(
    *, actor: Any, data: OrganisationInput, request: HttpRequest | None = None
) -> Organisation:
    """Create an organisation in the actor's district (district admins, subdistrict staff)."""
    _require_organisation_editor(actor)
    district = resolve_district(actor)
    values = _clean_organisation(data)
    with transaction.atomic():
        _refuse_duplicate(district.pk, values, exclude_pk=None)
        organisation = Organisation.objects.create(district=district, **values)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=organisation,
            request=request,
            changes=audit.diff({}, values, fields=ORGANISATION_FIELDS),
        )
    return organisation


def update_organisation(
    *,
    actor: Any,
    organisation: Organisation,
    data: OrganisationInput,
    request: HttpRequest | None = None,
) -> Organisation:
    """Replace an organisation's details; every station showing its services is refreshed."""
    values = _clean_organisation(data)
    with transaction.atomic():
        locked = _locked_organisation(actor, organisation)
        _refuse_duplicate(locked.district_id, values, exclude_pk=locked.pk)
        before = _organisation_snapshot(locked)
        changes = audit.diff(before, values, fields=ORGANISATION_FIELDS)
        if changes:
            for field, value in values.items():
                setattr(locked, field, value)
            locked.save()
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=locked,
                request=request,
                changes=changes,
            )
    return locked


def delete_organisation(
    *, actor: Any, organisation: Organisation, request: HttpRequest | None = None
) -> None:
    """Remove an organisation that provides no service; a provider is merged, not deleted.

    Deleting a provider would silently blank the provider of its services (the foreign key is
    ``SET_NULL``), so it is refused and the console offers ``merge_organisations`` instead.
    """
    with transaction.atomic():
        locked = _locked_organisation(actor, organisation)
        count = Service.objects.filter(organisation=locked).count()
        if count:
            raise Conflict(
                _(
                    "“%(name)s” provides %(count)s service(s), so it cannot be deleted. Merge it "
                    "into the organisation that should provide them instead."
                )
                % {"name": locked.name, "count": count},
                code="organisation_in_use",
                services=count,
            )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.DELETE,
            obj=locked,
            request=request,
            changes=audit.diff(_organisation_snapshot(locked), {}, fields=ORGANISATION_FIELDS),
        )
        locked.delete()


def merge_organisations(
    *,
    actor: Any,
    source: Organisation,
    target: Organisation,
    request: HttpRequest | None = None,
) -> int:
    """Move every service of ``source`` to ``target``, then delete ``source``; the count moved.

    The usual fix when two sheets spelled one provider two ways (红十字会 / 市红十字会). Details
    that ``target`` lacks (description, credit code, phone, e-mail, website) are taken from
    ``source``, so nothing typed in is lost; ``target``'s own values win. Each moved service gets
    its own audit entry, so its history shows the provider change, besides one entry for the
    kept organisation and one for the removed one.
    """
    if source.pk == target.pk:
        raise _invalid(
            _("Choose another organisation to merge into."),
            code="same_organisation",
            field_name="target",
        )
    with transaction.atomic():
        _require_organisation_editor(actor)
        # Lock both in primary-key order, so two opposite merges cannot deadlock.
        locked = {
            org.pk: org
            for org in permissions.organisations_for_user(actor)
            .select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        if source.pk not in locked or target.pk not in locked:
            raise NotFound(_("No such organisation."), code="not_found")
        old, new = locked[source.pk], locked[target.pk]
        if old.district_id != new.district_id:
            raise NotFound(_("No such organisation."), code="not_found")
        moved = list(Service.objects.select_for_update().filter(organisation=old).order_by("pk"))
        for service in moved:
            service.organisation = new
            # One save per service: its post_save receiver refreshes the stations offering it.
            service.save(update_fields=["organisation"])
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=service,
                request=request,
                changes={"organisation": [old.name, new.name]},
            )
        before = _organisation_snapshot(new)
        for field in ("description", "credit_code", "phone", "email", "website"):
            if not getattr(new, field) and getattr(old, field):
                setattr(new, field, getattr(old, field))
        changes = audit.diff(before, _organisation_snapshot(new), fields=ORGANISATION_FIELDS)
        if changes:
            new.save()
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=new,
            request=request,
            changes={
                **changes,
                "merged_from": [None, old.name],
                "services": [None, [s.name for s in moved]],
            },
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.DELETE,
            obj=old,
            request=request,
            changes={
                **audit.diff(_organisation_snapshot(old), {}, fields=ORGANISATION_FIELDS),
                "merged_into": [None, new.name],
            },
        )
        old.delete()
    return len(moved)
