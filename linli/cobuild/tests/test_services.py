"""Services: planning and moving days, the roster and swaps, resources — and their refusals."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from linli.accounts.models import User
from linli.cobuild import services
from linli.cobuild.models import (
    CoBuildDay,
    DutyAssignment,
    DutySkip,
    Resource,
    SwapRequest,
)
from linli.cobuild.tests.conftest import TODAY, YEAR, Rotation, make_unit, resource_input
from linli.core.exceptions import Forbidden, LinliError
from linli.core.models import AuditEntry
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


def test_planning_a_year_places_twelve_days_by_the_rule(rotation: Rotation) -> None:
    assert [d.date for d in rotation.days][4] == dt.date(2026, 5, 8)  # Labour Day moved
    assert all(d.confirmed for d in rotation.days)


def test_a_year_the_calendar_does_not_know_is_planned_unconfirmed(
    hierarchy: Hierarchy, district_admin: User
) -> None:
    days = services.plan_days(actor=district_admin, subdistrict=hierarchy.east, year=2099)
    assert not any(d.confirmed for d in days)
    assert {d.reason for d in days} == {CoBuildDay.Reason.YEAR_UNKNOWN}
    confirmed = services.confirm_day(actor=district_admin, day=days[0])
    assert confirmed.confirmed
    # Planning again keeps the date staff confirmed and leaves the others unconfirmed.
    again = services.plan_days(actor=district_admin, subdistrict=hierarchy.east, year=2099)
    assert [d.confirmed for d in again].count(True) == 1


def test_staff_move_a_day_with_a_reason_and_planning_keeps_it(
    rotation: Rotation, subdistrict_staff: User
) -> None:
    march = rotation.days[2]
    services.move_day(
        actor=subdistrict_staff,
        day=march,
        date=dt.date(2026, 3, 13),
        reason="区运动会",
        today=TODAY,
    )
    services.plan_days(actor=subdistrict_staff, subdistrict=march.subdistrict, year=YEAR)
    march.refresh_from_db()
    assert (march.date, march.moved_reason, march.reason) == (
        dt.date(2026, 3, 13),
        "区运动会",
        CoBuildDay.Reason.MOVED_BY_STAFF,
    )


@pytest.mark.parametrize(
    ("date", "reason", "code"),
    [
        (dt.date(2026, 3, 13), "", "reason_required"),
        (dt.date(2026, 4, 3), "太忙", "date_outside_month"),
    ],
)
def test_a_bad_move_is_refused_and_changes_nothing(
    rotation: Rotation, subdistrict_staff: User, date: dt.date, reason: str, code: str
) -> None:
    march = rotation.days[2]
    with pytest.raises(LinliError) as caught:
        services.move_day(actor=subdistrict_staff, day=march, date=date, reason=reason, today=TODAY)
    assert caught.value.code == code
    march.refresh_from_db()
    assert march.date == dt.date(2026, 3, 6)


def test_community_staff_and_other_subdistricts_may_not_move_days(
    rotation: Rotation, community_staff: User, other_community_staff: User
) -> None:
    for actor in (community_staff, other_community_staff):
        with pytest.raises(LinliError):
            services.move_day(
                actor=actor,
                day=rotation.days[2],
                date=dt.date(2026, 3, 13),
                reason="x",
                today=TODAY,
            )


def test_the_roster_is_fair_and_skips_a_unit_that_declared_itself_away(
    rotation: Rotation, district_admin: User
) -> None:
    away = rotation.units[0]
    services.declare_unavailable(
        actor=district_admin, unit=away, day=rotation.days[0], reason="全员外出培训"
    )
    services.generate_roster(
        actor=district_admin, subdistrict=rotation.hierarchy.east, year=YEAR, today=TODAY
    )
    january = DutyAssignment.objects.filter(day=rotation.days[0])
    assert [d.unit for d in january] == [rotation.units[1]]
    skip = DutySkip.objects.get()
    assert (skip.unit, skip.day, skip.reason) == (away, rotation.days[0], "全员外出培训")
    counts = Counter(
        DutyAssignment.objects.filter(day__subdistrict=rotation.hierarchy.east).values_list(
            "unit", flat=True
        )
    )
    assert sorted(counts.values()) == [3, 3, 3, 3]


def test_a_swap_approved_by_the_subdistrict_exchanges_the_days(
    rostered: Rotation, community_staff: User, subdistrict_staff: User
) -> None:
    jan, feb = (DutyAssignment.objects.get(day=d) for d in rostered.days[:2])
    jan_unit, feb_unit = jan.unit, feb.unit
    swap = services.request_swap(
        actor=community_staff, duty=jan, other=feb, reason="单位年会", today=TODAY
    )
    with pytest.raises(Forbidden):
        services.approve_swap(actor=community_staff, swap=swap, today=TODAY)
    services.approve_swap(actor=subdistrict_staff, swap=swap, today=TODAY)
    jan.refresh_from_db()
    feb.refresh_from_db()
    assert (jan.unit, feb.unit) == (feb_unit, jan_unit)
    assert jan.origin == DutyAssignment.Origin.SWAP
    # Regenerating the roster keeps the swap.
    services.generate_roster(
        actor=subdistrict_staff, subdistrict=rostered.hierarchy.east, year=YEAR, today=TODAY
    )
    assert DutyAssignment.objects.get(day=rostered.days[0]).unit == feb_unit
    with pytest.raises(LinliError) as caught:
        services.approve_swap(actor=subdistrict_staff, swap=swap, today=TODAY)
    assert caught.value.code == "swap_decided"


def test_a_swap_with_a_unit_of_another_subdistrict_is_refused(
    rostered: Rotation, district_admin: User
) -> None:
    east = DutyAssignment.objects.filter(day=rostered.days[0]).get()
    west = DutyAssignment.objects.filter(day=rostered.west_days[1]).get()
    with pytest.raises(LinliError) as caught:
        services.request_swap(actor=district_admin, duty=east, other=west, reason="x", today=TODAY)
    assert caught.value.code == "swap_other_subdistrict"
    assert "区图书馆" in str(caught.value.message)
    assert not SwapRequest.objects.exists()


def test_only_reporting_units_join_a_rotation(hierarchy: Hierarchy, district_admin: User) -> None:
    from linli.places.models import Organisation

    social = Organisation.objects.get(name="仁爱社工服务中心")
    with pytest.raises(LinliError) as caught:
        services.add_duty_unit(
            actor=district_admin, subdistrict=hierarchy.east, organisation=social
        )
    assert caught.value.code == "not_a_unit"
    unit = make_unit(hierarchy, "区气象局")
    with pytest.raises(LinliError) as caught:
        services.add_duty_unit(
            actor=district_admin,
            subdistrict=hierarchy.east,
            organisation=unit,
            community=hierarchy.xiyuan,
        )
    assert caught.value.code == "community_outside_subdistrict"


def test_a_resource_is_filed_with_its_windows_and_audited_masked(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    resource = services.create_resource(
        actor=community_staff, district=hierarchy.district, data=resource_input()
    )
    assert (resource.lon, resource.lat) == (113.071, 36.181)  # at the station
    assert resource.windows.count() == 1
    entry = AuditEntry.objects.get(object_type="cobuild.resource")
    assert "李明华" not in str(entry.changes)
    assert "李**" in str(entry.changes)


def test_overlapping_windows_are_refused_and_nothing_is_filed(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    t = dt.datetime(2026, 1, 9, 9, tzinfo=dt.UTC)
    windows = (
        services.WindowInput(t, t + dt.timedelta(hours=3)),
        services.WindowInput(t + dt.timedelta(hours=2), t + dt.timedelta(hours=5)),
    )
    with pytest.raises(LinliError) as caught:
        services.create_resource(
            actor=community_staff, district=hierarchy.district, data=resource_input(windows=windows)
        )
    assert caught.value.code == "windows_overlap"
    assert "2026-01-09 09:00–2026-01-09 12:00" in str(caught.value.message)
    assert not Resource.objects.exists()


def test_community_staff_may_not_file_for_another_community(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    with pytest.raises(Forbidden):
        services.create_resource(
            actor=community_staff,
            district=hierarchy.district,
            data=resource_input(community_code="T14040401002"),
        )
    assert not Resource.objects.exists()
