"""``linli prune_audit``: delete audit entries older than the retention period.

The period is LINLI_AUDIT_RETENTION_DAYS but never fewer than 183 days (six months), whatever the
setting says: the issue requires the log to be kept at least six months. Run it daily (cron or
systemd timer, see docs/deploy.md). It also deletes phone login codes older than a day, which
are only kept for the rate limits, the per-address throttle counters whose window has ended
(``linli prune_throttle`` does only that), and API tokens that expired or were revoked before the
retention period (kept until then so the audit log's entries about them can be read).

It lives in accounts, not core, because it prunes accounts' rows too: core knows no accounts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from linli.accounts import throttle
from linli.accounts.models import ApiToken, PhoneCode
from linli.core.models import AuditEntry

MINIMUM_RETENTION_DAYS = 183


def retention_days() -> int:
    """The configured retention, raised to the six-month minimum."""
    return max(MINIMUM_RETENTION_DAYS, int(settings.LINLI_AUDIT_RETENTION_DAYS))


class Command(BaseCommand):
    help = "Delete audit log entries older than LINLI_AUDIT_RETENTION_DAYS (at least 183 days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, but delete nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        now = timezone.now()
        days = retention_days()
        cutoff = now - timedelta(days=days)
        old = AuditEntry.objects.filter(at__lt=cutoff)
        old_codes = PhoneCode.objects.filter(created_at__lt=now - timedelta(days=1))
        dead_tokens = ApiToken.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff))
        if dry_run:
            self.stdout.write(
                f"Would delete {old.count()} audit entries older than {days} days "
                f"(before {cutoff:%Y-%m-%d %H:%M}), {old_codes.count()} old phone codes and "
                f"{dead_tokens.count()} long-dead API tokens."
            )
            return
        with transaction.atomic():
            deleted, _ = old.delete()
            codes, _ = old_codes.delete()
            tokens, _ = dead_tokens.delete()
            throttle.prune(now=now)
        self.stdout.write(
            f"Deleted {deleted} audit entries older than {days} days "
            f"(before {cutoff:%Y-%m-%d %H:%M}), {codes} old phone codes and {tokens} long-dead "
            "API tokens."
        )
