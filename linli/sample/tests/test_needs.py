"""The sample needs: a year of them in every state, through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from linli.needs.deadlines import BEIJING
from linli.needs.models import FollowUp, Need, Rating, Status
from linli.sample.needs import load_sample_needs

pytestmark = pytest.mark.django_db


def test_sample_needs_cover_the_states_a_demo_shows(hierarchy: Any) -> None:
    now = dt.datetime(2026, 11, 20, 9, tzinfo=BEIJING)
    result = load_sample_needs(hierarchy.district, count=90, now=now)
    assert result.needs == 90
    statuses = set(Need.objects.values_list("status", flat=True))
    assert {
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.FOLLOWED_UP,
        Status.RATED,
        Status.MERGED,
    } <= statuses
    assert Rating.objects.exists()
    assert FollowUp.objects.exists()
    assert Need.objects.overdue(now).exists()
    assert Need.objects.filter(escalated_at__isnull=False).exists()
    first = min(Need.objects.values_list("submitted_at", flat=True))
    assert now - first > dt.timedelta(days=300)
    merged = Need.objects.filter(status=Status.MERGED).first()
    assert merged is not None
    assert merged.merged_into is not None
    assert merged.resident_id is not None
    assert merged.merged_into.followers.filter(user_id=merged.resident_id).exists()
