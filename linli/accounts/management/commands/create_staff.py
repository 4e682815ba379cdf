"""``linli create_staff``: create a staff account placed in the hierarchy (used by the docs and
the demo). The password comes from --password, the LINLI_STAFF_PASSWORD variable, or a prompt."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.accounts.models import Role
from linli.accounts.services import StaffScopeError, create_staff_user
from linli.core.exceptions import LinliError


class Command(BaseCommand):
    help = (
        "Create a staff account with a role and a place "
        "(district, subdistrict, community, station)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--role",
            required=True,
            choices=[r.value for r in Role if r != Role.RESIDENT],
        )
        parser.add_argument("--district", required=True, metavar="CODE")
        parser.add_argument("--subdistrict", metavar="CODE")
        parser.add_argument("--community", metavar="CODE")
        parser.add_argument("--station", metavar="CODE")
        parser.add_argument("--name", default="", help="The person's real name.")
        parser.add_argument("--phone", default="", help="The person's mobile number.")
        parser.add_argument(
            "--password",
            help=(
                "The password (visible in the shell history; "
                "prefer LINLI_STAFF_PASSWORD or the prompt)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or os.environ.get("LINLI_STAFF_PASSWORD") or self._prompt()
        try:
            user = create_staff_user(
                username=options["username"],
                password=password,
                role=Role(options["role"]),
                district_code=options["district"],
                subdistrict_code=options["subdistrict"],
                community_code=options["community"],
                station_code=options["station"],
                real_name=options["name"],
                phone=options["phone"],
            )
        except (StaffScopeError, LinliError) as error:
            raise CommandError(str(error.message)) from None
        except ValidationError as error:
            raise CommandError(" ".join(str(m) for m in error.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {user.username} ({user.get_role_display()}) in {user.district}."
            )
        )

    def _prompt(self) -> str:
        if not os.isatty(0):
            raise CommandError(
                "No password given: use --password, LINLI_STAFF_PASSWORD or a terminal."
            )
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return first
