"""Helpers for the accounts tests: TOTP codes as an authenticator app would show them."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import get_resolver
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from linli.accounts.models import User

# The page fixtures (test_browser.py) come from the shared end-to-end conftest; they resolve
# ``browser`` to the module-scoped one below.
from tests.e2e.conftest import CHROMIUM, desktop_page, page  # noqa: F401


def totp_now(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the app shows now (or ``offset_steps`` steps away)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(user: User) -> TOTPDevice:
    """Give ``user`` a confirmed TOTP device."""
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


@pytest.fixture(autouse=True)
def _urls_loaded_before_the_clock_is_frozen() -> None:
    """Import the URLconf (and with it the API's pydantic schemas) outside freezegun.

    pydantic cannot build schemas for freezegun's FakeDatetime, so a first request made inside
    ``freeze_time`` would fail depending on test order.
    """
    get_resolver().url_patterns  # noqa: B018  (the access triggers the import)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A chromium for this module only, closed before tests/e2e starts its session-wide one.

    Playwright's sync API allows one running instance per thread, so this cannot share the
    session with tests/e2e/conftest.py's ``browser``; the suite runs linli/ before tests/.
    """
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium)")
    from playwright.sync_api import Error, sync_playwright

    try:
        manager = sync_playwright().start()
    except Error as error:  # tests/e2e's browser is already running in this session
        pytest.skip(f"another Playwright session is running: {error}")
    chromium = manager.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"],
    )
    try:
        yield chromium
    finally:
        chromium.close()
        manager.stop()
