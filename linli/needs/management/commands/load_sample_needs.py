"""``linli load_sample_needs`` — a year of sample needs in the sample district.

Run it after ``linli load_sample``.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from linli.places.models import District


class Command(BaseCommand):
    help = "Load a year of sample needs into the sample district (replaces its needs)."

    def handle(self, *args: Any, **options: Any) -> None:
        from linli.needs.sample import load_sample_needs

        district = District.objects.filter(is_sample=True).order_by("pk").first()
        if district is None:
            raise CommandError("Load the sample district first: linli load_sample")
        started = time.perf_counter()
        result = load_sample_needs(district)
        self.stdout.write(
            f"Loaded {result.needs} sample needs from {result.residents} residents "
            f"in {time.perf_counter() - started:.1f} s"
        )
