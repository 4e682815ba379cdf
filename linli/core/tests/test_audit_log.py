"""The audit log page: who may read it, what they see (masked), filters and paging."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.models import User
from linli.core.audit import record
from linli.core.models import AuditEntry
from linli.core.queries import mask_text
from tests.personas import Hierarchy

AUDIT = "/console/audit/"


@pytest.fixture
def entries(
    hierarchy: Hierarchy, community_staff: User, resident: User, other_district_admin: User
) -> None:
    record(
        actor=community_staff,
        action=AuditEntry.Action.UPDATE,
        obj=hierarchy.station_xingfu,
        changes={"contact_phone": ["13812345678", "13987654321"], "name": ["旧", "新"]},
    )
    record(actor=resident, action=AuditEntry.Action.LOGIN, obj=resident)
    record(
        actor=other_district_admin,
        action=AuditEntry.Action.UPDATE,
        object_type="places.station",
        object_repr="外区驿站",
    )


def test_anonymous_visitors_are_sent_to_log_in(client: Client, db: Any) -> None:
    response = client.get(AUDIT)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "persona",
    ["resident", "community_staff", "subdistrict_staff", "station_keeper", "unit_liaison"],
)
def test_it_refuses_everyone_but_district_admins(
    request: pytest.FixtureRequest, client: Client, as_user: Any, persona: str, entries: None
) -> None:
    as_user(request.getfixturevalue(persona))
    response = client.get(AUDIT)
    assert response.status_code == 403
    assert b"13812345678" not in response.content


def test_a_district_admin_sees_the_districts_entries(
    client: Client, as_user: Any, district_admin: User, entries: None
) -> None:
    as_user(district_admin)
    response = client.get(AUDIT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "幸福苑幸福驿站" in html
    assert "外区驿站" not in html
    # The station change, the resident's login, and the admin's own login just now.
    assert response.context["page"].paginator.count == 3


def test_another_districts_admin_sees_none_of_this_districts_entries(
    client: Client, as_user: Any, other_district_admin: User, entries: None
) -> None:
    as_user(other_district_admin)
    response = client.get(AUDIT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "幸福苑幸福驿站" not in html
    assert "138****" not in html
    assert "外区驿站" in html
    assert {r.object_repr for r in response.context["rows"]} == {"外区驿站", "other_admin"}


def test_a_superuser_sees_every_district(client: Client, entries: None) -> None:
    root = User.objects.create_superuser("root", password="x" * 12)
    client.force_login(root, backend="linli.accounts.backends.LockoutModelBackend")
    response = client.get(AUDIT)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 4  # three entries and root's login
    assert response.context["show_district"] is True


def test_personal_values_are_masked(
    client: Client, as_user: Any, district_admin: User, entries: None
) -> None:
    as_user(district_admin)
    html = client.get(AUDIT).content.decode()
    assert "13812345678" not in html
    assert "13987654321" not in html
    assert "13900001111" not in html  # the resident's username is their phone
    assert "138****5678" in html
    assert "139****1111" in html


def test_it_filters_by_action(
    client: Client, as_user: Any, district_admin: User, entries: None
) -> None:
    as_user(district_admin)
    response = client.get(AUDIT, {"action": "update"})
    assert response.context["page"].paginator.count == 1
    assert response.context["rows"][0].object_repr == "幸福苑幸福驿站"


def test_it_filters_by_user(
    client: Client, as_user: Any, district_admin: User, entries: None
) -> None:
    as_user(district_admin)
    response = client.get(AUDIT, {"user": "xingfu"})
    assert [r.actor for r in response.context["rows"]] == ["xingfu_staff"]


def test_it_filters_by_date(
    client: Client, as_user: Any, district_admin: User, entries: None
) -> None:
    old = AuditEntry.objects.filter(action="login").get()
    AuditEntry.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=10))
    as_user(district_admin)
    today = timezone.localdate()
    response = client.get(AUDIT, {"date_from": today.isoformat(), "date_to": today.isoformat()})
    assert old.pk not in {e.pk for e in response.context["page"].object_list}
    earlier = (today - dt.timedelta(days=10)).isoformat()
    response = client.get(AUDIT, {"date_from": earlier, "date_to": earlier})
    assert [r.action for r in response.context["rows"]] == ["login"]


def test_reversed_dates_show_an_error_and_nothing_else(
    client: Client, as_user: Any, district_admin: User, entries: None
) -> None:
    as_user(district_admin)
    response = client.get(AUDIT, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["page"].paginator.count == 0


def test_it_pages_fifty_entries_at_a_time(
    client: Client, as_user: Any, district_admin: User, hierarchy: Hierarchy
) -> None:
    AuditEntry.objects.bulk_create(
        AuditEntry(district=hierarchy.district, action="update", object_repr=f"#{i}")
        for i in range(120)
    )
    as_user(district_admin)
    first = client.get(AUDIT, {"action": "update"})
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.num_pages == 3
    assert "action=update&amp;page=2" in first.content.decode()
    last = client.get(AUDIT, {"action": "update", "page": "3"})
    assert len(last.context["rows"]) == 20


def test_failed_logins_are_explained(
    client: Client, as_user: Any, district_admin: User, community_staff: User
) -> None:
    client.post("/accounts/login/", {"username": "xingfu_staff", "password": "wrong"})
    as_user(district_admin)
    rows = client.get(AUDIT, {"action": "login_failed"}).context["rows"]
    assert len(rows) == 1
    assert rows[0].object_repr == "xingfu_staff"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("13812345678", "138****5678"),
        ("user 13812345678-T1", "user 138****5678-T1"),
        ("110101199003071234", "110101********1234"),
        ("order 1234567890123", "order 1234567890123"),
    ],
)
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_station_hours_and_schedules_read_in_words(
    client: Client, as_user: Any, district_admin: User, hierarchy: Hierarchy
) -> None:
    import datetime as dt

    from linli.places.models import ServiceAtStation
    from linli.places.services import (
        HoursInput,
        ScheduleInput,
        add_service_at_station,
        set_opening_hours,
    )

    set_opening_hours(
        actor=district_admin,
        station=hierarchy.station_xingfu,
        hours=[HoursInput(weekday=0, opens=dt.time(9), closes=dt.time(17))],
    )
    link = ServiceAtStation.objects.get()
    add_service_at_station(
        actor=district_admin,
        service=link.service,
        station=link.station,
        schedule=ScheduleInput(rrule="FREQ=WEEKLY;BYDAY=TU", opens=dt.time(9), closes=dt.time(11)),
    )
    as_user(district_admin)
    page = client.get(AUDIT).content.decode()
    for raw in ("opening_hours", "rrule", "FREQ=", "0 09:00"):
        assert raw not in page
    assert "开放时间" in page
    assert "周一 08:30–18:00；周二" in page
    assert "周一 09:00–17:00" in page
    assert "每月第一个星期五" in page
    assert "每周二" in page


def test_a_changed_reason_reads_as_a_change_not_an_error(
    client: Client, as_user: Any, district_admin: User, hierarchy: Any
) -> None:
    record(
        actor=district_admin,
        action=AuditEntry.Action.UPDATE,
        obj=hierarchy.station_xingfu,
        changes={"reason": ["旧的理由", "新的理由"]},
    )
    as_user(district_admin)
    response = client.get(AUDIT)
    assert response.status_code == 200
    assert "旧的理由 → 新的理由" in response.content.decode()
