"""Activities at the shared personas' stations (tests/personas.py): a training at 幸福苑 (in
幸福里社区) and a mediation session at 西园 (another subdistrict), both starting tomorrow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

# The API's schemas are built when linli.urls is first imported; under freezegun that would
# be with its FakeDatetime in place of datetime, which pydantic cannot describe (a test that
# froze time and was the first of its worker to make a request failed). Import them now.
import linli.urls  # noqa: F401
from linli.accounts.models import Role, User
from linli.accounts.sms import ConsoleSender
from linli.activities import receivers, services
from linli.activities.models import Activity
from tests.personas import PASSWORD, Hierarchy


def tomorrow_at(hour: int, minute: int = 0) -> dt.datetime:
    local = timezone.localtime() + dt.timedelta(days=1)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def make_activity(actor: User, **overrides: Any) -> Activity:
    data = services.ActivityInput(
        title=overrides.pop("title", "红十字急救培训"),
        category=overrides.pop("category", "training"),
        starts_at=overrides.pop("starts_at", tomorrow_at(9)),
        ends_at=overrides.pop("ends_at", tomorrow_at(11)),
        **overrides,
    )
    return services.create_activity(actor=actor, data=data)


@pytest.fixture(autouse=True)
def _empty_outbox() -> None:
    ConsoleSender.sent.clear()
    receivers.clear_parts()


@pytest.fixture
def training(hierarchy: Hierarchy, community_staff: User) -> Activity:
    return make_activity(community_staff, station=hierarchy.station_xingfu, capacity=2)


@pytest.fixture
def other_activity(hierarchy: Hierarchy, other_community_staff: User) -> Activity:
    return make_activity(
        other_community_staff,
        title="邻里调解",
        category="mediation",
        station=hierarchy.station_xiyuan,
    )


def resident_with(phone: str, hierarchy: Hierarchy, name: str = "") -> User:
    return User.objects.create_user(
        username=phone,
        password=PASSWORD,
        role=Role.RESIDENT,
        district=hierarchy.district,
        phone=phone,
        real_name=name,
    )
