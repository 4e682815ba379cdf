"""The sample year of activity: the first subdistrict reads like the seed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from linli.activities import queries
from linli.activities.models import Activity, CheckIn
from linli.sample import activities as sample

pytestmark = pytest.mark.django_db


def test_the_first_subdistrict_has_twelve_safety_trainings_and_450_person_times(
    hierarchy: Any, district_admin: Any
) -> None:
    sample.load_year(hierarchy.district, actor=district_admin)
    # Loading again replaces the year rather than adding a second one.
    result = sample.load_year(hierarchy.district, actor=district_admin)
    now = timezone.now()
    trainings = Activity.objects.filter(
        subdistrict=hierarchy.east,
        category="training",
        rrule="",
        ends_at__lt=now,
        starts_at__gte=now - dt.timedelta(days=366),
    )
    assert trainings.count() == 12
    times = CheckIn.objects.filter(activity__in=trainings).count()
    assert times >= 450
    assert result.checkins == CheckIn.objects.count()
    # A year back and three months ahead, and nothing checked in that has not happened yet.
    assert not CheckIn.objects.filter(occurrence__gt=now).exists()
    assert Activity.objects.filter(rrule__contains="UNTIL=").count() >= 3
    assert queries.station_upcoming(hierarchy.station_xingfu.pk, at=now)
