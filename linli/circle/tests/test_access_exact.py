"""Distances match an independent networkx computation, snapped mid-edge points included."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.circle.access import coverage_matrix, nearest_facilities
from linli.circle.graph import WalkGraph, build_graph
from linli.circle.snap import Snapped, snap_points

LON0, LAT0 = 116.40, 39.90


def random_graph(seed: int, n: int, extra: int) -> WalkGraph:
    rng = np.random.default_rng(seed)
    lon = LON0 + rng.uniform(0, 0.01, n)
    lat = LAT0 + rng.uniform(0, 0.008, n)
    # A random spanning tree keeps it connected; extra edges add cycles and parallels.
    parent = [int(rng.integers(0, i)) for i in range(1, n)]
    u = list(range(1, n)) + list(rng.integers(0, n, extra))
    v = parent + list(rng.integers(0, n, extra))
    return build_graph(lon, lat, u, v)


def to_networkx(g: WalkGraph) -> nx.Graph:
    G = nx.Graph()
    G.add_nodes_from(range(g.n_nodes))
    for a, b, w in zip(g.edge_u, g.edge_v, g.edge_length, strict=True):
        a, b = int(a), int(b)
        if not G.has_edge(a, b) or G[a][b]["weight"] > w:
            G.add_edge(a, b, weight=float(w))
    return G


def nx_point_distance(
    g: WalkGraph,
    G: nx.Graph,
    sp_all: dict[int, dict[int, float]],
    s: Snapped,
    i: int | np.integer,
    j: int | np.integer,
) -> float:
    """Exact point-to-point distance from first principles: leave an edge by an end."""
    i, j = int(i), int(j)
    ei, ej = int(s.edge[i]), int(s.edge[j])
    ends_i = {int(g.edge_u[ei]): s.offset[i], int(g.edge_v[ei]): g.edge_length[ei] - s.offset[i]}
    ends_j = {int(g.edge_u[ej]): s.offset[j], int(g.edge_v[ej]): g.edge_length[ej] - s.offset[j]}
    best = np.inf
    if ei == ej:
        best = abs(s.offset[i] - s.offset[j])
    for (a, da), (b, db) in itertools.product(ends_i.items(), ends_j.items()):
        best = min(best, da + sp_all[a].get(b, np.inf) + db)
    return float(best + s.connector[i] + s.connector[j])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 40),
    extra=st.integers(0, 60),
    n_gates=st.integers(1, 12),
    n_fac=st.integers(1, 8),
)
def test_distances_match_networkx_with_mid_edge_points(
    seed: int, n: int, extra: int, n_gates: int, n_fac: int
) -> None:
    g = random_graph(seed, n, extra)
    rng = np.random.default_rng(seed + 1)
    G = to_networkx(g)
    sp_all = dict(nx.all_pairs_dijkstra_path_length(G, weight="weight"))
    pts_lon = LON0 + rng.uniform(-0.001, 0.011, n_gates + n_fac)
    pts_lat = LAT0 + rng.uniform(-0.001, 0.009, n_gates + n_fac)
    # Some points share an edge with others: copy a few coordinates exactly.
    if n_gates + n_fac > 2:
        pts_lon[-1], pts_lat[-1] = pts_lon[0], pts_lat[0]
    s = snap_points(g, pts_lon, pts_lat, max_snap_m=10_000)
    assert s.ok.all()
    gates, facs = s.subset(np.arange(n_gates)), s.subset(np.arange(n_gates, n_gates + n_fac))
    compound = rng.integers(0, max(1, n_gates // 2), n_gates)
    n_comp = int(compound.max()) + 1
    cats = [["a", "b"][k % 2] for k in range(n_fac)]
    res = nearest_facilities(g, gates, compound, n_comp, facs, cats, categories=["a", "b"])
    for c in range(n_comp):
        for j, cat in enumerate(["a", "b"]):
            want = min(
                (
                    nx_point_distance(g, G, sp_all, s, gi, n_gates + fi)
                    for gi in np.flatnonzero(compound == c)
                    for fi in range(n_fac)
                    if cats[fi] == cat
                ),
                default=np.inf,
            )
            got = res.meters[c, j]
            assert (np.isinf(want) and np.isinf(got)) or abs(got - want) < 0.01
            if np.isfinite(got):
                f = res.facility[c, j]
                assert cats[f] == cat
    # The coverage matrix agrees with the same distances.
    radius = 400.0
    cov = coverage_matrix(g, gates, compound, n_comp, facs, radius_m=radius).toarray()
    for c in range(n_comp):
        for f in range(n_fac):
            d = (
                min(
                    nx_point_distance(g, G, sp_all, s, gi, n_gates + f)
                    for gi in np.flatnonzero(compound == c)
                )
                if (compound == c).any()
                else np.inf
            )
            if abs(d - radius) > 0.01:
                assert cov[c, f] == (d <= radius)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_fac=st.integers(1, 6))
def test_adding_a_facility_never_lengthens_a_distance(seed: int, n_fac: int) -> None:
    g = random_graph(seed, 30, 30)
    rng = np.random.default_rng(seed)
    lon = LON0 + rng.uniform(0, 0.01, 10 + n_fac + 1)
    lat = LAT0 + rng.uniform(0, 0.008, 10 + n_fac + 1)
    s = snap_points(g, lon, lat, max_snap_m=10_000)
    gates = s.subset(np.arange(10))
    comp = np.arange(10)
    before = nearest_facilities(
        g, gates, comp, 10, s.subset(np.arange(10, 10 + n_fac)), ["x"] * n_fac
    )
    after = nearest_facilities(
        g, gates, comp, 10, s.subset(np.arange(10, 11 + n_fac)), ["x"] * (n_fac + 1)
    )
    assert np.all(after.meters <= before.meters + 1e-9)
