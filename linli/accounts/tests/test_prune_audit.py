"""``linli prune_audit`` keeps at least six months, whatever the setting says."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from linli.accounts.models import PhoneCode, User
from linli.core.models import AuditEntry


def _entry_aged(days: float, district: Any) -> AuditEntry:
    entry = AuditEntry.objects.create(district=district, action="update")
    AuditEntry.objects.filter(pk=entry.pk).update(at=timezone.now() - timedelta(days=days))
    return entry


def test_it_deletes_entries_older_than_the_retention(settings: Any, district: Any) -> None:
    settings.LINLI_AUDIT_RETENTION_DAYS = 365
    old = _entry_aged(366, district)
    kept = _entry_aged(364, district)
    out = StringIO()
    call_command("prune_audit", stdout=out)
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    assert AuditEntry.objects.filter(pk=kept.pk).exists()
    assert "Deleted 1 audit entries older than 365 days" in out.getvalue()


@pytest.mark.parametrize("configured", [0, 30, 182])
def test_it_never_keeps_less_than_183_days(settings: Any, district: Any, configured: int) -> None:
    settings.LINLI_AUDIT_RETENTION_DAYS = configured
    kept = _entry_aged(182.5, district)
    old = _entry_aged(184, district)
    call_command("prune_audit", stdout=StringIO())
    assert AuditEntry.objects.filter(pk=kept.pk).exists()
    assert not AuditEntry.objects.filter(pk=old.pk).exists()


def test_a_dry_run_deletes_nothing(settings: Any, district: Any) -> None:
    settings.LINLI_AUDIT_RETENTION_DAYS = 183
    old = _entry_aged(400, district)
    out = StringIO()
    call_command("prune_audit", "--dry-run", stdout=out)
    assert AuditEntry.objects.filter(pk=old.pk).exists()
    assert "Would delete 1" in out.getvalue()


def test_it_deletes_old_phone_codes(district: Any) -> None:
    now = timezone.now()
    old = PhoneCode.objects.create(
        district=district, phone="13812345678", code_hash="x", expires_at=now
    )
    PhoneCode.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=2))
    fresh = PhoneCode.objects.create(
        district=district, phone="13812345678", code_hash="y", expires_at=now
    )
    call_command("prune_audit", stdout=StringIO())
    assert list(PhoneCode.objects.all()) == [fresh]


def test_it_deletes_api_tokens_dead_for_longer_than_the_retention(
    settings: Any, community_staff: User
) -> None:
    from linli.accounts.models import ApiToken
    from linli.accounts.services import create_api_token

    settings.LINLI_AUDIT_RETENTION_DAYS = 365
    now = timezone.now()
    long_expired = create_api_token(owner=community_staff, name="old export").token
    long_revoked = create_api_token(owner=community_staff, name="leaked").token
    recently_dead = create_api_token(owner=community_staff, name="last month").token
    alive = create_api_token(owner=community_staff, name="nightly").token
    ApiToken.objects.filter(pk=long_expired.pk).update(expires_at=now - timedelta(days=400))
    ApiToken.objects.filter(pk=long_revoked.pk).update(revoked_at=now - timedelta(days=400))
    ApiToken.objects.filter(pk=recently_dead.pk).update(revoked_at=now - timedelta(days=30))
    call_command("prune_audit", stdout=StringIO())
    assert set(ApiToken.objects.values_list("pk", flat=True)) == {recently_dead.pk, alive.pk}
