"""Helpers for the accounts tests: TOTP codes as an authenticator app would show them."""

from __future__ import annotations

import time

import pytest
from django.urls import get_resolver
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from linli.accounts.models import User


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
