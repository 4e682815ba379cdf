"""Start-up checks of the per-address limits, and the address the audit log records."""

from __future__ import annotations

from typing import Any

from django.core.checks import run_checks
from django.test import RequestFactory

from linli.accounts.models import User
from linli.core.audit import record
from linli.core.models import AuditEntry


def _ids(**kwargs: Any) -> set[str]:
    return {m.id for m in run_checks(**kwargs) if m.id and m.id.startswith("linli.")}


def test_a_malformed_limit_stops_start_up(settings: Any) -> None:
    settings.LINLI_THROTTLE_CODE_REQUESTS = "thirty an hour"
    assert "linli.E002" in _ids()
    settings.LINLI_THROTTLE_CODE_REQUESTS = "30/3600"
    assert "linli.E002" not in _ids()


def test_production_behind_a_proxy_needs_trusted_proxies(settings: Any) -> None:
    settings.PRODUCTION = True
    settings.LINLI_TRUSTED_PROXIES = 0
    assert "linli.W003" in _ids(include_deployment_checks=True)
    settings.LINLI_TRUSTED_PROXIES = 1
    assert "linli.W003" not in _ids(include_deployment_checks=True)


def test_the_audit_log_records_the_visitor_not_the_proxy(
    settings: Any, community_staff: User
) -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4, 203.0.113.9"
    )
    settings.LINLI_TRUSTED_PROXIES = 1
    record(actor=community_staff, action=AuditEntry.Action.LOGIN, request=request)
    settings.LINLI_TRUSTED_PROXIES = 0
    record(actor=community_staff, action=AuditEntry.Action.LOGIN, request=request)
    behind, direct = AuditEntry.objects.order_by("-pk")[:2][::-1]
    # nginx appended the peer it saw (203.0.113.9); what the client wrote before it is ignored.
    assert behind.ip_address == "203.0.113.9"
    assert direct.ip_address == "127.0.0.1"
