"""Pedestrian graph (步行网络) read from an OSM ``.pbf`` and held as numpy arrays.

The graph is undirected.  Graph nodes are way ends and OSM nodes shared by two or more
walkable ways; every other vertex of a way becomes edge geometry.  Edge lengths are the sum
of haversine segment lengths along the way, so they match OSMnx's ``length`` attribute.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .errors import CircleInputError
from .osmread import RawWays, is_walkable, read_ways

__all__ = [
    "EARTH_RADIUS_M",
    "GraphReport",
    "WalkGraph",
    "build_graph",
    "haversine_m",
    "is_walkable",
    "load_graph",
    "read_pbf",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Mean earth radius used by OSMnx's ``great_circle`` (and therefore by its edge lengths).
EARTH_RADIUS_M = 6_371_009.0

#: Bump when the parsing rules change so that stale caches are not reused.
_CACHE_VERSION = 2


def haversine_m(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in metres, vectorised.

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        Coordinates in degrees (WGS-84), broadcastable.

    Returns
    -------
    numpy.ndarray
        Distances in metres on a sphere of radius :data:`EARTH_RADIUS_M`.
    """
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    h = np.minimum(h, 1.0)
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h)), dtype=np.float64)


@dataclass(frozen=True)
class GraphReport:
    """What reading a network kept and dropped."""

    source: str = ""
    ways_read: int = 0
    ways_walkable: int = 0
    missing_locations: int = 0
    self_loops_dropped: int = 0
    parallel_edges_dropped: int = 0
    components: int = 0
    components_dropped: int = 0
    nodes_dropped: int = 0
    edges_dropped: int = 0
    nodes: int = 0
    edges: int = 0
    from_cache: bool = False


