"""Behaviour of the sample district generator (示例区)."""

from __future__ import annotations

import collections
import csv
import itertools
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import numpy.typing as npt
import osmium
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon

from linli.circle.osmread import is_walkable
from linli.sample.district import (
    SyntheticDistrict,
    generate_district,
    load_category_codes,
)

M_PER_LON = 89_950.0  # metres per degree at 36.18° N, good to a few parts per thousand
M_PER_LAT = 110_960.0


@dataclass(frozen=True)
class Osm:
    nodes: dict[int, tuple[float, float, dict[str, str]]]
    ways: dict[int, tuple[dict[str, str], list[int]]]
    order: list[tuple[str, int]]


def read_osm(path: Path) -> Osm:
    nodes: dict[int, tuple[float, float, dict[str, str]]] = {}
    ways: dict[int, tuple[dict[str, str], list[int]]] = {}
    order: list[tuple[str, int]] = []
    for obj in osmium.FileProcessor(str(path)):
        if isinstance(obj, osmium.osm.Node):
            order.append(("n", obj.id))
            nodes[obj.id] = (obj.location.lon, obj.location.lat, dict(obj.tags))
        elif isinstance(obj, osmium.osm.Way):
            order.append(("w", obj.id))
            ways[obj.id] = (dict(obj.tags), [n.ref for n in obj.nodes])
        else:
            order.append(("other", obj.id))
    return Osm(nodes, ways, order)


def walk_graph(osm: Osm) -> nx.Graph:
    g = nx.Graph()
    for tags, refs in osm.ways.values():
        if is_walkable(tags):
            g.add_nodes_from(refs)
            g.add_edges_from(itertools.pairwise(refs))
    return g


def metres(lon: float, lat: float, origin: tuple[float, float]) -> tuple[float, float]:
    return ((lon - origin[0]) * M_PER_LON, (lat - origin[1]) * M_PER_LAT)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> SyntheticDistrict:
    return generate_district(tmp_path_factory.mktemp("sample"), seed=7)


@pytest.fixture(scope="module")
def osm(district: SyntheticDistrict) -> Osm:
    return read_osm(district.pbf_path)


# --- determinism ----------------------------------------------------------------------------


def test_the_same_seed_writes_identical_files(tmp_path: Path, district: SyntheticDistrict) -> None:
    again = generate_district(tmp_path / "again", seed=7)

    for name in ("compounds.csv", "facilities.csv", "district.json"):
        assert (tmp_path / "again" / name).read_bytes() == (
            district.json_path.parent / name
        ).read_bytes(), name
    assert read_osm(again.pbf_path) == read_osm(district.pbf_path)


def test_another_seed_draws_another_district(tmp_path: Path, district: SyntheticDistrict) -> None:
    other = generate_district(tmp_path, seed=8)

    assert other.compounds_csv.read_bytes() != district.compounds_csv.read_bytes()


def test_it_rewrites_an_existing_output_directory(tmp_path: Path) -> None:
    first = generate_district(tmp_path, seed=3)
    second = generate_district(tmp_path, seed=3)

    assert first == second


