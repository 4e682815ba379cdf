"""Reading the walking network from OSM files."""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.circle.graph import build_graph, haversine_m, is_walkable, load_graph, read_pbf
from linli.circle.io import CircleInputError

NODES = {
    1: (116.4000, 39.9000),
    2: (116.4010, 39.9000),
    3: (116.4020, 39.9000),
    4: (116.4010, 39.9010),
    5: (116.4010, 39.8990),
    6: (116.4015, 39.9000),  # an intermediate vertex of way 10
    7: (116.4500, 39.9500),
    8: (116.4510, 39.9500),
    9: (116.4005, 39.9005),
    10: (116.4030, 39.9000),
    11: (116.4030, 39.9010),
}


def osmnx_walk_filter() -> list[tuple[str, str | None]]:
    """OSMnx's own walk filter as (key, excluded-regex) pairs; regex None = key required."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from osmnx import _overpass

        text = _overpass._get_network_filter("walk")
    terms = []
    for key, op, value in re.findall(r'\["([^"]+)"(?:(!~)"([^"]*)")?\]', text):
        terms.append((key, value if op else None))
    return terms


def osmnx_says_walkable(tags: dict[str, str], terms: list[tuple[str, str | None]]) -> bool:
    for key, rx in terms:
        if rx is None:
            if key not in tags:
                return False
        elif key in tags and re.search(rx, tags[key]):
            return False
    return True


HIGHWAYS = [
    "residential",
    "footway",
    "motorway",
    "motorway_link",
    "cycleway",
    "steps",
    "service",
    "construction",
    "proposed",
    "platform",
    "unclassified",
    "busway",
    "pedestrian",
    "track",
    "rest_area",
    "services",
    "no",
    "path",
]
VALUES = [
    "yes",
    "no",
    "private",
    "separate",
    "designated",
    "permissive",
    "parking_aisle",
    "both",
    "customers",
    "destination",
]
KEYS = [
    "highway",
    "area",
    "access",
    "foot",
    "service",
    "sidewalk",
    "sidewalk:both",
    "sidewalk:left",
    "sidewalk:right",
    "name",
]


@settings(max_examples=150, deadline=None)
@given(
    highway=st.one_of(st.none(), st.sampled_from(HIGHWAYS)),
    others=st.dictionaries(st.sampled_from(KEYS[1:]), st.sampled_from(VALUES), max_size=4),
)
def test_the_walk_filter_agrees_with_osmnx(highway: str | None, others: dict[str, str]) -> None:
    tags = dict(others)
    if highway is not None:
        tags["highway"] = highway
    assert is_walkable(tags) == osmnx_says_walkable(tags, _TERMS)


_TERMS = osmnx_walk_filter()


def test_the_osmnx_filter_was_parsed() -> None:
    keys = {k for k, _ in _TERMS}
    assert {"highway", "area", "access", "foot", "service", "sidewalk"} <= keys


def test_it_builds_junction_nodes_and_haversine_lengths(
    pbf_writer: Callable[..., Path],
) -> None:
    path = pbf_writer(
        NODES,
        [
            (10, [1, 2, 6, 3], {"highway": "residential"}),
            (11, [4, 2, 5], {"highway": "footway"}),
            (12, [7, 8], {"highway": "footway"}),  # a separate component
            (13, [1, 4], {"highway": "motorway"}),  # not walkable
            (14, [1, 9, 4], {"highway": "footway", "foot": "no"}),
            (15, [3, 10], {"highway": "service", "service": "private"}),
        ],
    )
    g = read_pbf(path)
    assert sorted(g.node_osm_id.tolist()) == [1, 2, 3, 4, 5]
    ids = g.node_osm_id
    lengths = {
        frozenset((int(ids[a]), int(ids[b]))): w
        for a, b, w in zip(g.edge_u, g.edge_v, g.edge_length, strict=True)
    }
    want_23 = haversine_m(*NODES[2], *NODES[6]) + haversine_m(*NODES[6], *NODES[3])
    assert lengths[frozenset((2, 3))] == pytest.approx(float(want_23), abs=1e-9)
    assert lengths[frozenset((1, 2))] == pytest.approx(float(haversine_m(*NODES[1], *NODES[2])))
    assert len(lengths) == 4
    # The intermediate vertex 6 is kept as geometry of edge 2–3.
    e = next(
        i for i in range(g.n_edges) if {int(ids[g.edge_u[i]]), int(ids[g.edge_v[i]])} == {2, 3}
    )
    seg = slice(g.geom_offsets[e], g.geom_offsets[e + 1])
    assert len(g.geom_lon[seg]) == 3
    assert g.report.components_dropped == 1
    assert g.report.nodes_dropped == 2
    assert g.report.edges_dropped == 1
    assert g.report.ways_walkable == 3


def test_a_ring_touching_the_network_once_survives(pbf_writer: Callable[..., Path]) -> None:
    path = pbf_writer(
        NODES,
        [
            (10, [1, 2], {"highway": "residential"}),
            (11, [2, 10, 11, 4, 2], {"highway": "footway"}),  # a loop hanging off node 2
        ],
    )
    g = read_pbf(path)
    ring = [2, 10, 11, 4, 2]
    perimeter = sum(float(haversine_m(*NODES[p], *NODES[q])) for p, q in itertools.pairwise(ring))
    assert g.n_edges == 4  # 1–2 plus the ring in three pieces
    assert g.edge_length.sum() == pytest.approx(
        perimeter + float(haversine_m(*NODES[1], *NODES[2]))
    )
    assert g.report.self_loops_dropped == 0


def test_straight_duplicate_ways_collapse_to_one_edge(pbf_writer: Callable[..., Path]) -> None:
    path = pbf_writer(
        NODES,
        [
            (10, [1, 2], {"highway": "residential"}),
            (11, [1, 2], {"highway": "footway"}),
        ],
    )
    g = read_pbf(path)
    assert g.n_edges == 1
    assert g.edge_length[0] == pytest.approx(float(haversine_m(*NODES[1], *NODES[2])))
    assert g.report.parallel_edges_dropped == 1


def test_a_longer_parallel_way_is_kept_by_splitting_it(pbf_writer: Callable[..., Path]) -> None:
    path = pbf_writer(
        NODES,
        [
            (10, [1, 2], {"highway": "residential"}),
            (11, [1, 9, 2], {"highway": "footway"}),  # a longer way between the same junctions
        ],
    )
    g = read_pbf(path)
    assert g.n_edges == 3
    assert sorted(g.node_osm_id.tolist()) == [1, 2, 9]
    assert g.report.parallel_edges_dropped == 0


def test_ways_with_missing_nodes_are_split_not_dropped(pbf_writer: Callable[..., Path]) -> None:
    nodes = {k: v for k, v in NODES.items() if k != 6}
    path = pbf_writer(
        nodes,
        [
            (10, [1, 2, 6, 3, 10], {"highway": "residential"}),
            (11, [2, 4], {"highway": "residential"}),
        ],
    )
    g = read_pbf(path)
    assert g.report.missing_locations == 1
    assert sorted(g.node_osm_id.tolist()) == [1, 2, 4]


def test_the_cache_returns_the_same_graph(pbf_writer: Callable[..., Path], tmp_path: Path) -> None:
    path = pbf_writer(
        NODES,
        [(10, [1, 2, 6, 3], {"highway": "residential"}), (11, [4, 2, 5], {"highway": "footway"})],
    )
    cold = load_graph(path, cache_dir=tmp_path / "cache")
    warm = load_graph(path, cache_dir=tmp_path / "cache")
    assert not cold.report.from_cache
    assert warm.report.from_cache
    for name in (
        "node_lon",
        "node_lat",
        "node_osm_id",
        "edge_u",
        "edge_v",
        "edge_length",
        "geom_offsets",
        "geom_lon",
        "geom_lat",
    ):
        np.testing.assert_array_equal(getattr(cold, name), getattr(warm, name))
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1


def test_a_corrupt_file_raises_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"this is not a pbf")
    with pytest.raises(CircleInputError, match=r"bad\.osm\.pbf.*not a readable OSM file"):
        read_pbf(bad)


def test_a_missing_file_raises_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CircleInputError, match="does not exist"):
        load_graph(tmp_path / "nope.osm.pbf", cache_dir=tmp_path)


def test_a_file_without_walkable_ways_is_refused(pbf_writer: Callable[..., Path]) -> None:
    path = pbf_writer(NODES, [(10, [1, 2], {"highway": "motorway"})])
    with pytest.raises(CircleInputError, match="no walkable ways"):
        read_pbf(path)


def test_build_graph_keeps_the_largest_component_and_drops_loops() -> None:
    g = build_graph([0, 0.001, 0.002, 1, 1.001], [0, 0, 0, 1, 1], [0, 1, 2, 3], [1, 2, 2, 4])
    assert g.n_nodes == 3
    assert g.n_edges == 2
    assert g.report.self_loops_dropped == 1
    assert g.adjacency.shape == (3, 3)


def test_edges_keep_their_ways_names(pbf_writer: Callable[..., Path], tmp_path: Path) -> None:
    path = pbf_writer(
        NODES,
        [
            (10, [1, 2, 6, 3], {"highway": "residential", "name": "建设路"}),
            (11, [4, 2, 5], {"highway": "footway", "name": "长治街"}),
            (12, [3, 5], {"highway": "footway"}),  # unnamed
        ],
    )
    for g in (
        read_pbf(path),
        load_graph(path, cache_dir=tmp_path),
        load_graph(path, cache_dir=tmp_path),
    ):
        ids = g.node_osm_id.tolist()
        by_ends = {
            frozenset((ids[u], ids[v])): g.street_name(e)
            for e, (u, v) in enumerate(zip(g.edge_u.tolist(), g.edge_v.tolist(), strict=True))
        }
        assert by_ends[frozenset((2, 3))] == "建设路"
        assert by_ends[frozenset((4, 2))] == "长治街"
        assert by_ends[frozenset((3, 5))] == ""
        # At junction 2 both streets meet; halfway along 2–3 only 建设路.
        e = next(
            i
            for i, (u, v) in enumerate(zip(g.edge_u, g.edge_v, strict=True))
            if {ids[u], ids[v]} == {2, 3}
        )
        at_u = 0.0 if ids[g.edge_u[e]] == 2 else float(g.edge_length[e])
        assert g.streets_at(e, at_u) == ("建设路", "长治街")
        assert g.streets_at(e, float(g.edge_length[e]) / 2) == ("建设路",)