@dataclass(frozen=True, eq=False)
class WalkGraph:
    """An undirected pedestrian graph.

    Attributes
    ----------
    node_lon, node_lat
        Node coordinates in degrees, shape ``(n,)``.
    node_osm_id
        OSM node id of each graph node (``-1`` for synthetic nodes).
    edge_u, edge_v
        Edge end nodes, shape ``(m,)``; the geometry runs from ``u`` to ``v``.
    edge_length
        Edge length in metres.
    geom_offsets
        CSR offsets, shape ``(m + 1,)``: the vertices of edge ``e`` (both ends included) are
        ``geom_lon[geom_offsets[e]:geom_offsets[e + 1]]``.
    geom_lon, geom_lat
        Concatenated edge vertex coordinates.
    report
        What was kept and dropped while building.
    street_names
        The distinct names of the ways (``name`` tag), sorted.
    edge_name
        Index into ``street_names`` of each edge's way, ``-1`` for an unnamed way; empty when
        the graph was built without names.
    """

    node_lon: FloatArray
    node_lat: FloatArray
    node_osm_id: IntArray
    edge_u: IntArray
    edge_v: IntArray
    edge_length: FloatArray
    geom_offsets: IntArray
    geom_lon: FloatArray
    geom_lat: FloatArray
    report: GraphReport = field(default_factory=GraphReport)
    street_names: npt.NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, dtype="<U1"))
    edge_name: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def street_name(self, edge: int) -> str:
        """The name of the way edge ``edge`` belongs to ("" when unnamed or unknown)."""
        if not 0 <= edge < self.edge_name.shape[0]:
            return ""
        k = int(self.edge_name[edge])
        return str(self.street_names[k]) if k >= 0 else ""

    def streets_at(self, edge: int, offset: float, *, within_m: float = 1.0) -> tuple[str, ...]:
        """The named streets at a point ``offset`` metres along ``edge``: its own way, and when
        the point is a junction (within ``within_m`` of an end) every way meeting there.

        Distinct names, the point's own way first; empty when none is named.
        """
        if not 0 <= edge < self.n_edges:
            return ()
        edges = [edge]
        length = float(self.edge_length[edge])
        for node, dist in ((self.edge_u[edge], offset), (self.edge_v[edge], length - offset)):
            if dist <= within_m:
                edges += np.flatnonzero((self.edge_u == node) | (self.edge_v == node)).tolist()
        names = [self.street_name(int(e)) for e in edges]
        return tuple(dict.fromkeys(n for n in names if n))

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_lon.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return int(self.edge_u.shape[0])

    @cached_property
    def adjacency(self) -> sp.csr_array:
        """Symmetric CSR adjacency with edge lengths as weights (built once)."""
        n = self.n_nodes
        rows = np.concatenate([self.edge_u, self.edge_v])
        cols = np.concatenate([self.edge_v, self.edge_u])
        data = np.concatenate([self.edge_length, self.edge_length])
        # Explicit zero weights are edges for scipy.sparse.csgraph; keep them.
        return sp.csr_array((data, (rows, cols)), shape=(n, n))

    @cached_property
    def origin(self) -> tuple[float, float]:
        """Centre (lon, lat) of the node bounding box, used for local projections."""
        return (
            float((self.node_lon.min() + self.node_lon.max()) / 2),
            float((self.node_lat.min() + self.node_lat.max()) / 2),
        )

    @cached_property
    def bbox(self) -> tuple[float, float, float, float]:
        """``(min_lon, min_lat, max_lon, max_lat)`` of the nodes and edge geometry."""
        return (
            float(self.geom_lon.min()),
            float(self.geom_lat.min()),
            float(self.geom_lon.max()),
            float(self.geom_lat.max()),
        )

    @cached_property
    def segments(self) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
        """Straight segments of all edges.

        Returns
        -------
        tuple
            ``(seg_edge, seg_start, seg_offset, seg_length)``: the edge of each segment, the
            index of its first vertex in ``geom_lon``, the distance from the edge's ``u`` to
            the segment start, and the segment's haversine length.
        """
        counts = np.diff(self.geom_offsets) - 1
        seg_edge = np.repeat(np.arange(self.n_edges, dtype=np.int64), counts)
        keep = np.ones(self.geom_lon.shape[0], dtype=bool)
        keep[self.geom_offsets[1:] - 1] = False
        seg_start = np.flatnonzero(keep).astype(np.int64)
        seg_length = haversine_m(
            self.geom_lon[seg_start],
            self.geom_lat[seg_start],
            self.geom_lon[seg_start + 1],
            self.geom_lat[seg_start + 1],
        )
        cs = np.concatenate([[0.0], np.cumsum(seg_length)])
        first = np.cumsum(counts) - counts  # index of each edge's first segment
        seg_offset = cs[:-1] - np.repeat(cs[first], counts)
        return seg_edge, seg_start, seg_offset, seg_length

    def to_npz_dict(self) -> dict[str, Any]:
        """Arrays for :func:`numpy.savez_compressed`."""
        return {
            "node_lon": self.node_lon,
            "node_lat": self.node_lat,
            "node_osm_id": self.node_osm_id,
            "edge_u": self.edge_u,
            "edge_v": self.edge_v,
            "edge_length": self.edge_length,
            "geom_offsets": self.geom_offsets,
            "geom_lon": self.geom_lon,
            "geom_lat": self.geom_lat,
            "street_names": self.street_names,
            "edge_name": self.edge_name,
            "report": np.array(json.dumps(asdict(self.report))),
        }


