"""需求清单 from planning: a living-circle gap planners accept becomes one need on the needs list.

Planning sends ``gap_accepted`` (linli.planning.signals); linli.needs.receivers puts the gap on the
needs list of the compound's community, once per gap, within the planner's scope.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from linli.core.exceptions import Forbidden, LinliError
from linli.needs import queries, receivers
from linli.needs.models import Category, Channel, Need, NeedStep, RoutingRule, Status
from linli.places.models import Organisation
from linli.planning import services as planning
from linli.planning.models import AnalysisRun, Gap, RunStatus
from linli.planning.signals import gap_accepted
from tests.personas import Hierarchy, login

pytestmark = pytest.mark.django_db


def _gap(hierarchy: Hierarchy, *, category: str = "elderly_day_care", **kw: Any) -> Gap:
    run = AnalysisRun.objects.create(district=hierarchy.district, status=RunStatus.DONE)
    compound = kw.pop("compound", hierarchy.compound_xingfu)
    fields: dict[str, Any] = {
        "threshold_m": 300.0,
        "meters": 820.0,
        "shortfall_m": 520.0,
        "population": 1150,
        "households": 420,
        **kw,
    }
    return Gap.objects.create(
        run=run,
        district=hierarchy.district,
        compound=compound,
        key=Gap.make_key(
            compound_code=compound.code, standard="GB50180-2018", level="5min", category=category
        ),
        category=category,
        standard="GB50180-2018",
        level="5min",
        **fields,
    )


def _accept(actor: Any, gap: Gap) -> Gap:
    return planning.set_gap_status(actor=actor, gap=gap, status=Gap.Status.ACCEPTED)


def test_an_accepted_gap_becomes_an_accepted_need_on_the_needs_list(
    hierarchy: Hierarchy, community_staff: Any
) -> None:
    gap = _accept(community_staff, _gap(hierarchy))

    need = Need.objects.get(gap_key=gap.key)
    assert need.community == hierarchy.xingfu
    assert need.compound == hierarchy.compound_xingfu
    assert need.status == Status.ACCEPTED
    assert need.on_needs_list
    assert need.channel == Channel.PLANNING
    assert need.category == Category.ELDERLY_CARE
    assert need.raised_by == community_staff
    assert need.resident is None
    assert need.gap_ref == gap.pk
    assert need.gap_url.startswith(reverse("planning:run", args=[gap.run_id]))
    assert need.gap_url.endswith(f"#gap-{gap.pk}")
    # Its compound, category and shortfall are in its words, the public summary included.
    assert "幸福苑" in need.public_summary
    assert "老年人日间照料中心" in need.public_summary
    assert "520" in need.description
    assert "1,150" in need.description
    # The standard as planners read it, not its code ("GB50180-2018, 5min").
    assert "5分钟生活圈" in need.description
    assert "5min" not in need.description
    assert list(need.steps.values_list("action", flat=True)) == ["submit", "accept", "needs_list"]
    # The co-construction day sees it on the district's needs list.
    assert list(queries.open_needs_for_cobuild(hierarchy.district.pk)) == [need]


def test_accepting_the_gap_again_does_not_list_it_twice(
    hierarchy: Hierarchy, community_staff: Any
) -> None:
    gap = _accept(community_staff, _gap(hierarchy))
    planning.set_gap_status(actor=community_staff, gap=gap, status=Gap.Status.OPEN)
    _accept(community_staff, gap)
    _accept(community_staff, gap)

    need = Need.objects.get()
    assert need.steps.count() == 3


def test_the_same_gap_of_a_later_analysis_updates_the_need(
    hierarchy: Hierarchy, community_staff: Any
) -> None:
    first = _accept(community_staff, _gap(hierarchy))
    later = _accept(community_staff, _gap(hierarchy, meters=900.0, shortfall_m=600.0))
    assert later.key == first.key

    need = Need.objects.get()
    assert need.gap_ref == later.pk
    assert need.gap_url.endswith(f"#gap-{later.pk}")
    assert "600" in need.description
    assert list(need.steps.values_list("action", flat=True))[-1] == NeedStep.Action.NOTE


def test_gaps_of_other_compounds_and_categories_are_needs_of_their_own(
    hierarchy: Hierarchy, district_admin: Any
) -> None:
    _accept(district_admin, _gap(hierarchy))
    _accept(district_admin, _gap(hierarchy, category="bus_stop", meters=None, shortfall_m=None))

    assert Need.objects.count() == 2
    bus = Need.objects.get(gap_key__endswith="bus_stop")
    assert bus.category == Category.FACILITIES
    assert "步行无法到达" in bus.description or "none of them" in bus.description


def test_staff_of_another_community_can_list_neither_through_planning_nor_directly(
    hierarchy: Hierarchy, other_community_staff: Any
) -> None:
    gap = _gap(hierarchy)
    with pytest.raises(Forbidden):
        _accept(other_community_staff, gap)
    # The signal sent by hand with that planner as actor: the needs app checks its own scope.
    with pytest.raises(PermissionDenied):
        gap_accepted.send(
            sender=Gap,
            actor=other_community_staff,
            gap_id=gap.pk,
            run_id=gap.run_id,
            key=gap.key,
            district_id=gap.district_id,
            compound_id=gap.compound_id,
            category=gap.category,
            standard=gap.standard,
            level=gap.level,
            threshold_m=gap.threshold_m,
            meters=gap.meters,
            shortfall_m=gap.shortfall_m,
            population=gap.population,
            households=gap.households,
            note="",
            url="",
        )
    assert not Need.objects.exists()
    gap.refresh_from_db()
    assert gap.status == Gap.Status.OPEN


def test_a_gap_listed_by_a_district_admin_is_not_listed_again_by_a_narrower_planner(
    hierarchy: Hierarchy, district_admin: Any, community_staff: Any
) -> None:
    gap = _accept(district_admin, _gap(hierarchy))
    _accept(community_staff, gap)
    assert Need.objects.count() == 1
    need = Need.objects.get()
    # Community staff see it among their needs, with the link back to the gap.
    page = login(Client(), community_staff).get(reverse("needs:console_detail", args=[need.pk]))
    assert page.status_code == 200
    assert escape(need.gap_url) in page.content.decode()


def test_when_the_needs_app_refuses_the_gap_is_not_accepted(
    hierarchy: Hierarchy, community_staff: Any, monkeypatch: Any
) -> None:
    def refuse(**kwargs: Any) -> None:
        raise LinliError("refused", code="refused")

    monkeypatch.setattr("linli.needs.services.list_accepted_gap", refuse)
    gap = _gap(hierarchy)
    with pytest.raises(LinliError):
        _accept(community_staff, gap)
    gap.refresh_from_db()
    assert gap.status == Gap.Status.OPEN
    assert not Need.objects.exists()


def test_dismissing_a_gap_lists_nothing(hierarchy: Hierarchy, community_staff: Any) -> None:
    planning.set_gap_status(actor=community_staff, gap=_gap(hierarchy), status="dismissed")
    assert not Need.objects.exists()


def test_the_routing_rules_suggest_the_unit_when_the_need_is_dispatched(
    hierarchy: Hierarchy, community_staff: Any
) -> None:
    unit = Organisation.objects.create(
        district=hierarchy.district, name="康乐养老服务公司", kind=Organisation.Kind.UNIT
    )
    RoutingRule.objects.create(
        district=hierarchy.district,
        category=Category.ELDERLY_CARE,
        community=hierarchy.xingfu,
        organisation=unit,
    )
    _accept(community_staff, _gap(hierarchy))
    need = Need.objects.get()
    page = login(Client(), community_staff).get(reverse("needs:console_detail", args=[need.pk]))
    html = page.content.decode()
    assert f'<option value="{unit.pk}" selected>' in html


def test_the_receiver_is_connected_once(hierarchy: Hierarchy, community_staff: Any) -> None:
    receivers.connect()
    receivers.connect()
    _accept(community_staff, _gap(hierarchy))
    assert Need.objects.count() == 1


def test_the_public_timeline_shows_the_listed_gap(
    hierarchy: Hierarchy, community_staff: Any
) -> None:
    _accept(community_staff, _gap(hierarchy))
    assert queries.public_timeline(hierarchy.district.pk).count() == 1