def test_it_refuses_an_unknown_size(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown size"):
        generate_district(tmp_path, size="huge")


def test_the_sample_is_generated_well_within_ten_seconds(tmp_path: Path) -> None:
    # CPU time, not wall time: a busy machine must not fail the test.
    start = time.process_time()
    generate_district(tmp_path, seed=11)
    assert time.process_time() - start < 10.0


# --- the hierarchy --------------------------------------------------------------------------


def test_it_is_labelled_as_sample_data(district: SyntheticDistrict) -> None:
    doc = json.loads(district.json_path.read_text(encoding="utf-8"))

    assert doc["sample"] is True
    assert "Fictional" in doc["note"]
    assert doc["code"] == "SAMPLE-140404"
    assert doc["name"] == "示例区"
    assert doc["seed"] == 7


def test_it_has_subdistricts_communities_and_grids(district: SyntheticDistrict) -> None:
    assert len(district.subdistricts) >= 3
    assert len(district.communities) >= 10
    assert all(s.name.endswith("街道") for s in district.subdistricts)
    assert all(c.name.endswith("社区") for c in district.communities)
    per_community = collections.Counter(g.community_code for g in district.grids)
    assert set(per_community) == {c.code for c in district.communities}
    assert all(2 <= n <= 4 for n in per_community.values())


def test_codes_nest_district_subdistrict_community_grid(district: SyntheticDistrict) -> None:
    sd_codes = {s.code for s in district.subdistricts}
    cm_codes = {c.code for c in district.communities}

    assert all(len(s.code) == len("SAMPLE-140404") + 2 for s in district.subdistricts)
    assert all(s.code.startswith("SAMPLE-140404") for s in district.subdistricts)
    for c in district.communities:
        assert c.subdistrict_code in sd_codes
        assert c.code.startswith(c.subdistrict_code)
        assert len(c.code) == len(c.subdistrict_code) + 3
    for g in district.grids:
        assert g.code.startswith(g.community_code)
        assert len(g.code) == len(g.community_code) + 2
    assert {c.community_code for c in district.compounds} <= cm_codes
    assert len({c.code for c in district.communities}) == len(district.communities)


def test_communities_tile_their_subdistricts(district: SyntheticDistrict) -> None:
    for sd in district.subdistricts:
        parts = [Polygon(c.polygon) for c in district.communities if c.subdistrict_code == sd.code]
        union = shapely.union_all(parts)
        assert union.symmetric_difference(Polygon(sd.polygon)).area < 1e-9
        assert sum(p.area for p in parts) == pytest.approx(union.area, rel=1e-6)


def test_it_lies_in_shangdang(district: SyntheticDistrict) -> None:
    west, south, east, north = district.bbox

    assert 113.04 < west < east < 113.11
    assert 36.15 < south < north < 36.22


# --- compounds and gates --------------------------------------------------------------------


def test_compounds_are_sized_like_chinese_residential_compounds(
    district: SyntheticDistrict,
) -> None:
    suffixes = ("苑", "小区", "家园", "花园", "新村", "公寓", "嘉园", "雅居", "华庭")

    assert 100 <= len(district.compounds) <= 140
    assert len({c.id for c in district.compounds}) == len(district.compounds)
    assert len({c.name for c in district.compounds}) == len(district.compounds)
    for c in district.compounds:
        assert 200 <= c.households <= 2000
        assert 2.6 <= c.population / c.households <= 2.9
        assert 1 <= len(c.gates) <= 3
        assert c.name.endswith(suffixes)


def test_compounds_csv_has_one_row_per_gate(district: SyntheticDistrict) -> None:
    with district.compounds_csv.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)

    assert reader.fieldnames == [
        "id",
        "name",
        "lon",
        "lat",
        "population",
        "households",
        "community",
        "subdistrict",
    ]
    assert len(rows) == sum(len(c.gates) for c in district.compounds)
    by_id = {c.id: c for c in district.compounds}
    sd_of = {c.code: c.subdistrict_code for c in district.communities}
    for row in rows:
        c = by_id[row["id"]]
        assert (float(row["lon"]), float(row["lat"])) in c.gates
        assert int(row["population"]) == c.population
        assert row["community"] == c.community_code
        assert row["subdistrict"] == sd_of[c.community_code]


def test_every_gate_is_a_barrier_gate_on_the_walkable_network(
    district: SyntheticDistrict, osm: Osm
) -> None:
    walk = walk_graph(osm)

    for c in district.compounds:
        for gate, nid in zip(c.gates, c.gate_node_ids, strict=True):
            lon, lat, tags = osm.nodes[nid]
            assert (lon, lat) == pytest.approx(gate, abs=1e-7)
            assert tags["barrier"] == "gate"
            assert walk.degree(nid) >= 2


def test_gates_lie_on_their_compounds_boundary(district: SyntheticDistrict) -> None:
    origin = district.centre
    for c in district.compounds:
        boundary = Polygon([metres(*p, origin) for p in c.polygon]).exterior
        for gate in c.gates:
            assert boundary.distance(Point(metres(*gate, origin))) < 1.5


