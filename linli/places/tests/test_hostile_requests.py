"""Hostile requests get a clear 4xx, never a 500: huge integers, odd bodies, times and dates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from linli.core.models import AuditEntry
from linli.places.models import Compound, OpeningHours, Station
from linli.planning.models import AnalysisRun
from tests.personas import Hierarchy, login

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
TWO_63 = str(2**63)


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def admin(hierarchy: Hierarchy, district_admin: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(client, district_admin)
    return client


@pytest.mark.parametrize(
    "url",
    [
        f"/api/places/stations?page={TWO_63}",
        f"/api/places/stations?community={HUGE}",
        f"/api/places/stations?subdistrict={TWO_63}",
        f"/api/places/compounds?page={TWO_63}",
        f"/api/places/compounds?community={HUGE}",
        f"/api/places/services?station={HUGE}",
        f"/api/places/services?organisation={HUGE}",
        f"/api/places/stations/{HUGE}",
        f"/api/places/compounds/{TWO_63}",
        f"/api/planning/runs/{HUGE}",
        f"/api/planning/sitings/{HUGE}",
        f"/api/hsds/services?page={TWO_63}",
        f"/api/hsds/organizations?page={TWO_63}",
        f"/api/hsds/locations?page={TWO_63}",
        f"/api/hsds/service_at_locations?page={TWO_63}",
    ],
)
def test_an_integer_too_big_for_the_database_is_a_422(admin: Client, url: str) -> None:
    response = admin.get(url)
    assert response.status_code in (404, 422), response.content
    assert response.json()["code"] in ("invalid", "not_found")


@pytest.mark.parametrize(
    "url",
    [
        f"/console/stations/{HUGE}/",
        f"/console/compounds/{HUGE}/",
        f"/stations/{HUGE}/",
        f"/console/planning/runs/{HUGE}/",
    ],
)
def test_a_page_address_with_a_huge_id_is_not_found(admin: Client, url: str) -> None:
    assert admin.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/console/compounds/?community={HUGE}",
        f"/console/compounds/?subdistrict={HUGE}",
        f"/console/services/?community={HUGE}",
        f"/console/stations/?community={HUGE}",
        f"/console/stations/?page={HUGE}",
    ],
)
def test_a_console_filter_with_a_huge_id_shows_nothing(admin: Client, url: str) -> None:
    assert admin.get(url).status_code == 200


def test_the_compound_form_refuses_huge_households(admin: Client, hierarchy: Hierarchy) -> None:
    compound = Compound.objects.get(code="C001")
    response = admin.post(
        f"/console/compounds/{compound.pk}/",
        {
            "code": "C001",
            "name": compound.name,
            "community": compound.community.code,
            "households": HUGE,
            "population": "10",
            "crs": "WGS-84",
        },
    )
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to" in response.content.decode()
    assert Compound.objects.get(code="C001").households == compound.households


@pytest.mark.parametrize(
    ("field", "value"), [("date_to", "9999-12-31"), ("date_from", "0001-01-01")]
)
def test_audit_dates_out_of_range_are_a_message(admin: Client, field: str, value: str) -> None:
    response = admin.get("/console/audit/", {field: value})
    assert response.status_code == 200
    assert "Choose a date between 1900-01-01 and 2999-12-31." in response.content.decode()


def test_a_body_over_the_upload_limit_is_a_413(admin: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    station = Station.objects.get(code="S001")
    response = admin.put(
        f"/api/places/stations/{station.pk}",
        json.dumps({"name": "x" * 5000}),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_opening_hours_with_a_utc_offset_are_a_422(admin: Client) -> None:
    station = Station.objects.get(code="S001")
    before = list(OpeningHours.objects.filter(station=station).values_list("opens", flat=True))
    response = admin.put(
        f"/api/places/stations/{station.pk}/hours",
        {"hours": [{"weekday": 0, "opens": "08:00+05:00", "closes": "12:00"}]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "without a time zone" in response.content.decode()
    after = list(OpeningHours.objects.filter(station=station).values_list("opens", flat=True))
    assert after == before


@pytest.mark.parametrize("body", ["[null, null]", "42", '"run"', "null"])
def test_an_analysis_body_that_is_not_an_object_is_a_422(admin: Client, body: str) -> None:
    response = admin.post("/api/planning/runs", body, content_type="application/json")
    assert response.status_code in (400, 422), response.content
    assert not AnalysisRun.objects.exists()


@pytest.mark.parametrize("name", ["幸福\x00驿站", "幸福\n驿站", "站\u202egpj.exe", "名" * 121])
def test_the_api_refuses_the_names_the_form_refuses(admin: Client, name: str) -> None:
    station = Station.objects.get(code="S001")
    response = admin.get(f"/api/places/stations/{station.pk}")
    body = response.json()
    payload = {
        "code": body["code"],
        "name": name,
        "kind": body["kind"],
        "community": "T14040401001",
        "lon": body["lon"],
        "lat": body["lat"],
    }
    response = admin.put(
        f"/api/places/stations/{station.pk}", payload, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert Station.objects.get(pk=station.pk).name == body["name"]
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()
