"""Running analyses and sitings through the engine, and what lands in the database."""

from __future__ import annotations

from typing import Any

import pytest

from linli.accounts.models import User
from linli.core.exceptions import Conflict, Forbidden
from linli.core.models import AuditEntry
from linli.planning import services
from linli.planning.models import (
    AnalysisRun,
    CompoundAccess,
    CoverageRow,
    Gap,
    RunStatus,
    SitingRun,
)
from tests.personas import Hierarchy


def test_it_runs_an_analysis_end_to_end(planned: Hierarchy, district_admin: User) -> None:
    run = services.start_analysis(actor=district_admin, district=planned.district)

    assert run.status == RunStatus.DONE, run.error
    assert run.summary["compounds"] == 3
    assert run.summary["population"] == 1150 + 800 + 1400
    assert "happiness_station" in run.summary["categories"]
    assert run.summary["network"]["nodes"] > 100
    assert {"access.csv", "gaps.csv", "map.html", "isochrones.geojson"} <= set(run.summary["files"])
    near = CompoundAccess.objects.get(
        run=run, compound=planned.compound_xingfu, category="happiness_station"
    )
    assert near.station == planned.station_xingfu
    assert near.meters is not None
    assert near.meters < 1500
    assert near.minutes == pytest.approx(near.meters / 60, abs=0.01)
    assert Gap.objects.filter(run=run).exists()
    whole = CoverageRow.objects.get(
        run=run, area="district", category="happiness_station", threshold="15min"
    )
    assert whole.total_population == 3350
    assert CoverageRow.objects.filter(run=run, area="community", community=planned.xiyuan).exists()
    assert AuditEntry.objects.filter(
        object_type="planning.analysisrun", actor=district_admin
    ).exists()
    assert "3 compounds" in run.summary_line


def test_unreachable_categories_have_empty_distances(
    planned: Hierarchy, district_admin: User
) -> None:
    run = services.start_analysis(actor=district_admin, district=planned.district)

    row = CompoundAccess.objects.get(
        run=run, compound=planned.compound_xingfu, category="middle_school"
    )
    assert row.meters is None
    assert row.minutes is None
    assert row.station is None
    gap = Gap.objects.get(run=run, compound=planned.compound_xingfu, category="middle_school")
    assert gap.meters is None
    assert gap.shortfall_m is None
    assert not gap.reachable
    assert gap.population == 1150


def test_a_missing_network_fails_with_a_clear_message(
    planned: Hierarchy, district_admin: User
) -> None:
    planned.district.network_file = "missing.osm.pbf"
    planned.district.save()

    run = services.start_analysis(actor=district_admin, district=planned.district)

    assert run.status == RunStatus.FAILED
    assert "missing.osm.pbf" in run.error
    assert not CompoundAccess.objects.filter(run=run).exists()


def test_a_station_outside_the_network_is_named_in_the_error(
    planned: Hierarchy, district_admin: User
) -> None:
    planned.station_xiyuan.lon = 114.5
    planned.station_xiyuan.save()

    run = services.start_analysis(actor=district_admin, district=planned.district)

    assert run.status == RunStatus.FAILED
    assert "S003" in run.error
    assert "西园幸福驿站" in run.error


def test_it_refuses_a_second_run_while_one_is_queued(
    planned: Hierarchy, district_admin: User
) -> None:
    AnalysisRun.objects.create(district=planned.district, status=RunStatus.RUNNING)

    with pytest.raises(Conflict):
        services.start_analysis(actor=district_admin, district=planned.district)


@pytest.mark.parametrize(
    "persona", ["subdistrict_staff", "community_staff", "other_district_admin"]
)
def test_only_the_districts_admins_start_analyses(
    planned: Hierarchy, persona: str, request: Any
) -> None:
    user = request.getfixturevalue(persona)

    with pytest.raises(Forbidden):
        services.start_analysis(actor=user, district=planned.district)

    assert not AnalysisRun.objects.exists()


def test_ensure_analysis_runs_once(planned: Hierarchy) -> None:
    first = services.ensure_analysis(district=planned.district)
    again = services.ensure_analysis(district=planned.district)

    assert first.status == RunStatus.DONE
    assert again.pk == first.pk
    assert AnalysisRun.objects.count() == 1


def test_gap_status_carries_over_to_the_next_run(
    planned: Hierarchy, district_admin: User, community_staff: User
) -> None:
    run = services.start_analysis(actor=district_admin, district=planned.district)
    gap = Gap.objects.filter(run=run, compound=planned.compound_xingfu).first()
    assert gap is not None

    services.set_gap_status(actor=community_staff, gap=gap, status="dismissed", note="规划已有")
    second = services.start_analysis(actor=district_admin, district=planned.district)

    again = Gap.objects.get(run=second, key=gap.key)
    assert again.status == "dismissed"
    assert again.status_note == "规划已有"
    assert AuditEntry.objects.filter(object_type="planning.gap", actor=community_staff).exists()


def test_other_communitys_staff_may_not_change_a_gap(
    planned: Hierarchy, district_admin: User, other_community_staff: User
) -> None:
    run = services.start_analysis(actor=district_admin, district=planned.district)
    gap = Gap.objects.filter(run=run, compound=planned.compound_xingfu).first()
    assert gap is not None

    with pytest.raises(Forbidden):
        services.set_gap_status(actor=other_community_staff, gap=gap, status="accepted")

    gap.refresh_from_db()
    assert gap.status == "open"


