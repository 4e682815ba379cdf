"""Matching needs (需求清单) with resources (资源清单) — pure, typed, solved exactly.

No Django here: callers pass plain records and a walking-distance matrix (``walking.py``
computes one on the living-circle engine's network). A pair is *feasible* when the resource's
category fits the need's (and its skill, when the need names one), one of the resource's time
windows overlaps the need's, and the walk between their places is within the limit. Each need
is met by at most one resource; a resource meets at most ``capacity`` needs. Among all such
matchings we take one that maximises the sum of the met needs' priorities and, among those,
the shortest total walk.

Because each need takes one unit of capacity, the constraint matrix is that of a bipartite
transportation problem — totally unimodular — so the linear relaxation already has an integral
optimum: the solver's answer equals the LP bound, which proves it optimal. We still ask HiGHS
for an integer solution (``scipy.optimize.milp``) and report both values; docs/cobuild.md
explains how to read them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

__all__ = [
    "MatchNeed",
    "MatchResource",
    "Matching",
    "Proposal",
    "Window",
    "explain",
    "feasible_pairs",
    "match",
]

FloatArray = npt.NDArray[np.float64]

#: Walking limit when the caller names none: fifteen minutes at the living circle's 1 m/s.
DEFAULT_MAX_WALK_M = 900.0


@dataclass(frozen=True)
class Window:
    """A half-open time interval ``[starts, ends)``."""

    starts: dt.datetime
    ends: dt.datetime

    def overlaps(self, other: Window) -> bool:
        """Whether the two intervals share a moment."""
        return self.starts < other.ends and other.starts < self.ends


@dataclass(frozen=True)
class MatchNeed:
    """A need as the matcher sees it.

    Attributes
    ----------
    key
        The caller's id.
    category, skill
        What is needed (a resource category code, and a skill code or "").
    priority
        Weight of meeting it (a positive integer; higher is more urgent).
    window
        When it must be met.
    """

    key: int
    category: str
    skill: str
    priority: int
    window: Window


@dataclass(frozen=True)
class MatchResource:
    """A resource as the matcher sees it: what, how many needs it can meet, and when."""

    key: int
    category: str
    skill: str
    capacity: int
    windows: tuple[Window, ...]


@dataclass(frozen=True)
class Proposal:
    """One proposed pair and the facts that explain it."""

    need: int
    resource: int
    priority: int
    walk_m: float
    window: Window  # the overlap of the need's window and the resource's
    skill: str


@dataclass(frozen=True)
class Matching:
    """The optimum.

    Attributes
    ----------
    proposals
        The pairs, in need order.
    priority_met
        Sum of the met needs' priorities (the objective).
    lp_bound
        The linear relaxation's optimum priority sum; equal to ``priority_met`` proves optimality.
    walk_m
        Total walking distance of the proposals.
    feasible_pairs
        How many need–resource pairs passed the category, window and distance tests.
    """

    proposals: list[Proposal]
    priority_met: int
    lp_bound: float
    walk_m: float
    feasible_pairs: int

    @property
    def proven_optimal(self) -> bool:
        """Whether the integer answer reaches the LP bound (to rounding)."""
        return math.isclose(self.priority_met, self.lp_bound, abs_tol=1e-6)


def _fits(need: MatchNeed, resource: MatchResource) -> bool:
    return need.category == resource.category and (not need.skill or need.skill == resource.skill)


def _overlap(need: MatchNeed, resource: MatchResource) -> Window | None:
    for window in resource.windows:
        if window.overlaps(need.window):
            return Window(
                max(window.starts, need.window.starts), min(window.ends, need.window.ends)
            )
    return None


def feasible_pairs(
    needs: Sequence[MatchNeed],
    resources: Sequence[MatchResource],
    walk_m: npt.ArrayLike,
    *,
    max_walk_m: float = DEFAULT_MAX_WALK_M,
) -> list[tuple[int, int, float, Window]]:
    """The ``(need index, resource index, metres, overlap)`` pairs a proposal may use.

    ``walk_m`` has shape ``(len(needs), len(resources))``; ``inf`` marks an unreachable pair.
    """
    dist = np.asarray(walk_m, dtype=np.float64)
    if dist.shape != (len(needs), len(resources)):
        raise ValueError(f"walk_m has shape {dist.shape}, expected {(len(needs), len(resources))}")
    by_category: dict[str, list[int]] = {}
    for j, resource in enumerate(resources):
        if resource.capacity > 0:
            by_category.setdefault(resource.category, []).append(j)
    pairs: list[tuple[int, int, float, Window]] = []
    for i, need in enumerate(needs):
        for j in by_category.get(need.category, ()):
            metres = float(dist[i, j])
            if not metres <= max_walk_m:  # also refuses nan and inf
                continue
            resource = resources[j]
            if not _fits(need, resource):
                continue
            window = _overlap(need, resource)
            if window is not None:
                pairs.append((i, j, metres, window))
    return pairs


def match(
    needs: Sequence[MatchNeed],
    resources: Sequence[MatchResource],
    walk_m: npt.ArrayLike,
    *,
    max_walk_m: float = DEFAULT_MAX_WALK_M,
) -> Matching:
    """Propose need ↔ resource pairs maximising the priority-weighted needs met.

    Parameters
    ----------
    needs, resources
        The open needs and the offered resources.
    walk_m
        Walking distances in metres, shape ``(len(needs), len(resources))``.
    max_walk_m
        Farther pairs are not proposed.

    Returns
    -------
    Matching
        An optimal matching; ties in priority go to the shorter total walk.
    """
    for need in needs:
        if need.priority < 1:
            raise ValueError(f"need {need.key}: priority must be a positive integer")
    pairs = feasible_pairs(needs, resources, walk_m, max_walk_m=max_walk_m)
    if not pairs:
        return Matching([], 0, 0.0, 0.0, 0)
    n, m, k = len(needs), len(resources), len(pairs)
    pi = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=k)
    pj = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=k)
    metres = np.fromiter((p[2] for p in pairs), dtype=np.float64, count=k)
    priority = np.array([need.priority for need in needs], dtype=np.float64)[pi]
    # Lexicographic objective in one solve: the walk term of all pairs together stays below one,
    # the smallest step between two priority sums, so it only breaks ties between them.
    scale = 1.0 / ((max(max_walk_m, 1.0)) * (n + 1))
    cost = -(priority - scale * metres)
    cols = np.arange(k)
    a_need = sp.csr_array((np.ones(k), (pi, cols)), shape=(n, k))
    a_res = sp.csr_array((np.ones(k), (pj, cols)), shape=(m, k))
    capacity = np.array([max(r.capacity, 0) for r in resources], dtype=np.float64)
    constraints = [
        LinearConstraint(a_need, -np.inf, np.ones(n)),
        LinearConstraint(a_res, -np.inf, capacity),
    ]
    result = milp(
        cost,
        constraints=constraints,
        integrality=np.ones(k),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0.0},
    )
    if not result.success:  # pragma: no cover - a feasible, bounded problem always solves
        raise RuntimeError(f"matching failed: {result.message}")
    chosen = np.flatnonzero(np.asarray(result.x) > 0.5)
    relaxed = linprog(
        -priority,
        A_ub=sp.vstack([a_need, a_res]).tocsr(),
        b_ub=np.concatenate([np.ones(n), capacity]),
        bounds=(0, 1),
        method="highs",
    )
    lp_bound = float(-relaxed.fun) if relaxed.success else math.inf
    proposals = [
        Proposal(
            need=needs[int(pi[c])].key,
            resource=resources[int(pj[c])].key,
            priority=needs[int(pi[c])].priority,
            walk_m=float(metres[c]),
            window=pairs[int(c)][3],
            skill=resources[int(pj[c])].skill,
        )
        for c in chosen
    ]
    proposals.sort(key=lambda p: p.need)
    return Matching(
        proposals=proposals,
        priority_met=int(sum(p.priority for p in proposals)),
        lp_bound=lp_bound,
        walk_m=float(sum(p.walk_m for p in proposals)),
        feasible_pairs=k,
    )


def explain(proposal: Proposal, *, need_label: str, resource_label: str) -> str:
    """A plain English sentence for logs and the benchmark (pages use the translated one)."""
    minutes = round(proposal.walk_m / 60)
    return (
        f"{resource_label} can meet {need_label} (priority {proposal.priority}): "
        f"it offers what is needed{f' ({proposal.skill})' if proposal.skill else ''}, "
        f"is available from {proposal.window.starts:%Y-%m-%d %H:%M} "
        f"to {proposal.window.ends:%Y-%m-%d %H:%M}, and is a {proposal.walk_m:.0f} m "
        f"walk away (about {minutes} min)."
    )
