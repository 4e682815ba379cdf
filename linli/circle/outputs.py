"""The engine's files: ``access.csv``, ``coverage.csv``, ``gaps.csv``, ``isochrones.geojson``,
``map.html`` from an :class:`.analysis.Analysis`, and ``sites.csv`` from a
:class:`.analysis.Siting`.

The command line writes its outputs with these functions, and so does the ``planning`` app into
a run's folder, so a planner can download the same files and re-run the engine on them.  The
large tables are written as finished lines, byte-identical to :func:`csv.writer`'s.
"""

from __future__ import annotations

import csv
import functools
import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analysis import Analysis, Siting
    from .coverage import CoverageBlock
    from .gaps import GapBlock
    from .io import Compounds

__all__ = [
    "ALL_OUTPUTS",
    "Written",
    "isochrones",
    "station_categories",
    "write_access",
    "write_coverage",
    "write_gaps",
    "write_map",
    "write_outputs",
    "write_sites",
]

#: Every output of an analysis, in the order they are written.
ALL_OUTPUTS = ("access", "coverage", "gaps", "isochrones", "map")

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


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _write_csv_lines(path: Path, header: Sequence[str], lines: Iterable[str]) -> int:
    """A CSV file from finished lines (fields joined by ``,``, text through :func:`_q`, ending
    in ``\\r\\n`` as :func:`csv.writer` ends them). For the large outputs: one f-string per
    row is about half the cost of a list per row for ``csv.writer`` (a city writes hundreds of
    thousands of rows). Lines go out joined in blocks: one write per line costs twice as much.
    Returns the number of rows written."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(map(_q, header)) + "\r\n")
        rows = 0
        for block in itertools.batched(lines, 8192):
            fh.write("".join(block))
            rows += len(block)
    return rows


def write_access(path: Path, analysis: Analysis) -> int:
    """``access.csv``: ``compound_id,category,meters,minutes,facility_id``, one row per
    compound and category, empty where nothing is reachable.  Returns the number of rows."""
    compounds, facilities = analysis.district.compounds, analysis.district.facilities
    access = analysis.access
    # Plain lists and one f-string per row: numpy's string formatting is slower here.
    meters = access.meters.tolist()
    minutes = access.minutes.tolist()
    fac_ids = [*map(_q, facilities.ids), ""]  # index -1: nothing reachable
    nearest = access.facility.tolist()
    cats = list(map(_q, access.categories))
    return _write_csv_lines(
        path,
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


def write_coverage(path: Path, analysis: Analysis) -> int:
    """``coverage.csv``: people within each threshold, per area and category."""
    return _write_csv_lines(
        path,
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
        _coverage_lines(analysis.coverage_blocks),
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


def write_gaps(path: Path, analysis: Analysis) -> int:
    """``gaps.csv``: every compound short of a rule.  Returns the number of gaps."""
    district = analysis.district
    return _write_csv_lines(
        path,
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
        _gap_lines(analysis.gap_blocks(), district.compounds, district.facilities.ids),
    )


def station_categories() -> list[str]:
    """The categories of the ``station`` group in ``data/categories.csv``."""
    from .io import DATA_DIR

    with (DATA_DIR / "categories.csv").open(encoding="utf-8") as fh:
        return [r["code"] for r in csv.DictReader(fh) if r["group"] == "station"]


def isochrones(
    analysis: Analysis, *, categories: Sequence[str] | None = None, progress: bool = False
) -> dict[str, Any]:
    """Walking isochrones of the facilities of ``categories`` (by default the stations) as a
    GeoJSON FeatureCollection."""
    import numpy as np

    from .isochrones import isochrone_features

    district = analysis.district
    facilities = district.facilities
    wanted = list(categories) if categories else station_categories()
    idx = np.flatnonzero(np.isin(np.asarray(facilities.category, dtype=object), wanted))
    return isochrone_features(
        district.graph,
        district.facility_points.subset(idx),
        ids=[facilities.ids[i] for i in idx],
        names=[facilities.names[i] for i in idx],
        categories=[facilities.category[i] for i in idx],
        station_lon=facilities.lon[idx],
        station_lat=facilities.lat[idx],
        speed_m_s=analysis.access.speed_m_s,
        progress=progress,
    )


def write_map(path: Path, analysis: Analysis, *, iso: dict[str, Any] | None = None) -> None:
    """``map.html``: the offline map of the network, compounds, facilities, gaps and
    isochrones."""
    from .io import load_categories
    from .mapview import render_map
    from .mapview import write_map as write_page

    district = analysis.district
    write_page(
        path,
        render_map(
            district.graph,
            district.compounds,
            district.facilities,
            analysis.access,
            gaps=analysis.gaps(),
            isochrones=iso,
            category_names=load_categories(),
        ),
    )


@dataclass(frozen=True)
class Written:
    """What :func:`write_outputs` wrote: the outputs' names, the number of gaps and of
    isochrone polygons, and the seconds the isochrones took (None where not written)."""

    outputs: tuple[str, ...]
    gaps: int | None = None
    isochrones: int | None = None
    isochrone_seconds: float | None = None


def write_outputs(
    analysis: Analysis,
    out: Path,
    *,
    outputs: Sequence[str] = ALL_OUTPUTS,
    isochrone_categories: Sequence[str] | None = None,
    progress: bool = False,
) -> Written:
    """Write the chosen outputs of an analysis into the folder ``out`` (created if missing).

    Raises
    ------
    ValueError
        For an output not in :data:`ALL_OUTPUTS`.
    """
    import time

    bad = [o for o in outputs if o not in ALL_OUTPUTS]
    if bad:
        raise ValueError(f"unknown output {bad[0]!r}; choose from {', '.join(ALL_OUTPUTS)}")
    out.mkdir(parents=True, exist_ok=True)
    n_gaps = n_iso = iso_seconds = None
    if "access" in outputs:
        write_access(out / "access.csv", analysis)
    if "coverage" in outputs:
        write_coverage(out / "coverage.csv", analysis)
    if "gaps" in outputs:
        n_gaps = write_gaps(out / "gaps.csv", analysis)
    iso: dict[str, Any] | None = None
    if "isochrones" in outputs or "map" in outputs:
        t0 = time.perf_counter()
        iso = isochrones(analysis, categories=isochrone_categories, progress=progress)
        if "isochrones" in outputs:
            (out / "isochrones.geojson").write_text(
                json.dumps(iso, ensure_ascii=False), encoding="utf-8"
            )
        n_iso, iso_seconds = len(iso["features"]), time.perf_counter() - t0
    if "map" in outputs:
        write_map(out / "map.html", analysis, iso=iso)
    return Written(tuple(outputs), n_gaps, n_iso, iso_seconds)


def write_sites(path: Path, siting: Siting) -> None:
    """``sites.csv``: the proposed sites of every problem answered, in rank order."""
    _write_csv(
        path,
        [
            "problem",
            "rank",
            "candidate_id",
            "lon",
            "lat",
            "newly_covered_compounds",
            "newly_covered_population",
            "cumulative_covered_population",
            "streets",
            "nearest_compound",
            "nearest_compound_m",
        ],
        (
            [
                report.problem,
                s.rank,
                s.candidate_id,
                f"{s.lon:.7f}",
                f"{s.lat:.7f}",
                len(s.newly_covered),
                _n(s.gain),
                _n(s.cumulative),
                " / ".join(s.streets),
                siting.district.compounds.ids[s.nearest_compound]
                if s.nearest_compound >= 0
                else "",
                f"{s.nearest_compound_m:.0f}" if s.nearest_compound >= 0 else "",
            ]
            for report in siting.reports
            for s in report.sites
        ),
    )
