"""The co-construction sample: days, rosters, a skip, a swap and resources, written once."""

from __future__ import annotations

from typing import Any

import pytest

from linli.accounts.models import User
from linli.cobuild.models import CoBuildDay, DutyAssignment, DutySkip, Resource, SwapRequest
from linli.sample.cobuild import load_cobuild_sample
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


def test_the_sample_fills_two_years_for_every_subdistrict(
    hierarchy: Hierarchy, district_admin: User
) -> None:
    assert load_cobuild_sample(hierarchy.district) > 0
    assert CoBuildDay.objects.count() == 2 * 12 * 2
    assert DutyAssignment.objects.filter(day__subdistrict=hierarchy.east).count() == 24
    assert DutySkip.objects.exists()
    assert SwapRequest.objects.filter(status="approved").count() == 2
    assert Resource.objects.filter(subdistrict=hierarchy.east).exists()
    assert load_cobuild_sample(hierarchy.district) == 0  # idempotent


def test_load_sample_brings_the_co_construction_days_and_a_reset_removes_them(
    settings: Any, tmp_path: Any
) -> None:
    from linli.sample.load import load_sample

    settings.LINLI_NETWORK_DIR = tmp_path / "networks"
    district = load_sample().district
    assert CoBuildDay.objects.filter(district=district, year=2026).exists()
    assert Resource.objects.filter(district=district).exists()
    again = load_sample(reset=True).district
    assert not CoBuildDay.objects.filter(district_id=district.pk).exists()
    assert CoBuildDay.objects.filter(district=again).count() == CoBuildDay.objects.count()
