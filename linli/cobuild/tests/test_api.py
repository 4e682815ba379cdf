"""The co-construction API: scope of every list, refusals, and bad input that changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from freezegun import freeze_time

from linli.accounts.models import User
from linli.cobuild import services
from linli.cobuild.models import DutyAssignment, Resource, SwapRequest
from linli.cobuild.tests.conftest import YEAR, Rotation, resource_input
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


def _json(client: Client, method: str, url: str, body: Any = None) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_the_calendar_shows_the_roster_to_its_subdistrict_only(
    rostered: Rotation, as_user: Any, community_staff: User, other_community_staff: User
) -> None:
    east = rostered.hierarchy.east
    url = f"/api/cobuild/calendar?subdistrict_id={east.pk}&year={YEAR}"
    response = as_user(community_staff).get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["year_known"] is True
    assert len(body["days"]) == 12
    assert body["days"][0]["on_duty"][0]["unit"] == "区税务局"
    assert as_user(other_community_staff).get(url).status_code == 404


def test_anonymous_and_residents_are_refused(
    rostered: Rotation, client: Client, as_user: Any, resident: User
) -> None:
    url = f"/api/cobuild/calendar?subdistrict_id={rostered.hierarchy.east.pk}&year={YEAR}"
    assert client.get(url).status_code == 401
    assert as_user(resident).get(url).status_code == 403
    assert as_user(resident).get("/api/cobuild/resources").status_code == 403


@freeze_time("2026-01-01 10:00:00+08:00")
def test_a_swap_through_the_api_and_its_approval(
    rostered: Rotation, as_user: Any, community_staff: User, subdistrict_staff: User
) -> None:
    jan, feb = (DutyAssignment.objects.get(day=d) for d in rostered.days[:2])
    client = as_user(community_staff)
    response = _json(
        client,
        "post",
        "/api/cobuild/swaps",
        {"duty_id": jan.pk, "other_id": feb.pk, "reason": "单位年会"},
    )
    assert response.status_code == 201, response.content
    swap_id = response.json()["id"]
    assert client.post(f"/api/cobuild/swaps/{swap_id}/approve").status_code == 403
    client = as_user(subdistrict_staff)
    assert client.post(f"/api/cobuild/swaps/{swap_id}/approve").json()["status"] == "approved"


def test_a_swap_with_another_subdistricts_unit_gets_a_clear_message(
    rostered: Rotation, as_user: Any, district_admin: User
) -> None:
    east = DutyAssignment.objects.get(day=rostered.days[0])
    west = DutyAssignment.objects.get(day=rostered.west_days[1])
    response = _json(
        as_user(district_admin),
        "post",
        "/api/cobuild/swaps",
        {"duty_id": east.pk, "other_id": west.pk, "reason": "x"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "swap_other_subdistrict"
    assert "区图书馆" in response.json()["message"]
    assert not SwapRequest.objects.exists()


def test_resources_are_listed_within_scope_and_names_masked_for_readers(
    hierarchy: Hierarchy,
    as_user: Any,
    community_staff: User,
    subdistrict_staff: User,
    other_community_staff: User,
    station_keeper: User,
) -> None:
    services.create_resource(
        actor=community_staff, district=hierarchy.district, data=resource_input()
    )
    services.create_resource(
        actor=other_community_staff,
        district=hierarchy.district,
        data=resource_input(
            title="维修家电",
            skill="repair",
            subdistrict_code="T14040402",
            community_code="T14040402001",
            station_code="S003",
        ),
    )
    mine = as_user(community_staff).get("/api/cobuild/resources").json()
    assert [r["title"] for r in mine["items"]] == ["法律咨询"]
    assert mine["items"][0]["provider"] == "李明华"
    west = as_user(other_community_staff).get("/api/cobuild/resources").json()
    assert [r["title"] for r in west["items"]] == ["维修家电"]
    assert as_user(station_keeper).get("/api/cobuild/resources").json()["total"] == 0
    # A district-wide reader who may edit it sees the name; the resource of another
    # subdistrict is 404 for east staff.
    other = Resource.objects.get(title="维修家电")
    assert as_user(subdistrict_staff).get(f"/api/cobuild/resources/{other.pk}").status_code == 404


def test_resource_crud_and_overlapping_windows(
    hierarchy: Hierarchy, as_user: Any, community_staff: User
) -> None:
    client = as_user(community_staff)
    body: dict[str, Any] = {
        "title": "会议室",
        "category": "venue",
        "subdistrict": "T14040401",
        "community": "T14040401001",
        "provider_kind": "unit",
        "organisation": "区税务局",
        "quantity": 30,
        "quantity_unit": "座",
        "station": "S001",
        "windows": [
            {"starts_at": "2026-01-09T09:00:00+08:00", "ends_at": "2026-01-09T12:00:00+08:00"},
            {"starts_at": "2026-01-09T11:00:00+08:00", "ends_at": "2026-01-09T15:00:00+08:00"},
        ],
    }
    from linli.places.models import Organisation

    Organisation.objects.create(district=hierarchy.district, name="区税务局", kind="unit")
    response = _json(client, "post", "/api/cobuild/resources", body)
    assert response.status_code == 400
    assert response.json()["code"] == "windows_overlap"
    assert not Resource.objects.exists()
    body["windows"] = body["windows"][:1]
    response = _json(client, "post", "/api/cobuild/resources", body)
    assert response.status_code == 201, response.content
    rid = response.json()["id"]
    body["quantity"] = 40
    assert _json(client, "put", f"/api/cobuild/resources/{rid}", body).json()["quantity"] == 40
    assert client.delete(f"/api/cobuild/resources/{rid}").status_code == 204
    assert client.get("/api/cobuild/resources").json()["total"] == 0
