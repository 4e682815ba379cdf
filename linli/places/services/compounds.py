"""Residential compounds (小区) and their gates."""

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
    Compound,
    District,
    Gate,
    Grid,
)
from linli.places.services._scope import _placement, _require_editor, resolve_district
from linli.places.services.validators import _check_position, _invalid, _require_text

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
    actor: AnyUser, compound: Compound, data: CompoundInput, district: District
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


def _locked_compound(actor: AnyUser, compound: Compound) -> Compound:
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
    *, actor: AnyUser, data: CompoundInput, request: HttpRequest | None = None
) -> Compound:
    """Create a compound with its gates in a community of the actor's scope."""
    _require_editor(actor)
    district = resolve_district(actor, data.district)
    with audited_change(
        actor=actor,
        action=CREATE,
        lock=Compound,
        snapshot=_compound_snapshot,
        fields=COMPOUND_FIELDS,
        request=request,
    ) as change:
        _apply_compound(actor, change.obj, data, district)
    return change.obj


def update_compound(
    *, actor: AnyUser, compound: Compound, data: CompoundInput, request: HttpRequest | None = None
) -> Compound:
    """Replace a compound's details and gates."""
    with audited_change(
        actor=actor,
        action=UPDATE,
        lock=lambda: _locked_compound(actor, compound),
        snapshot=_compound_snapshot,
        fields=COMPOUND_FIELDS,
        request=request,
    ) as change:
        _apply_compound(actor, change.obj, data, change.obj.district)
    return change.obj


def delete_compound(
    *, actor: AnyUser, compound: Compound, request: HttpRequest | None = None
) -> None:
    """Remove a compound and its gates; stations that pointed to it keep their place."""
    with audited_change(
        actor=actor,
        action=DELETE,
        lock=lambda: _locked_compound(actor, compound),
        snapshot=_compound_snapshot,
        fields=COMPOUND_FIELDS,
        request=request,
        delete=True,
    ):
        pass
