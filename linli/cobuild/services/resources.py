"""The resources list (资源清单): filing, changing and withdrawing what providers offer."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import AnyUser
from linli.cobuild import permissions
from linli.cobuild.models import Resource, ResourceWindow
from linli.core import audit
from linli.core.exceptions import Forbidden, LinliError, NotFound
from linli.core.masking import mask_name
from linli.core.models import AuditEntry
from linli.places.models import Community, District, Organisation, Station, Subdistrict

RESOURCE_FIELDS = (
    "title",
    "category",
    "skill",
    "description",
    "provider_kind",
    "organisation",
    "provider_name",
    "quantity",
    "quantity_unit",
    "subdistrict",
    "community",
    "station",
    "address",
    "lon",
    "lat",
    "windows",
)
MAX_WINDOWS = 50


@dataclass(frozen=True)
class WindowInput:
    """When a resource is available: ``[starts_at, ends_at)``, aware datetimes."""

    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class ResourceInput:
    """A resource as a form, an API payload or a spreadsheet row gives it (codes, not ids).

    ``lon``/``lat`` may be left out when a station is named: the resource is then at the station.
    """

    title: str
    category: str
    subdistrict_code: str
    provider_kind: str
    quantity: int = 1
    skill: str = ""
    description: str = ""
    community_code: str = ""
    organisation_name: str = ""
    provider_name: str = ""
    quantity_unit: str = ""
    station_code: str = ""
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    windows: Sequence[WindowInput] = field(default_factory=tuple)


def _invalid(message: Any, *, code: str, field_name: str) -> LinliError:
    return LinliError(message, code=code, field=field_name)


def check_windows(windows: Sequence[WindowInput]) -> None:
    """Refuse empty, reversed or overlapping windows, naming the ones at fault."""
    if len(windows) > MAX_WINDOWS:
        raise _invalid(
            _("A resource has at most %(n)s time windows.") % {"n": MAX_WINDOWS},
            code="too_many_windows",
            field_name="windows",
        )
    for w in windows:
        if w.ends_at <= w.starts_at:
            raise _invalid(
                _("The window from %(starts)s ends before it starts.")
                % {"starts": f"{w.starts_at:%Y-%m-%d %H:%M}"},
                code="window_reversed",
                field_name="windows",
            )
    ordered = sorted(windows, key=lambda w: w.starts_at)
    for a, b in itertools.pairwise(ordered):
        if b.starts_at < a.ends_at:
            raise _invalid(
                _(
                    "The windows %(a_starts)s–%(a_ends)s and %(b_starts)s–%(b_ends)s overlap: "
                    "join them into one or shorten one."
                )
                % {
                    "a_starts": f"{a.starts_at:%Y-%m-%d %H:%M}",
                    "a_ends": f"{a.ends_at:%Y-%m-%d %H:%M}",
                    "b_starts": f"{b.starts_at:%Y-%m-%d %H:%M}",
                    "b_ends": f"{b.ends_at:%Y-%m-%d %H:%M}",
                },
                code="windows_overlap",
                field_name="windows",
            )


def _text(value: str, *, field_name: str, label: Any, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _invalid(
            _("%(field)s is required.") % {"field": label}, code="required", field_name=field_name
        )
    if len(value) > limit:
        raise _invalid(
            _("%(field)s is longer than %(limit)s characters.") % {"field": label, "limit": limit},
            code="too_long",
            field_name=field_name,
        )
    return value


def _apply(actor: AnyUser, resource: Resource, data: ResourceInput, district: District) -> None:
    """Validate ``data`` completely, then copy it onto ``resource`` (unsaved)."""
    resource.title = _text(
        data.title, field_name="title", label=_("What is offered"), limit=120, required=True
    )
    if data.category not in Resource.Category.values:
        raise _invalid(
            _("“%(value)s” is not a resource category.") % {"value": data.category},
            code="invalid_category",
            field_name="category",
        )
    if data.skill and data.skill not in Resource.Skill.values:
        raise _invalid(
            _("“%(value)s” is not a skill.") % {"value": data.skill},
            code="invalid_skill",
            field_name="skill",
        )
    if data.provider_kind not in Resource.ProviderKind.values:
        raise _invalid(
            _("“%(value)s” is not a kind of provider.") % {"value": data.provider_kind},
            code="invalid_provider_kind",
            field_name="provider_kind",
        )
    if not 1 <= int(data.quantity) <= 1_000_000:
        raise _invalid(
            _("The quantity must be between 1 and 1,000,000."),
            code="invalid_quantity",
            field_name="quantity",
        )
    subdistrict = Subdistrict.objects.filter(district=district, code=data.subdistrict_code).first()
    if subdistrict is None:
        raise _invalid(
            _("There is no subdistrict with the code “%(code)s”.")
            % {"code": data.subdistrict_code},
            code="unknown_subdistrict",
            field_name="subdistrict",
        )
    community = None
    if data.community_code:
        community = Community.objects.filter(district=district, code=data.community_code).first()
        if community is None:
            raise _invalid(
                _("There is no community with the code “%(code)s”.")
                % {"code": data.community_code},
                code="unknown_community",
                field_name="community",
            )
    if not permissions.can_create_resource_in(actor, subdistrict, community):
        raise Forbidden(
            _("You may not file resources for %(area)s.") % {"area": community or subdistrict},
            code="forbidden",
        )
    organisation = None
    provider_name = _text(
        data.provider_name, field_name="provider_name", label=_("Party member's name"), limit=50
    )
    if data.provider_kind == Resource.ProviderKind.PARTY_MEMBER:
        if not provider_name:
            raise _invalid(
                _("Name the party member who offers it."),
                code="required",
                field_name="provider_name",
            )
    else:
        kinds = (
            [Organisation.Kind.UNIT]
            if data.provider_kind == Resource.ProviderKind.UNIT
            else [Organisation.Kind.NEW_ECONOMIC, Organisation.Kind.NEW_SOCIAL]
        )
        organisation = Organisation.objects.filter(
            district=district, name=(data.organisation_name or "").strip(), kind__in=kinds
        ).first()
        if organisation is None:
            raise _invalid(
                _("“%(name)s” is not an organisation of that kind in this district.")
                % {"name": data.organisation_name},
                code="unknown_organisation",
                field_name="organisation",
            )
        provider_name = ""
    station = None
    if data.station_code:
        station = Station.objects.filter(district=district, code=data.station_code).first()
        if station is None:
            raise _invalid(
                _("There is no station with the code “%(code)s”.") % {"code": data.station_code},
                code="unknown_station",
                field_name="station",
            )
    lon, lat = data.lon, data.lat
    if lon is None or lat is None:
        if station is None:
            raise _invalid(
                _("Give the place: a station's code, or a longitude and latitude."),
                code="place_required",
                field_name="lon",
            )
        lon, lat = station.lon, station.lat
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or not district.contains(lon, lat):
        raise _invalid(
            _("The place %(lon)s, %(lat)s lies outside the district.") % {"lon": lon, "lat": lat},
            code="outside_district",
            field_name="lon",
        )
    check_windows(data.windows)
    resource.district = district
    resource.subdistrict = subdistrict
    resource.community = community
    resource.category = data.category
    resource.skill = data.skill
    resource.description = _text(
        data.description, field_name="description", label=_("Description"), limit=2000
    )
    resource.provider_kind = data.provider_kind
    resource.organisation = organisation
    resource.provider_name = provider_name
    resource.quantity = int(data.quantity)
    resource.quantity_unit = _text(
        data.quantity_unit, field_name="quantity_unit", label=_("Counted in"), limit=20
    )
    resource.station = station
    resource.address = _text(data.address, field_name="address", label=_("Address"), limit=200)
    resource.lon, resource.lat = float(lon), float(lat)


def _snapshot(resource: Resource) -> dict[str, Any]:
    values = {f: getattr(resource, f, None) for f in RESOURCE_FIELDS if f != "windows"}
    # The audit log must not become a copy of party members' names.
    values["provider_name"] = mask_name(resource.provider_name)
    values["windows"] = [str(w) for w in resource.windows.all()] if resource.pk is not None else []
    return values


def _write_windows(resource: Resource, windows: Sequence[WindowInput]) -> None:
    resource.windows.all().delete()
    ResourceWindow.objects.bulk_create(
        ResourceWindow(resource=resource, starts_at=w.starts_at, ends_at=w.ends_at) for w in windows
    )


def create_resource(
    *, actor: AnyUser, district: District, data: ResourceInput, request: HttpRequest | None = None
) -> Resource:
    """File a new resource with its time windows."""
    if not permissions.is_staff(actor):
        raise Forbidden(_("You may not file resources."), code="forbidden")
    with transaction.atomic():
        resource = Resource()
        _apply(actor, resource, data, district)
        resource.full_clean()
        resource.save()
        _write_windows(resource, data.windows)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=resource,
            request=request,
            changes=audit.diff({}, _snapshot(resource), fields=RESOURCE_FIELDS),
        )
    return resource


def _locked(actor: AnyUser, resource: Resource) -> Resource:
    locked = (
        permissions.resources_for_user(actor)
        .select_for_update(of=("self",))
        .select_related("district", "subdistrict", "community", "organisation")
        .filter(pk=resource.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such resource."), code="not_found")
    if not permissions.can_change_resource(actor, locked):
        raise Forbidden(_("You may not change this resource."), code="forbidden")
    return locked


def update_resource(
    *, actor: AnyUser, resource: Resource, data: ResourceInput, request: HttpRequest | None = None
) -> Resource:
    """Replace a resource's details and windows (moving it needs the right at the destination)."""
    with transaction.atomic():
        locked = _locked(actor, resource)
        before = _snapshot(locked)
        _apply(actor, locked, data, locked.district)
        locked.full_clean()
        locked.save()
        _write_windows(locked, data.windows)
        changes = audit.diff(before, _snapshot(locked), fields=RESOURCE_FIELDS)
        if changes:
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=locked,
                request=request,
                changes=changes,
            )
    return locked


def deactivate_resource(
    *, actor: AnyUser, resource: Resource, request: HttpRequest | None = None
) -> Resource:
    """Withdraw a resource from the list (kept for the projects and reports that used it)."""
    with transaction.atomic():
        locked = _locked(actor, resource)
        if locked.is_active:
            locked.is_active = False
            locked.save(update_fields=["is_active", "updated_at"])
            audit.record(
                actor=actor,
                action=AuditEntry.Action.DELETE,
                obj=locked,
                request=request,
                changes={"is_active": [True, False]},
            )
    return locked
