"""The engine's pipeline as typed calls: load a district, analyse it, choose new sites.

What the command line (:mod:`.cli`) prints and writes, and what the ``planning`` app stores,
comes from the objects returned here; neither parses the other's text.

* :func:`load_district` reads the walking network (optionally cached), the compounds and the
  facilities, and snaps gates and facilities onto the network: a :class:`District` with the
  network report and the points that could not be snapped (:class:`UnsnappedPoint`).
* :func:`analyse` computes the walking distance from every compound to the nearest facility of
  every category: an :class:`Analysis`, which also gives the coverage blocks and the gaps
  against the rules.
* :func:`site` proposes new sites for one category: a :class:`Siting` with a
  :class:`SitingReport` per problem (maximal coverage, set cover), each with the proven bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from .access import AccessResult, coverage_matrix, nearest_facilities
from .coverage import CoverageBlock, CoverageRow, coverage_blocks, coverage_table
from .gaps import Gap, GapBlock, Rule, find_gaps, gap_blocks, load_rules
from .graph import GraphReport, WalkGraph, load_graph
from .io import Compounds, Facilities, Points, read_compounds, read_facilities
from .snap import DEFAULT_MAX_SNAP_M, Snapped, snap_points

if TYPE_CHECKING:
    from .siting import SitingResult

__all__ = [
    "DEFAULT_MAX_DISTANCE_M",
    "Analysis",
    "District",
    "ProposedSite",
    "Siting",
    "SitingReport",
    "UnsnappedPoint",
    "analyse",
    "junction_candidates",
    "load_district",
    "padded_bbox",
    "site",
]

#: Default search limit: beyond it a facility counts as out of walking reach.
DEFAULT_MAX_DISTANCE_M = 3000.0

PointKind = Literal["gate", "facility", "candidate"]


@dataclass(frozen=True)
class UnsnappedPoint:
    """A point left off the network because no walkable way is near enough.

    Attributes
    ----------
    kind
        ``"gate"`` (of a compound), ``"facility"`` or ``"candidate"`` (a possible new site).
    id
        The compound's id for a gate, else the point's own id.
    distance_m
        Straight distance to the nearest walkable way.
    limit_m
        The snapping limit it exceeds.
    """

    kind: PointKind
    id: str
    distance_m: float
    limit_m: float


def _unsnapped(kind: PointKind, snapped: Snapped, limit_m: float) -> list[UnsnappedPoint]:
    return [UnsnappedPoint(kind, u.id, u.distance_m, limit_m) for u in snapped.unsnapped]


def padded_bbox(
    bbox: tuple[float, float, float, float], pad_m: float
) -> tuple[float, float, float, float]:
    """``bbox`` grown by ``pad_m`` metres on every side (points may lie that far off the
    network and still be snapped)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    dlat = pad_m / 111_195.0
    dlon = dlat / max(math.cos(math.radians((min_lat + max_lat) / 2)), 1e-6)
    return (min_lon - dlon, min_lat - dlat, max_lon + dlon, max_lat + dlat)


@dataclass(frozen=True, eq=False)
class District:
    """A district's walking network with its compounds and facilities snapped onto it.

    Attributes
    ----------
    graph
        The walking network.
    compounds, facilities
        As read (WGS-84).
    gates, facility_points
        Gates (one per gate, in ``compounds.gate_compound`` order) and facilities on the
        network.
    max_snap_m
        The snapping limit used.
    seconds
        Time spent reading the network (or its cache).
    """

    graph: WalkGraph
    compounds: Compounds
    facilities: Facilities
    gates: Snapped
    facility_points: Snapped
    max_snap_m: float
    seconds: float = 0.0

    @property
    def report(self) -> GraphReport:
        """The network report: nodes and edges kept, components, nodes and edges dropped."""
        return self.graph.report

    @property
    def unsnapped(self) -> list[UnsnappedPoint]:
        """Gates, then facilities, too far from every walkable way (left out)."""
        return _unsnapped("gate", self.gates, self.max_snap_m) + _unsnapped(
            "facility", self.facility_points, self.max_snap_m
        )


