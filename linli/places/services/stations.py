"""Stations (幸福驿站 and the other places residents visit): create, update, take out of service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import AnyUser
from linli.core.audited import CREATE, DELETE, UPDATE, audited_change
from linli.core.exceptions import Conflict, Forbidden, NotFound
from linli.places import permissions
from linli.places.models import (
    Amenity,
    Compound,
    District,
    FacilityCategory,
    Station,
    StationFunction,
)
from linli.places.services._scope import _placement, _require_editor, resolve_district
from linli.places.services.validators import _check_position, _invalid, _labelled, _require_text
from linli.places.signals import stations_changed

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


def _category(code: str) -> FacilityCategory:
    try:
        return FacilityCategory.objects.get(code=code)
    except FacilityCategory.DoesNotExist:
        raise _invalid(
            _("Unknown kind “%(code)s”.") % {"code": code},
            code="unknown_category",
            field_name="category",
        ) from None


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


def _apply_station(
    actor: AnyUser, station: Station, data: StationInput, district: District
) -> None:
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
    *, actor: AnyUser, data: StationInput, request: HttpRequest | None = None
) -> Station:
    """Create a station in a community (or subdistrict) of the actor's scope."""
    _require_editor(actor)
    district = resolve_district(actor, data.district)
    with audited_change(
        actor=actor,
        action=CREATE,
        lock=Station,
        fields=STATION_FIELDS,
        request=request,
        signal=stations_changed,
    ) as change:
        _apply_station(actor, change.obj, data, district)
        change.after = _station_snapshot(change.obj, data)
    return change.obj


def _locked_station(actor: AnyUser, station: Station) -> Station:
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
    *, actor: AnyUser, station: Station, data: StationInput, request: HttpRequest | None = None
) -> Station:
    """Replace a station's details; moving it needs the right to create at the destination too."""
    _require_editor(actor)
    with audited_change(
        actor=actor,
        action=UPDATE,
        lock=lambda: _locked_station(actor, station),
        snapshot=_station_snapshot,
        fields=STATION_FIELDS,
        request=request,
        signal=stations_changed,
    ) as change:
        _apply_station(actor, change.obj, data, change.obj.district)
        change.after = _station_snapshot(change.obj, data)
    return change.obj


def delete_station(
    *, actor: AnyUser, station: Station, request: HttpRequest | None = None, hard: bool = False
) -> None:
    """Take a station out of service (default) or remove a mistaken record (``hard``)."""
    _require_editor(actor)
    with audited_change(
        actor=actor,
        action=DELETE,
        lock=lambda: _locked_station(actor, station),
        snapshot=_station_snapshot,
        fields=STATION_FIELDS,
        request=request,
        delete=hard,
        signal=stations_changed,
    ) as change:
        locked = change.obj
        if not permissions.can_delete_station(actor, locked):
            raise Forbidden(_("You may not delete this station."), code="forbidden")
        if hard:
            change.context = {"hard": True}
        else:
            if locked.is_active:
                locked.is_active = False
                locked.save(update_fields=["is_active", "updated_at"])
            change.changes = {"is_active": [True, False], "hard": False}
    station.is_active = False
