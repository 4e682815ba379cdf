"""Snapping points onto the nearest point of the nearest walkable edge."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.circle.graph import EARTH_RADIUS_M, WalkGraph, build_graph, haversine_m
from linli.circle.snap import snap_points

from .conftest import grid_graph


def brute_force(g: WalkGraph, lon: float, lat: float) -> tuple[float, int]:
    """Exact nearest distance over all segments in the point's tangent plane."""
    seg_edge, start, _, _ = g.segments
    kx = EARTH_RADIUS_M * np.cos(np.radians(lat)) * np.pi / 180
    ky = EARTH_RADIUS_M * np.pi / 180
    ax = (g.geom_lon[start] - lon) * kx
    ay = (g.geom_lat[start] - lat) * ky
    dx = (g.geom_lon[start + 1] - lon) * kx - ax
    dy = (g.geom_lat[start + 1] - lat) * ky - ay
    t = np.clip(-(ax * dx + ay * dy) / (dx * dx + dy * dy), 0, 1)
    d = np.hypot(ax + t * dx, ay + t * dy)
    k = int(np.argmin(d))
    return float(d[k]), int(seg_edge[k])


def test_a_point_beside_a_street_snaps_to_its_foot() -> None:
    g = build_graph([116.40, 116.41], [39.90, 39.90], [0], [1])
    s = snap_points(g, [116.403], [39.9005])
    assert s.ok.all()
    assert s.edge[0] == 0
    assert s.connector[0] == pytest.approx(0.0005 * EARTH_RADIUS_M * np.pi / 180, rel=1e-6)
    want_offset = float(haversine_m(116.40, 39.90, 116.403, 39.90))
    assert s.offset[0] == pytest.approx(want_offset, abs=0.01)
    assert s.lon[0] == pytest.approx(116.403)
    assert s.lat[0] == pytest.approx(39.90)


def test_a_point_past_the_end_snaps_to_the_end_node() -> None:
    g = build_graph([116.40, 116.41], [39.90, 39.90], [0], [1])
    s = snap_points(g, [116.4105], [39.90])
    assert s.offset[0] == pytest.approx(g.edge_length[0])
    assert s.connector[0] == pytest.approx(
        float(haversine_m(116.41, 39.9, 116.4105, 39.9)), abs=0.001
    )


def test_far_points_are_reported_not_snapped(grid: WalkGraph) -> None:
    s = snap_points(grid, [116.4045, 116.5], [39.9045, 39.9], ids=["near", "far"], max_snap_m=200)
    assert s.ok.tolist() == [True, False]
    assert [u.id for u in s.unsnapped] == ["far"]
    assert s.unsnapped[0].distance_m > 7000
    assert s.edge[1] == -1


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_snapping_finds_the_exact_nearest_segment(seed: int) -> None:
    g = grid_graph(8, 0.0013)
    rng = np.random.default_rng(seed)
    lon = 116.4 + rng.uniform(-0.002, 0.011, 50)
    lat = 39.9 + rng.uniform(-0.002, 0.011, 50)
    s = snap_points(g, lon, lat, max_snap_m=1e6)
    for i in range(50):
        d, _ = brute_force(g, float(lon[i]), float(lat[i]))
        assert s.connector[i] == pytest.approx(d, abs=1e-6)
        assert 0 <= s.offset[i] <= g.edge_length[s.edge[i]] + 1e-9


def test_curved_edges_snap_along_their_geometry() -> None:
    # One edge with a bend: 0 → (116.401, 39.901) → 1.
    g = build_graph(
        [116.40, 116.402],
        [39.90, 39.90],
        [0],
        [1],
        geom_offsets=[0, 3],
        geom_lon=[116.40, 116.401, 116.402],
        geom_lat=[39.90, 39.901, 39.90],
    )
    s = snap_points(g, [116.4015], [39.9005])
    first_leg = float(haversine_m(116.40, 39.90, 116.401, 39.901))
    assert s.offset[0] > first_leg
    assert s.connector[0] < 1.0
