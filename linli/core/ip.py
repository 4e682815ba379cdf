"""The visitor's IP address, as far as this server can vouch for it.

Used by the audit log (``linli.core.audit``) and by the login throttle
(``linli.accounts.throttle``), so both name the same address for one request.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)


def parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as a client or proxy wrote it (with a port, brackets, a zone), or None."""
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":")[0]
    try:
        ip = ipaddress.ip_address(value.split("%")[0])  # drop an IPv6 zone ("fe80::1%eth0")
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


_warned_untrusted_forwarding = False


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's IP address as far as this server can vouch for it (None if unreadable).

    ``X-Forwarded-For`` is believed only as far as ``LINLI_TRUSTED_PROXIES`` (default 0) says:
    with one trusted proxy (nginx appending ``$proxy_add_x_forwarded_for``) the client is the
    header's last entry; anything a client writes in the header itself stays to the left of it
    and is ignored. Without trusted proxies the header is ignored entirely, since anyone can
    send it. The audit log records this address too.
    """
    global _warned_untrusted_forwarding
    remote = str(request.META.get("REMOTE_ADDR") or "")
    trusted = int(getattr(settings, "LINLI_TRUSTED_PROXIES", 0) or 0)
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    chosen = remote
    if trusted > 0:
        chain = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        chain.append(remote)
        # chain[-1] is the proxy talking to us; each trusted proxy appended the peer it saw.
        chosen = chain[-(trusted + 1)] if len(chain) > trusted else chain[0]
    elif forwarded and not _warned_untrusted_forwarding:
        peer = parse_ip(remote)
        if peer is not None and peer.is_loopback:
            # Behind nginx without LINLI_TRUSTED_PROXIES every client looks like 127.0.0.1 and
            # shares one allowance: one attacker would lock the whole district out.
            _warned_untrusted_forwarding = True
            logger.warning(
                "X-Forwarded-For arrives from %s but LINLI_TRUSTED_PROXIES is 0: every client "
                "is counted as that one address. Set LINLI_TRUSTED_PROXIES=1 behind nginx.",
                remote,
            )
    ip = parse_ip(chosen)
    if ip is None and chosen != remote:
        ip = parse_ip(remote)  # a misconfigured proxy chain: the nearest address we can vouch for
    return str(ip) if ip is not None else None