def load_district(
    network: str | Path,
    compounds: str | Path,
    facilities: str | Path,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    gcj02: bool = False,
    cache_dir: str | Path | None = None,
) -> District:
    """Read a district's network, compounds and facilities and snap them onto the network.

    Parameters
    ----------
    network
        The OSM ``.pbf``.
    compounds, facilities
        CSV or XLSX files (see :func:`.io.read_compounds`, :func:`.io.read_facilities`).
    max_snap_m
        Farthest a gate or facility may be from a walkable way; farther ones are left out and
        listed in :attr:`District.unsnapped`.
    gcj02
        The files' coordinates are GCJ-02 (Chinese web maps).
    cache_dir
        Cache for parsed networks (:func:`.graph.load_graph`).

    Raises
    ------
    CircleInputError
        For a file the engine cannot use, naming the file, row, column and value.
    """
    t0 = time.perf_counter()
    graph = load_graph(network, cache_dir=cache_dir)
    seconds = time.perf_counter() - t0
    bbox = padded_bbox(graph.bbox, max_snap_m)
    comp = read_compounds(compounds, bbox=bbox, gcj02=gcj02)
    fac = read_facilities(facilities, bbox=bbox, gcj02=gcj02)
    gate_ids = [comp.ids[c] for c in comp.gate_compound]
    gates = snap_points(graph, comp.gate_lon, comp.gate_lat, max_snap_m=max_snap_m, ids=gate_ids)
    facs = snap_points(graph, fac.lon, fac.lat, max_snap_m=max_snap_m, ids=fac.ids)
    return District(graph, comp, fac, gates, facs, max_snap_m, seconds)


@dataclass(frozen=True, eq=False)
class Analysis:
    """Walking access from every compound to every category, and what follows from it.

    Attributes
    ----------
    district
        What was analysed.
    rules
        The rules the gaps are checked against.
    access
        Nearest facility per compound and category (``access.categories`` are the facilities'
        categories and the rules' categories, sorted).
    max_distance_m
        The search limit (farther facilities count as unreachable).
    seconds
        Time spent on the searches.
    """

    district: District
    rules: list[Rule]
    access: AccessResult
    max_distance_m: float
    seconds: float = 0.0

    @property
    def categories(self) -> list[str]:
        """The categories of :attr:`access`."""
        return self.access.categories

    @cached_property
    def coverage_blocks(self) -> list[CoverageBlock]:
        """People within 5/10/15 minutes and the standards' distances, per scope as arrays."""
        return coverage_blocks(self.access, self.district.compounds)

    def coverage_rows(self) -> list[CoverageRow]:
        """:attr:`coverage_blocks` as rows (district, subdistricts, communities)."""
        return coverage_table(self.access, self.district.compounds)

    def gap_blocks(self) -> list[GapBlock]:
        """The compounds short of each rule, as arrays."""
        return list(gap_blocks(self.access, self.district.compounds, self.rules))

    def gaps(self) -> list[Gap]:
        """Every compound short of a rule, naming its nearest facility."""
        return find_gaps(
            self.access,
            self.district.compounds,
            self.rules,
            facility_ids=self.district.facilities.ids,
        )


def analyse(
    district: District,
    *,
    rules: Sequence[Rule] | str | Path | None = None,
    speed_m_s: float = 1.0,
    max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    progress: bool = False,
) -> Analysis:
    """Walking distance from each compound's nearest gate to the nearest facility of every
    category (the facilities' and the rules').

    Parameters
    ----------
    district
        From :func:`load_district`.
    rules
        Rules, or a rules CSV; by default the packaged ``data/rules.csv``.
    speed_m_s
        Walking speed for minutes.
    max_distance_m
        Search limit.
    progress
        Show a progress bar on a terminal.
    """
    if speed_m_s <= 0:
        raise ValueError("the walking speed must be positive")
    rule_list = load_rules(rules) if rules is None or isinstance(rules, str | Path) else list(rules)
    facilities = district.facilities
    categories = sorted(set(facilities.category) | {r.category for r in rule_list})
    t0 = time.perf_counter()
    access = nearest_facilities(
        district.graph,
        district.gates,
        district.compounds.gate_compound,
        district.compounds.n,
        district.facility_points,
        facilities.category,
        categories=categories,
        cutoff_m=max_distance_m,
        speed_m_s=speed_m_s,
        progress=progress,
    )
    return Analysis(district, rule_list, access, max_distance_m, time.perf_counter() - t0)


