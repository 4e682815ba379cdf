"""Exact walking distances from compounds to the nearest facility of each category.

Snapped points sit in the middle of edges.  Rather than approximating them by the nearest
node, the graph is augmented: every edge carrying snapped points is replaced by a chain
``u - p1 - p2 - … - v`` through the split points (sorted by offset), and every point hangs
off its split point by its straight connector.  Distances on the augmented graph are then
exact network distances point to point, connectors included at both ends, and a gate on the
same edge as a facility is handled without special cases.  Each category needs one
multi-source Dijkstra (``scipy.sparse.csgraph.dijkstra`` with ``min_only=True``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .graph import WalkGraph
from .snap import Snapped, Unsnapped

__all__ = [
    "DEFAULT_SPEED_M_S",
    "AccessResult",
    "PointNetwork",
    "build_point_network",
    "concat_snapped",
    "coverage_matrix",
    "multi_source",
    "nearest_facilities",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Default walking speed, 1.0 m/s = 60 m a minute (a conservative pace that includes
#: waiting at crossings; GB 50180-2018 counts 300 m as five minutes).
DEFAULT_SPEED_M_S = 1.0

#: Cap on the floats one chunk of the coverage matrix may allocate (``chunk × nodes``).
_CHUNK_FLOATS = 8_000_000


@dataclass(frozen=True, eq=False)
class PointNetwork:
    """A graph augmented with snapped points as nodes.

    Attributes
    ----------
    adjacency
        Symmetric CSR adjacency of graph nodes, split nodes and point nodes.
    n_graph_nodes
        Graph node ``i`` of the original graph is node ``i`` here.
    point_node
        Node of each point (``-1`` for points that were not snapped).
    split_node
        Node where each point's connector meets its edge (``-1`` if not snapped).
    """

    adjacency: sp.csr_array
    n_graph_nodes: int
    point_node: IntArray
    split_node: IntArray


def concat_snapped(parts: Sequence[Snapped]) -> Snapped:
    """Concatenate snapped point sets, re-indexing their unsnapped lists.

    Parameters
    ----------
    parts
        Snapped point sets in order.

    Returns
    -------
    Snapped
    """
    shift = np.cumsum([0] + [p.n for p in parts])
    return Snapped(
        edge=np.concatenate([p.edge for p in parts]),
        offset=np.concatenate([p.offset for p in parts]),
        connector=np.concatenate([p.connector for p in parts]),
        lon=np.concatenate([p.lon for p in parts]),
        lat=np.concatenate([p.lat for p in parts]),
        ok=np.concatenate([p.ok for p in parts]),
        unsnapped=[
            Unsnapped(u.index + int(shift[k]), u.id, u.distance_m)
            for k, p in enumerate(parts)
            for u in p.unsnapped
        ],
    )


def build_point_network(graph: WalkGraph, points: Snapped) -> PointNetwork:
    """Augment a graph with snapped points (see the module docstring).

    Parameters
    ----------
    graph
        The pedestrian graph.
    points
        Points snapped to it.

    Returns
    -------
    PointNetwork
    """
    n = graph.n_nodes
    ok = np.flatnonzero(points.ok)
    k = ok.shape[0]
    split_node = np.full(points.n, -1, dtype=np.int64)
    point_node = np.full(points.n, -1, dtype=np.int64)
    split_node[ok] = n + np.arange(k)
    point_node[ok] = n + k + np.arange(k)

    e = points.edge[ok]
    o = points.offset[ok]
    order = np.lexsort((o, e))
    e_s, o_s, s_s = e[order], o[order], split_node[ok][order]
    first = np.r_[True, e_s[1:] != e_s[:-1]] if k else np.zeros(0, dtype=bool)
    last = np.r_[e_s[1:] != e_s[:-1], True] if k else np.zeros(0, dtype=bool)
    prev_node = np.where(first, graph.edge_u[e_s], np.r_[-1, s_s[:-1]] if k else s_s)
    prev_off = np.where(first, 0.0, np.r_[0.0, o_s[:-1]] if k else o_s)
    # Offsets are sorted within an edge, so every chain piece has a non-negative length.
    chain_a = np.concatenate([prev_node, s_s[last]])
    chain_b = np.concatenate([s_s, graph.edge_v[e_s[last]]])
    chain_w = np.concatenate([o_s - prev_off, graph.edge_length[e_s[last]] - o_s[last]])
    chain_w = np.maximum(chain_w, 0.0)

    keep = np.ones(graph.n_edges, dtype=bool)
    keep[e] = False
    a = np.concatenate([graph.edge_u[keep], chain_a, split_node[ok]])
    b = np.concatenate([graph.edge_v[keep], chain_b, point_node[ok]])
    w = np.concatenate([graph.edge_length[keep], chain_w, points.connector[ok]])
    size = n + 2 * k
    adj = sp.csr_array(
        (np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))),
        shape=(size, size),
    )
    return PointNetwork(
        adjacency=adj, n_graph_nodes=n, point_node=point_node, split_node=split_node
    )


def multi_source(
    net: PointNetwork, sources: npt.ArrayLike, *, cutoff_m: float | None = None
) -> tuple[FloatArray, IntArray]:
    """Distances from the nearest of several source points to every node.

    Parameters
    ----------
    net
        The augmented network.
    sources
        Indices of the source points (unsnapped ones are ignored).
    cutoff_m
        Stop searching beyond this distance; farther nodes get ``inf``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(dist, nearest)``: distance in metres per node and the index of the source point
        it comes from (``-1`` where unreached).
    """
    src = np.asarray(sources, dtype=np.int64)
    nodes = net.point_node[src]
    src = src[nodes >= 0]
    nodes = nodes[nodes >= 0]
    size = net.adjacency.shape[0]
    if nodes.shape[0] == 0:
        return np.full(size, np.inf), np.full(size, -1, dtype=np.int64)
    limit = np.inf if cutoff_m is None else float(cutoff_m)
    dist, _pred, origin = dijkstra(
        net.adjacency,
        directed=True,
        indices=nodes,
        min_only=True,
        limit=limit,
        return_predecessors=True,
    )
    point_of = np.full(size, -1, dtype=np.int64)
    point_of[nodes] = src
    nearest = np.where(origin >= 0, point_of[np.maximum(origin, 0)], -1)
    return np.asarray(dist, dtype=np.float64), nearest.astype(np.int64)


@dataclass(frozen=True, eq=False)
class AccessResult:
    """Nearest-facility distances per compound and category.

    Attributes
    ----------
    categories
        Column labels of ``meters`` and ``facility``.
    meters
        Walking distance in metres, shape ``(n_compounds, n_categories)``; ``inf`` where no
        facility is reachable (within the cutoff).
    facility
        Index of the nearest facility, ``-1`` where unreachable.
    speed_m_s
        Walking speed used for :attr:`minutes`.
    """

    categories: list[str]
    meters: FloatArray
    facility: IntArray
    speed_m_s: float = DEFAULT_SPEED_M_S

    @property
    def minutes(self) -> FloatArray:
        """Walking time in minutes (``meters / speed / 60``)."""
        return np.asarray(self.meters / self.speed_m_s / 60.0, dtype=np.float64)

    def column(self, category: str) -> FloatArray:
        """Distances in metres to ``category``."""
        return np.asarray(self.meters[:, self.categories.index(category)], dtype=np.float64)


def nearest_facilities(
    graph: WalkGraph,
    gates: Snapped,
    gate_compound: npt.ArrayLike,
    n_compounds: int,
    facilities: Snapped,
    facility_category: Sequence[str],
    *,
    categories: Sequence[str] | None = None,
    cutoff_m: float | None = None,
    speed_m_s: float = DEFAULT_SPEED_M_S,
    progress: bool = False,
) -> AccessResult:
    """Walking distance from each compound to the nearest facility of each category.

    A compound with several gates takes its best gate.  One bounded multi-source Dijkstra
    runs per category.

    Parameters
    ----------
    graph
        The pedestrian graph.
    gates
        Snapped gates.
    gate_compound
        Compound index of each gate.
    n_compounds
        Number of compounds.
    facilities
        Snapped facilities.
    facility_category
        Category code of each facility.
    categories
        Categories to compute, by default those present among the facilities (sorted).
    cutoff_m
        Search limit; farther facilities count as unreachable.
    speed_m_s
        Walking speed in metres per second.
    progress
        Show a progress bar on stderr (only when it is a terminal).

    Returns
    -------
    AccessResult
    """
    if speed_m_s <= 0:
        raise ValueError("speed_m_s must be positive")
    group = np.asarray(gate_compound, dtype=np.int64)
    cats = list(categories) if categories is not None else sorted(set(facility_category))
    fac_cat = np.asarray(facility_category, dtype=object)
    net = build_point_network(graph, concat_snapped([gates, facilities]))
    meters = np.full((n_compounds, len(cats)), np.inf)
    fac = np.full((n_compounds, len(cats)), -1, dtype=np.int64)
    # Gates sorted by compound once, so that each category needs only reduceat calls:
    # the per-category work outside Dijkstra stays O(gates), not O(nodes) or a sort.
    gate_nodes = net.point_node[: gates.n]
    ok = np.flatnonzero(gate_nodes >= 0)
    order = ok[np.argsort(group[ok], kind="stable")]
    gn, gg = gate_nodes[order], group[order]
    fac_nodes = net.point_node[gates.n :]
    point_of = np.full(net.adjacency.shape[0], -1, dtype=np.int64)
    point_of[fac_nodes[fac_nodes >= 0]] = np.flatnonzero(fac_nodes >= 0)
    limit = np.inf if cutoff_m is None else float(cutoff_m)
    if gn.shape[0]:
        starts = np.flatnonzero(np.r_[True, gg[1:] != gg[:-1]])
        comp = gg[starts]
        pos = np.arange(gn.shape[0])
        counts = np.diff(np.r_[starts, gn.shape[0]])
    for j, cat in _progress(list(enumerate(cats)), progress, "nearest facility"):
        src = fac_nodes[(fac_cat == cat) & (fac_nodes >= 0)]
        if src.shape[0] == 0 or gn.shape[0] == 0:
            continue
        dist, _pred, origin = dijkstra(
            net.adjacency,
            directed=True,
            indices=src,
            min_only=True,
            limit=limit,
            return_predecessors=True,
        )
        dg = dist[gn]
        best = np.minimum.reduceat(dg, starts)
        first = np.minimum.reduceat(
            np.where(dg == np.repeat(best, counts), pos, gn.shape[0]), starts
        )
        reached = np.isfinite(best)
        meters[comp, j] = best
        fac[comp[reached], j] = point_of[origin[gn[first[reached]]]]
    return AccessResult(categories=cats, meters=meters, facility=fac, speed_m_s=speed_m_s)


def _progress[T](items: list[T], enabled: bool, desc: str) -> Iterable[T]:
    """``items``, shown as a progress bar on a terminal (tqdm is imported only then)."""
    import sys

    if not enabled or not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, file=sys.stderr)


def coverage_matrix(
    graph: WalkGraph,
    demand: Snapped,
    demand_row: npt.ArrayLike,
    n_demand: int,
    candidates: Snapped,
    *,
    radius_m: float,
) -> sp.csr_array:
    """Which candidate sites cover which demand rows within a walking radius.

    Parameters
    ----------
    graph
        The pedestrian graph.
    demand
        Snapped demand points (gates); several may belong to one demand row.
    demand_row
        Demand row (compound) of each demand point.
    n_demand
        Number of demand rows.
    candidates
        Snapped candidate sites.
    radius_m
        A row is covered by a candidate if any of its points is within this distance.

    Returns
    -------
    scipy.sparse.csr_array
        Boolean, shape ``(n_demand, n_candidates)``.
    """
    rows_of = np.asarray(demand_row, dtype=np.int64)
    net = build_point_network(graph, concat_snapped([demand, candidates]))
    d_nodes = net.point_node[: demand.n]
    c_nodes = net.point_node[demand.n :]
    d_ok = np.flatnonzero(d_nodes >= 0)
    c_ok = np.flatnonzero(c_nodes >= 0)
    # Search from the smaller side; the graph is undirected so distances are symmetric.
    from_candidates = c_ok.shape[0] <= d_ok.shape[0]
    src_idx, dst_idx = (c_ok, d_ok) if from_candidates else (d_ok, c_ok)
    src_nodes = (c_nodes if from_candidates else d_nodes)[src_idx]
    dst_nodes = (d_nodes if from_candidates else c_nodes)[dst_idx]
    size = net.adjacency.shape[0]
    chunk = max(1, _CHUNK_FLOATS // max(size, 1))
    hit_src: list[IntArray] = []
    hit_dst: list[IntArray] = []
    for start in range(0, src_nodes.shape[0], chunk):
        block = dijkstra(
            net.adjacency,
            directed=True,
            indices=src_nodes[start : start + chunk],
            limit=float(radius_m),
        )
        within = block[:, dst_nodes] <= radius_m
        i, j = np.nonzero(within)
        hit_src.append(src_idx[start + i])
        hit_dst.append(dst_idx[j])
    hs = np.concatenate(hit_src) if hit_src else np.zeros(0, dtype=np.int64)
    hd = np.concatenate(hit_dst) if hit_dst else np.zeros(0, dtype=np.int64)
    cand, gate = (hs, hd) if from_candidates else (hd, hs)
    mat = sp.coo_array(
        (np.ones(cand.shape[0], dtype=bool), (rows_of[gate], cand)),
        shape=(n_demand, candidates.n),
    ).tocsr()
    mat.sum_duplicates()
    return sp.csr_array(mat.astype(bool))
