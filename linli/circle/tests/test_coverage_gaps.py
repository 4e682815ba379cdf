"""Coverage by threshold and area, and gaps against the standards' rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.circle.access import AccessResult
from linli.circle.coverage import coverage_table
from linli.circle.gaps import Rule, find_gaps, load_rules, summarise_gaps, write_rules
from linli.circle.io import CircleInputError, Compounds, load_categories


def compounds(pop: list[float], community: list[str] | None = None) -> Compounds:
    n = len(pop)
    return Compounds(
        ids=[f"C{i}" for i in range(n)],
        names=[f"小区{i}" for i in range(n)],
        population=np.asarray(pop, dtype=float),
        households=np.asarray(pop) / 2.5,
        community=community or [""] * n,
        subdistrict=[""] * n,
        gate_lon=np.zeros(n),
        gate_lat=np.zeros(n),
        gate_compound=np.arange(n),
        gate_row=np.arange(n) + 2,
    )


def test_coverage_counts_people_within_each_threshold_by_community() -> None:
    c = compounds([100, 200, 300, 400], ["东", "东", "西", "西"])
    meters = np.array([[250.0], [450.0], [950.0], [np.inf]])
    acc = AccessResult(["kindergarten"], meters, np.zeros((4, 1), dtype=np.int64), 1.0)
    rows = coverage_table(acc, c, minutes=[5, 10], distances_m=[300, 1000])
    got = {(r.scope, r.area, r.threshold): r.population for r in rows}
    assert got[("whole", "all", "5min")] == 100
    assert got[("whole", "all", "10min")] == 300
    assert got[("whole", "all", "1000m")] == 600
    assert got[("community", "东", "10min")] == 300
    assert got[("community", "西", "1000m")] == 300
    west = next(r for r in rows if r.area == "西" and r.threshold == "1000m")
    assert west.population_share == pytest.approx(300 / 700)


@settings(max_examples=50, deadline=None)
@given(
    meters=st.lists(st.one_of(st.floats(0, 3000), st.just(np.inf)), min_size=1, max_size=20),
    limits=st.lists(st.floats(1, 2000), min_size=2, max_size=5, unique=True),
)
def test_coverage_grows_with_the_threshold(meters: list[float], limits: list[float]) -> None:
    n = len(meters)
    c = compounds(list(np.arange(1, n + 1, dtype=float)))
    acc = AccessResult(["x"], np.asarray(meters)[:, None], np.zeros((n, 1), dtype=np.int64))
    rows = coverage_table(acc, c, minutes=[], distances_m=sorted(limits))
    pops = [r.population for r in rows]
    assert pops == sorted(pops)


def test_gaps_list_shortfall_and_unreachable_with_people_affected() -> None:
    c = compounds([100, 200, 300])
    meters = np.array([[250.0], [420.0], [np.inf]])
    acc = AccessResult(["kindergarten"], meters, np.array([[0], [1], [-1]]))
    rules = [
        Rule("GB50180-2018", "5min", "kindergarten", 300, "表B.0.3"),
        Rule("GB50180-2018", "5min", "nursery", 300, "表B.0.3"),
    ]
    gaps = find_gaps(acc, c, rules, facility_ids=["F0", "F1"])
    kg = [g for g in gaps if g.category == "kindergarten"]
    assert [g.compound_id for g in kg] == ["C2", "C1"]  # unreachable first, then by shortfall
    assert not kg[0].reachable
    assert kg[1].shortfall_m == pytest.approx(120)
    assert kg[1].facility_id == "F1"
    # No nursery exists at all: every compound lacks one.
    assert len([g for g in gaps if g.category == "nursery"]) == 3
    summary = {s.category: s for s in summarise_gaps(gaps)}
    assert summary["kindergarten"].population == 500
    assert summary["nursery"].compounds == 3


def test_the_packaged_rules_use_canonical_categories_and_cite_sources() -> None:
    rules = load_rules()
    codes = set(load_categories())
    assert {r.standard for r in rules} == {"GB50180-2018", "完整社区2020"}
    assert {r.level for r in rules if r.standard == "GB50180-2018"} == {
        "15min",
        "10min",
        "5min",
        "block",
    }
    for r in rules:
        assert r.category in codes
        assert r.source
        assert r.basis in {"stated", "level"}
        assert 0 < r.max_distance_m <= 1000


def test_a_rules_file_with_a_bad_distance_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "rules.csv"
    p.write_text(
        "standard,level,category,max_distance_m,source\nX,5min,kindergarten,三百米,x\n",
        encoding="utf-8",
    )
    with pytest.raises(CircleInputError, match="row 2, column 'max_distance_m'"):
        load_rules(p)


def test_a_rules_file_with_an_unknown_category_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "rules.csv"
    p.write_text(
        "standard,level,category,max_distance_m,source\nX,5min,school,300,x\n", encoding="utf-8"
    )
    with pytest.raises(CircleInputError, match="column 'category', value 'school'"):
        load_rules(p)


def test_a_rule_with_a_minimum_population_exempts_smaller_compounds() -> None:
    c = compounds([100, 600, 2000])
    meters = np.array([[np.inf], [900.0], [700.0]])
    acc = AccessResult(["happiness_station"], meters, np.array([[-1], [0], [0]]))
    everyone = Rule("district", "10min", "happiness_station", 600, "区级标准")
    larger = Rule("district", "10min", "happiness_station", 600, "区级标准", min_population=500)
    assert [g.compound_id for g in find_gaps(acc, c, [everyone])] == ["C0", "C1", "C2"]
    assert [g.compound_id for g in find_gaps(acc, c, [larger])] == ["C1", "C2"]


def test_written_rules_read_back_unchanged(tmp_path: Path) -> None:
    rules = [
        *load_rules()[:2],
        Rule("district", "10min", "happiness_station", 600, "区级标准，每个小区", "level", 0),
        Rule("district", "15min", "smart_hut", 900, "区级标准", "stated", 1000),
    ]
    assert load_rules(write_rules(rules, tmp_path / "rules.csv")) == rules


def test_a_rules_file_with_a_bad_minimum_population_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "rules.csv"
    p.write_text(
        "standard,level,category,max_distance_m,source,min_population\n"
        "X,10min,smart_hut,600,x,-5\n",
        encoding="utf-8",
    )
    with pytest.raises(CircleInputError, match="column 'min_population', value '-5'"):
        load_rules(p)
