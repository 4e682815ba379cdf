"""Background tasks of planning (Django's tasks framework; the database backend in production).

The tasks only carry ids: the run row holds everything else, and ``run_analysis`` /
``run_siting`` ignore a run that is no longer queued, so a retried task does no harm.
"""

from __future__ import annotations

from django.tasks import task


@task()
def analyse_district(run_id: int) -> str:
    """Run a queued living-circle analysis; returns its final status."""
    from linli.planning.services import run_analysis

    return str(run_analysis(run_id).status)


@task()
def site_new_facilities(siting_id: int) -> str:
    """Run a queued siting; returns its final status."""
    from linli.planning.services import run_siting

    return str(run_siting(siting_id).status)