def test_siting_proposes_sites_and_names_whom_they_cover(
    planned: Hierarchy, district_admin: User
) -> None:
    run = services.start_analysis(actor=district_admin, district=planned.district)

    siting = services.start_siting(
        actor=district_admin, run=run, category="kindergarten", k=2, radius=300
    )

    assert siting.status == RunStatus.DONE, siting.error
    sites = siting.result["sites"]
    assert 1 <= len(sites) <= 2
    assert siting.result["optimal"] is True
    named = [c["code"] for s in sites for c in s["compounds"]]
    assert named
    assert "C002" not in named
    assert sum(s["population"] for s in sites) == pytest.approx(siting.result["newly_covered"])
    # Each site is named by the street it stands on and the compound it is nearest to.
    streets = {street for s in sites for street in s["streets"]}
    assert streets
    assert all(street.endswith(("路", "街", "道")) for street in streets), streets
    assert {s["nearest"]["code"] for s in sites} <= {"C001", "C002", "C003"}
    assert all(0 <= s["nearest"]["meters"] < 2000 for s in sites)


def test_a_site_names_its_nearest_compound_only_inside_the_viewers_area(
    planned: Hierarchy, district_admin: User, community_staff: User
) -> None:
    from linli.planning import queries

    run = services.start_analysis(actor=district_admin, district=planned.district)
    siting = services.start_siting(
        actor=district_admin, run=run, category="kindergarten", k=2, radius=300
    )
    siting.result["sites"][0]["nearest"] = {"code": "C003", "name": "西园小区", "meters": 80}
    siting.result["sites"][-1]["nearest"] = {"code": "C001", "name": "幸福苑", "meters": 40}

    seen = queries.siting_explanation(community_staff, siting)

    assert seen[0]["nearest"] is None  # 西园小区 is another subdistrict's
    assert seen[-1]["nearest"]["name"] == "幸福苑"


def test_siting_refuses_bad_parameters(planned: Hierarchy, district_admin: User) -> None:
    run = services.start_analysis(actor=district_admin, district=planned.district)

    with pytest.raises(services.PlanningError):
        services.start_siting(actor=district_admin, run=run, category="nope", k=2, radius=300)
    with pytest.raises(services.PlanningError):
        services.start_siting(
            actor=district_admin, run=run, category="kindergarten", k=0, radius=300
        )
    with pytest.raises(services.PlanningError):
        services.start_siting(actor=district_admin, run=run, category="kindergarten", k=2, radius=5)
    assert not SitingRun.objects.exists()


def _stored(run: AnalysisRun, siting: SitingRun) -> dict[str, Any]:
    """What planning stored of an analysis and a siting, without ids and timings."""
    summary = {k: v for k, v in run.summary.items() if k != "timings"}
    result = {k: v for k, v in siting.result.items() if k != "seconds"}
    return {
        "summary": summary,
        "access": list(
            CompoundAccess.objects.filter(run=run)
            .order_by("pk")
            .values_list("compound__code", "category", "meters", "minutes", "station__code")
        ),
        "gaps": list(
            Gap.objects.filter(run=run)
            .order_by("pk")
            .values_list(
                "compound__code", "key", "threshold_m", "meters", "shortfall_m", "population"
            )
        ),
        "coverage": list(
            CoverageRow.objects.filter(run=run)
            .order_by("pk")
            .values_list("area", "community__code", "category", "threshold", "population")
        ),
        "siting": result,
    }


def test_what_planning_stores_does_not_depend_on_the_engines_messages(
    planned: Hierarchy, district_admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging
    import sys

    from linli.circle import cli

    def analyse_and_site() -> dict[str, Any]:
        run = services.start_analysis(actor=district_admin, district=planned.district)
        siting = services.start_siting(
            actor=district_admin, run=run, category="kindergarten", k=2, radius=300
        )
        assert run.status == RunStatus.DONE, run.error
        assert siting.status == RunStatus.DONE, siting.error
        return _stored(run, siting)

    before = analyse_and_site()
    # Every message of the engine's command line reworded, and anything the engine logs.
    monkeypatch.setattr(cli, "_log", lambda msg: print(f"（改写）{msg[::-1]}", file=sys.stderr))
    monkeypatch.setattr(cli, "_say", lambda msg: print(f"（改写）{msg[::-1]}"))
    monkeypatch.setattr(cli, "_WHAT", dict.fromkeys(cli._WHAT, "点"))
    message = logging.LogRecord.getMessage
    monkeypatch.setattr(logging.LogRecord, "getMessage", lambda r: f"（改写）{message(r)}")
    after = analyse_and_site()

    assert after == before
    assert before["access"]
    assert before["gaps"]
    assert before["siting"]["sites"]
    assert before["summary"]["network"]["nodes"] > 100


def test_planning_drives_the_engine_through_its_library() -> None:
    """No command line, no redirected streams, no log lines parsed (issue #10)."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(services))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert "linli.circle.cli" not in imported
    assert not {"contextlib", "io", "re"} & imported
    assert "redirect_std" not in inspect.getsource(services)