def test_compound_interiors_reach_the_street_only_through_gates(
    district: SyntheticDistrict, osm: Osm
) -> None:
    walk = walk_graph(osm)
    gates = [nid for c in district.compounds for nid in c.gate_node_ids]
    walk.remove_nodes_from(gates)
    outside = max(nx.connected_components(walk), key=len)
    ids = np.array(sorted(outside))
    lon = np.array([osm.nodes[n][0] for n in ids])
    lat = np.array([osm.nodes[n][1] for n in ids])

    for c in district.compounds:
        interior = Polygon(c.polygon).buffer(-2e-5)  # about 2 m in
        assert not shapely.contains_xy(interior, lon, lat).any(), c.name


# --- the street network ---------------------------------------------------------------------


def test_the_pbf_has_positive_ids_and_nodes_before_ways(osm: Osm) -> None:
    kinds = [kind for kind, _ in osm.order]
    node_ids = [i for kind, i in osm.order if kind == "n"]
    way_ids = [i for kind, i in osm.order if kind == "w"]

    assert set(kinds) == {"n", "w"}
    assert kinds == sorted(kinds)  # every "n" before the first "w"
    assert node_ids == sorted(node_ids)
    assert way_ids == sorted(way_ids)
    assert min(node_ids) > 0
    assert min(way_ids) > 0
    referenced = {ref for _, refs in osm.ways.values() for ref in refs}
    assert referenced == set(osm.nodes)


def test_walkable_ways_form_one_network_and_the_deliberate_fragment(
    district: SyntheticDistrict, osm: Osm
) -> None:
    components = sorted(nx.connected_components(walk_graph(osm)), key=len, reverse=True)

    assert len(components) == 2
    fragment = {ref for wid in district.fragment_way_ids for ref in osm.ways[wid][1]}
    assert components[1] == fragment
    assert 5 <= len(fragment) <= 50
    assert len(components[0]) > 5000


def test_arterials_are_named_streets_with_sidewalks(osm: Osm) -> None:
    arterials = [
        t for t, _ in osm.ways.values() if t["highway"] in ("primary", "secondary", "tertiary")
    ]
    names = {t["name"] for t in arterials}

    assert {"primary", "secondary", "tertiary"} == {t["highway"] for t in arterials}
    assert all(is_walkable(t) for t in arterials)
    assert all(t["name"] for t in arterials)
    assert any(n.endswith("街") for n in names)
    assert any(n.endswith("路") for n in names)
    assert "长兴路" in names  # the diagonal


def test_some_ways_are_not_walkable(district: SyntheticDistrict, osm: Osm) -> None:
    excluded = [osm.ways[w][0] for w in district.non_walkable_way_ids]

    assert {"motorway", "construction"} <= {t["highway"] for t in excluded}
    assert any(t.get("foot") == "no" for t in excluded)
    assert not any(is_walkable(t) for t in excluded)


def test_it_has_footways_paths_and_service_roads(osm: Osm) -> None:
    kinds = collections.Counter(t["highway"] for t, _ in osm.ways.values())

    assert kinds["footway"] > 50
    assert kinds["path"] >= 1
    assert kinds["service"] >= 100


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "primary", "sidewalk": "both"}, True),
        ({"highway": "service"}, True),
        ({"highway": "footway"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "trunk", "foot": "no"}, False),
        ({"highway": "service", "service": "private"}, False),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "primary", "sidewalk": "separate"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_walkability_follows_the_osmnx_walk_filter(tags: dict[str, str], walkable: bool) -> None:
    assert is_walkable(tags) is walkable


# --- facilities -----------------------------------------------------------------------------


def test_facility_counts_follow_the_programme(district: SyntheticDistrict) -> None:
    count = collections.Counter(f.category for f in district.facilities)

    assert count["happiness_station"] == 23
    assert count["smart_hut"] == 2
    assert count["party_service_center"] == len(district.communities) + len(district.subdistricts)
    for category in (
        "kindergarten",
        "primary_school",
        "middle_school",
        "health_service_center",
        "health_station",
        "elderly_day_care",
        "market",
        "convenience_store",
        "culture_station",
        "fitness_area",
        "community_canteen",
    ):
        assert count[category] >= 1, category
    assert set(count) <= set(load_category_codes())


