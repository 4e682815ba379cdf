"""The access chokepoint through the staff API: every endpoint × every persona.

For each combination: the HTTP status first, then the state — lists hold exactly the rows in
scope, ids guessed from another community are 404 (as if they did not exist), and a refused
write leaves the database as it was. Expected sets are spelled out per persona.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from linli.accounts.models import User
from linli.places.models import OpeningHours, Station
from tests.personas import Hierarchy, login

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
NOT_STAFF = {"anonymous": 401, "resident": 403, "unit_liaison": 403}

VISIBLE = {
    "station_keeper": {"S001"},
    "community_staff": {"S001"},
    "other_community_staff": {"S003"},
    "subdistrict_staff": {"S001", "S002"},
    "district_admin": {"S001", "S002", "S003"},
    "other_district_admin": set(),
}
EDITORS = {"community_staff", "other_community_staff", "subdistrict_staff", "district_admin"}
COMPOUNDS = {
    "station_keeper": set(),
    "community_staff": {"C001"},
    "other_community_staff": set(),
    "subdistrict_staff": {"C001"},
    "district_admin": {"C001"},
    "other_district_admin": set(),
}
COMMUNITY_OF = {"S001": "T14040401001", "S002": "T14040401002", "S003": "T14040402001"}


@pytest.fixture
def as_persona(hierarchy: Hierarchy, request: pytest.FixtureRequest) -> Any:
    def _client(name: str) -> Client:
        client = Client()
        if name != "anonymous":
            user: User = request.getfixturevalue(name)
            login(client, user)
        return client

    return _client


def _refused_as_non_staff(name: str, response: Any) -> bool:
    if name not in NOT_STAFF:
        return False
    assert response.status_code == NOT_STAFF[name], response.content
    assert response.json()["code"] in {"unauthenticated", "forbidden"}
    return True


def _station_body(code: str, name: str) -> dict[str, Any]:
    station = Station.objects.get(code=code)
    return {
        "code": code,
        "name": name,
        "kind": "happiness_station",
        "community": COMMUNITY_OF[code],
        "lon": station.lon,
        "lat": station.lat,
        "phone": station.phone,
    }


@pytest.mark.parametrize("name", PERSONAS)
def test_station_list_holds_exactly_the_stations_in_scope(as_persona: Any, name: str) -> None:
    response = as_persona(name).get("/api/places/stations?page_size=500")
    if _refused_as_non_staff(name, response):
        return
    assert response.status_code == 200
    body = response.json()
    assert {s["code"] for s in body["items"]} == VISIBLE[name]
    assert body["total"] == len(VISIBLE[name])


@pytest.mark.parametrize("name", PERSONAS)
@pytest.mark.parametrize("code", ["S001", "S002", "S003"])
def test_station_detail_is_404_outside_the_scope(as_persona: Any, name: str, code: str) -> None:
    station = Station.objects.get(code=code)
    response = as_persona(name).get(f"/api/places/stations/{station.pk}")
    if _refused_as_non_staff(name, response):
        return
    if code in VISIBLE[name]:
        assert response.status_code == 200
        assert response.json()["code"] == code
    else:
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": response.json()["message"]}
        assert station.name not in response.content.decode()


@pytest.mark.parametrize("name", PERSONAS)
@pytest.mark.parametrize("code", ["S001", "S003"])
def test_updating_a_station(as_persona: Any, name: str, code: str) -> None:
    station = Station.objects.get(code=code)
    response = as_persona(name).put(
        f"/api/places/stations/{station.pk}",
        _station_body(code, "改过的名字"),
        content_type="application/json",
    )
    station.refresh_from_db()
    if _refused_as_non_staff(name, response):
        assert station.name != "改过的名字"
        return
    if code not in VISIBLE[name]:
        assert response.status_code == 404
    elif name not in EDITORS:  # the keeper: hours yes, details no
        assert response.status_code == 403
    else:
        assert response.status_code == 200, response.content
        assert station.name == "改过的名字"
        return
    assert station.name != "改过的名字"


@pytest.mark.parametrize("name", PERSONAS)
@pytest.mark.parametrize("code", ["S001", "S003"])
def test_setting_a_stations_hours(as_persona: Any, name: str, code: str) -> None:
    station = Station.objects.get(code=code)
    response = as_persona(name).put(
        f"/api/places/stations/{station.pk}/hours",
        {"hours": [{"weekday": 0, "opens": "07:00", "closes": "12:00"}]},
        content_type="application/json",
    )
    hours = list(OpeningHours.objects.filter(station=station).values_list("opens", flat=True))
    if _refused_as_non_staff(name, response) or code not in VISIBLE[name]:
        assert response.status_code in {401, 403, 404}
        assert response.status_code == 404 or name in NOT_STAFF
        assert len(hours) == 7
        return
    assert response.status_code == 200, response.content
    assert hours == [dt.time(7, 0)]


@pytest.mark.parametrize("name", PERSONAS)
@pytest.mark.parametrize("code", ["S001", "S003"])
def test_deleting_a_station(as_persona: Any, name: str, code: str) -> None:
    station = Station.objects.get(code=code)
    response = as_persona(name).delete(f"/api/places/stations/{station.pk}")
    station.refresh_from_db()
    if _refused_as_non_staff(name, response):
        assert station.is_active
        return
    if code not in VISIBLE[name]:
        assert response.status_code == 404
        assert station.is_active
    elif name not in EDITORS:
        assert response.status_code == 403
        assert station.is_active
    else:
        assert response.status_code == 204
        assert not station.is_active


CREATE_IN_XINGFU = {
    "station_keeper": 403,
    "community_staff": 201,
    "other_community_staff": 403,
    "subdistrict_staff": 201,
    "district_admin": 201,
    # The community code does not exist in the other district: it cannot even be named.
    "other_district_admin": 400,
}


@pytest.mark.parametrize("name", PERSONAS)
def test_creating_a_station_in_xingfu(as_persona: Any, name: str) -> None:
    body = {
        "code": "S900",
        "name": "新建驿站",
        "kind": "happiness_station",
        "community": "T14040401001",
        "lon": 113.07,
        "lat": 36.18,
    }
    response = as_persona(name).post("/api/places/stations", body, content_type="application/json")
    created = Station.objects.filter(code="S900").exists()
    if _refused_as_non_staff(name, response):
        assert not created
        return
    assert response.status_code == CREATE_IN_XINGFU[name], response.content
    assert created is (response.status_code == 201)


@pytest.mark.parametrize("name", PERSONAS)
def test_compounds(as_persona: Any, name: str, hierarchy: Hierarchy) -> None:
    client = as_persona(name)
    listed = client.get("/api/places/compounds")
    detail = client.get(f"/api/places/compounds/{hierarchy.compound_xingfu.pk}")
    if _refused_as_non_staff(name, listed):
        assert _refused_as_non_staff(name, detail)
        return
    assert {c["code"] for c in listed.json()["items"]} == COMPOUNDS[name]
    assert detail.status_code == (200 if COMPOUNDS[name] else 404)


@pytest.mark.parametrize("name", PERSONAS)
def test_services_never_leak_another_communitys_offer(as_persona: Any, name: str) -> None:
    client = as_persona(name)
    heping = Station.objects.get(code="S002")
    listed = client.get("/api/places/services")
    at_heping = client.get(f"/api/places/services?station={heping.pk}")
    if _refused_as_non_staff(name, listed):
        return
    sees_heping = "S002" in VISIBLE[name]
    assert {s["name"] for s in listed.json()["items"]} == ({"义务理发"} if sees_heping else set())
    assert at_heping.json()["total"] == (1 if sees_heping else 0)


TREE = {
    "station_keeper": {"T14040401001"},
    "community_staff": {"T14040401001"},
    "other_community_staff": {"T14040402001"},
    "subdistrict_staff": {"T14040401001", "T14040401002"},
    "district_admin": {"T14040401001", "T14040401002", "T14040402001"},
    "other_district_admin": set(),
}


@pytest.mark.parametrize("name", PERSONAS)
def test_organisations_and_scope_tree(as_persona: Any, name: str) -> None:
    client = as_persona(name)
    organisations = client.get("/api/places/organisations")
    tree = client.get("/api/places/scope")
    if _refused_as_non_staff(name, organisations):
        assert _refused_as_non_staff(name, tree)
        return
    in_district = name != "other_district_admin"
    assert organisations.json()["total"] == (1 if in_district else 0)
    communities = {c["code"] for s in tree.json()["subdistricts"] for c in s["communities"]}
    assert communities == TREE[name]


@pytest.mark.parametrize("name", PERSONAS)
def test_the_public_hsds_api_is_the_same_for_everyone(as_persona: Any, name: str) -> None:
    response = as_persona(name).get("/api/hsds/locations")
    assert response.status_code == 200
    assert response.json()["total_items"] == 3
