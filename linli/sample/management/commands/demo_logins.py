"""``linli demo_logins`` — print the sample district's staff logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from linli.sample.accounts import demo_logins


class Command(BaseCommand):
    help = "Print the demo staff logins of the sample district."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = demo_logins()
        if not rows:
            self.stdout.write("No sample district loaded (run: linli load_sample).")
            return
        self.stdout.write("Demo staff logins (sample data only):")
        for username, password, what in rows:
            self.stdout.write(f"  {username:<12} {password:<18} {what}")
