"""Snapping points (gates, facilities) onto the nearest walkable edge.

A point is projected onto the nearest point of the nearest edge, not onto the nearest node:
the snapped point splits the edge, and walking starts with a straight connector from the
point to the edge.  Candidate segments come from an R-tree of all segments (shapely's
STRtree) in one plane around the graph's centre; the exact distance is then computed in a
local tangent plane centred on the query point, which is accurate to millimetres for
connectors of a few hundred metres anywhere on earth.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from .graph import EARTH_RADIUS_M, WalkGraph

__all__ = ["DEFAULT_MAX_SNAP_M", "Snapped", "Unsnapped", "snap_points"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Points farther than this from every walkable edge are reported, not snapped.
DEFAULT_MAX_SNAP_M = 200.0


@dataclass(frozen=True)
class Unsnapped:
    """A point left off the network because it is too far from any walkable edge."""

    index: int
    id: str
    distance_m: float


@dataclass(frozen=True, eq=False)
class Snapped:
    """Points snapped onto graph edges.

    Attributes
    ----------
    edge
        Edge index per point, ``-1`` where not snapped.
    offset
        Distance in metres along the edge from its ``u`` node to the snapped point.
    connector
        Straight distance in metres from the point to the snapped point (also filled in for
        unsnapped points, where it is the distance to the nearest edge found).
    lon, lat
        The snapped point on the edge.
    ok
        True where the point was snapped.
    unsnapped
        The points farther than the snapping limit.
    """

    edge: IntArray
    offset: FloatArray
    connector: FloatArray
    lon: FloatArray
    lat: FloatArray
    ok: BoolArray
    unsnapped: list[Unsnapped]

    @property
    def n(self) -> int:
        """Number of points (snapped or not)."""
        return int(self.edge.shape[0])

    def subset(self, index: npt.ArrayLike) -> Snapped:
        """The points at ``index`` (unsnapped entries are re-indexed)."""
        idx = np.asarray(index, dtype=np.int64)
        where = {int(i): k for k, i in enumerate(idx)}
        return Snapped(
            edge=self.edge[idx],
            offset=self.offset[idx],
            connector=self.connector[idx],
            lon=self.lon[idx],
            lat=self.lat[idx],
            ok=self.ok[idx],
            unsnapped=[
                Unsnapped(where[u.index], u.id, u.distance_m)
                for u in self.unsnapped
                if u.index in where
            ],
        )


class _SegmentIndex:
    """The edges' straight segments in an R-tree (shapely's STRtree), in a plane around the
    graph's centre; the exact distances are measured afterwards in each point's own plane."""

    def __init__(self, graph: WalkGraph) -> None:
        seg_edge, seg_start, seg_offset, seg_length = graph.segments
        lon0, lat0 = graph.origin
        self.kx = EARTH_RADIUS_M * np.cos(np.radians(lat0)) * np.pi / 180.0
        self.ky = EARTH_RADIUS_M * np.pi / 180.0
        self.lon0, self.lat0 = lon0, lat0
        ends = np.column_stack([seg_start, seg_start + 1]).ravel()
        xy = np.column_stack(
            [(graph.geom_lon[ends] - lon0) * self.kx, (graph.geom_lat[ends] - lat0) * self.ky]
        )
        n = seg_edge.shape[0]
        self.tree = shapely.STRtree(
            shapely.linestrings(xy, indices=np.repeat(np.arange(n, dtype=np.int64), 2))
        )
        self.seg_edge, self.seg_start = seg_edge, seg_start
        self.seg_offset, self.seg_length = seg_offset, seg_length


_INDEX_CACHE: weakref.WeakKeyDictionary[WalkGraph, _SegmentIndex] = weakref.WeakKeyDictionary()


def _segment_index(graph: WalkGraph) -> _SegmentIndex:
    idx = _INDEX_CACHE.get(graph)
    if idx is None:
        idx = _SegmentIndex(graph)
        _INDEX_CACHE[graph] = idx
    return idx


def snap_points(
    graph: WalkGraph,
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    ids: Sequence[str] | None = None,
) -> Snapped:
    """Snap WGS-84 points to the nearest point on the nearest edge.

    Parameters
    ----------
    graph
        The pedestrian graph.
    lon, lat
        Point coordinates in degrees.
    max_snap_m
        Points farther than this from every edge are not snapped but listed in
        ``Snapped.unsnapped``.
    ids
        Labels of the points for the unsnapped list; by default their positions.

    Returns
    -------
    Snapped
    """
    plon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    plat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    n = plon.shape[0]
    if n == 0:
        empty_f = np.zeros(0, dtype=np.float64)
        return Snapped(
            np.zeros(0, np.int64), empty_f, empty_f, empty_f, empty_f, np.zeros(0, bool), []
        )
    si = _segment_index(graph)
    px = (plon - si.lon0) * si.kx
    py = (plat - si.lat0) * si.ky
    pts = shapely.points(px, py)
    (near_pt, near_seg), d0 = si.tree.query_nearest(pts, return_distance=True, all_matches=False)
    # The nearest segment in the shared plane is within d0; in each point's own plane the
    # distances differ by well under 1 %, so every segment within 1.01 d0 (+1 m) is a
    # candidate and the exact step below picks the nearest. Far points (beyond twice the
    # snapping limit, reported anyway) keep just their nearest segment.
    radius = np.full(n, 0.0)
    radius[near_pt] = np.minimum(d0, 2 * max_snap_m) * 1.01 + 1.0
    near_pt_in, near_seg_in = si.tree.query(pts, predicate="dwithin", distance=radius)
    key = np.unique(
        np.concatenate([near_pt_in, near_pt]).astype(np.int64) * np.int64(si.seg_edge.shape[0])
        + np.concatenate([near_seg_in, near_seg]).astype(np.int64)
    )
    pair_pt = key // si.seg_edge.shape[0]
    pair_seg = key % si.seg_edge.shape[0]

    start = si.seg_start[pair_seg]
    qlon, qlat = plon[pair_pt], plat[pair_pt]
    # Local tangent plane at each query point.
    kx = EARTH_RADIUS_M * np.cos(np.radians(qlat)) * np.pi / 180.0
    ky = si.ky
    ax = (graph.geom_lon[start] - qlon) * kx
    ay = (graph.geom_lat[start] - qlat) * ky
    dx = (graph.geom_lon[start + 1] - qlon) * kx - ax
    dy = (graph.geom_lat[start + 1] - qlat) * ky - ay
    len2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(len2 > 0, -(ax * dx + ay * dy) / len2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    dist = np.hypot(ax + t * dx, ay + t * dy)

    order = np.lexsort((pair_seg, dist, pair_pt))
    best = order[np.r_[True, pair_pt[order][1:] != pair_pt[order][:-1]]]
    seg = pair_seg[best]
    tb = t[best]
    connector = dist[best]
    edge = si.seg_edge[seg].copy()
    offset = si.seg_offset[seg] + tb * si.seg_length[seg]
    offset = np.minimum(offset, graph.edge_length[edge])
    s0 = si.seg_start[seg]
    slon = graph.geom_lon[s0] + tb * (graph.geom_lon[s0 + 1] - graph.geom_lon[s0])
    slat = graph.geom_lat[s0] + tb * (graph.geom_lat[s0 + 1] - graph.geom_lat[s0])
    ok = connector <= max_snap_m
    labels = list(ids) if ids is not None else [str(i) for i in range(n)]
    unsnapped = [Unsnapped(int(i), labels[i], float(connector[i])) for i in np.flatnonzero(~ok)]
    edge[~ok] = -1
    return Snapped(
        edge=edge,
        offset=np.where(ok, offset, np.nan),
        connector=connector,
        lon=slon,
        lat=slat,
        ok=ok,
        unsnapped=unsnapped,
    )
