"""linli.places.permissions, persona by persona and record by record.

The expected sets are written out in full (not computed) so that a change of scope rules shows
up as a failing line here, naming the persona and the record.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from linli.accounts.models import Role, User
from linli.accounts.scopes import scope_q
from linli.places import permissions
from linli.places.models import Organisation, Service, ServiceCategory, Station
from tests.personas import Hierarchy

PERSONAS = [
    "anonymous",
    "resident",
    "unit_liaison",
    "station_keeper",
    "community_staff",
    "other_community_staff",
    "subdistrict_staff",
    "district_admin",
    "other_district_admin",
]


@pytest.fixture
def persona(request: pytest.FixtureRequest, hierarchy: Hierarchy) -> Any:
    name = request.param
    if name == "anonymous":
        return AnonymousUser()
    return request.getfixturevalue(name)


def _codes(qs: Any) -> set[str]:
    return set(qs.values_list("code", flat=True))


# Stations: S001 幸福里 (east), S002 和平 (east), S003 西园 (west).
VISIBLE_STATIONS = {
    "anonymous": set(),
    "resident": set(),
    "unit_liaison": set(),
    "station_keeper": {"S001"},
    "community_staff": {"S001"},
    "other_community_staff": {"S003"},
    "subdistrict_staff": {"S001", "S002"},
    "district_admin": {"S001", "S002", "S003"},
    "other_district_admin": set(),
}
CHANGEABLE = VISIBLE_STATIONS
DELETABLE = {**VISIBLE_STATIONS, "station_keeper": set()}
COMMUNITIES = {
    "anonymous": set(),
    "resident": set(),
    "unit_liaison": set(),
    "station_keeper": {"T14040401001"},
    "community_staff": {"T14040401001"},
    "other_community_staff": {"T14040402001"},
    "subdistrict_staff": {"T14040401001", "T14040401002"},
    "district_admin": {"T14040401001", "T14040401002", "T14040402001"},
    "other_district_admin": set(),
}
SUBDISTRICTS = {
    "anonymous": set(),
    "resident": set(),
    "unit_liaison": set(),
    "station_keeper": {"T14040401"},
    "community_staff": {"T14040401"},
    "other_community_staff": {"T14040402"},
    "subdistrict_staff": {"T14040401"},
    "district_admin": {"T14040401", "T14040402"},
    "other_district_admin": set(),
}
COMPOUNDS = {
    "anonymous": set(),
    "resident": set(),
    "unit_liaison": set(),
    "station_keeper": set(),
    "community_staff": {"C001"},
    "other_community_staff": set(),
    "subdistrict_staff": {"C001"},
    "district_admin": {"C001"},
    "other_district_admin": set(),
}
STAFF_OF_THE_DISTRICT = {
    "station_keeper",
    "community_staff",
    "other_community_staff",
    "subdistrict_staff",
    "district_admin",
}


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_stations_for_user_keeps_each_persona_in_scope(persona: Any) -> None:
    name = _name(persona)
    assert _codes(permissions.stations_for_user(persona)) == VISIBLE_STATIONS[name]


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
@pytest.mark.parametrize("code", ["S001", "S002", "S003"])
def test_get_station_for_user_is_404_outside_the_scope(persona: Any, code: str) -> None:
    station = Station.objects.get(code=code)
    if code in VISIBLE_STATIONS[_name(persona)]:
        assert permissions.get_station_for_user(persona, station.pk) == station
    else:
        with pytest.raises(Http404):
            permissions.get_station_for_user(persona, station.pk)


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
@pytest.mark.parametrize("code", ["S001", "S002", "S003"])
def test_change_and_delete_rights(persona: Any, code: str) -> None:
    station = Station.objects.get(code=code)
    name = _name(persona)
    assert permissions.can_change_station(persona, station) is (code in CHANGEABLE[name])
    assert permissions.can_delete_station(persona, station) is (code in DELETABLE[name])


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_hierarchy_and_compounds_per_persona(persona: Any) -> None:
    name = _name(persona)
    assert _codes(permissions.communities_for_user(persona)) == COMMUNITIES[name]
    assert _codes(permissions.subdistricts_for_user(persona)) == SUBDISTRICTS[name]
    assert _codes(permissions.compounds_for_user(persona)) == COMPOUNDS[name]


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_services_are_seen_through_the_stations_that_offer_them(
    persona: Any, hierarchy: Hierarchy
) -> None:
    # 义务理发 is offered only at S002 (和平); 普法讲座 is at no station yet (district-wide).
    unplaced = Service.objects.create(
        district=hierarchy.district,
        category=ServiceCategory.objects.get(code="legal_aid"),
        name="普法讲座",
    )
    name = _name(persona)
    seen = set(permissions.services_for_user(persona).values_list("name", flat=True))
    expected: set[str] = set()
    if "S002" in VISIBLE_STATIONS[name]:
        expected.add("义务理发")
    if name in STAFF_OF_THE_DISTRICT:
        expected.add(unplaced.name)
    assert seen == expected


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_organisations_are_read_by_the_districts_staff_only(persona: Any) -> None:
    seen = set(permissions.organisations_for_user(persona).values_list("name", flat=True))
    assert seen == ({"仁爱社工服务中心"} if _name(persona) in STAFF_OF_THE_DISTRICT else set())


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_get_compound_and_service_for_user(persona: Any, hierarchy: Hierarchy) -> None:
    name = _name(persona)
    haircut = Service.objects.get(name="义务理发")
    if "C001" in COMPOUNDS[name]:
        assert permissions.get_compound_for_user(persona, hierarchy.compound_xingfu.pk)
    else:
        with pytest.raises(Http404):
            permissions.get_compound_for_user(persona, hierarchy.compound_xingfu.pk)
    if "S002" in VISIBLE_STATIONS[name]:
        assert permissions.get_service_for_user(persona, haircut.pk) == haircut
    else:
        with pytest.raises(Http404):
            permissions.get_service_for_user(persona, haircut.pk)


# (community code or None, subdistrict code) → personas who may create there.
CREATE_PLACES = {
    ("T14040401001", "T14040401"): {"community_staff", "subdistrict_staff", "district_admin"},
    ("T14040402001", "T14040402"): {"other_community_staff", "district_admin"},
    (None, "T14040401"): {"subdistrict_staff", "district_admin"},
    # A community paired with a subdistrict it is not in: refused whatever the scope.
    ("T14040401001", "T14040402"): set(),
}


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
@pytest.mark.parametrize("place", list(CREATE_PLACES))
def test_can_create_in(persona: Any, place: tuple[str | None, str], hierarchy: Hierarchy) -> None:
    community_code, subdistrict_code = place
    community = hierarchy.district.communities.get(code=community_code) if community_code else None
    subdistrict = hierarchy.district.subdistricts.get(code=subdistrict_code)
    allowed = _name(persona) in CREATE_PLACES[place]
    assert permissions.can_create_in(persona, community, subdistrict) is allowed


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_require_staff(persona: Any) -> None:
    if _name(persona) in STAFF_OF_THE_DISTRICT | {"other_district_admin"}:
        permissions.require_staff(persona)
    else:
        with pytest.raises(PermissionDenied):
            permissions.require_staff(persona)


@pytest.mark.parametrize("pk", ["abc", None, -1, 0, 2**70, "1; DROP TABLE"])
def test_a_malformed_id_is_not_found_not_an_error(district_admin: User, pk: Any) -> None:
    with pytest.raises(Http404):
        permissions.get_station_for_user(district_admin, pk)


def test_a_superuser_sees_every_district(hierarchy: Hierarchy, other_district_admin: User) -> None:
    root = User.objects.create_superuser(username="root", password="x" * 12)
    assert _codes(permissions.stations_for_user(root)) == {"S001", "S002", "S003"}
    assert permissions.can_create_in(root, hierarchy.xiyuan, hierarchy.west)


def test_staff_without_a_node_see_nothing(hierarchy: Hierarchy) -> None:
    """A community staff account whose community was never set must not fall back to more."""
    lost = User.objects.create_user(
        username="lost", password="x" * 12, role=Role.COMMUNITY_STAFF, district=hierarchy.district
    )
    assert not permissions.stations_for_user(lost).exists()
    assert not permissions.communities_for_user(lost).exists()
    assert not permissions.services_for_user(lost).exists()
    assert not permissions.can_create_in(lost, hierarchy.xingfu, hierarchy.east)


def test_an_inactive_account_sees_nothing(district_admin: User) -> None:
    district_admin.is_active = False
    assert not permissions.stations_for_user(district_admin).exists()


def test_scope_q_filters_by_the_model_itself_for_pk_paths(station_keeper: User) -> None:
    station = Station.objects.get(code="S001")
    assert list(Station.objects.filter(scope_q(station_keeper.scope, station="pk"))) == [station]


def test_organisation_of_another_district_is_invisible(
    hierarchy: Hierarchy, other_district_admin: User, district_admin: User
) -> None:
    assert other_district_admin.district is not None
    Organisation.objects.create(
        district=other_district_admin.district, name="外区机构", kind=Organisation.Kind.SOCIAL
    )
    assert "外区机构" not in set(
        permissions.organisations_for_user(district_admin).values_list("name", flat=True)
    )


def _name(user: Any) -> str:
    if not user.is_authenticated:
        return "anonymous"
    return {
        "13900001111": "resident",
        "unit_liaison": "unit_liaison",
        "xingfu_keeper": "station_keeper",
        "xingfu_staff": "community_staff",
        "xiyuan_staff": "other_community_staff",
        "east_staff": "subdistrict_staff",
        "district_admin": "district_admin",
        "other_admin": "other_district_admin",
    }[user.username]
