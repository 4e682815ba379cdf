"""Planning fixtures: the personas' district on the sample district's street network.

The personas' district (tests/personas.py) lies inside the sample district's bounding box, so the
generated sample network (one per test session, about a second) serves as its street network;
we add compounds in two more communities so the scope tests have rows to hide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from linli.places.models import Compound, FacilityCategory, Gate, Station
from linli.sample.district import generate_district
from tests.personas import Hierarchy


@pytest.fixture(scope="session")
def sample_network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("network")
    return generate_district(out, seed=7).pbf_path


@pytest.fixture(autouse=True)
def _planning_dirs(settings: Any, tmp_path: Path, sample_network: Path) -> None:
    settings.VAR_DIR = tmp_path / "var"
    settings.LINLI_NETWORK_DIR = sample_network.parent
    settings.LINLI_CIRCLE_CACHE_DIR = sample_network.parent / "cache"


@pytest.fixture
def planned(hierarchy: Hierarchy, sample_network: Path) -> Hierarchy:
    """The personas' hierarchy with a network and compounds in three communities."""
    district = hierarchy.district
    district.network_file = sample_network.name
    district.save(update_fields=["network_file"])
    heping = Compound.objects.create(
        district=district,
        community=hierarchy.heping,
        code="C002",
        name="和平里",
        households=300,
        population=800,
    )
    Gate.objects.create(district=district, compound=heping, name="北门", lon=113.081, lat=36.186)
    xiyuan = Compound.objects.create(
        district=district,
        community=hierarchy.xiyuan,
        code="C003",
        name="西园小区",
        households=500,
        population=1400,
    )
    Gate.objects.create(district=district, compound=xiyuan, name="东门", lon=113.061, lat=36.191)
    Gate.objects.create(district=district, compound=xiyuan, name="西门", lon=113.058, lat=36.190)
    Station.objects.create(
        district=district,
        subdistrict=hierarchy.east,
        community=hierarchy.heping,
        category=FacilityCategory.objects.get(code="kindergarten"),
        code="K001",
        name="和平幼儿园",
        lon=113.082,
        lat=36.187,
    )
    return hierarchy
