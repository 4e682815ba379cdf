"""Isochrones cover what is reached within the walking time and nothing far beyond."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from linli.circle.graph import WalkGraph
from linli.circle.isochrones import isochrone_features
from linli.circle.snap import snap_points


def test_isochrones_grow_with_time_and_follow_the_streets(grid: WalkGraph) -> None:
    lon, lat = 116.4045, 39.9040  # mid-block, near the grid centre
    s = snap_points(grid, [lon], [lat])
    fc = isochrone_features(
        grid,
        s,
        ids=["S1"],
        names=["驿站"],
        categories=["happiness_station"],
        station_lon=[lon],
        station_lat=[lat],
        minutes=[2, 5],
    )
    assert fc["type"] == "FeatureCollection"
    polys = [shapely.geometry.shape(f["geometry"]) for f in fc["features"]]
    assert [f["properties"]["minutes"] for f in fc["features"]] == [2, 5]
    assert polys[0].area < polys[1].area
    assert polys[1].contains(shapely.Point(lon, lat))
    # 2 minutes = 120 m: the snapped point's own street is reached, a corner 400 m away is not.
    assert polys[0].contains(shapely.Point(float(s.lon[0]), float(s.lat[0])))
    far = shapely.Point(116.4045 + 0.004, 39.904 + 0.003)
    assert not polys[0].contains(far)
    # Partial edges: the block's interior (far from any street) is not covered.
    block_centre = shapely.Point(116.4075, 39.9075)
    assert not polys[1].contains(block_centre)


def test_unsnapped_stations_get_no_isochrone(grid: WalkGraph) -> None:
    s = snap_points(grid, [117.0], [39.9])
    fc = isochrone_features(grid, s, ids=["far"])
    assert fc["features"] == []


def test_reach_is_consistent_with_network_distance(grid: WalkGraph) -> None:
    s = snap_points(grid, [116.4], [39.9])  # a corner node
    fc = isochrone_features(grid, s, ids=["c"], minutes=[5], buffer_m=5)
    poly = shapely.geometry.shape(fc["features"][0]["geometry"])
    # Along the bottom street 300 m reach ≈ 0.0035° of longitude; 0.0030° is in, 0.0040° is out.
    assert poly.contains(shapely.Point(116.4030, 39.9))
    assert not poly.contains(shapely.Point(116.4040, 39.9))
    assert np.isfinite(poly.area)


def test_a_longer_time_built_on_the_shorter_one_equals_it_built_alone(grid: WalkGraph) -> None:
    """The 10-minute polygon reuses the 5-minute one; computed alone it is the same area."""
    lon, lat = 116.4045, 39.9040
    s = snap_points(grid, [lon], [lat])

    def features(minutes: list[float]) -> list[dict[str, Any]]:
        fc = isochrone_features(
            grid, s, ids=["S1"], station_lon=[lon], station_lat=[lat], minutes=minutes
        )
        return list(fc["features"])

    for feature in features([2, 5, 8]):
        alone = {"features": features([feature["properties"]["minutes"]])}
        a = shapely.geometry.shape(feature["geometry"])
        b = shapely.geometry.shape(alone["features"][0]["geometry"])
        assert a.symmetric_difference(b).area <= 1e-3 * b.area
