"""The write services: what they change, what they refuse, and what they leave in the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from linli.accounts.models import User
from linli.core.exceptions import Conflict, Forbidden, LinliError, NotFound
from linli.core.models import AuditEntry
from linli.places import services
from linli.places.geo import gcj02_to_wgs84, parse_coordinate_system, wgs84_to_gcj02
from linli.places.models import Compound, Organisation, Service, ServiceAtStation, Station
from linli.places.services import (
    CompoundInput,
    GateInput,
    HoursInput,
    ScheduleInput,
    ServiceInput,
    StationInput,
)
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


def _new_station(**overrides: Any) -> StationInput:
    data = StationInput(
        code="S100",
        name="新建幸福驿站",
        category="happiness_station",
        community="T14040401001",
        lon=113.072,
        lat=36.182,
        address="幸福里1号",
        contact_name="李梅",
        contact_phone="13900002222",
        functions=("reading",),
        amenities=("toilet",),
    )
    return replace(data, **overrides)


def test_community_staff_creates_a_station_in_their_community(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    station = services.create_station(actor=community_staff, data=_new_station())

    assert station.community == hierarchy.xingfu
    assert station.subdistrict == hierarchy.east
    assert list(station.functions.values_list("code", flat=True)) == ["reading"]
    entry = AuditEntry.objects.get(object_type="places.station", object_id=str(station.pk))
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.actor == community_staff
    # The audit log keeps personal fields masked.
    assert entry.changes["contact_phone"] == ["", "139****2222"]


def test_it_refuses_a_station_in_another_community(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    with pytest.raises(Forbidden) as err:
        services.create_station(actor=community_staff, data=_new_station(community="T14040402001"))

    assert err.value.code == "outside_scope"
    assert not Station.objects.filter(code="S100").exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("persona", ["resident", "unit_liaison", "station_keeper"])
def test_it_refuses_creation_by_non_editors(
    request: Any, hierarchy: Hierarchy, persona: str
) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(Forbidden):
        services.create_station(actor=user, data=_new_station())
    assert not Station.objects.filter(code="S100").exists()


def test_it_refuses_a_code_used_in_another_community(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    with pytest.raises(Conflict) as err:
        services.create_station(actor=community_staff, data=_new_station(code="S003"))
    assert err.value.code == "duplicate_code"
    assert Station.objects.get(code="S003").community == hierarchy.xiyuan


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"category": "no_such_kind"}, "unknown_category"),
        ({"community": "X999"}, "unknown_community"),
        ({"functions": ("reading", "karaoke")}, "unknown_function"),
        ({"amenities": ("spa",)}, "unknown_amenity"),
        ({"lon": 120.0, "lat": 30.0}, "outside_district"),
        ({"name": "  "}, "required"),
    ],
)
def test_it_names_the_problem_with_a_code(
    hierarchy: Hierarchy, community_staff: User, overrides: dict[str, Any], code: str
) -> None:
    with pytest.raises(LinliError) as err:
        services.create_station(actor=community_staff, data=_new_station(**overrides))
    assert err.value.code == code
    assert not Station.objects.filter(code="S100").exists()


def test_update_records_only_the_changes(hierarchy: Hierarchy, community_staff: User) -> None:
    station = hierarchy.station_xingfu
    data = StationInput(
        code="S001",
        name="幸福苑驿站（新）",
        category="happiness_station",
        community="T14040401001",
        lon=station.lon,
        lat=station.lat,
        address=station.address,
        phone=station.phone,
        contact_name=station.contact_name,
        contact_phone="13700001234",
        functions=("mediation", "reading"),
        amenities=("drinking_water", "phone_charging"),
    )
    services.update_station(actor=community_staff, station=station, data=data)

    station.refresh_from_db()
    assert station.name == "幸福苑驿站（新）"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert set(entry.changes) == {"name", "contact_phone"}
    assert entry.changes["contact_phone"] == ["138****5678", "137****1234"]


def test_update_of_another_communitys_station_is_not_found(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    station = hierarchy.station_xiyuan
    with pytest.raises(NotFound):
        services.update_station(
            actor=community_staff,
            station=station,
            data=_new_station(code="S003", community="T14040401001"),
        )
    station.refresh_from_db()
    assert station.community == hierarchy.xiyuan


def test_moving_a_station_out_of_scope_is_refused(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    with pytest.raises(Forbidden):
        services.update_station(
            actor=community_staff,
            station=hierarchy.station_xingfu,
            data=_new_station(code="S001", community="T14040402001", lon=113.06, lat=36.19),
        )
    hierarchy.station_xingfu.refresh_from_db()
    assert hierarchy.station_xingfu.community == hierarchy.xingfu


def test_keeper_may_set_hours_but_not_details(hierarchy: Hierarchy, station_keeper: User) -> None:
    station = hierarchy.station_xingfu
    with pytest.raises(Forbidden):
        services.update_station(
            actor=station_keeper, station=station, data=_new_station(code="S001")
        )

    services.set_opening_hours(
        actor=station_keeper,
        station=station,
        hours=[
            HoursInput(weekday=0, opens=dt.time(9), closes=dt.time(12)),
            HoursInput(weekday=0, opens=dt.time(14), closes=dt.time(17)),
        ],
        holiday_policy=Station.HolidayPolicy.CLOSED,
    )
    station.refresh_from_db()
    assert station.holiday_policy == Station.HolidayPolicy.CLOSED
    assert [(h.weekday, h.opens) for h in station.opening_hours.all()] == [
        (0, dt.time(9)),
        (0, dt.time(14)),
    ]
    entry = AuditEntry.objects.get(actor=station_keeper)
    assert set(entry.changes) == {"opening_hours", "holiday_policy"}


def test_keeper_may_not_touch_another_station(hierarchy: Hierarchy, station_keeper: User) -> None:
    with pytest.raises(NotFound):
        services.set_opening_hours(actor=station_keeper, station=hierarchy.station_heping, hours=[])
    assert hierarchy.station_heping.opening_hours.count() == 7


@pytest.mark.parametrize(
    "hours",
    [
        [HoursInput(weekday=7, opens=dt.time(9), closes=dt.time(12))],
        [HoursInput(weekday=1, opens=dt.time(12), closes=dt.time(9))],
        [
            HoursInput(weekday=1, opens=dt.time(9), closes=dt.time(12)),
            HoursInput(weekday=1, opens=dt.time(11), closes=dt.time(14)),
        ],
    ],
)
def test_it_refuses_impossible_hours(
    hierarchy: Hierarchy, community_staff: User, hours: Any
) -> None:
    with pytest.raises(LinliError) as err:
        services.set_opening_hours(
            actor=community_staff, station=hierarchy.station_xingfu, hours=hours
        )
    assert err.value.code == "invalid_hours"
    assert hierarchy.station_xingfu.opening_hours.count() == 7


def test_delete_is_soft_by_default(hierarchy: Hierarchy, community_staff: User) -> None:
    station = hierarchy.station_xingfu
    services.delete_station(actor=community_staff, station=station)

    station.refresh_from_db()
    assert station.is_active is False
    assert station.opening_hours.count() == 7
    assert AuditEntry.objects.get(action=AuditEntry.Action.DELETE).changes["hard"] is False


def test_hard_delete_removes_the_station_and_keeps_a_snapshot(
    hierarchy: Hierarchy, subdistrict_staff: User
) -> None:
    station = hierarchy.station_heping
    services.delete_station(actor=subdistrict_staff, station=station, hard=True)

    assert not Station.objects.filter(code="S002").exists()
    assert not ServiceAtStation.objects.exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DELETE)
    assert entry.changes["code"] == ["S002", None]
    assert entry.changes["contact_name"] == ["王**", ""]


def test_delete_refuses_another_community_and_keepers(
    hierarchy: Hierarchy, other_community_staff: User, station_keeper: User
) -> None:
    with pytest.raises(NotFound):
        services.delete_station(actor=other_community_staff, station=hierarchy.station_xingfu)
    with pytest.raises(Forbidden):
        services.delete_station(actor=station_keeper, station=hierarchy.station_xingfu)
    hierarchy.station_xingfu.refresh_from_db()
    assert hierarchy.station_xingfu.is_active


def test_district_admin_works_across_communities(
    hierarchy: Hierarchy, district_admin: User
) -> None:
    station = services.create_station(
        actor=district_admin, data=_new_station(community="T14040402001")
    )
    assert station.community == hierarchy.xiyuan


def test_other_district_admin_sees_nothing(
    hierarchy: Hierarchy, other_district_admin: User
) -> None:
    with pytest.raises(LinliError):
        services.create_station(actor=other_district_admin, data=_new_station())
    with pytest.raises(NotFound):
        services.delete_station(actor=other_district_admin, station=hierarchy.station_xingfu)


def test_subdistrict_level_place_needs_subdistrict_staff(
    hierarchy: Hierarchy, subdistrict_staff: User, community_staff: User
) -> None:
    data = _new_station(
        code="P001", category="party_service_center", community="", subdistrict="T14040401"
    )
    with pytest.raises(Forbidden):
        services.create_station(actor=community_staff, data=data)
    station = services.create_station(actor=subdistrict_staff, data=data)
    assert station.community is None
    assert station.subdistrict == hierarchy.east


# ---------------------------------------------------------------- compounds


def _compound(**overrides: Any) -> CompoundInput:
    data = CompoundInput(
        code="C100",
        name="和谐家园",
        community="T14040401001",
        households=300,
        population=800,
        gates=(
            GateInput(name="东门", lon=113.073, lat=36.183),
            GateInput(name="西门", lon=113.071, lat=36.183),
        ),
    )
    return replace(data, **overrides)


def test_compound_with_gates_is_created_and_updated(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    compound = services.create_compound(actor=community_staff, data=_compound())
    assert [g.name for g in compound.gates.all()] == ["东门", "西门"]

    services.update_compound(
        actor=community_staff,
        compound=compound,
        data=_compound(population=820, gates=(GateInput(name="南门", lon=113.072, lat=36.181),)),
    )
    compound.refresh_from_db()
    assert compound.population == 820
    assert [g.name for g in compound.gates.all()] == ["南门"]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE)
    assert set(entry.changes) == {"population", "gates"}


def test_compound_refusals(
    hierarchy: Hierarchy, other_community_staff: User, community_staff: User
) -> None:
    with pytest.raises(NotFound):
        services.update_compound(
            actor=other_community_staff,
            compound=hierarchy.compound_xingfu,
            data=_compound(code="C001"),
        )
    with pytest.raises(NotFound):
        services.delete_compound(actor=other_community_staff, compound=hierarchy.compound_xingfu)
    with pytest.raises(Conflict):
        services.create_compound(
            actor=other_community_staff,
            data=_compound(code="C001", community="T14040402001", gates=()),
        )
    with pytest.raises(LinliError) as err:
        services.create_compound(
            actor=community_staff,
            data=_compound(gates=(GateInput(lon=100.0, lat=30.0),)),
        )
    assert err.value.code == "outside_district"
    assert Compound.objects.count() == 1


def test_compound_delete_keeps_stations(hierarchy: Hierarchy, community_staff: User) -> None:
    station = hierarchy.station_xingfu
    station.compound = hierarchy.compound_xingfu
    station.save()
    services.delete_compound(actor=community_staff, compound=hierarchy.compound_xingfu)
    station.refresh_from_db()
    assert station.compound is None
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DELETE).count() == 1


# ---------------------------------------------------------------- services


def _service(**overrides: Any) -> ServiceInput:
    data = ServiceInput(name="心理疏导", category="counselling", organisation="阳光心理服务社")
    return replace(data, **overrides)


def test_community_staff_creates_a_service_at_their_station(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    service = services.create_service(
        actor=community_staff,
        data=_service(),
        stations=[
            (
                hierarchy.station_xingfu,
                ScheduleInput(rrule="FREQ=WEEKLY;BYDAY=WE", opens=dt.time(14), closes=dt.time(16)),
            )
        ],
    )
    assert service.organisation is not None
    assert Organisation.objects.filter(name="阳光心理服务社").exists()
    link = ServiceAtStation.objects.get(service=service)
    assert link.station == hierarchy.station_xingfu
    assert AuditEntry.objects.filter(object_type="places.service").count() == 1
    assert AuditEntry.objects.filter(object_type="places.serviceatstation").count() == 1


def test_service_needs_a_station_below_district_level(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    with pytest.raises(LinliError) as err:
        services.create_service(actor=community_staff, data=_service())
    assert err.value.code == "station_required"
    assert not Service.objects.filter(name="心理疏导").exists()


def test_service_at_another_communitys_station_is_refused(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    with pytest.raises(NotFound):
        services.create_service(
            actor=community_staff,
            data=_service(),
            stations=[(hierarchy.station_xiyuan, ScheduleInput())],
        )
    assert not Service.objects.filter(name="心理疏导").exists()


def test_invalid_rrule_is_refused(hierarchy: Hierarchy, community_staff: User) -> None:
    haircut = Service.objects.get(name="义务理发")
    with pytest.raises(LinliError) as err:
        services.add_service_at_station(
            actor=community_staff,
            service=haircut,
            station=hierarchy.station_xingfu,
            schedule=ScheduleInput(rrule="EVERY FRIDAY"),
        )
    assert err.value.code == "invalid_rrule"


def test_shared_service_can_only_be_changed_by_someone_covering_all_its_stations(
    hierarchy: Hierarchy, community_staff: User, subdistrict_staff: User
) -> None:
    haircut = Service.objects.get(name="义务理发")  # offered at 和平 (S002)
    # The xingfu staff cannot even see it yet.
    with pytest.raises(NotFound):
        services.update_service(
            actor=community_staff, service=haircut, data=_service(name="理发", category="haircut")
        )
    # Once it is also offered at xingfu, xingfu staff see it but may not rename it.
    services.add_service_at_station(
        actor=community_staff, service=haircut, station=hierarchy.station_xingfu
    )
    with pytest.raises(Forbidden) as err:
        services.update_service(
            actor=community_staff, service=haircut, data=_service(name="理发", category="haircut")
        )
    assert err.value.code == "shared_service"
    services.update_service(
        actor=subdistrict_staff, service=haircut, data=_service(name="爱心理发", category="haircut")
    )
    haircut.refresh_from_db()
    assert haircut.name == "爱心理发"


def test_keeper_adds_and_removes_services_at_own_station(
    hierarchy: Hierarchy, station_keeper: User
) -> None:
    haircut = Service.objects.get(name="义务理发")
    link = services.add_service_at_station(
        actor=station_keeper, service=haircut, station=hierarchy.station_xingfu
    )
    services.remove_service_at_station(actor=station_keeper, link=link)
    assert not ServiceAtStation.objects.filter(station=hierarchy.station_xingfu).exists()
    other = ServiceAtStation.objects.get(station=hierarchy.station_heping)
    with pytest.raises(NotFound):
        services.remove_service_at_station(actor=station_keeper, link=other)
    assert ServiceAtStation.objects.filter(pk=other.pk).exists()


# ---------------------------------------------------------------- geo


def test_gcj02_conversion_matches_the_published_formula() -> None:
    # Reference values of the widely used coordtransform implementation (Tiananmen area).
    glon, glat = wgs84_to_gcj02(116.404, 39.915)
    assert glon == pytest.approx(116.41024449916938, abs=1e-9)
    assert glat == pytest.approx(39.91640428150164, abs=1e-9)
    wlon, wlat = gcj02_to_wgs84(116.41024449916938, 39.91640428150164)
    assert wlon == pytest.approx(116.404, abs=1e-8)
    assert wlat == pytest.approx(39.915, abs=1e-8)


def test_gcj02_offset_in_the_sample_area_is_a_few_hundred_metres() -> None:
    wlon, wlat = gcj02_to_wgs84(113.0800, 36.1900)
    assert 0.003 < abs(113.08 - wlon) < 0.01
    assert wgs84_to_gcj02(wlon, wlat) == pytest.approx((113.08, 36.19), abs=1e-9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "WGS-84"),
        ("wgs84", "WGS-84"),
        ("GCJ-02", "GCJ-02"),
        ("高德", "GCJ-02"),
        ("GCJ-02（高德/腾讯）", "GCJ-02"),
        ("BD-09", None),
    ],
)
def test_coordinate_system_names(text: str, expected: str | None) -> None:
    assert parse_coordinate_system(text) == expected
