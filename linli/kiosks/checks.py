"""Start-up checks of the smart huts' secrets (``linli check --deploy`` and every start)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


@register()
def kiosk_secrets(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """In production the device-key and data-key secrets must come from the environment."""
    problems: list[CheckMessage] = []
    ring = settings.LINLI_KIOSK_DATA_KEYS
    if settings.LINLI_KIOSK_DATA_KEY_ID not in ring:
        problems.append(
            Error(
                "LINLI_KIOSK_DATA_KEY_ID names a key that LINLI_KIOSK_DATA_KEYS does not hold.",
                id="linli.kiosks.E001",
            )
        )
    if any(len(key) != 32 for key in ring.values()):
        problems.append(
            Error(
                "Every key of LINLI_KIOSK_DATA_KEYS must be 32 bytes (base64).",
                id="linli.kiosks.E002",
            )
        )
    if getattr(settings, "PRODUCTION", False) and not (
        os.environ.get("LINLI_KIOSK_DATA_KEYS") and os.environ.get("LINLI_DEVICE_KEY_SECRET")
    ):
        problems.append(
            Warning(
                "Smart-hut readings and device keys use secrets derived from SECRET_KEY.",
                hint="Set LINLI_KIOSK_DATA_KEYS and LINLI_DEVICE_KEY_SECRET (docs/kiosks.md).",
                id="linli.kiosks.W001",
            )
        )
    return problems
