"""Isochrones (等时圈): the area reachable on foot from a station within 5, 10 and 15 minutes.

Each isochrone is the union of the reached pieces of the network — whole edges and the
partial ends of edges where the walk runs out — buffered by a few tens of metres (the depth
of the buildings on a street), not a convex hull, so rivers and railways stay visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse.csgraph import dijkstra

from .access import DEFAULT_SPEED_M_S, build_point_network
from .graph import EARTH_RADIUS_M, WalkGraph
from .snap import Snapped

__all__ = ["DEFAULT_BUFFER_M", "isochrone_features", "reached_intervals"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Buffer around reached street pieces, roughly the depth of a street's buildings.
DEFAULT_BUFFER_M = 30.0


class _Plane:
    """Equirectangular projection about the graph centre; fine for buffering (<1 % error)."""

    def __init__(self, graph: WalkGraph) -> None:
        self.lon0, self.lat0 = graph.origin
        self.kx = EARTH_RADIUS_M * np.cos(np.radians(self.lat0)) * np.pi / 180.0
        self.ky = EARTH_RADIUS_M * np.pi / 180.0

    def forward(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        return np.column_stack([(lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky])

    def inverse(self, xy: FloatArray) -> FloatArray:
        return np.column_stack([xy[:, 0] / self.kx + self.lon0, xy[:, 1] / self.ky + self.lat0])


class _EdgeGeometry:
    def __init__(self, graph: WalkGraph) -> None:
        self.graph = graph

    @cached_property
    def vertex_offset(self) -> FloatArray:
        """Distance from the edge's ``u`` to each geometry vertex."""
        g = self.graph
        _, seg_start, seg_offset, seg_length = g.segments
        out = np.zeros(g.geom_lon.shape[0])
        out[seg_start + 1] = seg_offset + seg_length
        return out

    def piece(self, e: int, a: float, b: float) -> tuple[FloatArray, FloatArray]:
        g = self.graph
        s, t = int(g.geom_offsets[e]), int(g.geom_offsets[e + 1])
        off = self.vertex_offset[s:t]
        lon, lat = g.geom_lon[s:t], g.geom_lat[s:t]
        inner = (off > a) & (off < b)
        at = np.concatenate([[a], off[inner], [b]])
        return np.interp(at, off, lon), np.interp(at, off, lat)


