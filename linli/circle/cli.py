"""Command line: ``python -m linli.circle analyze|site``.

Bad inputs end with exit code 2 and one line naming the file, row, column and value.
"""

from __future__ import annotations

import argparse
import csv
import functools
import itertools
import json
import math
import re
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Nothing heavy at module level: ``--help`` and a bad option answer without importing numpy.
from .errors import CircleInputError

if TYPE_CHECKING:
    from .coverage import CoverageBlock
    from .gaps import GapBlock
    from .io import Compounds

__all__ = ["main"]

ALL_OUTPUTS = ("access", "coverage", "gaps", "isochrones", "map")

#: Default search limit: beyond it a facility counts as out of walking reach (empty meters).
DEFAULT_MAX_DISTANCE_M = 3000.0


def _log(msg: str) -> None:
    print(msg, file=sys.stderr)


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


@functools.lru_cache(maxsize=1 << 16)  # names and ids repeat on every row of their compound
def _q(text: str) -> str:
    """One CSV field exactly as :func:`csv.writer` writes it: quoted when it holds ``,`` ``"``
    or a line break, with ``"`` doubled."""
    if _NEEDS_QUOTES.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def _n(x: float) -> str:
    """A count or a limit in full: ``1717624``, never ``:g``'s ``1.71762e+06``; an empty field
    for NaN (households not given)."""
    return "" if x != x else f"{x:.15g}"


# The same few texts and counts recur on every row of their compound, area or rule: the line
# builders below format them once per compound, area or rule, or look them up.
_num = functools.lru_cache(maxsize=1 << 16)(_n)


@functools.lru_cache(maxsize=1 << 16)
def _fields(*texts: str) -> str:
    return ",".join(map(_q, texts))


def _coverage_lines(blocks: Iterable[CoverageBlock]) -> Iterator[str]:
    """``coverage.csv``'s lines, the rows of :func:`.coverage.coverage_table` in its order."""
    from .coverage import share

    for b in blocks:
        thresholds = [
            f"{_q(label)},{_num(limit)}"
            for label, limit in zip(b.thresholds, b.limits_m.tolist(), strict=True)
        ]
        pop, hh = b.population.tolist(), b.households.tolist()
        tot_pop, tot_hh = b.total_population.tolist(), b.total_households.tolist()
        for a, area in enumerate(b.areas):
            tp, th = tot_pop[a], tot_hh[a]
            totals = f"{_num(tp)},{_num(th)}"
            for k, cat in enumerate(b.categories):
                head = _fields(b.scope, area, cat)
                for threshold, p, h in zip(thresholds, pop[a][k], hh[a][k], strict=True):
                    yield (
                        f"{head},{threshold},{_num(p)},{_num(h)},{totals},"
                        f"{share(p, tp):.4f},{share(h, th):.4f}\r\n"
                    )


def _gap_lines(
    blocks: Iterable[GapBlock], compounds: Compounds, facility_ids: Sequence[str]
) -> Iterator[str]:
    """``gaps.csv``'s lines, the gaps of :func:`.gaps.find_gaps` in its order."""
    who = [
        _fields(*texts)
        for texts in zip(
            compounds.ids, compounds.names, compounds.community, compounds.subdistrict, strict=True
        )
    ]
    people = [
        f"{_n(p)},{_n(h)}"
        for p, h in zip(compounds.population.tolist(), compounds.households.tolist(), strict=True)
    ]
    nearest = [*map(_q, facility_ids), ""]  # index -1: none reachable
    for rule, lacking, meters, facility in blocks:
        limit = rule.max_distance_m
        head = f"{_fields(rule.standard, rule.level, rule.category)},"
        limit_text = _n(limit)
        tail = f",{_q(rule.source)}\r\n"
        for c, m, f in zip(lacking.tolist(), meters.tolist(), facility.tolist(), strict=True):
            distances = f"{m:.2f},{m - limit:.2f}" if m < math.inf else ",unreachable"
            yield f"{head}{who[c]},{limit_text},{distances},{people[c]},{nearest[f]}{tail}"


