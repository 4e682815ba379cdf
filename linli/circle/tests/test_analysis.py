"""The engine's pipeline as a library: what planning and the command line are given."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from linli.circle.analysis import UnsnappedPoint, analyse, load_district, site
from linli.circle.cli import main
from linli.circle.errors import CircleInputError
from linli.circle.io import Points
from linli.circle.outputs import write_outputs, write_sites

from .test_cli import district


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_district_reports_its_network_and_the_points_left_out(tmp_path: Path) -> None:
    d = district(tmp_path)
    with d["compounds"].open("a", encoding="utf-8") as fh:
        fh.write("C5,远区,116.4070,39.9070,100,40,东社区,一街道\n")

    loaded = load_district(d["pbf"], d["compounds"], d["facilities"], max_snap_m=50)

    assert (loaded.report.nodes, loaded.report.edges) == (36, 60)
    assert loaded.report.components_dropped == 0
    far = {u.id: u for u in loaded.unsnapped if u.kind == "gate"}
    assert far["C5"] == UnsnappedPoint("gate", "C5", far["C5"].distance_m, 50)
    assert 50 < far["C5"].distance_m < 200
    assert all(u.distance_m > u.limit_m == 50 for u in loaded.unsnapped)
    assert [u.kind for u in loaded.unsnapped] == sorted(
        (u.kind for u in loaded.unsnapped), key=["gate", "facility"].index
    )


def test_access_coverage_and_gaps_are_what_the_command_line_writes(tmp_path: Path) -> None:
    d = district(tmp_path)
    analysis = analyse(load_district(d["pbf"], d["compounds"], d["facilities"]), speed_m_s=1.2)
    write_outputs(analysis, tmp_path / "lib", outputs=("access", "coverage", "gaps"))
    argv = ["analyze", "--network", str(d["pbf"]), "--compounds", str(d["compounds"])]
    argv += ["--facilities", str(d["facilities"]), "--speed", "1.2"]
    assert main([*argv, "--out", str(tmp_path / "cli"), "--outputs", "access,coverage,gaps"]) == 0

    for name in ("access.csv", "coverage.csv", "gaps.csv"):
        assert (tmp_path / "lib" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
    c1 = analysis.district.compounds.ids.index("C1")
    k = analysis.categories.index("kindergarten")
    assert analysis.district.facilities.ids[analysis.access.facility[c1, k]] == "F1"
    assert {g.category for g in analysis.gaps()} >= {"nursery"}
    assert len(analysis.gaps()) == len(read_csv(tmp_path / "cli" / "gaps.csv"))
    whole = next(r for r in analysis.coverage_rows() if r.scope == "whole")
    assert whole.total_population == 1200 + 800 + 500 + 300


def test_a_siting_gives_its_proven_bound_and_the_candidates_left_out(tmp_path: Path) -> None:
    d = district(tmp_path)
    loaded = load_district(d["pbf"], d["compounds"], d["facilities"], max_snap_m=50)
    candidates = Points(
        ["P1", "P2"],
        ["路口用房", "空地"],
        np.array([116.4040, 116.4010]),
        np.array([39.9040, 39.9010]),
    )

    proposal = site(loaded, category="nursery", radius_m=500, k=1, candidates=candidates)

    assert [u.id for u in proposal.unsnapped] == ["P2"]
    assert proposal.unsnapped[0].kind == "candidate"
    report = proposal.mclp
    assert report is not None
    assert proposal.lscp is None
    assert report.result.optimal
    assert report.result.upper_bound == pytest.approx(report.result.covered_weight)
    [only] = report.sites
    assert only.candidate_id == "P1"
    assert only.gain == sum(loaded.compounds.population[list(only.newly_covered)])
    # P1 stands at the corner of 纬2路 and an unnamed footway; its nearest gate is 东区's.
    assert only.streets == ("纬2路",)
    assert loaded.compounds.ids[only.nearest_compound] == "C1"
    assert 250 < only.nearest_compound_m < 350
    write_sites(tmp_path / "sites.csv", proposal)
    [row] = read_csv(tmp_path / "sites.csv")
    assert (row["candidate_id"], row["streets"], row["nearest_compound"]) == ("P1", "纬2路", "C1")


def test_a_bad_file_says_where(tmp_path: Path) -> None:
    d = district(tmp_path)
    d["facilities"].write_text(
        "id,name,category,lon,lat\nF1,x,kindergarten,116.401,abc\n", encoding="utf-8"
    )

    with pytest.raises(CircleInputError) as caught:
        load_district(d["pbf"], d["compounds"], d["facilities"])

    assert (Path(caught.value.path).name, caught.value.row, caught.value.column) == (
        "facilities.csv",
        2,
        "lat",
    )


def test_site_needs_a_question(tmp_path: Path) -> None:
    d = district(tmp_path)
    loaded = load_district(d["pbf"], d["compounds"], d["facilities"])
    with pytest.raises(ValueError, match="give k"):
        site(loaded, category="nursery")


def test_the_command_line_searches_as_far_as_the_library() -> None:
    from linli.circle import analysis, cli

    assert cli.DEFAULT_MAX_DISTANCE_M == analysis.DEFAULT_MAX_DISTANCE_M
