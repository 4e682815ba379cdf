"""``linli needs_sweep``: enqueue the deadline sweep for the task worker (run it from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from linli.needs.tasks import sweep_deadlines


class Command(BaseCommand):
    help = "Enqueue the needs' deadline reminders and escalations for the task worker."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sweep_deadlines.enqueue()
        self.stdout.write(f"enqueued {result.id}")