def build_graph(
    node_lon: npt.ArrayLike,
    node_lat: npt.ArrayLike,
    edge_u: npt.ArrayLike,
    edge_v: npt.ArrayLike,
    *,
    edge_length: npt.ArrayLike | None = None,
    geom_offsets: npt.ArrayLike | None = None,
    geom_lon: npt.ArrayLike | None = None,
    geom_lat: npt.ArrayLike | None = None,
    node_osm_id: npt.ArrayLike | None = None,
    largest_component: bool = True,
    report: GraphReport | None = None,
    edge_name: npt.ArrayLike | None = None,
    street_names: Sequence[str] | None = None,
) -> WalkGraph:
    """Build a :class:`WalkGraph` from arrays.

    Self-loops are dropped, parallel edges collapse to the shortest, and (by default) only
    the largest connected component is kept.

    Parameters
    ----------
    node_lon, node_lat
        Node coordinates in degrees.
    edge_u, edge_v
        Edge end node indices.
    edge_length
        Edge lengths in metres; by default the length of the geometry.
    geom_offsets, geom_lon, geom_lat
        Edge geometry as CSR (see :class:`WalkGraph`); by default straight lines.
    node_osm_id
        OSM ids of the nodes.
    largest_component
        Keep only the largest connected component.
    report
        Counts from an earlier stage to carry into the result's report.
    edge_name, street_names
        Each edge's index into ``street_names`` (``-1``: unnamed); by default no names.

    Returns
    -------
    WalkGraph
    """
    lon = np.ascontiguousarray(node_lon, dtype=np.float64)
    lat = np.ascontiguousarray(node_lat, dtype=np.float64)
    u = np.ascontiguousarray(edge_u, dtype=np.int64)
    v = np.ascontiguousarray(edge_v, dtype=np.int64)
    n, m = lon.shape[0], u.shape[0]
    osm_id = (
        np.full(n, -1, dtype=np.int64)
        if node_osm_id is None
        else np.ascontiguousarray(node_osm_id, dtype=np.int64)
    )
    if geom_offsets is None:
        offsets = np.arange(0, 2 * m + 1, 2, dtype=np.int64)
        glon = np.column_stack([lon[u], lon[v]]).ravel()
        glat = np.column_stack([lat[u], lat[v]]).ravel()
    else:
        offsets = np.ascontiguousarray(geom_offsets, dtype=np.int64)
        glon = np.ascontiguousarray(geom_lon, dtype=np.float64)
        glat = np.ascontiguousarray(geom_lat, dtype=np.float64)
    if edge_length is None:
        length = _geometry_lengths(offsets, glon, glat)
    else:
        length = np.ascontiguousarray(edge_length, dtype=np.float64)
    named = edge_name is not None
    ename = np.ascontiguousarray(edge_name, dtype=np.int64) if named else np.full(m, -1, np.int64)

    rep = report or GraphReport()
    # Self-loops carry no shortest path; parallel edges collapse to the shortest.
    loops = u == v
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((length, hi, lo))
    order = order[~loops[order]]
    lo_s, hi_s = lo[order], hi[order]
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = (lo_s[1:] != lo_s[:-1]) | (hi_s[1:] != hi_s[:-1])
    keep_edges = np.sort(order[first])
    n_parallel = int((~first).sum())

    u, v, length, ename = u[keep_edges], v[keep_edges], length[keep_edges], ename[keep_edges]
    offsets, glon, glat = _take_geometry(offsets, glon, glat, keep_edges)

    n_comp = 0
    comp_dropped = nodes_dropped = edges_dropped = 0
    node_keep = np.zeros(n, dtype=bool)
    node_keep[u] = True
    node_keep[v] = True
    if largest_component and u.shape[0]:
        adj = sp.csr_array((np.ones(u.shape[0]), (u, v)), shape=(n, n))
        n_comp, labels = connected_components(adj, directed=False)
        sizes = np.bincount(labels[node_keep], minlength=n_comp)
        n_comp = int((sizes > 0).sum())
        biggest = int(np.argmax(sizes))
        comp_dropped = n_comp - 1
        in_big = labels == biggest
        nodes_dropped = int((node_keep & ~in_big).sum())
        node_keep &= in_big
        e_keep = np.flatnonzero(in_big[u])
        edges_dropped = u.shape[0] - e_keep.shape[0]
        u, v, length, ename = u[e_keep], v[e_keep], length[e_keep], ename[e_keep]
        offsets, glon, glat = _take_geometry(offsets, glon, glat, e_keep)
    new_index = np.cumsum(node_keep) - 1
    kept = np.flatnonzero(node_keep)
    rep = GraphReport(
        **{
            **asdict(rep),
            "self_loops_dropped": rep.self_loops_dropped + int(loops.sum()),
            "parallel_edges_dropped": rep.parallel_edges_dropped + n_parallel,
            "components": n_comp,
            "components_dropped": comp_dropped,
            "nodes_dropped": nodes_dropped,
            "edges_dropped": edges_dropped,
            "nodes": int(kept.shape[0]),
            "edges": int(u.shape[0]),
        }
    )
    return WalkGraph(
        node_lon=lon[kept],
        node_lat=lat[kept],
        node_osm_id=osm_id[kept],
        edge_u=new_index[u].astype(np.int64),
        edge_v=new_index[v].astype(np.int64),
        edge_length=length,
        geom_offsets=offsets,
        geom_lon=glon,
        geom_lat=glat,
        report=rep,
        street_names=np.asarray(list(street_names or []), dtype=np.str_),
        edge_name=ename if named else np.zeros(0, dtype=np.int64),
    )


