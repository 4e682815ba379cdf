"""``linli prune_throttle``: delete the per-address login counters whose window has ended.

The counters (linli.accounts.throttle) are only needed while their window runs: at most an hour
with the default limits. Rows of ended windows do no harm (the next event from that address
starts a new window in the same row), so pruning only keeps the table small after an attack
from many addresses. Run it daily next to ``linli prune_audit`` (docs/deploy.md);
``--dry-run`` only counts.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from linli.accounts.models import ThrottleBucket
from linli.accounts.throttle import prune


class Command(BaseCommand):
    help = "Delete per-address login counters whose window has ended."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, but delete nothing.")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        if dry_run:
            count = ThrottleBucket.objects.filter(expires_at__lte=timezone.now()).count()
            self.stdout.write(f"Would delete {count} expired address counters.")
            return
        self.stdout.write(f"Deleted {prune()} expired address counters.")
