"""Limits per client address on logging in: password spraying, SMS pumping, code guessing.

The per-account lockout (linli.accounts.services.check_password_login) and the per-number limits
on text-message codes (request_phone_code, verify_phone_code) stop attacks on *one* account or
*one* number. They do not stop one machine trying a few passwords on many usernames, asking codes
for many numbers (each text message costs the district money) or guessing codes for many numbers.
This module counts such events per (scope, client address) and refuses an address that has used
up its allowance.

Design (see docs/accounts.md, "Limits per network address"):

* **Fixed windows in the database.** One ``ThrottleBucket`` row per (scope, address) holds a
  count and the end of its window; the window starts with the first counted event. The counters
  live in the database because several gunicorn workers must share them and no cache server is
  assumed (the same reason as linli.accounts.sessions). Reading is one indexed ``SELECT``;
  counting is one ``INSERT … ON CONFLICT DO UPDATE`` (PostgreSQL, SQLite ≥ 3.35).
* **Refused events are not counted** (the count stops at limit + 1), so a refused address is free
  again when its window ends instead of being pushed further out by its own retries.
* **Addresses.** ``REMOTE_ADDR``, or the ``X-Forwarded-For`` entry that the last trusted proxy
  saw when ``LINLI_TRUSTED_PROXIES`` says how many proxies stand in front of Django. IPv6 clients
  are grouped by /64, the block one household or phone is given.
* **Pruning.** ``linli prune_throttle`` deletes rows whose window has ended; prune_audit's daily
  run is the natural place to call it (docs/deploy.md).
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.utils import timezone

from linli.accounts.models import ThrottleBucket
from linli.core.ip import client_ip, parse_ip

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)

#: The bucket of requests whose address cannot be read (an empty REMOTE_ADDR on a Unix socket).
UNKNOWN_ADDRESS = "unknown"


class Scope(enum.StrEnum):
    """What is counted per address; each has its own limit (see ``DEFAULT_LIMITS``)."""

    PASSWORD_FAILURE = "password_failure"
    CODE_REQUEST = "code_request"
    CODE_FAILURE = "code_failure"


@dataclass(frozen=True)
class Limit:
    """``count`` events per ``seconds``; a count of 0 turns the limit off."""

    count: int
    seconds: int

    @property
    def enabled(self) -> bool:
        return self.count > 0 and self.seconds > 0


#: Setting name and default of each scope. The numbers allow for many people behind one address:
#: staff of one 街道 office, residents on a community centre's Wi-Fi, a mobile carrier's NAT.
#: Why these numbers: docs/accounts.md, "Limits per network address".
DEFAULT_LIMITS: dict[Scope, tuple[str, Limit]] = {
    Scope.PASSWORD_FAILURE: ("LINLI_THROTTLE_PASSWORD_FAILURES", Limit(30, 15 * 60)),
    Scope.CODE_REQUEST: ("LINLI_THROTTLE_CODE_REQUESTS", Limit(30, 60 * 60)),
    Scope.CODE_FAILURE: ("LINLI_THROTTLE_CODE_FAILURES", Limit(30, 15 * 60)),
}


def parse_limit(value: object, *, name: str) -> Limit:
    """A limit from a setting: ``"30/900"`` (count per seconds), ``(30, 900)`` or ``0`` (off)."""
    if isinstance(value, Limit):
        return value
    try:
        if isinstance(value, (tuple, list)):
            count, seconds = (int(v) for v in value)
        elif isinstance(value, int) or str(value).strip() == "0":
            count, seconds = int(str(value)), 0
        else:
            left, right = str(value).split("/")
            count, seconds = int(left), int(right)
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(
            f'{name} must be "COUNT/SECONDS" such as "30/900", or 0 to turn it off; got {value!r}.'
        ) from error
    if count < 0 or seconds < 0 or (count > 0 and seconds == 0):
        raise ImproperlyConfigured(
            f"{name} needs a positive count and window, or 0; got {value!r}."
        )
    return Limit(count, seconds)


def limit_for(scope: Scope) -> Limit:
    """The configured limit of ``scope`` (read on every call, so tests may change settings)."""
    name, default = DEFAULT_LIMITS[scope]
    return parse_limit(getattr(settings, name, default), name=name)


# --- Client addresses -------------------------------------------------------------------------


def address_key(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """The bucket an address counts in: IPv4 as is, IPv6 by its /64 ("2001:db8:1:2::/64").

    A household or a phone gets a whole /64 from its provider and may use any address in it, so
    counting single IPv6 addresses would give one client 2**64 allowances.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_address(request: HttpRequest) -> str:
    """The address the throttle counts ``request`` under (see ``address_key``)."""
    ip = parse_ip(client_ip(request) or "")
    return address_key(ip) if ip is not None else UNKNOWN_ADDRESS


