"""Fixtures of the smart-hut tests: devices in the hut, a device key, a signed-request client."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.models import User
from linli.kiosks import services, signing
from linli.kiosks.models import Device, DeviceKind, DeviceStatus, Section
from linli.places.models import Station


@pytest.fixture
def kiosk(smart_hut: Station, hut_keeper: User) -> Device:
    """The hut's health-check kiosk, heard from a minute ago."""
    now = timezone.now()
    return Device.objects.create(
        district_id=smart_hut.district_id,
        station=smart_hut,
        section=Section.HEALTH,
        kind=DeviceKind.HEALTH_KIOSK,
        code="H001-HK",
        name="体检一体机",
        status=DeviceStatus.ONLINE,
        status_since=now - dt.timedelta(days=30),
        last_heartbeat_at=now - dt.timedelta(minutes=1),
    )


@pytest.fixture
def awning(smart_hut: Station) -> Device:
    """A managed area: it never sends heartbeats."""
    return Device.objects.create(
        district_id=smart_hut.district_id,
        station=smart_hut,
        section=Section.CONVENIENCE,
        kind=DeviceKind.AWNING,
        code="H001-AW",
        name="户外遮阳棚",
        status=DeviceStatus.ONLINE,
        status_since=timezone.now() - dt.timedelta(days=30),
    )


@pytest.fixture
def device_key(kiosk: Device, district_admin: User) -> services.IssuedKey:
    return services.issue_device_key(actor=district_admin, device=kiosk)


SignedPost = Callable[..., Any]


@pytest.fixture
def signed_post(client: Client) -> SignedPost:
    """``signed_post(path, payload, key=…)`` POSTs JSON signed as a device would.

    Keyword overrides let a test break one part: ``secret``, ``timestamp``, ``nonce``,
    ``body`` (bytes actually sent, after signing ``payload``).
    """

    def post(
        path: str,
        payload: Any,
        *,
        key: services.IssuedKey,
        secret: str | None = None,
        timestamp: int | None = None,
        nonce: str | None = None,
        body: bytes | None = None,
    ) -> Any:
        raw = json.dumps(payload).encode()
        headers = signing.signed_headers(
            key_id=key.key.key_id,
            secret=secret or key.secret,
            method="POST",
            path=path,
            body=raw,
            timestamp=int(timezone.now().timestamp()) if timestamp is None else timestamp,
            nonce=nonce or secrets.token_urlsafe(12),
        )
        return client.post(
            path,
            data=body if body is not None else raw,
            content_type="application/json",
            headers=headers,
        )

    return post
