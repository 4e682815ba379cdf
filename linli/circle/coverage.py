"""Population and households within walking thresholds, per category and area.

Counts are by compound (小区): a compound counts as covered when its best gate is within the
threshold of the nearest facility of the category.  Areas are the whole district (全区), each
subdistrict (街道) and each community (社区) named in the compounds file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .access import AccessResult
from .io import Compounds

__all__ = [
    "DEFAULT_DISTANCES_M",
    "DEFAULT_MINUTES",
    "CoverageBlock",
    "CoverageRow",
    "coverage_blocks",
    "coverage_table",
    "share",
]

FloatArray = npt.NDArray[np.float64]

#: Walking-time thresholds of the 5-, 10- and 15-minute living circles.
DEFAULT_MINUTES: tuple[float, ...] = (5.0, 10.0, 15.0)
#: Standard walking distances of GB 50180-2018 (5-, 10-, 15-minute circles).
DEFAULT_DISTANCES_M: tuple[float, ...] = (300.0, 500.0, 1000.0)


class CoverageRow(NamedTuple):
    """Who is within one threshold of one category in one area.

    A named tuple rather than a dataclass: a city's table has tens of thousands of rows and a
    tuple is built several times faster.
    """

    scope: str  # "whole", "subdistrict" or "community"
    area: str
    category: str
    threshold: str  # e.g. "10min" or "500m"
    limit_m: float
    population: float
    households: float
    total_population: float
    total_households: float

    @property
    def population_share(self) -> float:
        """Covered share of the area's population (0 when it has none)."""
        return share(self.population, self.total_population)

    @property
    def households_share(self) -> float:
        """Covered share of the area's households (0 when unknown)."""
        return share(self.households, self.total_households)


def share(part: float, whole: float) -> float:
    """``part / whole``, and 0 for an area with no one (or households not given)."""
    return part / whole if whole else 0.0


class CoverageBlock(NamedTuple):
    """The coverage of every area of one scope, as arrays: what :func:`coverage_table` spells
    out as rows ``(area a, category k, threshold t)`` in that order.
    """

    scope: str  # "whole", "subdistrict" or "community"
    areas: list[str]
    categories: list[str]
    thresholds: list[str]  # labels, e.g. "10min" or "500m"
    limits_m: FloatArray  # (T,)
    population: FloatArray  # (A, K, T) covered
    households: FloatArray  # (A, K, T) covered
    total_population: FloatArray  # (A,)
    total_households: FloatArray  # (A,)


def _fmt(x: float) -> str:
    return f"{x:g}"


def coverage_blocks(
    access: AccessResult,
    compounds: Compounds,
    *,
    minutes: Sequence[float] = DEFAULT_MINUTES,
    distances_m: Sequence[float] = DEFAULT_DISTANCES_M,
) -> list[CoverageBlock]:
    """Population and households within each threshold, one block of arrays per scope.

    Parameters are those of :func:`coverage_table`; this is its array form, for callers that
    write a city's table without building a tuple per row.
    """
    labels = [f"{_fmt(m)}min" for m in minutes] + [f"{_fmt(d)}m" for d in distances_m]
    limits = np.array(
        [m * 60.0 * access.speed_m_s for m in minutes] + list(distances_m), dtype=np.float64
    )
    pop = compounds.population
    hh = np.nan_to_num(compounds.households, nan=0.0)
    # covered[c, k, t]: compound c within threshold t of category k.
    covered = access.meters[:, :, None] <= limits[None, None, :]
    scopes: list[tuple[str, list[str]]] = [("whole", ["all"] * compounds.n)]
    if any(compounds.subdistrict):
        scopes.append(("subdistrict", compounds.subdistrict))
    if any(compounds.community):
        scopes.append(("community", compounds.community))
    blocks: list[CoverageBlock] = []
    for scope, names in scopes:
        areas, code = np.unique(np.asarray(names, dtype=object), return_inverse=True)
        n_areas = areas.shape[0]
        if n_areas == 0:
            continue
        tot_pop = np.bincount(code, weights=pop, minlength=n_areas)
        tot_hh = np.bincount(code, weights=hh, minlength=n_areas)
        # Sort compounds by area and sum each area's block at once (np.add.at is ~10x slower).
        order = np.argsort(code, kind="stable")
        starts = np.searchsorted(code[order], np.arange(n_areas))
        flat = covered.reshape(compounds.n, -1)[order]
        cov_pop = np.add.reduceat(flat * pop[order, None], starts).reshape(
            n_areas, *covered.shape[1:]
        )
        cov_hh = np.add.reduceat(flat * hh[order, None], starts).reshape(
            n_areas, *covered.shape[1:]
        )
        blocks.append(
            CoverageBlock(
                scope,
                [str(a) or "(none)" for a in areas],
                list(access.categories),
                labels,
                limits,
                cov_pop,
                cov_hh,
                tot_pop,
                tot_hh,
            )
        )
    return blocks


def coverage_table(
    access: AccessResult,
    compounds: Compounds,
    *,
    minutes: Sequence[float] = DEFAULT_MINUTES,
    distances_m: Sequence[float] = DEFAULT_DISTANCES_M,
) -> list[CoverageRow]:
    """Population and households within each threshold, by area and category.

    Parameters
    ----------
    access
        Nearest-facility distances per compound and category.
    compounds
        The compounds (population, households, community, subdistrict).
    minutes
        Walking-time thresholds, converted to metres with ``access.speed_m_s``.
    distances_m
        Walking-distance thresholds in metres.

    Returns
    -------
    list of CoverageRow
        Whole district first, then subdistricts and communities (if named), each ordered by
        category and threshold.  Coverage never shrinks as a threshold grows.
    """
    rows: list[CoverageRow] = []
    for b in coverage_blocks(access, compounds, minutes=minutes, distances_m=distances_m):
        limit_list = b.limits_m.tolist()
        pop_list = b.population.tolist()
        hh_list = b.households.tolist()
        tot_pop_list = b.total_population.tolist()
        tot_hh_list = b.total_households.tolist()
        rows.extend(
            CoverageRow(
                b.scope,
                area,
                cat,
                label,
                limit_list[t],
                pop_list[a][k][t],
                hh_list[a][k][t],
                tot_pop_list[a],
                tot_hh_list[a],
            )
            for a, area in enumerate(b.areas)
            for k, cat in enumerate(b.categories)
            for t, label in enumerate(b.thresholds)
        )
    return rows