def _ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """Concatenate ``arange(s, s + c)`` for each pair, vectorised."""
    nz = counts > 0
    s, c = starts[nz].astype(np.int64), counts[nz].astype(np.int64)
    if c.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(c)
    idx = np.ones(int(ends[-1]), dtype=np.int64)
    idx[0] = s[0]
    idx[ends[:-1]] = s[1:] - (s[:-1] + c[:-1] - 1)
    return np.cumsum(idx)


def _geometry_lengths(offsets: IntArray, glon: FloatArray, glat: FloatArray) -> FloatArray:
    """Sum of haversine segment lengths of each CSR edge geometry."""
    if offsets.shape[0] <= 1:
        return np.zeros(0, dtype=np.float64)
    seg = haversine_m(glon[:-1], glat[:-1], glon[1:], glat[1:])
    seg[offsets[1:-1] - 1] = 0.0  # the gap between one edge's end and the next's start
    return np.asarray(np.add.reduceat(np.append(seg, 0.0), offsets[:-1]), dtype=np.float64)


def _take_geometry(
    offsets: IntArray, glon: FloatArray, glat: FloatArray, edges: IntArray
) -> tuple[IntArray, FloatArray, FloatArray]:
    counts = (offsets[edges + 1] - offsets[edges]).astype(np.int64)
    idx = _ranges(offsets[edges].astype(np.int64), counts)
    new_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return new_offsets, glon[idx], glat[idx]


def _ways_arrays(
    raw: RawWays, source: str
) -> tuple[IntArray, FloatArray, FloatArray, IntArray, GraphReport, IntArray, list[str]]:
    """The buffers of :func:`.osmread.read_ways` as arrays: node refs, lon, lat, per-piece
    start offsets, the report, and each piece's index into the sorted street names."""
    xy = np.frombuffer(raw.coords, dtype=np.float64).reshape(-1, 2)
    counts = np.frombuffer(raw.counts, dtype=np.int64)
    report = GraphReport(
        source=source,
        ways_read=raw.ways_read,
        ways_walkable=raw.ways_walkable,
        missing_locations=raw.missing_locations,
    )
    street_names = sorted({n for n in raw.names if n})
    index = {n: i for i, n in enumerate(street_names)}
    piece_name = np.asarray([index.get(n, -1) for n in raw.names], dtype=np.int64)
    if piece_name.shape[0] != counts.shape[0]:  # a reader without names
        piece_name = np.full(counts.shape[0], -1, dtype=np.int64)
    return (
        np.frombuffer(raw.refs, dtype=np.int64),
        np.ascontiguousarray(xy[:, 0]),
        np.ascontiguousarray(xy[:, 1]),
        np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        report,
        piece_name,
        street_names,
    )


