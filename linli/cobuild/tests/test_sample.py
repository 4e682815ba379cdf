"""The co-construction sample: days, rosters, a skip, a swap and resources, written once."""

from __future__ import annotations

import pytest

from linli.accounts.models import User
from linli.cobuild.models import CoBuildDay, DutyAssignment, DutySkip, Resource, SwapRequest
from linli.cobuild.sample import load_cobuild_sample
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