def reached_intervals(
    graph: WalkGraph,
    dist_u: FloatArray,
    dist_v: FloatArray,
    budget_m: float,
    *,
    source_edge: int = -1,
    source_offset: float = 0.0,
    source_budget_m: float = -1.0,
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Pieces of edges reached within a walking budget.

    Parameters
    ----------
    graph
        The pedestrian graph.
    dist_u, dist_v
        Walking distance to each edge's ``u`` and ``v`` node.
    budget_m
        The walking budget in metres.
    source_edge, source_offset, source_budget_m
        The edge the walk starts on, the start's offset along it and the budget left after
        the connector; the start reaches along its own edge in both directions.

    Returns
    -------
    tuple of numpy.ndarray
        ``(edge, start, end)``: offsets from ``u`` of reached pieces (possibly overlapping).
    """
    length = graph.edge_length
    ru = budget_m - dist_u
    rv = budget_m - dist_v
    whole = (ru >= 0) & (rv >= 0) & (ru + rv >= length)
    whole |= ru >= length
    whole |= rv >= length
    e_whole = np.flatnonzero(whole)
    from_u = np.flatnonzero(~whole & (ru > 0))
    from_v = np.flatnonzero(~whole & (rv > 0))
    edges = [e_whole, from_u, from_v]
    starts = [np.zeros(e_whole.shape[0]), np.zeros(from_u.shape[0]), length[from_v] - rv[from_v]]
    ends = [length[e_whole], ru[from_u], length[from_v]]
    if source_edge >= 0 and source_budget_m > 0:
        edges.append(np.array([source_edge]))
        starts.append(np.array([max(0.0, source_offset - source_budget_m)]))
        ends.append(np.array([min(length[source_edge], source_offset + source_budget_m)]))
    return (
        np.concatenate(edges).astype(np.int64),
        np.concatenate(starts),
        np.concatenate(ends),
    )


def _polygon(
    graph: WalkGraph,
    geo: _EdgeGeometry,
    plane: _Plane,
    edge: IntArray,
    start: FloatArray,
    end: FloatArray,
    extra: list[FloatArray],
    buffer_m: float,
    inner: Any = None,
    inner_full: IntArray | None = None,
) -> tuple[Any, Any, IntArray]:
    """The isochrone polygon (lon/lat, simplified), its planar form and its whole edges.

    ``inner`` is the planar polygon of a smaller budget from the same start, ``inner_full``
    its whole edges: their buffers are already in it, so only the rest is buffered and
    united with it (each budget's pieces contain the smaller budget's).
    """
    full = np.isclose(start, 0.0) & np.isclose(end, graph.edge_length[edge])
    lines = []
    fe = edge[full]
    all_full = fe
    if inner_full is not None:
        fe = fe[~np.isin(fe, inner_full)]
    if fe.shape[0]:
        counts = (graph.geom_offsets[fe + 1] - graph.geom_offsets[fe]).astype(np.int64)
        from .graph import _ranges  # shared helper for CSR ranges

        idx = _ranges(graph.geom_offsets[fe].astype(np.int64), counts)
        xy = plane.forward(graph.geom_lon[idx], graph.geom_lat[idx])
        lines.append(shapely.linestrings(xy, indices=np.repeat(np.arange(fe.shape[0]), counts)))
    for e, a, b in zip(edge[~full], start[~full], end[~full], strict=True):
        lon, lat = geo.piece(int(e), float(a), float(b))
        lines.append(np.array([shapely.linestrings(plane.forward(lon, lat))]))
    for xy in extra:
        lines.append(np.array([shapely.linestrings(xy)]))
    if not lines and inner is None:
        return None, None, all_full
    # Buffer each piece, then union: GEOS buffers a whole MultiLineString of overlapping
    # pieces about a hundred times slower than it unions their separate buffers.
    pieces = shapely.buffer(np.concatenate(lines), buffer_m, quad_segs=4) if lines else []
    planar = shapely.union_all([*([inner] if inner is not None else []), *pieces])
    geom = shapely.simplify(planar, 1.0)
    return shapely.transform(geom, plane.inverse), planar, all_full


def isochrone_features(
    graph: WalkGraph,
    stations: Snapped,
    *,
    ids: Sequence[str],
    names: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    station_lon: npt.ArrayLike | None = None,
    station_lat: npt.ArrayLike | None = None,
    minutes: Sequence[float] = (5.0, 10.0, 15.0),
    speed_m_s: float = DEFAULT_SPEED_M_S,
    buffer_m: float = DEFAULT_BUFFER_M,
    progress: bool = False,
) -> dict[str, Any]:
    """Walking isochrones of stations as a GeoJSON FeatureCollection.

    Parameters
    ----------
    graph
        The pedestrian graph.
    stations
        Snapped stations (unsnapped ones get no isochrone).
    ids, names, categories
        Labels copied into each feature's properties.
    station_lon, station_lat
        The stations' own positions, so the connector to the street is drawn too.
    minutes
        Walking times.
    speed_m_s
        Walking speed in metres per second.
    buffer_m
        Buffer around reached street pieces.
    progress
        Show a progress bar on stderr (only when it is a terminal).

    Returns
    -------
    dict
        A FeatureCollection with one (Multi)Polygon feature per station and time; properties
        ``station_id``, ``name``, ``category``, ``minutes`` and ``meters``.
    """
    plane = _Plane(graph)
    geo = _EdgeGeometry(graph)
    net = build_point_network(graph, stations)
    budgets = sorted(float(m) * 60.0 * speed_m_s for m in minutes)
    ok = np.flatnonzero(stations.ok)
    features: list[dict[str, Any]] = []
    it: Any = ok
    if progress:
        import sys

        from tqdm import tqdm

        it = tqdm(ok, desc="isochrones", file=sys.stderr, disable=not sys.stderr.isatty())
    for i in it:
        dist = dijkstra(
            net.adjacency, directed=True, indices=int(net.point_node[i]), limit=budgets[-1]
        )
        du, dv = dist[graph.edge_u], dist[graph.edge_v]
        inner: Any = None
        inner_full: IntArray | None = None
        for budget in budgets:
            left = budget - float(stations.connector[i])
            if left < 0:
                continue
            edge, a, b = reached_intervals(
                graph,
                du,
                dv,
                budget,
                source_edge=int(stations.edge[i]),
                source_offset=float(stations.offset[i]),
                source_budget_m=left,
            )
            extra = []
            if station_lon is not None and station_lat is not None:
                slon = np.asarray(station_lon, dtype=np.float64)[i]
                slat = np.asarray(station_lat, dtype=np.float64)[i]
                extra.append(
                    plane.forward(
                        np.array([slon, stations.lon[i]]), np.array([slat, stations.lat[i]])
                    )
                )
            geom, inner, inner_full = _polygon(
                graph, geo, plane, edge, a, b, extra, buffer_m, inner, inner_full
            )
            if geom is None or geom.is_empty:
                continue
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "station_id": ids[i],
                        "name": names[i] if names is not None else "",
                        "category": categories[i] if categories is not None else "",
                        "minutes": budget / 60.0 / speed_m_s,
                        "meters": budget,
                    },
                    "geometry": shapely.geometry.mapping(geom),
                }
            )
    return {"type": "FeatureCollection", "features": features}
