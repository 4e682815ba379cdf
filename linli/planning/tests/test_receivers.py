"""Planning catches up when places announces that stations changed (places.signals)."""

from __future__ import annotations

from typing import Any

from linli.accounts.models import User
from linli.places import services as places
from linli.planning import services
from linli.planning.models import AnalysisRun, RunStatus
from tests.personas import Hierarchy


def test_a_station_taken_out_of_service_queues_a_fresh_analysis(
    planned: Hierarchy, district_admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    first = services.start_analysis(actor=district_admin, district=planned.district)
    assert first.status == RunStatus.DONE, first.error

    with django_capture_on_commit_callbacks(execute=True):
        places.delete_station(actor=district_admin, station=planned.station_xingfu)

    runs = list(AnalysisRun.objects.filter(district=planned.district).order_by("created_at"))
    assert len(runs) == 2
    again = runs[1]
    assert again.params["origin"] == "stations_changed"
    assert again.status == RunStatus.DONE, again.error  # the tests' tasks run at once
    assert again.summary["stations"] == first.summary["stations"] - 1


def test_a_district_never_analysed_is_left_alone(
    planned: Hierarchy, district_admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        places.delete_station(actor=district_admin, station=planned.station_xingfu)

    assert not AnalysisRun.objects.filter(district=planned.district).exists()


def test_nothing_is_announced_before_the_write_commits(
    planned: Hierarchy, district_admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    services.start_analysis(actor=district_admin, district=planned.district)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        places.delete_station(actor=district_admin, station=planned.station_xingfu)
        assert AnalysisRun.objects.filter(district=planned.district).count() == 1
    assert len(pending) == 1
