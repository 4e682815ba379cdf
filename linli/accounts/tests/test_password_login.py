"""Staff password login: landing pages, lockout, audit entries, logout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from linli.accounts.models import User
from linli.core.models import AuditEntry
from tests.personas import PASSWORD, Hierarchy

LOGIN = "/accounts/login/"


def _post(client: Client, username: str, password: str, **extra: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, **extra})


@pytest.fixture(autouse=True)
def _lockout(settings: Any) -> None:
    settings.LINLI_LOCKOUT_THRESHOLD = 3
    settings.LINLI_LOCKOUT_SECONDS = 900


def test_the_login_page_shows_the_form(client: Client, db: Any) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_staff_land_in_the_console(client: Client, community_staff: User) -> None:
    response = _post(client, "xingfu_staff", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    assert client.session["_auth_user_id"] == str(community_staff.pk)


def test_a_resident_role_lands_on_its_own_page(client: Client, hierarchy: Hierarchy) -> None:
    User.objects.create_user(
        username="liaison2", password=PASSWORD, role="unit_liaison", district=hierarchy.district
    )
    response = _post(client, "liaison2", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:account")


def test_a_safe_next_url_is_followed_and_an_unsafe_one_ignored(
    client: Client, community_staff: User
) -> None:
    response = _post(client, "xingfu_staff", PASSWORD, next="/console/audit/")
    assert response["Location"] == "/console/audit/"
    client.logout()
    response = _post(client, "xingfu_staff", PASSWORD, next="https://evil.example/")
    assert response["Location"] == reverse("console:home")


def test_a_successful_login_is_audited(client: Client, community_staff: User) -> None:
    _post(client, "xingfu_staff", PASSWORD)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert entry.actor == community_staff
    assert entry.district_id == community_staff.district_id
    assert entry.changes == {"method": "password"}
    assert entry.ip_address == "127.0.0.1"


def test_a_wrong_password_is_refused_with_a_neutral_message(
    client: Client, community_staff: User
) -> None:
    response = _post(client, "xingfu_staff", "wrong")
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    community_staff.refresh_from_db()
    assert community_staff.failed_logins == 1
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.LOGIN_FAILED, object_id=str(community_staff.pk)
    ).exists()


def test_an_unknown_username_gets_the_same_message_as_a_wrong_password(
    client: Client, community_staff: User
) -> None:
    unknown = _post(client, "nobody", "wrong")
    wrong = _post(client, "xingfu_staff", "wrong")
    assert unknown.status_code == wrong.status_code == 400
    assert unknown.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()
    entry = AuditEntry.objects.filter(object_repr="nobody").get()
    assert entry.action == AuditEntry.Action.LOGIN_FAILED
    assert entry.changes == {"reason": "unknown_username"}


def test_repeated_failures_lock_the_account_and_the_lock_is_audited(
    client: Client, community_staff: User
) -> None:
    for _ in range(3):
        _post(client, "xingfu_staff", "wrong")
    community_staff.refresh_from_db()
    assert community_staff.locked_until is not None
    assert community_staff.locked_until > timezone.now() + timedelta(minutes=14)
    assert (
        AuditEntry.objects.filter(
            action=AuditEntry.Action.LOCKED, object_id=str(community_staff.pk)
        ).count()
        == 1
    )


def test_a_locked_account_stays_locked_even_with_the_right_password(
    client: Client, community_staff: User
) -> None:
    for _ in range(3):
        _post(client, "xingfu_staff", "wrong")
    response = _post(client, "xingfu_staff", PASSWORD)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    content = response.content.decode()
    assert "locked" in content or "锁定" in content
    assert response.context["locked_minutes"] == 15


def test_the_lock_message_is_only_shown_to_someone_who_knows_the_password(
    client: Client, community_staff: User
) -> None:
    for _ in range(3):
        _post(client, "xingfu_staff", "wrong")
    response = _post(client, "xingfu_staff", "still-wrong")
    assert response.status_code == 400
    assert response.context["locked_minutes"] == 0
    assert (
        response.context["form"].non_field_errors()
        == _post(client, "nobody", "x").context["form"].non_field_errors()
    )


def test_failures_while_locked_do_not_extend_the_lock(
    client: Client, community_staff: User
) -> None:
    for _ in range(3):
        _post(client, "xingfu_staff", "wrong")
    community_staff.refresh_from_db()
    until = community_staff.locked_until
    for _ in range(5):
        _post(client, "xingfu_staff", "wrong")
    community_staff.refresh_from_db()
    assert community_staff.locked_until == until


def test_the_lock_ends_after_the_lockout_period(client: Client, community_staff: User) -> None:
    with freeze_time(timezone.now()) as frozen:
        for _ in range(3):
            _post(client, "xingfu_staff", "wrong")
        frozen.tick(timedelta(seconds=901))
        response = _post(client, "xingfu_staff", PASSWORD)
    assert response.status_code == 302
    community_staff.refresh_from_db()
    assert community_staff.locked_until is None
    assert community_staff.failed_logins == 0


def test_failures_far_apart_do_not_add_up(client: Client, community_staff: User) -> None:
    with freeze_time(timezone.now()) as frozen:
        for _ in range(2):
            _post(client, "xingfu_staff", "wrong")
            frozen.tick(timedelta(hours=1))
        _post(client, "xingfu_staff", "wrong")
    community_staff.refresh_from_db()
    assert community_staff.locked_until is None
    assert community_staff.failed_logins == 1


def test_a_resident_cannot_log_in_with_a_password(client: Client, resident: User) -> None:
    resident.set_unusable_password()
    resident.save()
    response = _post(client, resident.username, PASSWORD)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_an_inactive_account_is_refused(client: Client, community_staff: User) -> None:
    community_staff.is_active = False
    community_staff.save()
    assert _post(client, "xingfu_staff", PASSWORD).status_code == 400
    assert "_auth_user_id" not in client.session


def test_the_admin_login_goes_through_the_same_lockout(
    client: Client, community_staff: User
) -> None:
    for _ in range(3):
        client.post("/admin/login/", {"username": "xingfu_staff", "password": "wrong"})
    community_staff.refresh_from_db()
    assert community_staff.locked_until is not None


def test_logout_needs_post(client: Client, community_staff: User, as_user: Any) -> None:
    as_user(community_staff)
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.LOGOUT, actor=community_staff
    ).exists()


def test_sessions_expire(settings: Any) -> None:
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_passwords_are_hashed_with_argon2() -> None:
    from django.conf import settings as real

    # The tests swap in a fast hasher; the real settings must keep argon2 first.
    import linli.settings as project

    assert project.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert real.AUTH_USER_MODEL == "accounts.User"
