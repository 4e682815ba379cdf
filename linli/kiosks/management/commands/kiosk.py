"""``linli kiosk …``: the smart huts' commands.

    linli kiosk check-devices   mark silent devices offline, text their keepers, prune nonces
    linli kiosk rekey           re-seal readings under the current data key (after rotation)
    linli kiosk followups [--date D]  file the day's 异常待随访 list, send due recheck reminders
    linli kiosk export-fhir --out DIR | --url URL [--since D]  FHIR R4 Bundles per resident
    linli kiosk simulate --huts N --minutes M [--url URL]  device traffic for the demo and bench

Run ``check-devices`` every minute or two (cron or a systemd timer, docs/kiosks.md).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from linli.kiosks import fhir, followup, services


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
        export = sub.add_parser(
            "export-fhir", help="Write (or POST) one FHIR R4 Bundle per consenting resident."
        )
        export.add_argument("--out", type=Path, default=None, help="Folder for the Bundles.")
        export.add_argument("--url", default="", help="POST the Bundles to this URL instead.")
        export.add_argument("--since", type=dt.date.fromisoformat, default=None)
        simulate = sub.add_parser("simulate", help="Realistic device traffic from N smart huts.")
        simulate.add_argument("--huts", type=int, default=2)
        simulate.add_argument("--minutes", type=int, default=60)
        simulate.add_argument("--url", default="", help="A running server (else in-process).")
        simulate.add_argument("--seed", type=int, default=1)

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
        elif action == "export-fhir":
            if bool(options["out"]) == bool(options["url"]):
                raise CommandError("Give either --out DIR or --url URL.")
            connector: fhir.Connector = (
                fhir.FileConnector(options["out"])
                if options["out"]
                else fhir.HttpConnector(
                    options["url"], token=os.environ.get("LINLI_FHIR_TOKEN", "")
                )
            )
            count = fhir.export_bundles(connector=connector, since=options["since"])
            self.stdout.write(f"{count} resident bundle(s) exported.")
        elif action == "simulate":
            from linli.kiosks.simulate import simulate as run_simulation

            stats = run_simulation(
                huts=options["huts"],
                minutes=options["minutes"],
                url=options["url"],
                seed=options["seed"],
            )
            self.stdout.write(
                f"{stats.requests} requests: {stats.heartbeats} heartbeats, "
                f"{stats.readings_sent} readings sent, {stats.accepted} stored, "
                f"{stats.duplicates} duplicates (from {stats.retries} retried batches), "
                f"{stats.refused} refused, {stats.faults} faults reported, "
                f"{stats.stock_events} stock events ({stats.low_stock} items ran low), "
                f"{len(stats.errors)} errors."
            )
            for error in stats.errors[:10]:
                self.stderr.write(error)
        elif action == "rekey":
            count = services.rekey_readings()
            self.stdout.write(f"{count} reading(s) re-sealed.")
