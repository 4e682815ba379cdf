"""What planning announces: ``gap_accepted`` when a planner accepts a gap, with plain values."""

from __future__ import annotations

from typing import Any

import pytest

from linli.core.exceptions import Forbidden
from linli.planning import services
from linli.planning.models import AnalysisRun, Gap, RunStatus
from linli.planning.signals import gap_accepted
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


@pytest.fixture
def gap(hierarchy: Hierarchy) -> Gap:
    run = AnalysisRun.objects.create(district=hierarchy.district, status=RunStatus.DONE)
    return Gap.objects.create(
        run=run,
        district=hierarchy.district,
        compound=hierarchy.compound_xingfu,
        key="C001|GB50180-2018|5min|nursery",
        category="nursery",
        standard="GB50180-2018",
        level="5min",
        threshold_m=300.0,
        meters=None,
        shortfall_m=None,
        population=1150,
        households=420,
    )


@pytest.fixture
def heard() -> Any:
    calls: list[dict[str, Any]] = []

    def listen(sender: Any, **kwargs: Any) -> None:
        calls.append(kwargs)

    gap_accepted.connect(listen, dispatch_uid="test_signals.listen")
    yield calls
    gap_accepted.disconnect(dispatch_uid="test_signals.listen")


def test_accepting_a_gap_announces_it(gap: Gap, community_staff: Any, heard: Any) -> None:
    services.set_gap_status(actor=community_staff, gap=gap, status="accepted", note="缺托育")

    assert len(heard) == 1
    sent = heard[0]
    assert sent["actor"] == community_staff
    assert sent["gap_id"] == gap.pk
    assert sent["key"] == gap.key
    assert sent["compound_id"] == gap.compound_id
    assert sent["category"] == "nursery"
    assert sent["meters"] is None
    assert sent["note"] == "缺托育"
    assert sent["url"].endswith(f"#gap-{gap.pk}")


def test_dismissing_or_reopening_a_gap_announces_nothing(
    gap: Gap, community_staff: Any, heard: Any
) -> None:
    services.set_gap_status(actor=community_staff, gap=gap, status="dismissed")
    services.set_gap_status(actor=community_staff, gap=gap, status="open")
    assert heard == []


def test_a_refused_acceptance_announces_nothing(
    gap: Gap, other_community_staff: Any, heard: Any
) -> None:
    with pytest.raises(Forbidden):
        services.set_gap_status(actor=other_community_staff, gap=gap, status="accepted")
    assert heard == []
