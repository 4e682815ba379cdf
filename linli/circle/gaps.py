"""Gaps (缺口): compounds lacking a required facility category within the standard's distance.

The rules (对照标准) live in ``data/rules.csv``: one row per standard, level and category
with the maximum walking distance and the clause it comes from.  Planners may edit the file
or pass their own with ``--rules FILE``; the ``basis`` column says whether the distance is
stated by the clause (``stated``) or taken from the level's walking distance because the
clause names none (``level``).  An optional ``min_population`` column exempts smaller compounds
from a rule (a district may require a station only where at least so many people live); empty
or 0 means every compound must reach one.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .access import AccessResult
from .io import DATA_DIR, CircleInputError, Compounds, load_categories

__all__ = [
    "Gap",
    "GapBlock",
    "GapSummary",
    "Rule",
    "find_gaps",
    "gap_blocks",
    "load_rules",
    "summarise_gaps",
    "write_rules",
]

_RULE_COLUMNS = ("standard", "level", "category", "max_distance_m", "source")
_ALL_RULE_COLUMNS = (*_RULE_COLUMNS, "basis", "min_population")


@dataclass(frozen=True)
class Rule:
    """对照标准条目 — one facility rule of a standard."""

    standard: str
    level: str
    category: str
    max_distance_m: float
    source: str
    basis: str = "stated"
    #: Only compounds with at least this many residents must reach the category (0: all).
    min_population: float = 0.0


class Gap(NamedTuple):
    """缺口 — a compound without a required category within the rule's distance.

    A named tuple: a district has thousands of gaps and tuples are built several times faster
    than dataclasses.
    """

    compound_id: str
    compound_name: str
    community: str
    subdistrict: str
    standard: str
    level: str
    category: str
    max_distance_m: float
    meters: float  # inf when no facility of the category is reachable
    facility_id: str
    population: float
    households: float
    source: str

    @property
    def reachable(self) -> bool:
        """Whether any facility of the category is reachable at all."""
        return math.isfinite(self.meters)

    @property
    def shortfall_m(self) -> float:
        """How much farther than allowed the nearest facility is (``inf`` if unreachable)."""
        return self.meters - self.max_distance_m


def load_rules(
    path: str | Path | None = None, *, categories: Iterable[str] | None = None
) -> list[Rule]:
    """Read a rules table.

    Parameters
    ----------
    path
        A CSV with columns ``standard,level,category,max_distance_m,source`` (optional
        ``basis`` and ``min_population``); by default the packaged ``data/rules.csv``.
    categories
        Allowed category codes; by default those of ``data/categories.csv``.

    Returns
    -------
    list of Rule

    Raises
    ------
    CircleInputError
        Naming the file, row, column and value of the first problem.
    """
    p = Path(path) if path else DATA_DIR / "rules.csv"
    allowed = set(categories) if categories is not None else set(load_categories())
    if not p.is_file():
        raise CircleInputError(p, problem="the file does not exist")
    with p.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in _RULE_COLUMNS if c not in header]
        if missing:
            raise CircleInputError(
                p,
                row=1,
                column=missing[0],
                problem=f"missing required column(s) {', '.join(missing)}",
            )
        rules = []
        for i, raw in enumerate(reader, start=2):
            r = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
            if not any(r.values()):
                continue
            for col in ("standard", "level", "category"):
                if not r[col]:
                    raise CircleInputError(p, row=i, column=col, problem="empty value")
            if r["category"] not in allowed:
                raise CircleInputError(
                    p,
                    row=i,
                    column="category",
                    value=r["category"],
                    problem="unknown category code (see linli/circle/data/categories.csv)",
                )
            try:
                dist = float(r["max_distance_m"])
            except ValueError:
                raise CircleInputError(
                    p,
                    row=i,
                    column="max_distance_m",
                    value=r["max_distance_m"],
                    problem="not a number",
                ) from None
            if not (math.isfinite(dist) and dist > 0):
                raise CircleInputError(
                    p,
                    row=i,
                    column="max_distance_m",
                    value=r["max_distance_m"],
                    problem="must be a positive number of metres",
                )
            min_population = 0.0
            if r.get("min_population"):
                try:
                    min_population = float(r["min_population"])
                except ValueError:
                    min_population = math.nan
                if not (math.isfinite(min_population) and min_population >= 0):
                    raise CircleInputError(
                        p,
                        row=i,
                        column="min_population",
                        value=r["min_population"],
                        problem="must be a number of residents, 0 or more",
                    )
            rules.append(
                Rule(
                    r["standard"],
                    r["level"],
                    r["category"],
                    dist,
                    r["source"],
                    r.get("basis", "") or "stated",
                    min_population,
                )
            )
    return rules


def write_rules(rules: Iterable[Rule], path: str | Path) -> Path:
    """Write rules as a CSV that :func:`load_rules` reads back unchanged.

    Parameters
    ----------
    rules
        The rules, e.g. the packaged ones plus a district's own.
    path
        Where to write (UTF-8).

    Returns
    -------
    pathlib.Path
    """
    p = Path(path)
    with p.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(_ALL_RULE_COLUMNS)
        for r in rules:
            w.writerow(
                [
                    r.standard,
                    r.level,
                    r.category,
                    f"{r.max_distance_m:g}",
                    r.source,
                    r.basis,
                    f"{r.min_population:g}" if r.min_population else "",
                ]
            )
    return p


class GapBlock(NamedTuple):
    """The gaps of one rule as arrays: what :func:`find_gaps` spells out as :class:`Gap` rows."""

    rule: Rule
    compounds: npt.NDArray[np.int64]  # indices of the compounds lacking the category
    meters: npt.NDArray[np.float64]  # their nearest facility's distance (inf: none reachable)
    facility: npt.NDArray[np.int64]  # that facility's index, -1 when none is reachable


def gap_blocks(
    access: AccessResult, compounds: Compounds, rules: Iterable[Rule]
) -> Iterator[GapBlock]:
    """The compounds lacking each rule's category within its distance, farthest first.

    The array form of :func:`find_gaps`, for callers that write a city's gap list without
    building a tuple per gap.  Compounds smaller than a rule's ``min_population`` are exempt
    from it.
    """
    for rule in rules:
        if rule.category in access.categories:
            k = access.categories.index(rule.category)
            meters = access.meters[:, k]
            nearest = access.facility[:, k]
        else:
            meters = np.full(compounds.n, np.inf)
            nearest = np.full(compounds.n, -1)
        missing = ~(meters <= rule.max_distance_m)
        if rule.min_population > 0:
            missing &= compounds.population >= rule.min_population
        lacking = np.flatnonzero(missing)
        lacking = lacking[np.argsort(-meters[lacking], kind="stable")]
        yield GapBlock(rule, lacking, meters[lacking], nearest[lacking])


def find_gaps(
    access: AccessResult,
    compounds: Compounds,
    rules: Iterable[Rule],
    *,
    facility_ids: list[str] | None = None,
) -> list[Gap]:
    """Every compound lacking a required category within its rule's distance.

    Parameters
    ----------
    access
        Nearest-facility distances; categories it lacks count as unreachable everywhere.
    compounds
        The compounds.
    rules
        The rules to check.
    facility_ids
        Ids of the facilities ``access.facility`` indexes, to name the nearest one.

    Returns
    -------
    list of Gap
        Ordered by standard, level, category, then by shortfall (largest first).
    """
    gaps: list[Gap] = []
    ids, names = compounds.ids, compounds.names
    community, subdistrict = compounds.community, compounds.subdistrict
    population = compounds.population.tolist()
    households = compounds.households.tolist()
    fac_names = [*(facility_ids or []), ""]  # index -1 (none reachable) names nothing
    for rule, lacking, meters, nearest in gap_blocks(access, compounds, rules):
        if facility_ids is None:
            nearest_names = [""] * lacking.shape[0]
        else:
            nearest_names = [fac_names[f] for f in nearest.tolist()]
        gaps.extend(
            Gap(
                ids[c],
                names[c],
                community[c],
                subdistrict[c],
                rule.standard,
                rule.level,
                rule.category,
                rule.max_distance_m,
                m,
                fname,
                population[c],
                households[c],
                rule.source,
            )
            for c, m, fname in zip(lacking.tolist(), meters.tolist(), nearest_names, strict=True)
        )
    return gaps


@dataclass(frozen=True)
class GapSummary:
    """People affected by the gaps of one rule."""

    standard: str
    level: str
    category: str
    compounds: int
    population: float
    households: float


def summarise_gaps(gaps: Iterable[Gap]) -> list[GapSummary]:
    """Count compounds, population and households affected per rule.

    Parameters
    ----------
    gaps
        Gaps from :func:`find_gaps`.

    Returns
    -------
    list of GapSummary
    """
    acc: dict[tuple[str, str, str], list[float]] = {}
    for g in gaps:
        row = acc.setdefault((g.standard, g.level, g.category), [0, 0.0, 0.0])
        row[0] += 1
        row[1] += g.population
        row[2] += 0.0 if math.isnan(g.households) else g.households
    return [GapSummary(s, lvl, c, int(v[0]), v[1], v[2]) for (s, lvl, c), v in acc.items()]
