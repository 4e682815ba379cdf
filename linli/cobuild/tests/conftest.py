"""Co-construction fixtures: reporting units on the east subdistrict's rotation, a planned year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from linli.accounts.models import User
from linli.cobuild import services
from linli.cobuild.models import CoBuildDay, DutyUnit
from linli.places.models import Organisation
from tests.personas import Hierarchy

YEAR = 2026
TODAY = dt.date(2026, 1, 1)


@dataclass
class Rotation:
    hierarchy: Hierarchy
    units: list[DutyUnit]  # east, subdistrict-wide
    west_unit: DutyUnit
    days: list[CoBuildDay]  # east, 2026
    west_days: list[CoBuildDay]


def make_unit(hierarchy: Hierarchy, name: str) -> Organisation:
    return Organisation.objects.create(
        district=hierarchy.district, name=name, kind=Organisation.Kind.UNIT
    )


@pytest.fixture
def rotation(hierarchy: Hierarchy, district_admin: User) -> Rotation:
    names = ["区税务局", "区人民医院", "区第一中学", "区供电公司"]
    units = [
        services.add_duty_unit(
            actor=district_admin, subdistrict=hierarchy.east, organisation=make_unit(hierarchy, n)
        )
        for n in names
    ]
    west_unit = services.add_duty_unit(
        actor=district_admin,
        subdistrict=hierarchy.west,
        organisation=make_unit(hierarchy, "区图书馆"),
    )
    days = services.plan_days(actor=district_admin, subdistrict=hierarchy.east, year=YEAR)
    west_days = services.plan_days(actor=district_admin, subdistrict=hierarchy.west, year=YEAR)
    return Rotation(hierarchy, units, west_unit, days, west_days)


@pytest.fixture
def rostered(rotation: Rotation, district_admin: User) -> Rotation:
    for sub in (rotation.hierarchy.east, rotation.hierarchy.west):
        services.generate_roster(actor=district_admin, subdistrict=sub, year=YEAR, today=TODAY)
    return rotation


def resource_input(**overrides: Any) -> services.ResourceInput:
    values: dict[str, Any] = {
        "title": "法律咨询",
        "category": "skill",
        "skill": "legal",
        "subdistrict_code": "T14040401",
        "community_code": "T14040401001",
        "provider_kind": "party_member",
        "provider_name": "李明华",
        "quantity": 4,
        "quantity_unit": "人次",
        "station_code": "S001",
        "windows": (
            services.WindowInput(
                dt.datetime(2026, 1, 9, 9, tzinfo=dt.UTC),
                dt.datetime(2026, 1, 9, 12, tzinfo=dt.UTC),
            ),
        ),
    }
    values.update(overrides)
    return services.ResourceInput(**values)
