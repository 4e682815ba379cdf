"""The needs API: staff list and steps in scope, residents raise and rate, the public timeline."""

from __future__ import annotations

import json
from typing import Any

import pytest

from linli.needs.models import Need, Status
from linli.needs.tests.conftest import walk

pytestmark = pytest.mark.django_db


def _post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def test_anonymous_callers_are_refused(client: Any, need: Need) -> None:
    assert client.get("/api/needs/").status_code == 401


def test_staff_list_only_their_scope(as_user: Any, need: Need, other_community_staff: Any) -> None:
    body = as_user(other_community_staff).get("/api/needs/").json()
    assert body == {"count": 0, "results": []}
    assert as_user(other_community_staff).get(f"/api/needs/{need.pk}/").status_code == 404


def test_staff_filter_and_read_a_need(as_user: Any, need: Need, community_staff: Any) -> None:
    client = as_user(community_staff)
    body = client.get("/api/needs/?status=submitted&category=environment").json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == need.pk
    assert client.get("/api/needs/?status=resolved").json()["count"] == 0
    detail = client.get(f"/api/needs/{need.pk}/").json()
    assert detail["contact_phone"] == "13900001111"
    assert [s["action"] for s in detail["steps"]] == ["submit"]


def test_staff_take_steps_and_out_of_order_is_a_409(
    as_user: Any, need: Need, community_staff: Any
) -> None:
    client = as_user(community_staff)
    refused = _post(
        client, f"/api/needs/{need.pk}/steps/", {"action": "resolve", "public_note": "x"}
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "step_out_of_order"
    ok = _post(
        client, f"/api/needs/{need.pk}/steps/", {"action": "accept", "public_summary": "清理垃圾桶"}
    )
    assert ok.status_code == 200
    assert ok.json()["status"] == "accepted"


def test_another_community_cannot_take_a_step(
    as_user: Any, need: Need, other_community_staff: Any
) -> None:
    response = _post(
        as_user(other_community_staff),
        f"/api/needs/{need.pk}/steps/",
        {"action": "accept", "public_summary": "x"},
    )
    assert response.status_code == 404
    need.refresh_from_db()
    assert need.status == Status.SUBMITTED


def test_a_resident_raises_and_rates_through_the_api(
    as_user: Any, resident: Any, hierarchy: Any, community_staff: Any
) -> None:
    client = as_user(resident)
    created = _post(
        client,
        "/api/needs/",
        {
            "category": "facilities",
            "description": "健身器材坏了",
            "compound_id": hierarchy.compound_xingfu.pk,
            "scale": "shared",
        },
    )
    assert created.status_code == 201, created.content
    need = Need.objects.get(pk=created.json()["id"])
    assert [n["id"] for n in client.get("/api/needs/mine/").json()] == [need.pk]
    walk(need, community_staff, upto="resolve")
    rated = _post(as_user(resident), f"/api/needs/mine/{need.pk}/rating/", {"level": "satisfied"})
    assert rated.status_code == 200
    assert rated.json()["status"] == "rated"


def test_a_pin_outside_the_district_is_a_clear_400(as_user: Any, resident: Any) -> None:
    response = _post(
        as_user(resident),
        "/api/needs/",
        {
            "category": "safety",
            "description": "x",
            "lat": 39.9,
            "lon": 116.4,
        },
    )
    assert response.status_code == 400
    assert response.json()["code"] == "outside_district"
    assert not Need.objects.exists()


def test_the_public_timeline_has_no_personal_fields(
    client: Any, need: Need, community_staff: Any, hierarchy: Any
) -> None:
    walk(need, community_staff, upto="resolve")
    rows = client.get(f"/api/needs/public/{hierarchy.district.code}/").json()
    assert [r["id"] for r in rows] == [need.pk]
    text = json.dumps(rows, ensure_ascii=False)
    assert "13900001111" not in text
    assert "垃圾桶满了三天" not in text
    assert set(rows[0]) == {
        "id",
        "category",
        "status",
        "summary",
        "submitted_at",
        "resolved_at",
        "community",
        "compound",
        "rating",
    }


def test_rates_api_answers_staff(as_user: Any, need: Need, district_admin: Any) -> None:
    rows = as_user(district_admin).get("/api/needs/rates/?by=category&year=2026").json()
    assert rows[0]["key"] == "environment"
    assert rows[0]["counted"] == 1