# --- Counting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """An address has used up its allowance in ``scope`` until ``until``."""

    scope: Scope
    address: str
    until: dt.datetime
    now: dt.datetime

    @property
    def retry_after(self) -> int:
        """Whole seconds until the window ends, rounded up (the ``Retry-After`` header)."""
        return max(1, int(-(-(self.until - self.now).total_seconds() // 1)))

    @property
    def minutes(self) -> int:
        """Whole minutes until the window ends, rounded up (never 0 while refused)."""
        return max(1, -(-self.retry_after // 60))


def refusal(scope: Scope, address: str, *, now: dt.datetime | None = None) -> Refusal | None:
    """Whether ``address`` has used up its allowance in ``scope`` (one indexed SELECT)."""
    limit = limit_for(scope)
    if not limit.enabled:
        return None
    now = now or timezone.now()
    bucket = (
        ThrottleBucket.objects.filter(scope=scope, address=address, expires_at__gt=now)
        .values_list("hits", "expires_at")
        .first()
    )
    if bucket is None or bucket[0] < limit.count:
        return None
    return Refusal(scope=scope, address=address, until=bucket[1], now=now)


def hit(scope: Scope, address: str, *, now: dt.datetime | None = None) -> Refusal | None:
    """Count one event of ``address`` in ``scope``, unless its allowance is used up.

    Returns the refusal when it was (the event is then not counted), else ``None``. One
    statement, atomic per row on PostgreSQL and SQLite, so concurrent workers never lose a
    count; inside the caller's transaction it is rolled back with it (request_phone_code
    relies on that: a text message that could not be sent costs no allowance).
    """
    limit = limit_for(scope)
    if not limit.enabled:
        return None
    now = now or timezone.now()
    new_end = now + timedelta(seconds=limit.seconds)
    db = router.db_for_write(ThrottleBucket)
    connection = connections[db]
    qn = connection.ops.quote_name
    table = qn(ThrottleBucket._meta.db_table)
    field = ThrottleBucket._meta.get_field("expires_at")
    db_now = field.get_db_prep_value(now, connection)
    db_end = field.get_db_prep_value(new_end, connection)
    hits, end = qn("hits"), qn("expires_at")
    # A window that has ended starts again at 1; within it the count stops at limit + 1.
    sql = (
        f"INSERT INTO {table} ({qn('scope')}, {qn('address')}, {hits}, {end})"
        f" VALUES (%s, %s, 1, %s)"
        f" ON CONFLICT ({qn('scope')}, {qn('address')}) DO UPDATE SET"
        f" {hits} = CASE WHEN {table}.{end} <= %s THEN 1"
        f" WHEN {table}.{hits} <= %s THEN {table}.{hits} + 1 ELSE {table}.{hits} END,"
        f" {end} = CASE WHEN {table}.{end} <= %s THEN %s ELSE {table}.{end} END"
        f" RETURNING {qn('id')}, {qn('scope')}, {qn('address')}, {hits}, {end}"
    )
    params = [str(scope), address, db_end, db_now, limit.count, db_now, db_end]
    # raw() maps the returned columns through the fields' converters (datetimes on SQLite).
    (bucket,) = list(ThrottleBucket.objects.using(db).raw(sql, params))
    if bucket.hits <= limit.count:
        return None
    return Refusal(scope=scope, address=address, until=bucket.expires_at, now=now)


def prune(*, now: dt.datetime | None = None) -> int:
    """Delete the buckets whose window has ended; returns how many."""
    now = now or timezone.now()
    deleted, _ = ThrottleBucket.objects.filter(expires_at__lte=now).delete()
    return deleted


def log_refusal(found: Refusal, *, subject: str = "") -> None:
    """One warning line per refusal, for the operator watching the logs (subject masked)."""
    logger.warning(
        "throttled %s from %s for %ss%s",
        found.scope,
        found.address,
        found.retry_after,
        f" ({subject})" if subject else "",
    )