def _graph_from_ways(
    refs: IntArray,
    lon: FloatArray,
    lat: FloatArray,
    starts: IntArray,
    report: GraphReport,
    piece_name: IntArray | None = None,
    street_names: list[str] | None = None,
) -> WalkGraph:
    n_pos = refs.shape[0]
    if n_pos == 0:
        raise CircleInputError(report.source, problem="it contains no walkable ways")
    # Pieces of one vertex carry no segment.
    counts = np.diff(starts)
    way_of = np.repeat(np.arange(counts.shape[0]), counts)
    uniq, inv = np.unique(refs, return_inverse=True)
    uses = np.bincount(inv, minlength=uniq.shape[0])
    is_end = np.zeros(n_pos, dtype=bool)
    is_end[starts[:-1]] = True
    is_end[starts[1:] - 1] = True
    node_flag = np.zeros(uniq.shape[0], dtype=bool)
    node_flag[inv[is_end | (uses[inv] >= 2)]] = True
    # Within-way cumulative length, only to compare edges below.
    seg = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
    seg[starts[1:-1] - 1] = 0.0
    csum = np.concatenate([[0.0], np.cumsum(seg)])
    # Self-loops (rings touching the rest at one node) and the longer of two ways between
    # the same junctions would vanish when the graph drops loops and collapses parallel
    # edges, losing streets that points may need to snap to.  Promoting interior vertices
    # to nodes keeps them as ordinary edges; only straight duplicates are left to collapse.
    for _ in range(4):
        gpos = np.flatnonzero(node_flag[inv])
        same_way = way_of[gpos[1:]] == way_of[gpos[:-1]]
        a, b = gpos[:-1][same_way], gpos[1:][same_way]
        eu, ev = inv[a], inv[b]
        lo, hi = np.minimum(eu, ev), np.maximum(eu, ev)
        order = np.lexsort((csum[b] - csum[a], hi, lo))
        dup = np.zeros(a.shape[0], dtype=bool)
        dup[order[1:]] = (lo[order][1:] == lo[order][:-1]) & (hi[order][1:] == hi[order][:-1])
        loop = eu == ev
        span = b - a
        fix_dup = np.flatnonzero(dup & ~loop & (span >= 2))
        fix_loop = np.flatnonzero(loop & (span >= 3))
        if fix_dup.shape[0] == 0 and fix_loop.shape[0] == 0:
            break
        promote = np.concatenate(
            [
                a[fix_dup] + span[fix_dup] // 2,
                a[fix_loop] + span[fix_loop] // 3,
                a[fix_loop] + 2 * span[fix_loop] // 3,
            ]
        )
        node_flag[inv[promote]] = True

    # Per-edge sums rather than differences of one long cumulative sum, whose rounding
    # would drift by millimetres across a city.
    counts_e = (b - a + 1).astype(np.int64)
    gidx = _ranges(a.astype(np.int64), counts_e)
    offsets = np.concatenate([[0], np.cumsum(counts_e)]).astype(np.int64)
    glon, glat = lon[gidx], lat[gidx]
    length = _geometry_lengths(offsets, glon, glat)

    node_ids = np.flatnonzero(node_flag)
    index_of = np.full(uniq.shape[0], -1, dtype=np.int64)
    index_of[node_ids] = np.arange(node_ids.shape[0])
    first_pos = np.zeros(uniq.shape[0], dtype=np.int64)
    first_pos[inv[::-1]] = np.arange(n_pos - 1, -1, -1)
    npos = first_pos[node_ids]
    return build_graph(
        lon[npos],
        lat[npos],
        index_of[inv[a]],
        index_of[inv[b]],
        edge_length=length,
        geom_offsets=offsets,
        geom_lon=glon,
        geom_lat=glat,
        node_osm_id=uniq[node_ids],
        report=report,
        edge_name=None if piece_name is None else piece_name[way_of[a]],
        street_names=street_names,
    )


def read_pbf(path: str | Path) -> WalkGraph:
    """Read the walkable network of an OSM file without caching.

    Parameters
    ----------
    path
        An OSM ``.pbf`` (or any format libosmium reads, by extension).

    Returns
    -------
    WalkGraph

    Raises
    ------
    CircleInputError
        If the file is missing, unreadable or holds no walkable way.
    """
    p = Path(path)
    if not p.is_file():
        raise CircleInputError(str(p), problem="the file does not exist")
    try:
        raw = read_ways(p)
    except (RuntimeError, ValueError, OSError) as exc:
        raise CircleInputError(str(p), problem=f"it is not a readable OSM file ({exc})") from exc
    return _graph_from_ways(*_ways_arrays(raw, str(p)))


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_graph(
    path: str | Path,
    *,
    cache_dir: str | Path | None = None,
) -> WalkGraph:
    """Load the pedestrian graph of an OSM ``.pbf``, with an optional on-disk cache.

    Parameters
    ----------
    path
        The OSM ``.pbf`` file.
    cache_dir
        Directory for compressed ``.npz`` caches keyed by the file's sha256 and the parsing
        settings; ``None`` disables caching.

    Returns
    -------
    WalkGraph
        ``graph.report.from_cache`` tells whether the cache was used.

    Raises
    ------
    CircleInputError
        If the file is missing, unreadable or holds no walkable way.
    """
    p = Path(path)
    if cache_dir is None or not p.is_file():
        return read_pbf(p)
    settings = {"version": _CACHE_VERSION, "filter": "osmnx-2.1-walk", "largest_component": True}
    key = hashlib.sha256(
        (_file_sha256(p) + json.dumps(settings, sort_keys=True)).encode()
    ).hexdigest()[:32]
    cache = Path(cache_dir) / f"walkgraph-{key}.npz"
    if cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as z:
                report = GraphReport(**{**json.loads(str(z["report"])), "from_cache": True})
                return WalkGraph(**{k: z[k] for k in z.files if k != "report"}, report=report)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # A corrupt cache is rebuilt below.
    graph = read_pbf(p)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **graph.to_npz_dict())
    tmp.replace(cache)
    return graph
