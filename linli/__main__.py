"""The ``linli`` console command: Django's ``manage.py`` plus the project's own sub-commands.

``linli circle …`` goes straight to the living-circle engine's CLI (no Django set-up, so planners
can run it on a laptop without a database); ``linli cobuild days …`` prints co-construction days
(``linli.cobuild.cli``); everything else is a Django management command
(``linli migrate``, ``linli runserver``, ``linli load_sample``, ``linli db_worker`` …).
"""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv if argv is None else ["linli", *argv])
    if len(args) > 1 and args[1] == "circle":
        from linli.circle.cli import main as circle_main

        return circle_main(args[2:])
    if len(args) > 1 and args[1] == "cobuild":
        from linli.cobuild.cli import run as run_cobuild

        return run_cobuild(args[2:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
