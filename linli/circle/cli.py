"""Command line: ``python -m linli.circle analyze|site``.

The command line prints and writes what the library returns (:mod:`.analysis`,
:mod:`.outputs`); every message is formatted here, from those objects.  Bad inputs end with
exit code 2 and one line naming the file, row, column and value.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

# Nothing heavy at module level: ``--help`` and a bad option answer without importing numpy.
from .errors import CircleInputError
from .outputs import ALL_OUTPUTS  # the standard library only

if TYPE_CHECKING:
    from .analysis import District, UnsnappedPoint

__all__ = ["main"]

#: Default search limit, :data:`.analysis.DEFAULT_MAX_DISTANCE_M` (that module imports numpy).
DEFAULT_MAX_DISTANCE_M = 3000.0

_WHAT = {"gate": "gate of compound", "facility": "facility", "candidate": "candidate"}


def _log(msg: str) -> None:
    """A message for the person at the terminal (standard error)."""
    print(msg, file=sys.stderr)


def _say(msg: str) -> None:
    """A result line (standard output)."""
    print(msg)


def _warn_unsnapped(points: list[UnsnappedPoint]) -> None:
    for u in points:
        _log(
            f"warning: {_WHAT[u.kind]} {u.id!r} is {u.distance_m:.0f} m from the nearest walkable"
            f" way (more than --max-snap {u.limit_m:g} m); left out"
        )


def _load(args: argparse.Namespace) -> District:
    from .analysis import load_district

    district = load_district(
        args.network,
        args.compounds,
        args.facilities,
        max_snap_m=args.max_snap,
        gcj02=args.gcj02,
        cache_dir=args.cache_dir,
    )
    r = district.report
    _log(
        f"network: {r.nodes} nodes, {r.edges} edges"
        f" ({'cache' if r.from_cache else 'parsed'} in {district.seconds:.2f} s;"
        f" dropped {r.components_dropped} small components with {r.nodes_dropped} nodes"
        f" and {r.edges_dropped} edges)"
    )
    _warn_unsnapped(district.unsnapped)
    return district


def _analyze(args: argparse.Namespace) -> int:
    from .analysis import analyse
    from .gaps import load_rules
    from .outputs import write_outputs

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
    district = _load(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    analysis = analyse(
        district,
        rules=rules,
        speed_m_s=args.speed,
        max_distance_m=args.max_distance,
        progress=True,
    )
    _log(
        f"access: {district.compounds.n} compounds x {len(analysis.categories)} categories"
        f" in {analysis.seconds:.2f} s"
    )
    written = write_outputs(
        analysis,
        out,
        outputs=outputs,
        isochrone_categories=(
            args.isochrone_categories.split(",") if args.isochrone_categories else None
        ),
        progress=True,
    )
    if written.gaps is not None:
        _log(f"gaps: {written.gaps} compound-rule pairs short of the standard")
    if written.isochrones is not None:
        _log(f"isochrones: {written.isochrones} polygons in {written.isochrone_seconds:.2f} s")
    _log(f"done in {time.perf_counter() - t_start:.2f} s; wrote {', '.join(outputs)} to {out}")
    return 0


def _site(args: argparse.Namespace) -> int:
    try:
        from . import siting  # noqa: F401  # the solver needs scipy's optimize
    except ImportError as exc:
        _log(f"error: the siting module is not available ({exc})")
        return 1
    from .analysis import padded_bbox, site
    from .io import read_points
    from .outputs import write_sites

    if args.k is None and args.target_share is None:
        _log("error: give --k (maximal coverage) or --target-share (set cover) or both")
        return 2
    district = _load(args)
    candidates = None
    if args.candidates:
        candidates = read_points(
            args.candidates,
            bbox=padded_bbox(district.graph.bbox, args.max_snap),
            gcj02=args.gcj02,
        )
    result = site(
        district,
        category=args.category,
        radius_m=args.radius,
        k=args.k,
        target_share=args.target_share,
        candidates=candidates,
        time_limit=args.time_limit,
    )
    _warn_unsnapped(result.unsnapped)
    rows, cols = result.coverage_shape
    _log(
        f"coverage matrix {rows} x {cols} ({result.coverage_pairs} pairs)"
        f" in {result.seconds:.2f} s; {int(result.already_covered.sum())} compounds already covered"
    )
    for report in result.reports:
        res = report.result
        _say(
            f"{report.problem}: {len(res.chosen)} sites, covered weight {res.covered_weight:g}"
            f" of {report.total_weight:g} (greedy {res.greedy_weight:g}, bound {res.upper_bound:g},"
            f" gap {res.gap:.4f}, optimal {res.optimal}, {res.seconds:.2f} s)"
        )
        for s in report.sites:
            _say(f"  {s.rank:>3}. {s.candidate_id}  +{s.gain:g} people")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_sites(out / "sites.csv", result)
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
