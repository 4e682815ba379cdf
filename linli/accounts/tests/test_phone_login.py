"""Residents' phone number + one-time code: validation, rate limits, expiry, tries, first login."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from linli.accounts import services
from linli.accounts.models import PhoneCode, Role, User
from linli.accounts.sms import ConsoleSender
from linli.core.models import AuditEntry
from linli.places.models import District

PHONE_PAGE = "/accounts/phone/"
CODE_PAGE = "/accounts/phone/code/"


@pytest.fixture(autouse=True)
def _clear_outbox() -> None:
    ConsoleSender.sent.clear()


def last_code(phone: str) -> str:
    sent_to, message = ConsoleSender.sent[-1]
    assert sent_to == phone
    match = re.search(r"\b(\d{6})\b", message)
    assert match
    return match.group(1)


def _ask(client: Client, phone: str, district: District | None = None, **extra: Any) -> Any:
    data = {"phone": phone, **extra}
    if district is not None:
        data["district"] = str(district.pk)
    return client.post(PHONE_PAGE, data)


# --- phone numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("１３８ １２３４ ５６７８", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("19912345678", "19912345678"),
    ],
)
def test_mainland_mobile_numbers_are_accepted_as_people_type_them(typed: str, normal: str) -> None:
    assert services.normalise_phone(typed) == normal


@pytest.mark.parametrize(
    "typed", ["12812345678", "1381234567", "138123456789", "0355-1234567", "abc", "", "23812345678"]
)
def test_other_numbers_are_refused(typed: str) -> None:
    with pytest.raises(services.InvalidPhone):
        services.normalise_phone(typed)


def test_the_page_refuses_a_landline_without_sending(client: Client, district: District) -> None:
    response = _ask(client, "0355-1234567", district)
    assert response.status_code == 400
    assert ConsoleSender.sent == []
    assert not PhoneCode.objects.exists()


# --- sending -----------------------------------------------------------------------------------


def test_a_code_is_sent_and_only_its_hash_stored(client: Client, district: District) -> None:
    response = _ask(client, "１３８ 1234 5678", district)
    assert response.status_code == 302
    assert response["Location"] == CODE_PAGE
    code = last_code("13812345678")
    stored = PhoneCode.objects.get()
    assert stored.phone == "13812345678"
    assert code not in stored.code_hash
    assert len(stored.code_hash) == 64
    assert stored.expires_at - stored.created_at == timedelta(seconds=300)


def test_with_one_district_there_is_nothing_to_choose(client: Client, district: District) -> None:
    response = client.get(PHONE_PAGE)
    assert response.context["form"]["district"].is_hidden
    assert _ask(client, "13812345678", district).status_code == 302


def test_with_several_districts_the_resident_chooses(client: Client, district: District) -> None:
    other = District.objects.create(code="T999998", name="另一区")
    response = client.get(PHONE_PAGE)
    assert not response.context["form"]["district"].is_hidden
    _ask(client, "13812345678", other)
    assert PhoneCode.objects.get().district == other


def test_a_second_code_within_a_minute_is_refused(client: Client, district: District) -> None:
    with freeze_time(timezone.now()) as frozen:
        _ask(client, "13812345678", district)
        frozen.tick(timedelta(seconds=30))
        response = _ask(client, "13812345678", district)
        assert response.status_code == 400
        assert len(ConsoleSender.sent) == 1
        frozen.tick(timedelta(seconds=31))
        assert _ask(client, "13812345678", district).status_code == 302
    assert len(ConsoleSender.sent) == 2


def test_at_most_five_codes_an_hour(district: District) -> None:
    start = timezone.now()
    for minute in range(5):
        services.request_phone_code(
            phone="13812345678", district_id=district.pk, now=start + timedelta(minutes=2 * minute)
        )
    with pytest.raises(services.RateLimited) as refused:
        services.request_phone_code(
            phone="13812345678", district_id=district.pk, now=start + timedelta(minutes=20)
        )
    assert refused.value.code == "rate_limited"
    assert refused.value.details["retry_after"] > 0
    # An hour after the first, a slot is free again.
    services.request_phone_code(
        phone="13812345678", district_id=district.pk, now=start + timedelta(minutes=61)
    )
    assert len(ConsoleSender.sent) == 6


def test_the_limits_are_per_phone(district: District) -> None:
    services.request_phone_code(phone="13812345678", district_id=district.pk)
    services.request_phone_code(phone="13912345678", district_id=district.pk)
    assert len(ConsoleSender.sent) == 2


# --- verifying -------------------------------------------------------------------------------


def test_the_first_login_creates_the_resident(client: Client, district: District) -> None:
    _ask(client, "13812345678", district)
    response = client.post(CODE_PAGE, {"code": last_code("13812345678")})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:account")
    user = User.objects.get(phone="13812345678")
    assert user.username == "13812345678"
    assert user.role == Role.RESIDENT
    assert user.district == district
    assert not user.has_usable_password()
    assert client.session["_auth_user_id"] == str(user.pk)
    created = AuditEntry.objects.get(action=AuditEntry.Action.CREATE, object_id=str(user.pk))
    assert "13812345678" not in str(created.changes) + created.object_repr
    login = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert login.changes == {"method": "phone_code"}
    assert "13812345678" not in login.object_repr


def test_a_returning_resident_logs_into_the_same_account(client: Client, resident: User) -> None:
    _ask(client, resident.phone, resident.district)
    client.post(CODE_PAGE, {"code": last_code(resident.phone)})
    assert client.session["_auth_user_id"] == str(resident.pk)
    assert User.objects.filter(phone=resident.phone).count() == 1


def test_full_width_digits_in_the_code_are_accepted(client: Client, district: District) -> None:
    _ask(client, "13812345678", district)
    code = last_code("13812345678")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert client.post(CODE_PAGE, {"code": full_width}).status_code == 302


def test_a_wrong_code_is_refused(client: Client, district: District) -> None:
    _ask(client, "13812345678", district)
    code = last_code("13812345678")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(CODE_PAGE, {"code": wrong})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert PhoneCode.objects.get().attempts == 1
    failure = AuditEntry.objects.get(
        action=AuditEntry.Action.LOGIN_FAILED, changes__reason="wrong_code"
    )
    assert failure.object_repr == "138****5678"
    assert failure.ip_address == "127.0.0.1"


def test_five_wrong_tries_kill_the_code(client: Client, district: District) -> None:
    _ask(client, "13812345678", district)
    code = last_code("13812345678")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        client.post(CODE_PAGE, {"code": wrong})
    response = client.post(CODE_PAGE, {"code": code})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert PhoneCode.objects.get().used is True


def test_an_expired_code_is_refused(client: Client, district: District) -> None:
    with freeze_time(timezone.now()) as frozen:
        _ask(client, "13812345678", district)
        frozen.tick(timedelta(seconds=301))
        response = client.post(CODE_PAGE, {"code": last_code("13812345678")})
    assert response.status_code == 400
    assert not User.objects.filter(phone="13812345678").exists()


def test_a_used_code_is_refused(district: District) -> None:
    services.request_phone_code(phone="13812345678", district_id=district.pk)
    code = last_code("13812345678")
    assert services.verify_phone_code(phone="13812345678", code=code, district_id=district.pk)
    assert (
        services.verify_phone_code(phone="13812345678", code=code, district_id=district.pk) is None
    )


def test_a_new_code_replaces_the_old_one(district: District) -> None:
    start = timezone.now()
    services.request_phone_code(phone="13812345678", district_id=district.pk, now=start)
    old = last_code("13812345678")
    services.request_phone_code(
        phone="13812345678", district_id=district.pk, now=start + timedelta(seconds=61)
    )
    new = last_code("13812345678")
    if old != new:
        assert (
            services.verify_phone_code(phone="13812345678", code=old, district_id=district.pk)
            is None
        )
    assert services.verify_phone_code(phone="13812345678", code=new, district_id=district.pk)


def test_a_code_for_one_district_does_not_open_another(district: District) -> None:
    other = District.objects.create(code="T999998", name="另一区")
    services.request_phone_code(phone="13812345678", district_id=district.pk)
    code = last_code("13812345678")
    assert services.verify_phone_code(phone="13812345678", code=code, district_id=other.pk) is None


def test_a_staff_account_with_the_same_phone_cannot_log_in_by_text(
    client: Client, community_staff: User
) -> None:
    community_staff.phone = "13812345678"
    community_staff.save()
    _ask(client, "13812345678", community_staff.district)
    response = client.post(CODE_PAGE, {"code": last_code("13812345678")})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_the_same_phone_in_a_second_district_gets_its_own_account(
    client: Client, resident: User
) -> None:
    other = District.objects.create(code="T999998", name="另一区")
    services.request_phone_code(phone=resident.phone, district_id=other.pk)
    user = services.verify_phone_code(
        phone=resident.phone, code=last_code(resident.phone), district_id=other.pk
    )
    assert user is not None
    assert user.pk != resident.pk
    assert user.username == f"{resident.phone}-T999998"


def test_the_code_page_without_a_phone_goes_back(client: Client, db: Any) -> None:
    assert client.get(CODE_PAGE)["Location"] == PHONE_PAGE


def test_the_code_page_shows_the_phone_masked(client: Client, district: District) -> None:
    _ask(client, "13812345678", district)
    response = client.get(CODE_PAGE)
    html = response.content.decode()
    assert "138****5678" in html
    assert "13812345678" not in html


def test_resending_from_the_code_page_respects_the_limit(
    client: Client, district: District
) -> None:
    with freeze_time(timezone.now()) as frozen:
        _ask(client, "13812345678", district)
        response = client.post(CODE_PAGE, {"action": "resend"}, follow=True)
        assert len(ConsoleSender.sent) == 1
        assert "60" in response.content.decode() or "秒" in response.content.decode()
        frozen.tick(timedelta(seconds=61))
        client.post(CODE_PAGE, {"action": "resend"})
        assert len(ConsoleSender.sent) == 2
        assert client.post(CODE_PAGE, {"code": last_code("13812345678")}).status_code == 302
