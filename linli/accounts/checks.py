"""Start-up checks of accounts' configuration (registered from ``AccountsConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from linli.accounts.throttle import parse_limit

_THROTTLE_SETTINGS = (
    "LINLI_THROTTLE_PASSWORD_FAILURES",
    "LINLI_THROTTLE_CODE_REQUESTS",
    "LINLI_THROTTLE_CODE_FAILURES",
)


@register()
def check_throttle_limits(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """A malformed per-address limit fails at start-up, not at the first login."""
    problems: list[CheckMessage] = []
    for name in _THROTTLE_SETTINGS:
        try:
            parse_limit(getattr(settings, name, "0"), name=name)
        except ImproperlyConfigured as err:
            problems.append(
                Error(
                    str(err),
                    hint="Write COUNT/SECONDS, e.g. 30/900, or 0 to switch the limit off.",
                    id="linli.E002",
                )
            )
    return problems
