"""Background tasks of needs (Django's tasks framework; the database backend in production).

``sweep_deadlines`` is enqueued every few minutes by ``linli needs_sweep`` (cron or a systemd
timer, docs/deadlines.md); the worker (``linli db_worker``) runs it. Running it twice is harmless.
"""

from __future__ import annotations

from django.tasks import task


@task()
def sweep_deadlines() -> str:
    """Send deadline reminders and escalate overdue needs; returns "reminded/escalated"."""
    from linli.needs import services

    services.recompute_unknown_deadlines()
    reminded, escalated = services.sweep_deadlines()
    return f"{reminded}/{escalated}"
