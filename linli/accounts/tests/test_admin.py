"""Django admin for users: role and scope fields, unlocking, audited views of personal data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.models import User
from linli.core.models import AuditEntry


@pytest.fixture
def root(client: Client, db: Any) -> User:
    user = User.objects.create_superuser("root", password="x" * 12)
    client.force_login(user, backend="linli.accounts.backends.LockoutModelBackend")
    return user


def test_the_user_list_shows_roles_and_scopes(
    client: Client, root: User, community_staff: User
) -> None:
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "xingfu_staff" in html
    assert "幸福里社区" in html


def test_opening_a_user_is_audited_as_a_view_of_personal_data(
    client: Client, root: User, resident: User
) -> None:
    response = client.get(f"/admin/accounts/user/{resident.pk}/change/")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_PERSONAL)
    assert entry.actor == root
    assert entry.object_id == str(resident.pk)
    assert resident.phone not in entry.object_repr


def test_the_unlock_action_lifts_the_lock(
    client: Client, root: User, community_staff: User
) -> None:
    community_staff.locked_until = timezone.now() + timedelta(minutes=10)
    community_staff.save()
    response = client.post(
        "/admin/accounts/user/",
        {
            "action": "unlock",
            "_selected_action": [str(community_staff.pk)],
        },
    )
    assert response.status_code == 302
    community_staff.refresh_from_db()
    assert community_staff.locked_until is None
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.UNLOCKED, object_id=str(community_staff.pk), actor=root
    ).exists()


def test_staff_who_are_not_superusers_cannot_open_the_admin(
    client: Client, district_admin: User, as_user: Any
) -> None:
    as_user(district_admin)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
