"""``linli load_sample`` — load the fictional sample district (and its living-circle analysis)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.sample.load import load_sample


class Command(BaseCommand):
    help = "Load the sample district 示例区 (fictional data for the demo). Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete and recreate it.")
        parser.add_argument(
            "--analyse",
            action="store_true",
            help="Also run the living-circle analysis so the planning pages have results.",
        )

    def handle(self, *args: Any, reset: bool, analyse: bool, **options: Any) -> None:
        started = time.perf_counter()
        result = load_sample(reset=reset)
        verb = "Loaded" if result.created else "Kept the existing"
        self.stdout.write(
            f"{verb} sample district {result.district.name} ({result.district.code}): "
            f"{result.stations} places, {result.compounds} compounds "
            f"in {time.perf_counter() - started:.1f} s"
        )
        if analyse:
            from linli.sample.planning import analyse as analyse_district

            run = analyse_district(result.district)
            self.stdout.write(
                f"Living-circle analysis: {run.get_status_display()} ({run.summary_line})"
            )
