"""Signed device requests: HMAC-SHA256 over method, path, timestamp, nonce and body.

A device sends four headers with every request::

    X-Linli-Key:        the key id (public)
    X-Linli-Timestamp:  Unix seconds when the request was made
    X-Linli-Nonce:      8–64 characters [A-Za-z0-9_-], never reused by this device
    X-Linli-Signature:  hex HMAC-SHA256(secret, canonical string)

and the canonical string is ``METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n hex SHA-256(body)``.
The secret of a key is derived from ``settings.LINLI_DEVICE_KEY_SECRET`` and the key id, so the
database never holds it. Pure functions: the checks against keys and nonces are in
``linli.kiosks.services.authenticate_device``; ``linli kiosk simulate`` signs with ``sign``.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
HEADERS = ("X-Linli-Key", "X-Linli-Timestamp", "X-Linli-Nonce", "X-Linli-Signature")


def device_secret(key_id: str, *, master: str | None = None) -> str:
    """The secret of device key ``key_id`` (what the device is given when the key is issued)."""
    master_key = (master or settings.LINLI_DEVICE_KEY_SECRET).encode()
    return hmac.new(master_key, f"linli-device-key:{key_id}".encode(), hashlib.sha256).hexdigest()


def canonical(*, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """The string a request's signature covers."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{digest}".encode()


def sign(*, secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The hex signature of a request."""
    message = canonical(method=method, path=path, timestamp=timestamp, nonce=nonce, body=body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    *, key_id: str, secret: str, method: str, path: str, body: bytes, timestamp: int, nonce: str
) -> dict[str, str]:
    """The four headers of a signed request (used by the simulator, the bench and tests)."""
    ts = str(timestamp)
    return {
        "X-Linli-Key": key_id,
        "X-Linli-Timestamp": ts,
        "X-Linli-Nonce": nonce,
        "X-Linli-Signature": sign(
            secret=secret, method=method, path=path, timestamp=ts, nonce=nonce, body=body
        ),
    }


def signature_matches(*, secret: str, signature: str, message: bytes) -> bool:
    """Constant-time comparison of a presented signature with the expected one."""
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.lower())
