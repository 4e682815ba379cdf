"""Limits per client address: password spraying, SMS pumping and code guessing from one machine."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import timezone
from freezegun import freeze_time

from linli.accounts import services, throttle
from linli.accounts.models import PhoneCode, ThrottleBucket, User
from linli.accounts.sms import ConsoleSender
from linli.accounts.throttle import Scope
from linli.core import ip
from linli.core.models import AuditEntry
from linli.places.models import District
from tests.personas import PASSWORD

LOGIN = "/accounts/login/"
PHONE_PAGE = "/accounts/phone/"
CODE_PAGE = "/accounts/phone/code/"
OFFICE = "203.0.113.7"  # one 街道 office's NAT address
ELSEWHERE = "198.51.100.20"
PHONES = [f"1380000{n:04d}" for n in range(10)]


@pytest.fixture(autouse=True)
def _small_limits(settings: Any) -> None:
    """Small limits so a test reaches them in a few requests; the account lock stays apart."""
    settings.LINLI_THROTTLE_PASSWORD_FAILURES = "3/900"
    settings.LINLI_THROTTLE_CODE_REQUESTS = "2/3600"
    settings.LINLI_THROTTLE_CODE_FAILURES = "3/900"
    settings.LINLI_TRUSTED_PROXIES = 0
    settings.LINLI_LOCKOUT_THRESHOLD = 5
    settings.LINLI_LOCKOUT_SECONDS = 900
    ConsoleSender.sent.clear()


def _login(client: Client, username: str, password: str, address: str = OFFICE, **meta: Any) -> Any:
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **meta
    )


def _spray(client: Client, count: int, address: str = OFFICE, **meta: Any) -> None:
    """``count`` wrong passwords on different (unknown) usernames from ``address``."""
    for n in range(count):
        response = _login(client, f"guess{n}", "Winter2026!", address, **meta)
        assert response.status_code == 400


def _english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _throttled_entries() -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action=AuditEntry.Action.THROTTLED, changes__reason="address_throttled"
        )
    )


# --- client addresses --------------------------------------------------------------------------


def _request(remote: str | None, forwarded: str | None = None) -> Any:
    request = RequestFactory().get("/")
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return request


def test_the_address_is_remote_addr_by_default() -> None:
    assert throttle.client_address(_request(OFFICE)) == OFFICE


def test_x_forwarded_for_is_ignored_unless_proxies_are_trusted() -> None:
    assert throttle.client_address(_request(OFFICE, forwarded="1.2.3.4")) == OFFICE


def test_behind_one_trusted_proxy_the_last_forwarded_entry_is_the_client(settings: Any) -> None:
    settings.LINLI_TRUSTED_PROXIES = 1
    assert throttle.client_address(_request("127.0.0.1", forwarded=OFFICE)) == OFFICE
    # Whatever the client wrote into the header itself stays to the left and is ignored.
    spoofed = _request("127.0.0.1", forwarded=f"1.2.3.4, 5.6.7.8, {OFFICE}")
    assert throttle.client_address(spoofed) == OFFICE


def test_behind_two_trusted_proxies_the_entry_the_outer_proxy_saw_is_the_client(
    settings: Any,
) -> None:
    settings.LINLI_TRUSTED_PROXIES = 2
    request = _request("127.0.0.1", forwarded=f"9.9.9.9, {OFFICE}, 10.0.0.5")
    assert throttle.client_address(request) == OFFICE


def test_a_trusted_proxy_without_the_header_counts_the_peer(settings: Any) -> None:
    settings.LINLI_TRUSTED_PROXIES = 1
    assert throttle.client_address(_request(OFFICE)) == OFFICE


def test_a_garbled_forwarded_entry_falls_back_to_the_peer(settings: Any) -> None:
    settings.LINLI_TRUSTED_PROXIES = 1
    assert throttle.client_address(_request("10.0.0.9", forwarded="not-an-ip")) == "10.0.0.9"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("[2001:db8:1:3::1]:443", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.7", OFFICE),
        ("203.0.113.7:51234", OFFICE),
    ],
)
def test_ipv6_clients_are_grouped_by_their_64_block(raw: str, key: str, settings: Any) -> None:
    settings.LINLI_TRUSTED_PROXIES = 1
    assert throttle.client_address(_request("127.0.0.1", forwarded=raw)) == key


def test_a_request_without_an_address_counts_as_unknown() -> None:
    assert throttle.client_address(_request(None)) == throttle.UNKNOWN_ADDRESS
    assert throttle.client_address(_request("")) == throttle.UNKNOWN_ADDRESS


def test_forwarding_from_loopback_without_trusted_proxies_is_logged_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ip, "_warned_untrusted_forwarding", False)
    with caplog.at_level(logging.WARNING, logger="linli.core.ip"):
        throttle.client_address(_request("127.0.0.1", forwarded=OFFICE))
        throttle.client_address(_request("127.0.0.1", forwarded=OFFICE))
    assert [r.message for r in caplog.records if "LINLI_TRUSTED_PROXIES" in r.message] != []
    assert len(caplog.records) == 1


# --- limits from settings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "limit"),
    [
        ("30/900", throttle.Limit(30, 900)),
        (" 5 / 60 ", throttle.Limit(5, 60)),
        ((10, 3600), throttle.Limit(10, 3600)),
        (0, throttle.Limit(0, 0)),
        ("0", throttle.Limit(0, 0)),
    ],
)
def test_limits_are_read_as_count_per_seconds(value: object, limit: throttle.Limit) -> None:
    assert throttle.parse_limit(value, name="X") == limit


@pytest.mark.parametrize("value", ["30", "30/", "a/b", "-1/60", "5/0", (1, 2, 3), None])
def test_a_malformed_limit_is_a_configuration_error(value: object) -> None:
    with pytest.raises(ImproperlyConfigured, match="X"):
        throttle.parse_limit(value, name="X")


def test_the_defaults_leave_room_for_a_shared_network(settings: Any) -> None:
    for name in (
        "LINLI_THROTTLE_PASSWORD_FAILURES",
        "LINLI_THROTTLE_CODE_REQUESTS",
        "LINLI_THROTTLE_CODE_FAILURES",
    ):
        delattr(settings, name)
    assert throttle.limit_for(Scope.PASSWORD_FAILURE) == throttle.Limit(30, 900)
    assert throttle.limit_for(Scope.CODE_REQUEST) == throttle.Limit(30, 3600)
    assert throttle.limit_for(Scope.CODE_FAILURE) == throttle.Limit(30, 900)


# --- counting ----------------------------------------------------------------------------------


def test_an_address_gets_its_allowance_then_is_refused_until_the_window_ends(db: Any) -> None:
    start = timezone.now()
    with freeze_time(start):
        for _ in range(3):
            assert throttle.hit(Scope.PASSWORD_FAILURE, OFFICE) is None
        refused = throttle.refusal(Scope.PASSWORD_FAILURE, OFFICE)
        assert refused is not None
        assert refused.retry_after == 900
        assert refused.minutes == 15
        assert throttle.hit(Scope.PASSWORD_FAILURE, OFFICE) is not None
    with freeze_time(start + timedelta(seconds=899)):
        refused = throttle.refusal(Scope.PASSWORD_FAILURE, OFFICE)
        assert refused is not None
        assert refused.retry_after == 1
    with freeze_time(start + timedelta(seconds=900)):
        assert throttle.refusal(Scope.PASSWORD_FAILURE, OFFICE) is None
        assert throttle.hit(Scope.PASSWORD_FAILURE, OFFICE) is None
    assert ThrottleBucket.objects.get(address=OFFICE).hits == 1


def test_refused_events_are_not_counted(db: Any) -> None:
    for _ in range(10):
        throttle.hit(Scope.PASSWORD_FAILURE, OFFICE)
    # The count stops at limit + 1, so retries never push the window further out.
    assert ThrottleBucket.objects.get(address=OFFICE).hits == 4


def test_other_addresses_and_other_scopes_keep_their_own_allowance(db: Any) -> None:
    for _ in range(3):
        throttle.hit(Scope.PASSWORD_FAILURE, OFFICE)
    assert throttle.refusal(Scope.PASSWORD_FAILURE, OFFICE) is not None
    assert throttle.refusal(Scope.PASSWORD_FAILURE, ELSEWHERE) is None
    assert throttle.refusal(Scope.CODE_FAILURE, OFFICE) is None
    assert throttle.hit(Scope.CODE_REQUEST, OFFICE) is None


def test_a_limit_of_zero_turns_the_scope_off(settings: Any, db: Any) -> None:
    settings.LINLI_THROTTLE_PASSWORD_FAILURES = "0"
    for _ in range(10):
        assert throttle.hit(Scope.PASSWORD_FAILURE, OFFICE) is None
    assert throttle.refusal(Scope.PASSWORD_FAILURE, OFFICE) is None
    assert not ThrottleBucket.objects.exists()


def test_counting_and_checking_are_one_query_each(db: Any, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        throttle.hit(Scope.CODE_REQUEST, OFFICE)
    with django_assert_num_queries(1):
        throttle.refusal(Scope.CODE_REQUEST, OFFICE)


def test_prune_deletes_only_ended_windows(db: Any) -> None:
    start = timezone.now()
    with freeze_time(start - timedelta(hours=2)):
        throttle.hit(Scope.CODE_REQUEST, ELSEWHERE)
    with freeze_time(start):
        throttle.hit(Scope.PASSWORD_FAILURE, OFFICE)
        out = StringIO()
        call_command("prune_throttle", "--dry-run", stdout=out)
        assert "Would delete 1 " in out.getvalue()
        assert ThrottleBucket.objects.count() == 2
        call_command("prune_throttle", stdout=out)
        assert "Deleted 1 " in out.getvalue()
    assert list(ThrottleBucket.objects.values_list("address", flat=True)) == [OFFICE]


# --- staff password login ----------------------------------------------------------------------


@freeze_time("2026-11-30 02:00:00")  # 10:00 in Shanghai; both pages name the same time
def test_spraying_passwords_from_one_address_is_refused_without_naming_the_account(
    client: Client, community_staff: User
) -> None:
    _spray(client, 3)
    known = _login(client, "xingfu_staff", "Winter2026!")
    unknown = _login(client, "nobody", "Winter2026!")
    assert known.status_code == unknown.status_code == 429
    assert known["Retry-After"] == unknown["Retry-After"]
    assert 0 < int(known["Retry-After"]) <= 900
    page = known.content.decode()
    assert "当前网络登录失败次数过多" in page
    assert "请 15 分钟后（10:15 以后）再试" in page
    # Apart from the typed username and the CSRF tokens, the two pages are the same.
    strip = re.compile(r'value="[^"]*"|[A-Za-z0-9]{64}')
    assert strip.sub("", page) == strip.sub("", unknown.content.decode())
    community_staff.refresh_from_db()
    assert community_staff.failed_logins == 0
    assert not community_staff.is_locked(timezone.now())


def test_the_right_password_is_refused_too_while_the_address_is_paused(
    client: Client, community_staff: User
) -> None:
    _spray(client, 3)
    response = _login(client, "xingfu_staff", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_another_address_logs_in_while_one_is_paused(client: Client, community_staff: User) -> None:
    _spray(client, 3)
    response = _login(client, "xingfu_staff", PASSWORD, address=ELSEWHERE)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(community_staff.pk)


def test_the_address_may_log_in_again_when_the_window_has_passed(
    client: Client, community_staff: User
) -> None:
    start = timezone.now()
    with freeze_time(start):
        _spray(client, 3)
        assert _login(client, "xingfu_staff", PASSWORD).status_code == 429
    with freeze_time(start + timedelta(minutes=15, seconds=1)):
        assert _login(client, "xingfu_staff", PASSWORD).status_code == 302


def test_a_successful_login_does_not_reset_the_address_count(
    client: Client, community_staff: User
) -> None:
    _spray(client, 2)
    assert _login(client, "xingfu_staff", PASSWORD).status_code == 302
    client.logout()
    _spray(client, 1)
    assert _login(client, "xingfu_staff", PASSWORD).status_code == 429


def test_the_account_lockout_still_works_across_addresses(
    client: Client, community_staff: User, settings: Any
) -> None:
    settings.LINLI_THROTTLE_PASSWORD_FAILURES = "100/900"
    for n in range(5):
        _login(client, "xingfu_staff", "wrong-password", address=f"198.51.100.{n}")
    community_staff.refresh_from_db()
    assert community_staff.is_locked(timezone.now())
    response = _login(client, "xingfu_staff", PASSWORD, address=ELSEWHERE)
    assert response.status_code == 400
    assert "账号已锁定" in response.content.decode()


def test_a_locked_account_with_the_right_password_does_not_count_against_the_address(
    client: Client, community_staff: User
) -> None:
    User.objects.filter(pk=community_staff.pk).update(
        locked_until=timezone.now() + timedelta(minutes=10)
    )
    for _ in range(5):
        assert _login(client, "xingfu_staff", PASSWORD).status_code == 400
    assert throttle.refusal(Scope.PASSWORD_FAILURE, OFFICE) is None


def test_forged_forwarded_headers_do_not_buy_new_allowances(
    client: Client, community_staff: User
) -> None:
    for n in range(3):
        _login(client, f"guess{n}", "x", HTTP_X_FORWARDED_FOR=f"10.1.1.{n}")
    response = _login(client, "xingfu_staff", PASSWORD, HTTP_X_FORWARDED_FOR="10.1.1.99")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(
    client: Client, community_staff: User, settings: Any
) -> None:
    settings.LINLI_TRUSTED_PROXIES = 1
    _spray(client, 3, address="127.0.0.1", HTTP_X_FORWARDED_FOR=OFFICE)
    paused = _login(client, "xingfu_staff", PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR=OFFICE)
    assert paused.status_code == 429
    other = _login(client, "xingfu_staff", PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert other.status_code == 302


def test_every_refusal_is_audited_and_logged(
    client: Client, community_staff: User, caplog: pytest.LogCaptureFixture
) -> None:
    _spray(client, 3)
    with caplog.at_level(logging.WARNING, logger="linli.accounts.throttle"):
        _login(client, "xingfu_staff", PASSWORD)
        _login(client, "13812345678", PASSWORD)
    entries = _throttled_entries()
    assert len(entries) == 2
    assert {e.object_repr for e in entries} == {"xingfu_staff", "138****5678"}
    assert entries[0].changes["scope"] == "password_failure"
    assert entries[0].changes["address"] == OFFICE
    assert entries[0].ip_address == OFFICE
    logged = [r.getMessage() for r in caplog.records if "throttled" in r.getMessage()]
    assert len(logged) == 2
    assert "13812345678" not in " ".join(logged)
    assert "138****5678" in " ".join(logged)


def test_the_refusal_is_explained_in_english_too(client: Client, db: Any) -> None:
    _spray(_english(client), 3)
    response = _login(client, "anyone", "x")
    page = response.content.decode()
    assert response.status_code == 429
    assert "Logging in from this network is paused" in page
    assert "Please try again in 15 minutes" in page


def test_django_admin_login_honours_the_address_limit(
    client: Client, community_staff: User
) -> None:
    User.objects.filter(pk=community_staff.pk).update(is_superuser=True, is_staff=True)
    _spray(client, 3)
    response = client.post(
        "/admin/login/",
        {"username": "xingfu_staff", "password": PASSWORD},
        REMOTE_ADDR=OFFICE,
    )
    assert response.status_code == 200  # the form again, not a redirect into the admin
    assert "_auth_user_id" not in client.session


# --- residents' phone codes --------------------------------------------------------------------


def _ask(client: Client, phone: str, district: District, address: str = OFFICE) -> Any:
    return client.post(
        PHONE_PAGE, {"phone": phone, "district": str(district.pk)}, REMOTE_ADDR=address
    )


def test_codes_for_many_numbers_from_one_address_are_refused(
    client: Client, district: District
) -> None:
    assert _ask(client, PHONES[0], district).status_code == 302
    assert _ask(client, PHONES[1], district).status_code == 302
    response = _ask(client, PHONES[2], district)
    assert response.status_code == 429
    assert 3500 < int(response["Retry-After"]) <= 3600
    page = response.content.decode()
    assert "当前网络获取验证码次数过多" in page
    assert "改用手机流量" in page
    assert [phone for phone, _ in ConsoleSender.sent] == PHONES[:2]
    assert not PhoneCode.objects.filter(phone=PHONES[2]).exists()
    (entry,) = _throttled_entries()
    assert entry.object_repr == "138****0002"
    assert entry.district_id == district.pk
    assert entry.changes["scope"] == "code_request"
    assert PHONES[2] not in str(entry.changes)


def test_code_requests_from_another_address_still_go_out(
    client: Client, district: District
) -> None:
    _ask(client, PHONES[0], district)
    _ask(client, PHONES[1], district)
    assert _ask(client, PHONES[2], district).status_code == 429
    assert _ask(client, PHONES[2], district, address=ELSEWHERE).status_code == 302


def test_code_requests_are_allowed_again_after_the_hour(client: Client, district: District) -> None:
    start = timezone.now()
    with freeze_time(start):
        _ask(client, PHONES[0], district)
        _ask(client, PHONES[1], district)
        assert _ask(client, PHONES[2], district).status_code == 429
    with freeze_time(start + timedelta(hours=1)):
        assert _ask(client, PHONES[2], district).status_code == 302


def test_a_refusal_for_the_number_costs_the_address_nothing(
    client: Client, district: District
) -> None:
    assert _ask(client, PHONES[0], district).status_code == 302
    # A second code for the same number within 60 s is refused by the per-number limit.
    assert _ask(client, PHONES[0], district).status_code == 400
    assert _ask(client, PHONES[1], district).status_code == 302


def test_a_text_the_gateway_could_not_send_costs_the_address_nothing(
    district: District, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = _request(OFFICE)

    def broken(self: Any, *, phone: str, message: str) -> None:
        raise ConnectionError("gateway down")

    monkeypatch.setattr(ConsoleSender, "send", broken)
    for phone in PHONES[:3]:
        with pytest.raises(ConnectionError):
            services.request_phone_code(phone=phone, district_id=district.pk, request=request)
    assert not ThrottleBucket.objects.exists()


def test_the_resend_button_honours_the_address_limit(client: Client, district: District) -> None:
    _ask(client, PHONES[0], district)
    _ask(client, PHONES[1], district)
    with freeze_time(timezone.now() + timedelta(minutes=2)):
        response = client.post(CODE_PAGE, {"action": "resend"}, REMOTE_ADDR=OFFICE, follow=True)
    assert "当前网络获取验证码次数过多" in response.content.decode()
    assert len(ConsoleSender.sent) == 2


def test_the_service_raises_a_rate_limit_with_retry_after(district: District) -> None:
    request = _request(OFFICE)
    services.request_phone_code(phone=PHONES[0], district_id=district.pk, request=request)
    services.request_phone_code(phone=PHONES[1], district_id=district.pk, request=request)
    with pytest.raises(services.AddressRateLimited) as refused:
        services.request_phone_code(phone=PHONES[2], district_id=district.pk, request=request)
    assert isinstance(refused.value, services.RateLimited)
    assert refused.value.code == "address_rate_limited"
    assert refused.value.status == 429
    assert 0 < refused.value.details["retry_after"] <= 3600


def test_calls_without_a_request_are_not_counted(district: District) -> None:
    for phone in PHONES[:4]:
        services.request_phone_code(phone=phone, district_id=district.pk)
    assert not ThrottleBucket.objects.exists()


def test_code_requests_are_refused_in_english_too(client: Client, district: District) -> None:
    _english(client)
    _ask(client, PHONES[0], district)
    _ask(client, PHONES[1], district)
    page = _ask(client, PHONES[2], district).content.decode()
    assert "Too many login codes have been requested from your network" in page
    assert "switch from Wi-Fi to mobile data" in page


def _code_page_for(client: Client, phone: str, district: District) -> None:
    """Ask a code for ``phone`` from an address of its own, so code requests stay within limits."""
    address = f"192.0.2.{int(phone[-2:]) + 1}"
    assert _ask(client, phone, district, address=address).status_code == 302


def _type_code(client: Client, code: str, address: str = OFFICE) -> Any:
    return client.post(CODE_PAGE, {"code": code}, REMOTE_ADDR=address)


def test_guessing_codes_for_many_numbers_from_one_address_is_refused(
    district: District,
) -> None:
    for phone in PHONES[:3]:
        guesser = Client()
        _code_page_for(guesser, phone, district)
        assert _type_code(guesser, "000000").status_code == 400
    victim = Client()
    _code_page_for(victim, PHONES[3], district)
    right_code = re.search(r"\b(\d{6})\b", ConsoleSender.sent[-1][1])
    assert right_code is not None
    response = _type_code(victim, right_code.group(1))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "当前网络输入错误验证码次数过多" in response.content.decode()
    assert "_auth_user_id" not in victim.session
    # The refused code was not compared, so it was not spent: from elsewhere it still works.
    assert _type_code(victim, right_code.group(1), address=ELSEWHERE).status_code == 302
    (entry,) = _throttled_entries()
    assert entry.changes["scope"] == "code_failure"
    assert entry.object_repr == "138****0003"


def test_wrong_codes_are_allowed_again_after_the_window(district: District) -> None:
    start = timezone.now()
    client = Client()
    with freeze_time(start):
        _code_page_for(client, PHONES[0], district)
        for _ in range(3):
            _type_code(client, "000000")
        assert _type_code(client, "000000").status_code == 429
    with freeze_time(start + timedelta(minutes=15)):
        assert _type_code(client, "111111").status_code == 400


def test_wrong_codes_are_refused_in_english_too(district: District) -> None:
    client = _english(Client())
    _code_page_for(client, PHONES[0], district)
    for _ in range(3):
        _type_code(client, "000000")
    page = _type_code(client, "000000").content.decode()
    assert "Too many wrong codes have been entered from your network" in page
