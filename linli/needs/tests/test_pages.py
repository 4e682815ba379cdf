"""The resident, public and console pages of needs."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from linli.needs.models import Need, NeedPhoto, Rating, Status
from linli.needs.tests.conftest import walk
from linli.needs.tests.images import jpeg_with_gps

pytestmark = pytest.mark.django_db


def _form(hierarchy: Any, **extra: Any) -> dict[str, Any]:
    return {
        "category": "environment",
        "description": "楼道灯坏了",
        "compound": hierarchy.compound_xingfu.pk,
        "scale": "shared",
        "contact_preference": "phone",
        **extra,
    }


def test_a_visitor_is_asked_to_log_in_with_the_phone_first(client: Any) -> None:
    response = client.get("/needs/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/phone/?next=")


def test_a_resident_raises_a_need_with_a_photo(as_user: Any, resident: Any, hierarchy: Any) -> None:
    photo = SimpleUploadedFile("p.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = as_user(resident).post("/needs/new/", {**_form(hierarchy), "photos": [photo]})
    need = Need.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/needs/mine/{need.pk}/"
    assert need.resident == resident
    assert need.community == hierarchy.xingfu
    stored = NeedPhoto.objects.get(need=need)
    assert stored.approved is False
    assert stored.reviewed_at is None
    page = as_user(resident).get(f"/needs/mine/{need.pk}/")
    assert "楼道灯坏了" in page.content.decode()


def test_a_fake_photo_is_refused_beside_the_field_and_the_text_is_kept(
    as_user: Any, resident: Any, hierarchy: Any
) -> None:
    fake = SimpleUploadedFile("p.jpg", b"not an image at all", content_type="image/jpeg")
    response = as_user(resident).post("/needs/new/", {**_form(hierarchy), "photos": [fake]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "p.jpg" in html
    assert "楼道灯坏了" in html
    assert not Need.objects.exists()


def test_a_pin_outside_the_district_is_refused(as_user: Any, resident: Any, hierarchy: Any) -> None:
    data = _form(hierarchy, compound="", lat="39.9", lon="116.4")
    response = as_user(resident).post("/needs/new/", data)
    assert response.status_code == 400
    assert "测试区" in response.content.decode()
    assert not Need.objects.exists()


def test_a_resident_cannot_open_someone_elses_need(
    as_user: Any, need: Need, hierarchy: Any
) -> None:
    from linli.accounts.models import Role
    from tests.personas import _user

    stranger = _user("13900002222", Role.RESIDENT, district=hierarchy.district)
    assert as_user(stranger).get(f"/needs/mine/{need.pk}/").status_code == 404
    response = as_user(stranger).post(f"/needs/mine/{need.pk}/", {"level": "dissatisfied"})
    assert response.status_code == 404
    assert not Rating.objects.exists()


def test_the_resident_rates_a_resolved_need(
    as_user: Any, need: Need, community_staff: Any, resident: Any
) -> None:
    walk(need, community_staff, upto="resolve")
    response = as_user(resident).post(
        f"/needs/mine/{need.pk}/", {"level": "fairly", "comment": "还行"}
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == Status.RATED
    assert need.rating_level == "fairly"


def test_the_console_list_shows_only_the_staffs_scope(
    as_user: Any, need: Need, other_community_staff: Any, community_staff: Any
) -> None:
    assert need.reference in as_user(community_staff).get("/console/needs/").content.decode()
    other = as_user(other_community_staff)
    assert need.reference not in other.get("/console/needs/").content.decode()
    assert other.get(f"/console/needs/{need.pk}/").status_code == 404
    response = other.post(
        f"/console/needs/{need.pk}/",
        {"action": "accept", "accept-public_summary": "x", "accept-urgency": "general"},
    )
    assert response.status_code == 404
    need.refresh_from_db()
    assert need.status == Status.SUBMITTED


def test_staff_accept_and_dispatch_from_the_need_page(
    as_user: Any, need: Need, community_staff: Any
) -> None:
    client = as_user(community_staff)
    page = client.get(f"/console/needs/{need.pk}/")
    assert page.status_code == 200
    assert "13900001111" in page.content.decode()
    response = client.post(
        f"/console/needs/{need.pk}/",
        {
            "action": "accept",
            "accept-public_summary": "清理3号楼垃圾桶",
            "accept-urgency": "general",
            "accept-public_note": "已受理",
        },
    )
    assert response.status_code == 302
    response = client.post(f"/console/needs/{need.pk}/", {"action": "dispatch"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == Status.DISPATCHED


def test_a_step_out_of_order_on_the_page_says_why_and_changes_nothing(
    as_user: Any, need: Need, community_staff: Any
) -> None:
    response = as_user(community_staff).post(
        f"/console/needs/{need.pk}/", {"action": "resolve", "resolve-public_note": "好了"}
    )
    assert response.status_code == 400
    assert "不能" in response.content.decode() or "not possible" in response.content.decode()
    need.refresh_from_db()
    assert need.status == Status.SUBMITTED


def test_a_keeper_raises_a_need_for_a_resident(
    as_user: Any, station_keeper: Any, hierarchy: Any
) -> None:
    response = as_user(station_keeper).post(
        "/console/needs/new/",
        {
            **_form(hierarchy),
            "contact_name": "李秀兰",
            "contact_phone": "13700001234",
            "channel": "station",
        },
    )
    assert response.status_code == 302
    need = Need.objects.get()
    assert need.channel == "station"
    assert need.raised_by == station_keeper


def test_the_public_timeline_shows_no_personal_data(
    client: Any, need: Need, community_staff: Any
) -> None:
    walk(need, community_staff, upto="resolve")
    html = client.get("/needs/public/").content.decode()
    assert "清理垃圾桶" in html
    for secret in ("13900001111", "3号楼门口的垃圾桶", "xingfu_staff"):
        assert secret not in html
    detail = client.get(f"/needs/public/{need.pk}/").content.decode()
    assert "已清理" in detail
    assert "13900001111" not in detail


def test_a_submitted_need_is_not_on_the_public_timeline(client: Any, need: Need) -> None:
    assert client.get(f"/needs/public/{need.pk}/").status_code == 404


def test_the_rates_page_renders_for_staff(as_user: Any, need: Need, district_admin: Any) -> None:
    response = as_user(district_admin).get("/console/needs/rates/?year=2026")
    assert response.status_code == 200
    assert "幸福里社区" in response.content.decode()
