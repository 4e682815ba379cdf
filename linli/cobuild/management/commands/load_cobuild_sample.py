"""``linli load_cobuild_sample`` — co-construction days, rosters and resources for the sample."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from linli.cobuild.sample import load_cobuild_sample
from linli.places.models import District


class Command(BaseCommand):
    help = "Add two years of co-construction days, rosters and resources to the sample district."

    def handle(self, *args: Any, **options: Any) -> None:
        district = District.objects.filter(is_sample=True).order_by("pk").first()
        if district is None:
            raise CommandError("Load the sample district first: linli load_sample")
        duties = load_cobuild_sample(district)
        self.stdout.write(f"Co-construction sample of {district.name}: {duties} duties written.")