@dataclass(frozen=True)
class ProposedSite:
    """One proposed new site, in order of marginal gain.

    Attributes
    ----------
    rank
        1 for the site that covers the most new people, 2 for the most of what remains, ...
    candidate_id
        The candidate's id (``node…`` for a street junction).
    lon, lat
        The candidate's point on the network (WGS-84).
    newly_covered
        Indices of the compounds it covers that nothing before it covered.
    gain
        Their population.
    cumulative
        Population covered with this site and the ones ranked before it (and the existing
        facilities).
    streets
        The named streets the site stands on (:meth:`.WalkGraph.streets_at`): its own way
        first, then the others meeting there when it is a junction; empty when unnamed.
    nearest_compound
        Index of the compound with the gate nearest to the site in a straight line (-1 when
        the district has no gates), so a planner can find the site by a place they know.
    nearest_compound_m
        That gate's straight distance in metres.
    """

    rank: int
    candidate_id: str
    lon: float
    lat: float
    newly_covered: tuple[int, ...]
    gain: float
    cumulative: float
    streets: tuple[str, ...] = ()
    nearest_compound: int = -1
    nearest_compound_m: float = math.inf


@dataclass(frozen=True, eq=False)
class SitingReport:
    """The answer to one siting problem, with its proven bound (``result.upper_bound``,
    ``result.gap``, ``result.optimal``) and the proposed sites."""

    problem: Literal["mclp", "lscp"]
    result: SitingResult
    total_weight: float
    sites: list[ProposedSite]


@dataclass(frozen=True, eq=False)
class Siting:
    """New sites for one category within a walking radius.

    Attributes
    ----------
    district
        The district.
    category, radius_m
        What was asked.
    candidate_ids
        Every candidate, snapped or not.
    candidates
        The candidates on the network.
    already_covered
        Per compound: whether an existing facility of the category is within the radius.
    coverage_shape, coverage_pairs
        Size of the compound × candidate coverage matrix and its number of covered pairs.
    seconds
        Time spent on the coverage matrix.
    mclp, lscp
        The maximal-coverage answer (when ``k`` was given) and the set-cover answer (when
        ``target_share`` was).
    """

    district: District
    category: str
    radius_m: float
    candidate_ids: list[str]
    candidates: Snapped
    already_covered: npt.NDArray[np.bool_]
    coverage_shape: tuple[int, int]
    coverage_pairs: int
    seconds: float
    mclp: SitingReport | None = None
    lscp: SitingReport | None = None
    unsnapped: list[UnsnappedPoint] = field(default_factory=list)

    @property
    def reports(self) -> list[SitingReport]:
        """The answers given, maximal coverage first."""
        return [r for r in (self.mclp, self.lscp) if r is not None]


def junction_candidates(graph: WalkGraph) -> Points:
    """Every street junction (a node of degree ≥ 3) as a candidate ``node<OSM id>``."""
    deg = np.bincount(np.r_[graph.edge_u, graph.edge_v], minlength=graph.n_nodes)
    nodes = np.flatnonzero(deg >= 3)
    ids = [f"node{int(graph.node_osm_id[i])}" for i in nodes]
    return Points(ids, ids, graph.node_lon[nodes], graph.node_lat[nodes])


