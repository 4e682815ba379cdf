"""``linli cobuild_remind [--now]``: the co-construction day reminders (run it daily from cron).

Without ``--now`` it enqueues ``linli.cobuild.tasks.send_day_reminders`` for the task worker
(``linli db_worker``); with ``--now`` it sends them in this process and says how many.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.cobuild.tasks import send_day_reminders


class Command(BaseCommand):
    help = "Remind the units on duty and the reported party members of the co-construction days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="Send them here instead of enqueuing the task."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            from linli.cobuild.services.reminders import send_day_reminders as send

            rows = send()
            self.stdout.write(f"{len(rows)} reminder(s) recorded")
            return
        result = send_day_reminders.enqueue()
        self.stdout.write(f"enqueued {result.id}")
