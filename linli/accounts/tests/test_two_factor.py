"""TOTP second factor: enrolment, the second login step, and LINLI_REQUIRE_2FA."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from linli.accounts.models import User
from linli.accounts.tests.conftest import enrol, totp_now
from linli.core.models import AuditEntry
from tests.personas import PASSWORD

LOGIN = "/accounts/login/"
TWO_FACTOR = "/accounts/two-factor/"
ENROL = "/accounts/two-factor/enrol/"


def _password(client: Client, user: User) -> Any:
    return client.post(LOGIN, {"username": user.username, "password": PASSWORD})


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- enrolment -----------------------------------------------------------------------------


def test_the_enrol_page_shows_an_inline_qr_code_and_the_secret(
    client: Client, district_admin: User, as_user: Any
) -> None:
    as_user(district_admin)
    response = client.get(ENROL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg class="qr"' in html
    assert "http" not in response.context["qr_svg"].split("xmlns")[0]
    device = TOTPDevice.objects.get(user=district_admin)
    assert device.confirmed is False
    for group in response.context["secret"].split():
        assert f"<span>{group}</span>" in html


def test_reopening_the_enrol_page_keeps_the_same_secret(
    client: Client, district_admin: User, as_user: Any
) -> None:
    as_user(district_admin)
    first = client.get(ENROL).context["secret"]
    second = client.get(ENROL).context["secret"]
    assert first == second
    assert TOTPDevice.objects.filter(user=district_admin).count() == 1


def test_a_right_code_confirms_the_device_and_verifies_the_session(
    client: Client, district_admin: User, as_user: Any
) -> None:
    as_user(district_admin)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=district_admin)
    response = client.post(ENROL, {"token": totp_now(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.session["otp_device_id"] == device.persistent_id
    entry = AuditEntry.objects.get(
        action=AuditEntry.Action.SECOND_FACTOR_ENROLLED, object_type="otp_totp.totpdevice"
    )
    assert entry.actor == district_admin


def test_a_wrong_code_does_not_confirm_the_device(
    client: Client, district_admin: User, as_user: Any
) -> None:
    as_user(district_admin)
    client.get(ENROL)
    response = client.post(ENROL, {"token": "000000"})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=district_admin, confirmed=True).exists()


def test_residents_cannot_enrol(client: Client, resident: User, as_user: Any) -> None:
    as_user(resident)
    assert client.get(ENROL).status_code == 403
    assert not TOTPDevice.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client: Client, db: Any) -> None:
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_unverified_session_cannot_replace_an_existing_device(
    client: Client, district_admin: User, as_user: Any
) -> None:
    old = enrol(district_admin)
    as_user(district_admin)  # e.g. a login that bypassed the second step
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor")
    assert list(TOTPDevice.objects.filter(user=district_admin)) == [old]


# --- the second login step -------------------------------------------------------------------


def test_a_user_with_a_device_is_not_logged_in_by_the_password_alone(
    client: Client, community_staff: User
) -> None:
    enrol(community_staff)
    response = _password(client, community_staff)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor")
    assert not _logged_in(client)
    assert client.get("/console/").status_code == 302


def test_the_right_code_completes_the_login(client: Client, community_staff: User) -> None:
    device = enrol(community_staff)
    _password(client, community_staff)
    response = client.post(TWO_FACTOR, {"token": totp_now(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    assert client.session["_auth_user_id"] == str(community_staff.pk)
    assert client.session["otp_device_id"] == device.persistent_id
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert entry.changes == {"method": "password+totp"}


def test_a_wrong_code_is_refused_and_counted(client: Client, community_staff: User) -> None:
    device = enrol(community_staff)
    _password(client, community_staff)
    wrong = f"{(int(totp_now(device)) + 1) % 1_000_000:06d}"
    response = client.post(TWO_FACTOR, {"token": wrong})
    assert response.status_code == 400
    assert not _logged_in(client)
    community_staff.refresh_from_db()
    assert community_staff.failed_logins == 1
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.LOGIN_FAILED, changes__reason="wrong_totp"
    ).exists()


def test_a_code_cannot_be_used_twice(client: Client, community_staff: User) -> None:
    device = enrol(community_staff)
    _password(client, community_staff)
    code = totp_now(device)
    client.post(TWO_FACTOR, {"token": code})
    client.post("/accounts/logout/")
    _password(client, community_staff)
    response = client.post(TWO_FACTOR, {"token": code})
    assert response.status_code == 400
    assert not _logged_in(client)


def test_repeated_wrong_codes_lock_the_account(
    client: Client, community_staff: User, settings: Any
) -> None:
    settings.LINLI_LOCKOUT_THRESHOLD = 3
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    enrol(community_staff)
    _password(client, community_staff)
    for _ in range(2):
        assert client.post(TWO_FACTOR, {"token": "000000"}).status_code == 400
    response = client.post(TWO_FACTOR, {"token": "000000"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    community_staff.refresh_from_db()
    assert community_staff.locked_until is not None
    # The half-finished login is gone: the code page now asks to log in again.
    assert client.get(TWO_FACTOR)["Location"] == reverse("accounts:login")


def test_typing_the_password_again_does_not_reset_the_count_of_wrong_codes(
    client: Client, community_staff: User, settings: Any
) -> None:
    settings.LINLI_LOCKOUT_THRESHOLD = 3
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = enrol(community_staff)
    _password(client, community_staff)
    client.post(TWO_FACTOR, {"token": "000000"})
    client.post(TWO_FACTOR, {"token": "000000"})
    _password(client, community_staff)
    client.post(TWO_FACTOR, {"token": "000000"})
    community_staff.refresh_from_db()
    assert community_staff.locked_until is not None
    # And the right code after the lock is refused too: the password step now says "locked".
    response = _password(client, community_staff)
    assert response.status_code == 400
    assert response.context["locked_minutes"] > 0
    assert client.post(TWO_FACTOR, {"token": totp_now(device)})["Location"] == reverse(
        "accounts:login"
    )
    assert not _logged_in(client)


def test_the_right_code_resets_the_count(client: Client, community_staff: User) -> None:
    device = enrol(community_staff)
    _password(client, community_staff)
    client.post(TWO_FACTOR, {"token": "000000"})
    device.throttling_failure_count = 0
    device.save()
    client.post(TWO_FACTOR, {"token": totp_now(device)})
    assert _logged_in(client)
    community_staff.refresh_from_db()
    assert community_staff.failed_logins == 0


def test_the_code_step_expires_after_five_minutes(client: Client, community_staff: User) -> None:
    device = enrol(community_staff)
    with freeze_time(timezone.now()) as frozen:
        _password(client, community_staff)
        frozen.tick(timedelta(seconds=301))
        response = client.post(TWO_FACTOR, {"token": totp_now(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert not _logged_in(client)


def test_an_account_locked_after_the_password_step_cannot_finish(
    client: Client, community_staff: User
) -> None:
    device = enrol(community_staff)
    _password(client, community_staff)
    User.objects.filter(pk=community_staff.pk).update(
        locked_until=timezone.now() + timedelta(minutes=10)
    )
    response = client.post(TWO_FACTOR, {"token": totp_now(device)})
    assert response["Location"] == reverse("accounts:login")
    assert not _logged_in(client)


def test_the_code_step_without_a_password_step_goes_back_to_login(client: Client, db: Any) -> None:
    response = client.post(TWO_FACTOR, {"token": "123456"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")


def test_a_login_that_skipped_the_code_step_is_held_at_the_code_page(
    client: Client, community_staff: User
) -> None:
    device = enrol(community_staff)
    community_staff.is_staff = True  # Django admin's flag, so its login page accepts them
    community_staff.save()
    # Django admin's login page calls authenticate() + login() without our second step.
    client.post("/admin/login/", {"username": community_staff.username, "password": PASSWORD})
    assert _logged_in(client)
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor")
    api = client.get("/api/places/stations")
    assert api.status_code == 403
    assert api.json()["code"] == "second_factor_required"
    response = client.post(TWO_FACTOR, {"token": totp_now(device)})
    assert response.status_code == 302
    assert client.session["otp_device_id"] == device.persistent_id
    # Verified now: the page answers for itself (community staff may not read the audit log).
    assert client.get("/console/audit/").status_code == 403


# --- LINLI_REQUIRE_2FA -----------------------------------------------------------------------


def test_when_required_a_district_admin_without_a_device_is_sent_to_enrol(
    client: Client, district_admin: User, settings: Any
) -> None:
    settings.LINLI_REQUIRE_2FA = True
    response = _password(client, district_admin)
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor")
    response = client.get(TWO_FACTOR)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:totp_enrol")
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert response.context["required"] is True


def test_when_required_the_api_answers_json(
    client: Client, district_admin: User, settings: Any, as_user: Any
) -> None:
    settings.LINLI_REQUIRE_2FA = True
    as_user(district_admin)
    response = client.get("/api/places/stations")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"


def test_when_required_a_superuser_is_forced_too(client: Client, db: Any, settings: Any) -> None:
    settings.LINLI_REQUIRE_2FA = True
    admin = User.objects.create_superuser("root", password=PASSWORD)
    client.force_login(admin, backend="linli.accounts.backends.LockoutModelBackend")
    assert client.get("/admin/")["Location"] == reverse("accounts:two_factor")


def test_when_required_community_staff_are_not_forced(
    client: Client, community_staff: User, settings: Any, as_user: Any
) -> None:
    settings.LINLI_REQUIRE_2FA = True
    as_user(community_staff)
    assert client.get("/console/audit/").status_code == 403


def test_when_required_an_enrolled_admin_goes_through_after_the_code(
    client: Client, district_admin: User, settings: Any
) -> None:
    settings.LINLI_REQUIRE_2FA = True
    device = enrol(district_admin)
    _password(client, district_admin)
    client.post(TWO_FACTOR, {"token": totp_now(device)})
    response = client.get("/console/audit/")
    assert response.status_code == 200


def test_when_not_required_an_admin_without_a_device_is_not_forced(
    client: Client, district_admin: User, settings: Any, as_user: Any
) -> None:
    settings.LINLI_REQUIRE_2FA = False
    as_user(district_admin)
    assert client.get("/console/audit/").status_code == 200
