"""``linli load_sample_activities`` — a year of activity in the sample district (after
``linli load_sample``; the Makefile's ``sample`` target runs both)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from linli.accounts.models import Role, User
from linli.activities import sample
from linli.activities.models import Activity
from linli.places.models import District
from linli.places.sample import sample_district_code


class Command(BaseCommand):
    help = "Load a year of sample activities, sign-ups and check-ins. Safe to run again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete and recreate them.")

    def handle(self, *args: Any, reset: bool, **options: Any) -> None:
        district = District.objects.filter(code=sample_district_code()).first()
        if district is None:
            raise CommandError("Load the sample district first: linli load_sample")
        if Activity.objects.filter(district=district).exists() and not reset:
            self.stdout.write("Kept the existing sample activities.")
            return
        actor = User.objects.filter(district=district, role=Role.DISTRICT_ADMIN).first()
        if actor is None:
            raise CommandError("The sample district has no district administrator.")
        started = time.perf_counter()
        result = sample.load(district, actor=actor)
        self.stdout.write(
            f"Loaded {result.activities} sample activities, {result.signups} sign-ups and "
            f"{result.checkins} check-ins in {time.perf_counter() - started:.1f} s"
        )
