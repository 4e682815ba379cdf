"""``linli kiosk …``: the smart huts' commands.

    linli kiosk check-devices   mark silent devices offline, text their keepers, prune nonces
    linli kiosk rekey           re-seal readings under the current data key (after rotation)
    linli kiosk followups [--date D]  file the day's 异常待随访 list, send due recheck reminders

Run ``check-devices`` every minute or two (cron or a systemd timer, docs/kiosks.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from linli.kiosks import followup, services


class Command(BaseCommand):
    help = "Smart huts: check devices, re-seal readings."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check-devices", help="Mark silent devices offline and alert keepers.")
        sub.add_parser("rekey", help="Re-seal readings under the current data key.")
        followups = sub.add_parser(
            "followups", help="File the day's 异常待随访 list and send due recheck reminders."
        )
        followups.add_argument("--date", type=dt.date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "check-devices":
            now = timezone.now()
            changed = services.mark_offline_devices(now=now)
            pruned = services.prune_nonces(now=now)
            self.stdout.write(f"{len(changed)} device(s) went offline; {pruned} nonce(s) pruned.")
        elif action == "followups":
            day = options["date"] or timezone.localdate()
            created = followup.build_daily_list(day=day)
            reminded = followup.send_recheck_reminders(today=timezone.localdate())
            self.stdout.write(
                f"{created} new follow-up(s) for {day}; {reminded} recheck reminder(s) sent."
            )
        elif action == "rekey":
            count = services.rekey_readings()
            self.stdout.write(f"{count} reading(s) re-sealed.")
