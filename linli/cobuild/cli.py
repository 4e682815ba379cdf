"""``linli cobuild days --year YYYY [--subdistrict CODE] [--rule RULE]``: one ISO date a line.

Without ``--subdistrict`` the dates follow ``--rule`` (default: the first working Friday) and need
no database. With it, the subdistrict's stored days (staff moves included) are printed when the
year is planned, else its own rule's dates. A year whose official holidays chinesecalendar does
not know is said so on stderr with exit status 3, unless staff confirmed every stored day of it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from linli.cobuild.calendar import HolidayRule, YearUnknown, plan_year

EXIT_UNKNOWN_YEAR = 3
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linli cobuild", description="城市共建日 co-construction days"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    days = commands.add_parser(
        "days", help="print a year's co-construction days, one ISO date a line"
    )
    days.add_argument("--year", type=int, required=True)
    days.add_argument(
        "--subdistrict", metavar="CODE", help="a subdistrict's code (needs the database)"
    )
    days.add_argument(
        "--district",
        metavar="CODE",
        help="the district's code when several share a subdistrict code",
    )
    days.add_argument(
        "--rule",
        choices=[r.value for r in HolidayRule],
        help="holiday rule (overrides the subdistrict's)",
    )
    return parser


def _stored_or_planned(
    year: int, subdistrict: str, district: str | None, rule: str | None
) -> list[str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    import django

    django.setup()
    from linli.cobuild.models import CoBuildDay, CoBuildPolicy
    from linli.places.models import Subdistrict

    found = Subdistrict.objects.filter(code=subdistrict)
    if district:
        found = found.filter(district__code=district)
    matches = list(found[:2])
    if len(matches) != 1:
        what = "No subdistrict has" if not matches else "Several districts have a subdistrict with"
        raise LookupError(f"{what} the code {subdistrict!r}; name the district with --district.")
    sub = matches[0]
    stored = list(CoBuildDay.objects.filter(subdistrict=sub, year=year).order_by("date"))
    if stored and rule is None:
        if not all(d.confirmed for d in stored):
            raise YearUnknown(year)
        return [d.date.isoformat() for d in stored]
    if rule is None:
        policy = CoBuildPolicy.objects.filter(subdistrict=sub).first()
        rule = policy.holiday_rule if policy else HolidayRule.FIRST_WORKING_FRIDAY.value
    return [d.date.isoformat() for d in plan_year(year, HolidayRule(rule), strict=True)]


def run(argv: Sequence[str]) -> int:
    """Run the command; returns the exit status."""
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        if args.subdistrict:
            dates = _stored_or_planned(args.year, args.subdistrict, args.district, args.rule)
        else:
            rule = HolidayRule(args.rule or HolidayRule.FIRST_WORKING_FRIDAY)
            dates = [d.date.isoformat() for d in plan_year(args.year, rule, strict=True)]
    except YearUnknown:
        print(
            f"linli cobuild: the official holidays of {args.year} are not known to the calendar "
            "library (chinesecalendar) yet; its co-construction days cannot be placed. Update "
            "chinesecalendar, or let staff confirm the dates in the console.",
            file=sys.stderr,
        )
        return EXIT_UNKNOWN_YEAR
    except LookupError as exc:
        print(f"linli cobuild: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write("".join(f"{d}\n" for d in dates))
    return 0