def site(
    district: District,
    *,
    category: str,
    radius_m: float = 500.0,
    k: int | None = None,
    target_share: float | None = None,
    candidates: Points | None = None,
    time_limit: float = 10.0,
) -> Siting:
    """Choose new sites of ``category`` so that more people live within ``radius_m`` of one.

    Parameters
    ----------
    district
        From :func:`load_district`; the compounds' population is the demand.
    category
        The facility category; existing facilities of it count as covering already.
    radius_m
        The walking radius a site covers.
    k
        Number of new sites for maximal coverage (MCLP).
    target_share
        Share of the population to cover with the fewest sites (LSCP).
    candidates
        Possible sites; by default every street junction (:func:`junction_candidates`).
        Those farther than the district's snapping limit from a walkable way are left out
        (:attr:`Siting.unsnapped`).
    time_limit
        Seconds per problem.

    Raises
    ------
    ValueError
        If neither ``k`` nor ``target_share`` is given.
    """
    from . import siting

    if k is None and target_share is None:
        raise ValueError("give k (maximal coverage) or target_share (set cover) or both")
    graph, compounds = district.graph, district.compounds
    points = candidates if candidates is not None else junction_candidates(graph)
    cands = snap_points(
        graph, points.lon, points.lat, max_snap_m=district.max_snap_m, ids=points.ids
    )
    t0 = time.perf_counter()
    cov = coverage_matrix(
        graph, district.gates, compounds.gate_compound, compounds.n, cands, radius_m=radius_m
    )
    existing = nearest_facilities(
        graph,
        district.gates,
        compounds.gate_compound,
        compounds.n,
        district.facility_points,
        district.facilities.category,
        categories=[category],
        cutoff_m=radius_m,
    )
    already = existing.meters[:, 0] <= radius_m
    seconds = time.perf_counter() - t0
    weights = compounds.population.astype(np.float64)
    answers: dict[str, Any] = {}
    if k is not None:
        res = siting.solve_mclp(cov, weights, k, already_covered=already, time_limit=time_limit)
        answers["mclp"] = _report("mclp", res, weights, already, points.ids, cands, district)
    if target_share is not None:
        res = siting.solve_lscp(
            cov, weights, target_share, already_covered=already, time_limit=time_limit
        )
        answers["lscp"] = _report("lscp", res, weights, already, points.ids, cands, district)
    return Siting(
        district=district,
        category=category,
        radius_m=radius_m,
        candidate_ids=list(points.ids),
        candidates=cands,
        already_covered=already,
        coverage_shape=(int(cov.shape[0]), int(cov.shape[1])),
        coverage_pairs=int(cov.nnz),
        seconds=seconds,
        unsnapped=_unsnapped("candidate", cands, district.max_snap_m),
        **answers,
    )


def _report(
    problem: Literal["mclp", "lscp"],
    res: SitingResult,
    weights: npt.NDArray[np.float64],
    already: npt.NDArray[np.bool_],
    ids: list[str],
    cands: Snapped,
    district: District,
) -> SitingReport:
    from .graph import haversine_m

    covered = float(weights[already].sum()) + 0.0
    sites: list[ProposedSite] = []
    compounds = district.compounds
    for rank, (col, new) in enumerate(zip(res.chosen, res.newly_covered, strict=False), 1):
        rows = np.asarray(new, dtype=np.int64)
        gain = float(weights[rows].sum())
        covered += gain
        c = int(col)
        streets = district.graph.streets_at(int(cands.edge[c]), float(cands.offset[c]))
        nearest, nearest_m = -1, math.inf
        if compounds.gate_lon.shape[0]:
            d = haversine_m(cands.lon[c], cands.lat[c], compounds.gate_lon, compounds.gate_lat)
            g = int(np.argmin(d))
            nearest, nearest_m = int(compounds.gate_compound[g]), float(d[g])
        sites.append(
            ProposedSite(
                rank=rank,
                candidate_id=ids[c],
                lon=float(cands.lon[c]),
                lat=float(cands.lat[c]),
                newly_covered=tuple(rows.tolist()),
                gain=gain,
                cumulative=covered,
                streets=streets,
                nearest_compound=nearest,
                nearest_compound_m=nearest_m,
            )
        )
    return SitingReport(problem, res, float(weights.sum()), sites)
