"""What planning does when other apps announce a change (connected from ``PlanningConfig.ready``).

Stations changed (``linli.places.signals.stations_changed``): a district whose latest analysis is
finished gets a fresh one queued, so the planning pages catch up with the directory without anyone
remembering to press "run". Nothing is queued for a district never analysed (its administrators
have not asked for planning yet), nor while an analysis is queued or running: the burst of signals
an Excel import sends after its one commit queues a single run, which reads the stations as they
are when it starts.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from linli.areas.models import District
from linli.core import audit
from linli.core.models import AuditEntry
from linli.places.signals import stations_changed
from linli.planning import services
from linli.planning.models import AnalysisRun, RunStatus


def reanalyse_district(sender: Any, *, district_id: int | None, **kwargs: Any) -> None:
    """Queue a fresh analysis of a district whose stations changed after its last one."""
    if district_id is None:
        return
    latest = AnalysisRun.objects.filter(district_id=district_id).order_by("-created_at").first()
    if latest is None or latest.status != RunStatus.DONE:
        return
    with transaction.atomic():
        district = District.objects.select_for_update().filter(pk=district_id).first()
        if district is None or services.network_path(district) is None:
            return
        if services._active_run(district) is not None:
            return
        run = AnalysisRun.objects.create(
            district=district,
            speed_m_s=latest.speed_m_s,
            rules_file=str(services.rules_path()),
            params={**latest.params, "origin": "stations_changed"},
        )
        audit.record(
            actor=None,
            action=AuditEntry.Action.CREATE,
            obj=run,
        )
        from linli.planning.tasks import analyse_district

        analyse_district.enqueue(run.pk)


def connect() -> None:
    """Connect planning's receivers (idempotent: the dispatch uid guards a second call)."""
    stations_changed.connect(
        reanalyse_district, dispatch_uid="linli.planning.receivers.reanalyse_district"
    )