def _write_csv_lines(path: Path, header: Sequence[str], lines: Iterable[str]) -> int:
    """A CSV file from finished lines (fields joined by ``,``, text through :func:`_q`, ending
    in ``\\r\\n`` as :func:`csv.writer` ends them). For the large outputs: one f-string per
    row is about half the cost of a list per row for ``csv.writer`` (a city writes hundreds of
    thousands of rows, and writing them was 40 % of ``analyze`` on the Helsinki extract).
    Lines go out joined in blocks: one write per line costs twice as much.  Returns the
    number of rows written."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(map(_q, header)) + "\r\n")
        rows = 0
        for block in itertools.batched(lines, 8192):
            fh.write("".join(block))
            rows += len(block)
    return rows


def _padded_bbox(
    bbox: tuple[float, float, float, float], pad_m: float
) -> tuple[float, float, float, float]:
    min_lon, min_lat, max_lon, max_lat = bbox
    dlat = pad_m / 111_195.0
    dlon = dlat / max(math.cos(math.radians((min_lat + max_lat) / 2)), 1e-6)
    return (min_lon - dlon, min_lat - dlat, max_lon + dlon, max_lat + dlat)


def _station_categories() -> list[str]:
    from .io import DATA_DIR

    with (DATA_DIR / "categories.csv").open(encoding="utf-8") as fh:
        return [r["code"] for r in csv.DictReader(fh) if r["group"] == "station"]


def _load_inputs(args: argparse.Namespace) -> tuple[Any, Any, Any, Any, Any]:
    from .graph import load_graph
    from .io import read_compounds, read_facilities
    from .snap import snap_points

    t0 = time.perf_counter()
    graph = load_graph(args.network, cache_dir=args.cache_dir)
    r = graph.report
    _log(
        f"network: {r.nodes} nodes, {r.edges} edges"
        f" ({'cache' if r.from_cache else 'parsed'} in {time.perf_counter() - t0:.2f} s;"
        f" dropped {r.components_dropped} small components with {r.nodes_dropped} nodes"
        f" and {r.edges_dropped} edges)"
    )
    bbox = _padded_bbox(graph.bbox, args.max_snap)
    compounds = read_compounds(args.compounds, bbox=bbox, gcj02=args.gcj02)
    facilities = read_facilities(args.facilities, bbox=bbox, gcj02=args.gcj02)
    gate_ids = [compounds.ids[c] for c in compounds.gate_compound]
    gates = snap_points(
        graph, compounds.gate_lon, compounds.gate_lat, max_snap_m=args.max_snap, ids=gate_ids
    )
    facs = snap_points(
        graph, facilities.lon, facilities.lat, max_snap_m=args.max_snap, ids=facilities.ids
    )
    for label, snapped in (("gate of compound", gates), ("facility", facs)):
        for u in snapped.unsnapped:
            _log(
                f"warning: {label} {u.id!r} is {u.distance_m:.0f} m from the nearest walkable"
                f" way (more than --max-snap {args.max_snap:g} m); left out"
            )
    return graph, compounds, facilities, gates, facs


def _analyze(args: argparse.Namespace) -> int:
    import numpy as np

    from .access import nearest_facilities
    from .coverage import coverage_blocks
    from .gaps import find_gaps, gap_blocks, load_rules
    from .io import load_categories

    outputs = [o.strip() for o in args.outputs.split(",") if o.strip()]
    bad = [o for o in outputs if o not in ALL_OUTPUTS]
    if bad:
        _log(f"error: unknown output {bad[0]!r}; choose from {', '.join(ALL_OUTPUTS)}")
        return 2
    if args.speed <= 0:
        _log("error: --speed must be positive")
        return 2
    t_start = time.perf_counter()
    rules = load_rules(args.rules)
    graph, compounds, facilities, gates, facs = _load_inputs(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    categories = sorted(set(facilities.category) | {r.category for r in rules})
    t0 = time.perf_counter()
    access = nearest_facilities(
        graph,
        gates,
        compounds.gate_compound,
        compounds.n,
        facs,
        facilities.category,
        categories=categories,
        cutoff_m=args.max_distance,
        speed_m_s=args.speed,
        progress=True,
    )
    _log(
        f"access: {compounds.n} compounds x {len(categories)} categories"
        f" in {time.perf_counter() - t0:.2f} s"
    )
    if "access" in outputs:
        # Plain lists and one f-string per row: numpy's string formatting is slower here.
        meters = access.meters.tolist()
        minutes = access.minutes.tolist()
        fac_ids = [*map(_q, facilities.ids), ""]  # index -1: nothing reachable
        nearest = access.facility.tolist()
        cats = list(map(_q, categories))
        _write_csv_lines(
            out / "access.csv",
            ["compound_id", "category", "meters", "minutes", "facility_id"],
            (
                f"{cid},{cat},{m:.2f},{mi:.2f},{fac_ids[f]}\r\n"
                if m < math.inf  # NaN and inf: not reachable
                else f"{cid},{cat},,,\r\n"
                for cid, row_m, row_mi, row_f in zip(
                    map(_q, compounds.ids), meters, minutes, nearest, strict=True
                )
                for cat, m, mi, f in zip(cats, row_m, row_mi, row_f, strict=True)
            ),
        )
    if "coverage" in outputs:
        _write_csv_lines(
            out / "coverage.csv",
            [
                "scope",
                "area",
                "category",
                "threshold",
                "limit_m",
                "population",
                "households",
                "total_population",
                "total_households",
                "population_share",
                "households_share",
            ],
            _coverage_lines(coverage_blocks(access, compounds)),
        )
    if "gaps" in outputs:
        n_gaps = _write_csv_lines(
            out / "gaps.csv",
            [
                "standard",
                "level",
                "category",
                "compound_id",
                "compound_name",
                "community",
                "subdistrict",
                "max_distance_m",
                "meters",
                "shortfall_m",
                "population",
                "households",
                "nearest_facility_id",
                "source",
            ],
            _gap_lines(gap_blocks(access, compounds, rules), compounds, facilities.ids),
        )
        _log(f"gaps: {n_gaps} compound-rule pairs short of the standard")
    iso: dict[str, Any] | None = None
    if "isochrones" in outputs or "map" in outputs:
        from .isochrones import isochrone_features

        t0 = time.perf_counter()
        wanted = (
            args.isochrone_categories.split(",")
            if args.isochrone_categories
            else _station_categories()
        )
        idx = np.flatnonzero(np.isin(np.asarray(facilities.category, dtype=object), wanted))
        iso = isochrone_features(
            graph,
            facs.subset(idx),
            ids=[facilities.ids[i] for i in idx],
            names=[facilities.names[i] for i in idx],
            categories=[facilities.category[i] for i in idx],
            station_lon=facilities.lon[idx],
            station_lat=facilities.lat[idx],
            speed_m_s=args.speed,
            progress=True,
        )
        if "isochrones" in outputs:
            (out / "isochrones.geojson").write_text(
                json.dumps(iso, ensure_ascii=False), encoding="utf-8"
            )
        _log(f"isochrones: {len(iso['features'])} polygons in {time.perf_counter() - t0:.2f} s")
    if "map" in outputs:
        from .mapview import render_map, write_map

        write_map(
            out / "map.html",
            render_map(
                graph,
                compounds,
                facilities,
                access,
                gaps=find_gaps(access, compounds, rules, facility_ids=facilities.ids),
                isochrones=iso,
                category_names=load_categories(),
            ),
        )
    _log(f"done in {time.perf_counter() - t_start:.2f} s; wrote {', '.join(outputs)} to {out}")
    return 0


def _site(args: argparse.Namespace) -> int:
    import numpy as np

    try:
        from . import siting
    except ImportError as exc:
        _log(f"error: the siting module is not available ({exc})")
        return 1
    from .access import coverage_matrix, nearest_facilities
    from .io import read_points
    from .snap import snap_points

    if args.k is None and args.target_share is None:
        _log("error: give --k (maximal coverage) or --target-share (set cover) or both")
        return 2
    graph, compounds, facilities, gates, facs = _load_inputs(args)
    if args.candidates:
        pts = read_points(
            args.candidates, bbox=_padded_bbox(graph.bbox, args.max_snap), gcj02=args.gcj02
        )
        cand_ids, cand_lon, cand_lat = pts.ids, pts.lon, pts.lat
    else:
        # Without a candidate list every street junction (degree ≥ 3) is a candidate.
        deg = np.bincount(np.r_[graph.edge_u, graph.edge_v], minlength=graph.n_nodes)
        nodes = np.flatnonzero(deg >= 3)
        cand_ids = [f"node{int(graph.node_osm_id[i])}" for i in nodes]
        cand_lon, cand_lat = graph.node_lon[nodes], graph.node_lat[nodes]
    cands = snap_points(graph, cand_lon, cand_lat, max_snap_m=args.max_snap, ids=cand_ids)
    for u in cands.unsnapped:
        _log(
            f"warning: candidate {u.id!r} is {u.distance_m:.0f} m from the nearest walkable"
            f" way (more than --max-snap {args.max_snap:g} m); left out"
        )
    t0 = time.perf_counter()
    cov = coverage_matrix(
        graph, gates, compounds.gate_compound, compounds.n, cands, radius_m=args.radius
    )
    existing = nearest_facilities(
        graph,
        gates,
        compounds.gate_compound,
        compounds.n,
        facs,
        facilities.category,
        categories=[args.category],
        cutoff_m=args.radius,
    )
    already = existing.meters[:, 0] <= args.radius
    _log(
        f"coverage matrix {cov.shape[0]} x {cov.shape[1]} ({cov.nnz} pairs)"
        f" in {time.perf_counter() - t0:.2f} s; {int(already.sum())} compounds already covered"
    )
    weights = compounds.population.astype(np.float64)
    results = []
    if args.k is not None:
        results.append(
            (
                "mclp",
                siting.solve_mclp(
                    cov, weights, args.k, already_covered=already, time_limit=args.time_limit
                ),
            )
        )
    if args.target_share is not None:
        results.append(
            (
                "lscp",
                siting.solve_lscp(
                    cov,
                    weights,
                    args.target_share,
                    already_covered=already,
                    time_limit=args.time_limit,
                ),
            )
        )
    rows = []
    total = float(weights.sum())
    for name, res in results:
        covered = float(weights[already].sum()) + 0.0
        print(
            f"{name}: {len(res.chosen)} sites, covered weight {res.covered_weight:g}"
            f" of {total:g} (greedy {res.greedy_weight:g}, bound {res.upper_bound:g},"
            f" gap {res.gap:.4f}, optimal {res.optimal}, {res.seconds:.2f} s)"
        )
        for rank, (col, new) in enumerate(zip(res.chosen, res.newly_covered, strict=False), 1):
            gain = float(weights[np.asarray(new, dtype=np.int64)].sum())
            covered += gain
            c = int(col)
            rows.append(
                [
                    name,
                    rank,
                    cand_ids[c],
                    f"{cands.lon[c]:.7f}",
                    f"{cands.lat[c]:.7f}",
                    len(new),
                    _n(gain),
                    _n(covered),
                ]
            )
            print(f"  {rank:>3}. {cand_ids[c]}  +{gain:g} people")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        _write_csv(
            out / "sites.csv",
            [
                "problem",
                "rank",
                "candidate_id",
                "lon",
                "lat",
                "newly_covered_compounds",
                "newly_covered_population",
                "cumulative_covered_population",
            ],
            rows,
        )
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--network", required=True, help="OSM .pbf file")
    p.add_argument("--compounds", required=True, help="compounds.csv or .xlsx")
    p.add_argument("--facilities", required=True, help="facilities.csv or .xlsx")
    p.add_argument(
        "--max-snap",
        type=float,
        default=200.0,
        metavar="M",
        help="farthest a point may be from a walkable way (default 200 m)",
    )
    p.add_argument(
        "--gcj02",
        action="store_true",
        help="input coordinates are GCJ-02 (Chinese web maps); convert to WGS-84",
    )
    p.add_argument("--cache-dir", default=None, help="cache parsed networks here")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m linli.circle``."""
    parser = argparse.ArgumentParser(
        prog="python -m linli.circle", description="Ten-minute living-circle engine."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    a = sub.add_parser("analyze", help="distances, coverage, gaps, isochrones and a map")
    _common(a)
    a.add_argument("--out", required=True, help="output directory")
    a.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="M_PER_S",
        help="walking speed (default 1.0 m/s)",
    )
    a.add_argument("--rules", default=None, help="rules CSV replacing data/rules.csv")
    a.add_argument(
        "--outputs",
        default=",".join(ALL_OUTPUTS),
        help=f"comma-separated subset of {','.join(ALL_OUTPUTS)}",
    )
    a.add_argument(
        "--max-distance",
        type=float,
        default=DEFAULT_MAX_DISTANCE_M,
        metavar="M",
        help="search limit; farther facilities count as unreachable (default 3000)",
    )
    a.add_argument(
        "--isochrone-categories",
        default=None,
        help="categories to draw isochrones for (default: the station group)",
    )
    a.set_defaults(func=_analyze)

    s = sub.add_parser("site", help="choose new sites for a category (选址)")
    _common(s)
    s.add_argument("--category", required=True)
    s.add_argument("--k", type=int, default=None, help="number of new sites (MCLP)")
    s.add_argument("--radius", type=float, default=500.0, help="coverage radius in metres")
    s.add_argument("--candidates", default=None, help="candidate sites CSV (id,lon,lat[,name])")
    s.add_argument(
        "--target-share",
        type=float,
        default=None,
        help="population share to cover with the fewest sites (LSCP)",
    )
    s.add_argument("--time-limit", type=float, default=10.0)
    s.add_argument("--out", default=None, help="directory for sites.csv")
    s.set_defaults(func=_site)

    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line (``python -m linli.circle``, ``linli circle``, tests).

    Parameters
    ----------
    argv
        Arguments without the program name; by default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 for bad inputs, 1 when an optional module is missing.
    """
    return _run(build_parser().parse_args(argv))


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except CircleInputError as exc:
        _log(f"error: {exc}")
        return 2
