"""The staff API's behaviour: filters, paging, masking, writes, errors and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from linli.accounts.models import User
from linli.core.models import AuditEntry
from linli.places.models import Station
from tests.personas import Hierarchy, login


@pytest.fixture
def admin_client(client: Client, district_admin: User) -> Client:
    return login(client, district_admin)


def test_filters_combine(admin_client: Client, hierarchy: Hierarchy) -> None:
    def codes(query: str) -> list[str]:
        response = admin_client.get(f"/api/places/stations?{query}")
        assert response.status_code == 200, response.content
        return [s["code"] for s in response.json()["items"]]

    assert codes("") == ["S001", "S002", "S003"]
    assert codes(f"subdistrict={hierarchy.east.pk}") == ["S001", "S002"]
    assert codes(f"community={hierarchy.xiyuan.pk}") == ["S003"]
    assert codes("kind=happiness_station&q=和平") == ["S002"]
    assert codes("kind=smart_hut") == []
    station = Station.objects.get(code="S002")
    station.is_active = False
    station.save()  # as the services do: the list cache's version moves
    assert codes("active=false") == ["S002"]
    assert codes("active=true&subdistrict=" + str(hierarchy.east.pk)) == ["S001"]


def test_pages_carry_the_total(admin_client: Client) -> None:
    first = admin_client.get("/api/places/stations?page_size=2").json()
    second = admin_client.get("/api/places/stations?page_size=2&page=2").json()
    beyond = admin_client.get("/api/places/stations?page_size=2&page=9").json()
    assert (first["total"], len(first["items"]), first["page"]) == (3, 2, 1)
    assert [s["code"] for s in second["items"]] == ["S003"]
    assert beyond["items"] == []
    assert beyond["total"] == 3


def test_a_list_row_never_carries_the_keepers_contact(admin_client: Client) -> None:
    content = admin_client.get("/api/places/stations").content.decode()
    assert "13812345678" not in content
    assert "王建国" not in content


def test_editors_and_the_stations_own_keeper_see_the_keepers_contact(
    client: Client, hierarchy: Hierarchy, community_staff: User
) -> None:
    keeper = User.objects.create_user(
        username="heping_keeper",
        password="x" * 12,
        role="station_keeper",
        district=hierarchy.district,
        community=hierarchy.heping,
        station=hierarchy.station_heping,
    )
    editor = (
        login(client, community_staff)
        .get(f"/api/places/stations/{hierarchy.station_xingfu.pk}")
        .json()
    )
    assert editor["contact_phone"] == "13812345678"
    assert editor["contact_masked"] is False
    own = login(Client(), keeper).get(f"/api/places/stations/{hierarchy.station_heping.pk}")
    assert own.json()["contact_masked"] is False


def test_detail_masks_when_the_viewer_may_only_read(
    monkeypatch: pytest.MonkeyPatch, admin_client: Client, hierarchy: Hierarchy
) -> None:
    from linli.places import permissions

    monkeypatch.setattr(permissions, "can_change_station", lambda user, station: False)
    body = admin_client.get(f"/api/places/stations/{hierarchy.station_xingfu.pk}").json()
    assert body["contact_phone"] == "138****5678"
    assert body["contact_name"] == "王**"
    assert body["contact_masked"] is True
    assert body["can_change"] is False


def test_detail_has_hours_functions_amenities_and_services(
    admin_client: Client, hierarchy: Hierarchy
) -> None:
    xingfu = admin_client.get(f"/api/places/stations/{hierarchy.station_xingfu.pk}").json()
    heping = admin_client.get(f"/api/places/stations/{hierarchy.station_heping.pk}").json()
    assert xingfu["hours"][0] == {"weekday": 0, "opens": "08:30", "closes": "18:00"}
    assert {f["code"] for f in xingfu["functions"]} == {"mediation", "reading"}
    assert {a["code"] for a in xingfu["amenities"]} == {"drinking_water", "phone_charging"}
    [haircut] = heping["services"]
    assert haircut["rrule"] == "FREQ=MONTHLY;BYDAY=1FR"
    assert haircut["organisation"]["name"] == "仁爱社工服务中心"
    assert haircut["opens"] == "09:00"


def test_creating_a_station_records_an_audit_entry(
    client: Client, community_staff: User, hierarchy: Hierarchy
) -> None:
    response = login(client, community_staff).post(
        "/api/places/stations",
        {
            "code": "S010",
            "name": "新驿站",
            "kind": "happiness_station",
            "community": "T14040401001",
            "lon": 113.07,
            "lat": 36.18,
            "functions": ["reading"],
            "contact_phone": "13900002222",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    station = Station.objects.get(code="S010")
    assert response.json()["id"] == station.pk
    entry = AuditEntry.objects.get(object_id=str(station.pk), object_type="places.station")
    assert entry.actor == community_staff
    assert "13900002222" not in str(entry.changes)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"code": "S002"}, 409, "duplicate_code"),
        ({"kind": "no_such_kind"}, 400, "unknown_category"),
        ({"lon": 120.0}, 400, "outside_district"),
        ({"lon": 500}, 422, "invalid"),
        ({"name": ""}, 422, "invalid"),
        ({"functions": ["flying"]}, 400, "unknown_function"),
    ],
)
def test_invalid_writes_are_json_errors_and_change_nothing(
    admin_client: Client, hierarchy: Hierarchy, change: dict[str, Any], status: int, code: str
) -> None:
    station = hierarchy.station_xingfu
    body = {
        "code": "S001",
        "name": "新名字",
        "kind": "happiness_station",
        "community": "T14040401001",
        "lon": station.lon,
        "lat": station.lat,
        **change,
    }
    response = admin_client.put(
        f"/api/places/stations/{station.pk}", body, content_type="application/json"
    )
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["message"]
    station.refresh_from_db()
    assert station.name == "幸福苑幸福驿站"


def test_unsafe_methods_need_the_csrf_token(district_admin: User, hierarchy: Hierarchy) -> None:
    client = login(Client(enforce_csrf_checks=True), district_admin)
    response = client.delete(f"/api/places/stations/{hierarchy.station_xingfu.pk}")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    hierarchy.station_xingfu.refresh_from_db()
    assert hierarchy.station_xingfu.is_active
    # Reading needs no token.
    assert client.get("/api/places/stations").status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        ("get", "/api/places/stations", 401, "unauthenticated"),
        ("get", "/api/no/such/endpoint", 404, "not_found"),
        ("get", "/api/places/stations/not-a-number", 422, "invalid"),
        ("get", "/api/places/stations/999999", 404, "not_found"),
        ("patch", "/api/places/stations", 405, "method_not_allowed"),
        ("get", "/api/places/stations?page=zero", 422, "invalid"),
    ],
)
def test_every_error_is_json_with_a_code_and_a_message(
    client: Client, district_admin: User, method: str, url: str, status: int, code: str
) -> None:
    if status != 401:
        login(client, district_admin)
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]


def test_a_405_for_a_logged_in_user_lists_the_allowed_methods(admin_client: Client) -> None:
    response = admin_client.patch("/api/places/scope")
    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_the_openapi_document_describes_every_endpoint(client: Client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    paths = spec["paths"]
    for path in (
        "/api/places/stations",
        "/api/places/stations/{station_id}",
        "/api/places/stations/{station_id}/hours",
        "/api/places/compounds",
        "/api/places/services",
        "/api/places/organisations",
        "/api/places/scope",
        "/api/hsds/services",
        "/api/hsds/service_at_locations/{service_at_location_id}",
    ):
        assert path in paths, path
    listed = paths["/api/places/stations"]["get"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"]["$ref"].endswith("StationPage")
    assert "StationRow" in spec["components"]["schemas"]
    assert client.get("/api/docs").status_code == 200


def test_a_list_response_matches_its_documented_schema(admin_client: Client) -> None:
    from linli.places.schemas import CompoundPage, OrganisationPage, ServicePage, StationPage

    for url, schema in (
        ("/api/places/stations", StationPage),
        ("/api/places/compounds", CompoundPage),
        ("/api/places/services", ServicePage),
        ("/api/places/organisations", OrganisationPage),
    ):
        page = schema.model_validate(admin_client.get(url).json(), strict=False)
        assert page.total >= 1, url


def test_lists_take_two_queries(admin_client: Client, django_assert_max_num_queries: Any) -> None:
    # Session + user lookups are the two queries every logged-in request makes.
    with django_assert_max_num_queries(4):
        admin_client.get("/api/places/stations")
