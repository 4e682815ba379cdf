"""/api/activities/duty/: every endpoint's answer, its refusals, and nothing outside the scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.models import Role, User
from linli.activities.models import Registration, ServiceRecord
from tests.personas import PASSWORD, Hierarchy, login

pytestmark = pytest.mark.django_db
BASE = "/api/activities/duty"


@pytest.fixture
def member(hierarchy: Hierarchy) -> User:
    return User.objects.create_user(
        username="dangyuan",
        password=PASSWORD,
        role=Role.PARTY_MEMBER,
        real_name="赵红军",
        phone="13700001234",
        district=hierarchy.district,
        community=hierarchy.xingfu,
    )


def as_user(user: User) -> Client:
    """A client of its own per persona (the shared ``as_user`` fixture reuses one client)."""
    return login(Client(), user)


def _post(client: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def _report(client: Any, hierarchy: Hierarchy) -> Any:
    return _post(
        client,
        f"{BASE}/registrations",
        {
            "community_id": hierarchy.xingfu.pk,
            "party_organisation": "市供电公司党委",
            "liaison_name": "赵红军",
            "liaison_phone": "13700001234",
            "employer": "市供电公司",
        },
    )


def _ago(hours: float) -> str:
    return (timezone.now().replace(microsecond=0) - dt.timedelta(hours=hours)).isoformat()


def test_a_member_reports_and_staff_approve_or_return_through_the_api(
    member: User, community_staff: User, other_community_staff: User, hierarchy: Any
) -> None:
    mine = as_user(member)
    created = _report(mine, hierarchy)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["liaison_phone"] == "13700001234"
    assert _report(mine, hierarchy).status_code == 409
    assert [r["id"] for r in mine.get(f"{BASE}/registrations").json()] == [pk]

    staff = as_user(community_staff)
    listed = staff.get(f"{BASE}/registrations").json()
    assert [(r["id"], r["liaison_phone"]) for r in listed] == [(pk, "137****1234")]
    # Another community's staff: not found, and nothing changes.
    theirs = as_user(other_community_staff)
    assert theirs.get(f"{BASE}/registrations").json() == []
    assert _post(theirs, f"{BASE}/registrations/{pk}/approve").status_code == 404
    assert _post(theirs, f"{BASE}/registrations/{2**63}/approve").status_code == 404
    # The member cannot approve their own.
    assert _post(mine, f"{BASE}/registrations/{pk}/approve").status_code == 403

    empty = _post(staff, f"{BASE}/registrations/{pk}/return", {"reason": " "})
    assert (empty.status_code, empty.json()["field"]) == (400, "reason")
    approved = _post(staff, f"{BASE}/registrations/{pk}/approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["receipt_number"].startswith(f"SBD-{hierarchy.xingfu.code}-")
    again = _post(staff, f"{BASE}/registrations/{pk}/return", {"reason": "补充材料"})
    assert again.status_code == 409
    assert Registration.objects.get(pk=pk).status == Registration.Status.APPROVED


def test_a_resident_may_not_report_and_a_stranger_community_is_not_found(
    resident: User, member: User, other_district_admin: User, hierarchy: Any
) -> None:
    assert _report(as_user(resident), hierarchy).status_code == 403
    other = User.objects.create_user(
        username="elsewhere",
        password=PASSWORD,
        role=Role.PARTY_MEMBER,
        district=other_district_admin.district,
    )
    assert _report(as_user(other), hierarchy).status_code == 404
    assert not Registration.objects.exists()


def test_records_log_confirm_correct_and_standing_through_the_api(
    member: User, community_staff: User, other_community_staff: User, hierarchy: Any
) -> None:
    mine = as_user(member)
    body = {
        "community_id": hierarchy.xingfu.pk,
        "started_at": _ago(5),
        "ended_at": _ago(3),
        "travel_minutes": 40,
        "what": "楼道清理",
    }
    logged = _post(mine, f"{BASE}/records", body)
    assert logged.status_code == 201, logged.content
    pk = logged.json()["id"]
    assert logged.json()["hours"] == "2.00"
    clash = _post(mine, f"{BASE}/records", {**body, "started_at": _ago(4), "ended_at": _ago(2)})
    assert (clash.status_code, clash.json()["code"]) == (409, "overlapping_service")
    backwards = _post(mine, f"{BASE}/records", {**body, "started_at": _ago(1), "ended_at": _ago(2)})
    assert (backwards.status_code, backwards.json()["field"]) == (400, "ended_at")
    assert ServiceRecord.objects.count() == 1

    assert mine.get(f"{BASE}/standing").json() == {
        "hours": "0.00",
        "pending_hours": "2.00",
        "stars": 0,
        "next_at": 100,
    }
    assert _post(as_user(other_community_staff), f"{BASE}/records/{pk}/confirm").status_code == 404
    assert as_user(other_community_staff).get(f"{BASE}/records").json() == []
    assert _post(mine, f"{BASE}/records/{pk}/confirm").status_code == 403
    staff = as_user(community_staff)
    assert [r["id"] for r in staff.get(f"{BASE}/records").json()] == [pk]
    assert _post(staff, f"{BASE}/records/{pk}/confirm").json()["status"] == "confirmed"
    assert _post(staff, f"{BASE}/records/{pk}/confirm").status_code == 409
    assert mine.get(f"{BASE}/standing").json()["hours"] == "2.00"

    asked = _post(mine, f"{BASE}/records/{pk}/correction", {"text": "应为三小时"})
    assert asked.json()["correction_request"] == "应为三小时"
    refused = _post(staff, f"{BASE}/records/{pk}/correction", {"text": "改"})
    assert refused.status_code == 403
    assert ServiceRecord.objects.get(pk=pk).correction_request == "应为三小时"


def test_the_duty_api_wants_a_login(client: Any) -> None:
    assert client.get(f"{BASE}/records").status_code == 401
    assert client.get(f"{BASE}/standing").status_code == 401