def test_happiness_stations_are_named_after_their_compounds(district: SyntheticDistrict) -> None:
    names = {c.name for c in district.compounds}
    stations = [f for f in district.facilities if f.category == "happiness_station"]

    assert all(f.name.removesuffix("幸福驿站") in names for f in stations)


def test_facilities_csv_matches_the_facilities(district: SyntheticDistrict) -> None:
    with district.facilities_csv.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)

    assert reader.fieldnames == ["id", "name", "category", "lon", "lat"]
    assert [r["id"] for r in rows] == [f.id for f in district.facilities]
    assert len({r["name"] for r in rows}) == len(rows)


def test_facilities_lie_near_the_main_walking_network(
    district: SyntheticDistrict, osm: Osm
) -> None:
    origin = district.centre
    main = max(nx.connected_components(walk_graph(osm)), key=len)
    lines = [
        LineString([metres(*osm.nodes[r][:2], origin) for r in refs])
        for tags, refs in osm.ways.values()
        if is_walkable(tags) and refs[0] in main
    ]
    tree = shapely.STRtree(lines)
    points = shapely.points([metres(f.lon, f.lat, origin) for f in district.facilities])
    _, dist = tree.query_nearest(points, return_distance=True, all_matches=False)

    assert float(dist.max()) < 50.0


def test_the_deliberate_gaps_are_really_empty(district: SyntheticDistrict) -> None:
    origin = district.centre
    assert {g.category for g in district.gaps} >= {"kindergarten", "market"}
    for gap in district.gaps:
        centre = metres(*gap.centre, origin)
        same = [f for f in district.facilities if f.category == gap.category]
        nearest = min(math.dist(metres(f.lon, f.lat, origin), centre) for f in same)
        assert nearest > gap.radius_m * 0.99
        assert gap.compound_ids


# --- any seed -------------------------------------------------------------------------------


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_gives_a_usable_district(tmp_path: Path, seed: int) -> None:
    d = generate_district(tmp_path / str(seed), seed=seed)
    osm = read_osm(d.pbf_path)

    assert 100 <= len(d.compounds) <= 140
    assert collections.Counter(f.category for f in d.facilities)["happiness_station"] == 23
    assert len(list(nx.connected_components(walk_graph(osm)))) == 2
    assert all(g.compound_ids for g in d.gaps)


@pytest.mark.slow
def test_the_large_district_has_a_hundred_thousand_junctions(tmp_path: Path) -> None:
    d = generate_district(tmp_path, size="large")
    refs: list[npt.NDArray[np.int64]] = []
    for way in osmium.FileProcessor(str(d.pbf_path), osmium.osm.WAY):
        if isinstance(way, osmium.osm.Way) and is_walkable(dict(way.tags)):
            ids = np.array([n.ref for n in way.nodes], dtype=np.int64)
            refs += [ids[:-1], ids[1:]]
    ends = np.concatenate(refs)
    nodes, degree = np.unique(ends, return_counts=True)

    assert len(nodes) == d.walkable_node_count >= 100_000
    # What survives the engine's simplification: dead ends and junctions.
    assert int(np.count_nonzero(degree != 2)) >= 100_000


def test_the_engine_analyses_a_generated_district(tmp_path: Path) -> None:
    from linli.circle.cli import main

    d = generate_district(tmp_path / "d", seed=3)
    out = tmp_path / "o"
    argv = ["analyze", "--network", str(d.pbf_path), "--compounds", str(d.compounds_csv)]
    argv += ["--facilities", str(d.facilities_csv), "--out", str(out)]
    assert main([*argv, "--outputs", "access,coverage,gaps"]) == 0
    with (out / "access.csv").open(encoding="utf-8") as fh:
        access = list(csv.DictReader(fh))
    assert sum(1 for r in access if r["meters"]) > len(access) / 2


def test_the_command_line_writes_the_files(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "linli.sample.district", "--out", str(tmp_path), "--seed", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "district.osm.pbf").is_file()
    assert "compounds.csv" in proc.stdout
