"""Background tasks of the co-construction day (Django's tasks framework; the database backend
in production, run by ``linli db_worker``).

``send_day_reminders`` is enqueued once a day by ``linli cobuild_remind`` (cron or a systemd
timer, docs/cobuild.md); running it twice sends nothing twice.
"""

from __future__ import annotations

from django.tasks import task


@task()
def send_day_reminders() -> int:
    """Text the units on duty and the reported party members of the days ahead; returns how
    many reminders were recorded."""
    from linli.cobuild.services.reminders import send_day_reminders as send

    return len(send())
