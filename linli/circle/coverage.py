"""Population and households within walking thresholds, per category and area.

Counts are by compound (小区): a compound counts as covered when its best gate is within the
threshold of the nearest facility of the category.  Areas are the whole district (全区), each
subdistrict (街道) and each community (社区) named in the compounds file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .access import AccessResult
from .io import Compounds

__all__ = [
    "DEFAULT_DISTANCES_M",
    "DEFAULT_MINUTES",
    "CoverageRow",
    "coverage_table",
]

FloatArray = npt.NDArray[np.float64]

#: Walking-time thresholds of the 5-, 10- and 15-minute living circles.
DEFAULT_MINUTES: tuple[float, ...] = (5.0, 10.0, 15.0)
#: Standard walking distances of GB 50180-2018 (5-, 10-, 15-minute circles).
DEFAULT_DISTANCES_M: tuple[float, ...] = (300.0, 500.0, 1000.0)


@dataclass(frozen=True)
class CoverageRow:
    """Who is within one threshold of one category in one area."""

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
        return self.population / self.total_population if self.total_population else 0.0

    @property
    def households_share(self) -> float:
        """Covered share of the area's households (0 when unknown)."""
        return self.households / self.total_households if self.total_households else 0.0


def _fmt(x: float) -> str:
    return f"{x:g}"


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
    rows: list[CoverageRow] = []
    for scope, names in scopes:
        areas, code = np.unique(np.asarray(names, dtype=object), return_inverse=True)
        n_areas = areas.shape[0]
        tot_pop = np.bincount(code, weights=pop, minlength=n_areas)
        tot_hh = np.bincount(code, weights=hh, minlength=n_areas)
        cov_pop = np.zeros((n_areas, *covered.shape[1:]))
        cov_hh = np.zeros_like(cov_pop)
        np.add.at(cov_pop, code, covered * pop[:, None, None])
        np.add.at(cov_hh, code, covered * hh[:, None, None])
        for a, area in enumerate(areas):
            for k, cat in enumerate(access.categories):
                for t, label in enumerate(labels):
                    rows.append(
                        CoverageRow(
                            scope=scope,
                            area=str(area) or "(none)",
                            category=cat,
                            threshold=label,
                            limit_m=float(limits[t]),
                            population=float(cov_pop[a, k, t]),
                            households=float(cov_hh[a, k, t]),
                            total_population=float(tot_pop[a]),
                            total_households=float(tot_hh[a]),
                        )
                    )
    return rows
