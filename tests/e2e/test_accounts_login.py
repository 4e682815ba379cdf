"""Browser journeys of logging in (Playwright on Debian's chromium; see tests/e2e/conftest.py).

A resident in the elderly mode logs in with a phone code on a phone-sized screen; a staff member
who locked their account sees why; a resident on a busy shared network is told when to try again.
Screenshots land in var/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from linli.accounts.models import Role, User
from linli.accounts.sms import ConsoleSender
from linli.places.models import District
from tests.e2e.conftest import axe_violations, screenshot
from tests.personas import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def town(transactional_db: Any) -> District:
    return District.objects.create(code="E2EACC", name="测试区")


def test_a_resident_in_elderly_mode_logs_in_with_a_text_message_code(
    page: Any, town: District, live_server: Any
) -> None:
    ConsoleSender.sent.clear()
    page.context.add_cookies([{"name": "linli_elderly", "value": "1", "url": live_server.url}])
    page.goto("/")
    # The resident pages link to the phone login from their header, and come back after it.
    page.locator("header a", has_text="登录").click()
    page.wait_for_url("**/accounts/phone/?next=%2F")
    assert axe_violations(page) == []
    submit = page.locator("main button[type=submit]")
    for target in (submit, page.locator("input[name=phone]")):
        box = target.bounding_box()
        assert box is not None
        assert box["height"] >= 60
    page.fill("input[name=phone]", "１３８ １２３４ ５６７８")
    submit.click()
    page.wait_for_url("**/accounts/phone/code/")
    assert "138****5678" in page.inner_text("main")
    assert axe_violations(page) == []
    code = re.search(r"\b(\d{6})\b", ConsoleSender.sent[-1][1])
    assert code is not None
    page.fill("input[name=code]", code.group(1))
    screenshot(page, "accounts-phone-code-elderly")
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url(live_server.url + "/")
    user = User.objects.get(phone="13812345678")
    assert user.role == Role.RESIDENT
    assert user.district == town
    # Signed in shows: his masked number in the header, leading to his page and a way out.
    account = page.locator("header a", has_text="138****5678")
    expect(account).to_be_visible()
    assert "13812345678" not in page.content()
    account.click()
    page.wait_for_url("**/accounts/me/")
    main = page.inner_text("main")
    assert "您已登录" in main
    assert "138****5678" in main
    assert "查找身边的驿站" in main
    assert axe_violations(page) == []
    screenshot(page, "accounts-resident-signed-in-elderly")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(live_server.url + "/")
    expect(page.locator("header a", has_text="登录")).to_be_visible()
    assert page.locator("header a", has_text="138****5678").count() == 0


def test_a_resident_who_signs_in_without_a_page_to_return_to_lands_on_his_own_page(
    page: Any, town: District
) -> None:
    ConsoleSender.sent.clear()
    page.goto("/")
    page.get_by_role("link", name="居民用手机号登录").click()
    page.wait_for_url("**/accounts/phone/")
    page.fill("input[name=phone]", "13912345678")
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/accounts/phone/code/")
    code = re.search(r"\b(\d{6})\b", ConsoleSender.sent[-1][1])
    assert code is not None
    page.fill("input[name=code]", code.group(1))
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url("**/accounts/me/")
    assert "139****5678" in page.inner_text("main")
    screenshot(page, "accounts-resident-own-page")


def test_a_locked_staff_member_is_told_for_how_long(
    desktop_page: Any, town: District, settings: Any
) -> None:
    settings.LINLI_LOCKOUT_THRESHOLD = 3
    User.objects.create_user(
        username="wangli", password=PASSWORD, role=Role.COMMUNITY_STAFF, district=town
    )
    page = desktop_page
    page.goto("/accounts/login/")
    assert axe_violations(page) == []
    for _ in range(3):
        page.fill("input[name=username]", "wangli")
        page.fill("input[name=password]", "wrong-password")
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state()
    page.fill("input[name=username]", "wangli")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    alert = page.locator("[role=alert]")
    assert "15" in alert.inner_text()
    assert "锁定" in alert.inner_text()
    screenshot(page, "accounts-login-locked")
    assert page.url.endswith("/accounts/login/")


def test_a_resident_on_a_busy_shared_network_is_told_when_to_try_again(
    page: Any, town: District, settings: Any
) -> None:
    settings.LINLI_THROTTLE_CODE_REQUESTS = "1/3600"
    ConsoleSender.sent.clear()
    page.goto("/accounts/phone/")
    page.fill("input[name=phone]", "13812345678")
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/accounts/phone/code/")
    page.goto("/accounts/phone/")
    page.fill("input[name=phone]", "13987654321")
    page.locator("main button[type=submit]").click()
    alert = page.locator("[role=alert]")
    assert "当前网络获取验证码次数过多" in alert.inner_text()
    assert "手机流量" in alert.inner_text()
    assert axe_violations(page) == []
    screenshot(page, "accounts-phone-network-paused")
    assert len(ConsoleSender.sent) == 1


def test_staff_behind_a_network_with_many_failures_are_told_when_to_try_again(
    desktop_page: Any, town: District, settings: Any
) -> None:
    settings.LINLI_THROTTLE_PASSWORD_FAILURES = "2/900"
    User.objects.create_user(
        username="wangli", password=PASSWORD, role=Role.COMMUNITY_STAFF, district=town
    )
    page = desktop_page
    page.goto("/accounts/login/")
    for username in ("zhangsan", "lisi", "wangli"):
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD if username == "wangli" else "wrong")
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state()
    alert = page.locator("[role=alert]")
    assert "当前网络已暂停登录" in alert.inner_text()
    assert "15 分钟" in alert.inner_text()
    assert axe_violations(page) == []
    screenshot(page, "accounts-login-network-paused")
    assert page.url.endswith("/accounts/login/")
