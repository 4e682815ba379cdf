"""选址 — where to open the next service stations.

Two questions a district planner asks:

* **Maximal covering (MCLP)**: with ``k`` new sites, how much of the population can be brought
  within reach of a station? :func:`solve_mclp` answers exactly (or with a proven gap), and
  :func:`greedy_mclp` answers fast.
* **Partial set covering (LSCP)**: how few new sites bring a target share of the population
  within reach? :func:`solve_lscp`.

Both work on a boolean coverage matrix — demand point ``i`` is within reach of candidate ``j`` —
and never import Django; ``linli.planning`` wraps them for the web. The model, the reductions
and why they are exact are written up in ``docs/siting.md``.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

__all__ = [
    "ReducedProblem",
    "SitingError",
    "SitingResult",
    "greedy_mclp",
    "reduce_mclp",
    "solve_lscp",
    "solve_mclp",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
type Coverage = sp.csr_array | sp.csr_matrix

# Relative tolerance used when comparing weights (objective values): LP and MILP solvers
# work to about 1e-9 relative feasibility, so a bound is only trusted to this precision.
_REL_TOL = 1e-9
# Candidates kept for the pairwise step of the 2-swap search (see ``_two_swap``).
_PAIR_POOL = 40
# Rounds of the perturbation search (``_perturbation_search``); ~0.02 s each at 800 m.
_KICK_ROUNDS = 60


class SitingError(ValueError):
    """A siting question that has no answer, e.g. an unreachable coverage target."""


@dataclass(frozen=True)
class SitingResult:
    """The answer to a siting question.

    Attributes
    ----------
    chosen : numpy.ndarray
        Candidate column indices, in order of marginal gain (the first covers the most new
        weight, the second the most of what remains, ...).
    covered_weight : float
        Total demand weight covered, including what ``already_covered`` covered.
    newly_covered_weight : float
        Demand weight covered by the chosen sites and not already covered.
    greedy_weight : float
        Covered weight achieved by greedy with swap local search (the heuristic incumbent).
    upper_bound : float
        Proven upper bound on the covered weight any choice of ``len(chosen)`` sites could reach;
        equals ``covered_weight`` when ``optimal``.
    gap : float
        ``(upper_bound - covered_weight) / upper_bound``: the most that could still be gained,
        as a share of the bound.
    optimal : bool
        Whether the answer is proven optimal (for :func:`solve_lscp`: the number of sites is
        proven minimal).
    seconds : float
        Wall-clock time spent.
    newly_covered : list of numpy.ndarray
        For each chosen site, the demand row indices it newly covers; each demand point is
        attributed to the first chosen site that covers it, so the arrays partition the newly
        covered demand.
    method : str
        The last step that changed the answer or its bound: ``"trivial"`` (no more useful
        candidates than sites), ``"greedy"``, ``"greedy+swaps"``, ``"lagrangian-bound"``,
        ``"lagrangian-fixing"`` (so few candidates survive fixing that all fit),
        ``"lp-bound"`` (the LP bound closed the gap), ``"lp-guided-search"`` (perturbation
        over the LP's candidates), ``"lp-support-milp"`` (MILP restricted to the LP's
        candidates), ``"milp"`` (MILP on what reduced-cost fixing left); for
        :func:`solve_lscp` also ``"mclp-descent"``.
    """

    chosen: IntArray
    covered_weight: float
    newly_covered_weight: float
    greedy_weight: float
    upper_bound: float
    gap: float
    optimal: bool
    seconds: float
    newly_covered: list[IntArray] = field(repr=False)
    method: str


@dataclass(frozen=True)
class ReducedProblem:
    """An MCLP instance after the exact reductions of :func:`reduce_mclp`.

    Attributes
    ----------
    matrix : scipy.sparse.csr_array
        Boolean coverage of the kept demand groups (rows) by the kept candidates (columns).
    weights : numpy.ndarray
        Weight of each demand group: the sum over the merged demand points.
    columns : numpy.ndarray
        Original candidate index of each kept column.
    base_weight : float
        Weight already covered by existing facilities (constant in every solution).
    total_weight : float
        Weight of all demand, covered or not, coverable or not.
    n_demand : int
        Number of demand points of the original instance.
    n_candidates : int
        Number of candidates of the original instance.
    """

    matrix: sp.csr_array
    weights: FloatArray
    columns: IntArray
    base_weight: float
    total_weight: float
    n_demand: int
    n_candidates: int

    @property
    def coverable_weight(self) -> float:
        """Weight reachable if every kept candidate were opened, not counting base weight."""
        return float(self.weights.sum())


# --------------------------------------------------------------------------------------------
# Input handling and reductions
# --------------------------------------------------------------------------------------------


def _validate(
    coverage: Coverage, weights: npt.ArrayLike, already_covered: npt.ArrayLike | None
) -> tuple[sp.csr_array, FloatArray, BoolArray]:
    matrix = sp.csr_array(coverage, dtype=bool)
    matrix.eliminate_zeros()
    matrix.sum_duplicates()
    matrix.sort_indices()
    n_demand = matrix.shape[0]
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n_demand,):
        raise SitingError(f"weights has shape {w.shape}, expected ({n_demand},).")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise SitingError("weights must be finite and non-negative.")
    if already_covered is None:
        done = np.zeros(n_demand, dtype=bool)
    else:
        done = np.asarray(already_covered, dtype=bool)
        if done.shape != (n_demand,):
            raise SitingError(f"already_covered has shape {done.shape}, expected ({n_demand},).")
    return matrix, w, done


def _dominated_columns(matrix: sp.csr_array) -> BoolArray:
    """Mark columns whose row set is contained in another kept column's row set.

    Column ``j`` is dominated by ``j2`` when ``rows(j) ⊊ rows(j2)``, or when the two row sets
    are equal and ``j2 < j``. This is a strict partial order, so every dominated column is
    dominated by an undominated one and dropping all dominated columns at once is exact.
    """
    n_cols = matrix.shape[1]
    counts = np.asarray(matrix.sum(axis=0)).ravel().astype(np.int64)
    as_int = matrix.astype(np.int32)
    # overlap[j, j2] = |rows(j) ∩ rows(j2)|, non-zero only for columns sharing demand.
    overlap = sp.coo_array(as_int.T @ as_int)
    a, b, shared = overlap.row, overlap.col, overlap.data
    contained = (a != b) & (shared == counts[a])  # rows(a) ⊆ rows(b)
    strict = counts[b] > counts[a]
    by_index = (counts[b] == counts[a]) & (b < a)
    dominated = np.zeros(n_cols, dtype=bool)
    dominated[a[contained & (strict | by_index)]] = True
    return dominated


def reduce_mclp(
    coverage: Coverage,
    weights: npt.ArrayLike,
    *,
    already_covered: npt.ArrayLike | None = None,
    drop_dominated: bool = True,
) -> ReducedProblem:
    """Shrink an MCLP instance without changing its optimum.

    The reductions, each exact (``docs/siting.md`` gives the arguments):

    1. demand already covered, of zero weight, or reachable from no candidate is dropped;
    2. demand points with identical candidate sets are merged, their weights summed;
    3. candidates covering no remaining demand are dropped;
    4. dominated candidates — covering a subset of what another candidate covers — are dropped.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array or csr_matrix
        ``(n_demand, n_candidates)`` boolean; demand ``i`` is covered by candidate ``j``.
    weights : numpy.ndarray
        ``(n_demand,)`` non-negative demand weights (population).
    already_covered : numpy.ndarray, optional
        ``(n_demand,)`` boolean; demand covered by existing facilities.
    drop_dominated : bool, default True
        Whether to apply reduction 4 (the others are always applied).

    Returns
    -------
    ReducedProblem
    """
    matrix, w, done = _validate(coverage, weights, already_covered)
    return _reduce(matrix, w, done, drop_dominated=drop_dominated)


def _reduce(
    matrix: sp.csr_array, w: FloatArray, done: BoolArray, *, drop_dominated: bool
) -> ReducedProblem:
    n_demand, n_candidates = matrix.shape
    base_weight = float(w[done].sum())
    row_counts = np.diff(matrix.indptr)
    keep_rows = ~done & (w > 0) & (row_counts > 0)
    rows = np.flatnonzero(keep_rows)
    sub = matrix[rows]
    sub_w = w[rows]
    columns = np.arange(n_candidates, dtype=np.intp)

    # Dropping columns can make rows identical; merging identical rows never changes which
    # column's set contains which. So the second pass normally finds nothing; the loop only
    # guarantees the fixed point.
    while True:
        col_counts = np.asarray(sub.sum(axis=0)).ravel()
        keep_cols = col_counts > 0
        if drop_dominated and sub.nnz:
            keep_cols &= ~_dominated_columns(sub)
        sub = sp.csr_array(sub[:, np.flatnonzero(keep_cols)])
        columns = columns[keep_cols]
        sub, sub_w, merged = _merge_identical_rows(sub, sub_w)
        if not merged and bool(np.all(keep_cols)):
            break
    sub.sort_indices()
    return ReducedProblem(
        matrix=sub,
        weights=sub_w,
        columns=columns,
        base_weight=base_weight,
        total_weight=float(w.sum()),
        n_demand=n_demand,
        n_candidates=n_candidates,
    )


def _merge_identical_rows(
    matrix: sp.csr_array, w: FloatArray
) -> tuple[sp.csr_array, FloatArray, bool]:
    """Merge rows with identical column sets (summing weights); drop rows left empty."""
    matrix.sort_indices()
    indptr, indices = matrix.indptr, matrix.indices
    groups: dict[bytes, int] = {}
    group_of = np.empty(matrix.shape[0], dtype=np.intp)
    first_rows: list[int] = []
    for i in range(matrix.shape[0]):
        key = indices[indptr[i] : indptr[i + 1]].tobytes()
        g = groups.setdefault(key, len(groups))
        if g == len(first_rows):
            first_rows.append(i)
        group_of[i] = g
    firsts = np.asarray(first_rows, dtype=np.intp)
    merged_w = np.bincount(group_of, weights=w, minlength=len(firsts)).astype(np.float64)
    out = sp.csr_array(matrix[firsts])
    nonempty = np.diff(out.indptr) > 0
    changed = len(firsts) < matrix.shape[0] or not bool(np.all(nonempty))
    if not bool(np.all(nonempty)):
        out = sp.csr_array(out[np.flatnonzero(nonempty)])
        merged_w = merged_w[nonempty]
    return out, merged_w, changed


# --------------------------------------------------------------------------------------------
# Greedy and local search on a (reduced) matrix
# --------------------------------------------------------------------------------------------


class _Cover:
    """Column access and objective evaluation on one reduced matrix."""

    def __init__(self, matrix: sp.csr_array, w: FloatArray) -> None:
        self.csr = sp.csr_array(matrix, dtype=np.float64)
        self.csc = sp.csc_array(self.csr)
        self.w = w
        self.n_rows, self.n_cols = matrix.shape

    def column_rows(self, j: int) -> IntArray:
        return np.asarray(self.csc.indices[self.csc.indptr[j] : self.csc.indptr[j + 1]], np.intp)

    def counts(self, chosen: IntArray | list[int]) -> npt.NDArray[np.int64]:
        cnt = np.zeros(self.n_rows, dtype=np.int64)
        for j in chosen:
            cnt[self.column_rows(int(j))] += 1
        return cnt

    def value(self, chosen: IntArray | list[int]) -> float:
        return float(self.w[self.counts(chosen) > 0].sum())

    def gains(self, uncovered_weight: FloatArray) -> FloatArray:
        """Marginal gain of every column given the weights still uncovered."""
        return np.asarray(self.csr.T @ uncovered_weight, dtype=np.float64)


def _topk_sum(values: FloatArray, k: int) -> float:
    if k <= 0 or values.size == 0:
        return 0.0
    if k >= values.size:
        return float(values[values > 0].sum())
    top = np.partition(values, values.size - k)[values.size - k :]
    return float(top[top > 0].sum())


def _greedy(cover: _Cover, k: int) -> tuple[list[int], float, float]:
    """Plain greedy; returns (chosen, value, data-dependent upper bound).

    The bound uses submodularity: for any partial greedy solution ``S``, the optimum is at most
    ``f(S)`` plus the ``k`` largest marginal gains with respect to ``S`` (Minoux, 1978).
    """
    uncovered = cover.w.copy()
    gains = cover.gains(uncovered)
    chosen: list[int] = []
    value = 0.0
    bound = _topk_sum(gains, k)
    for _ in range(k):
        j = int(np.argmax(gains)) if gains.size else -1
        if j < 0 or gains[j] <= 0:
            break
        rows = cover.column_rows(j)
        rows = rows[uncovered[rows] > 0]
        delta = np.zeros_like(uncovered)
        delta[rows] = uncovered[rows]
        value += float(delta.sum())
        uncovered[rows] = 0.0
        gains = gains - cover.gains(delta)
        chosen.append(j)
        bound = min(bound, value + _topk_sum(gains, k))
    return chosen, value, max(bound, value)


def _one_swap(cover: _Cover, chosen: list[int], deadline: float) -> tuple[list[int], bool]:
    """Best-improvement 1-swap (drop one site, add one) until no swap improves.

    All ``k × n`` swaps are valued at once: adding ``c`` after dropping ``t`` gains what ``c``
    covers of the uncovered weight plus of the weight only ``t`` covered, and loses the
    weight only ``t`` covered — one sparse product with a ``(rows, k)`` matrix.
    """
    chosen = list(chosen)
    k = len(chosen)
    if k == 0:
        return chosen, False
    improved_any = False
    tol = _REL_TOL * max(1.0, float(cover.w.sum()))
    cnt = cover.counts(chosen)
    for _ in range(10 * cover.n_cols + 10):
        if time.perf_counter() > deadline:
            break
        gain0 = cover.gains(cover.w * (cnt == 0))
        only = np.zeros((cover.n_rows, k))
        for t, j in enumerate(chosen):
            rows = cover.column_rows(j)
            rows = rows[cnt[rows] == 1]
            only[rows, t] = cover.w[rows]
        loss = only.sum(axis=0)
        delta = gain0[:, None] + np.asarray(cover.csr.T @ only) - loss[None, :]
        delta[chosen, :] = -np.inf
        c, t = divmod(int(np.argmax(delta)), k)
        if not delta[c, t] > tol:
            break
        cnt[cover.column_rows(chosen[t])] -= 1
        cnt[cover.column_rows(c)] += 1
        chosen[t] = int(c)
        improved_any = True
    return chosen, improved_any


def _perturbation_search(
    cover: _Cover, chosen: list[int], pool: IntArray, *, rounds: int, deadline: float
) -> list[int]:
    """Iterated local search: replace a few sites by random pool columns, 1-swap, keep if better.

    The generator is seeded, so the search is deterministic unless the deadline cuts it short.
    """
    k = len(chosen)
    if k == 0 or cover.n_cols <= k:
        return chosen
    rng = np.random.default_rng(0)
    best, best_value = list(chosen), cover.value(chosen)
    tol = _REL_TOL * max(1.0, float(cover.w.sum()))
    n_kick = min(3, k)
    for _ in range(rounds):
        if time.perf_counter() > deadline:
            break
        outside = np.setdiff1d(pool, best)
        if outside.size < n_kick:
            outside = np.setdiff1d(np.arange(cover.n_cols), best)
        trial = list(best)
        for t, c in zip(
            rng.choice(k, n_kick, replace=False),
            rng.choice(outside, n_kick, replace=False),
            strict=True,
        ):
            trial[int(t)] = int(c)
        trial, _ = _one_swap(cover, trial, deadline)
        value = cover.value(trial)
        if value > best_value + tol:
            best, best_value = trial, value
    return best


def _support_search(
    cover: _Cover, start: list[int], support: IntArray, k: int, *, deadline: float
) -> list[int]:
    """Perturbation search on the problem restricted to the ``support`` columns.

    Rounds on the restricted problem (the LP's candidates, a tenth of the columns or fewer)
    cost a fraction of rounds on the whole one, and the swaps in them stay among columns the
    LP thinks promising. Returns columns of ``cover``; the caller polishes on all columns.
    """
    keep = np.zeros(cover.n_cols, dtype=bool)
    keep[support] = True
    small, small_cols = _restrict(cover, keep)
    if small.n_cols <= k:
        return list(start)
    position = {int(c): t for t, c in enumerate(small_cols)}
    if all(int(j) in position for j in start):
        first = [position[int(j)] for j in start]
    else:  # a start column was dominated within the support
        first, _, _ = _greedy(small, k)
        first, _ = _one_swap(small, first, deadline)
    found = _perturbation_search(
        small, first, np.arange(small.n_cols, dtype=np.intp), rounds=_KICK_ROUNDS, deadline=deadline
    )
    mapped = [int(small_cols[j]) for j in found]
    return mapped if cover.value(mapped) > cover.value(start) else list(start)


def _two_swap(cover: _Cover, chosen: list[int], deadline: float) -> tuple[list[int], bool]:
    """First-improvement 2-swap: drop two sites, add the best pair among the top candidates.

    For each dropped pair, the pair to add is searched exactly among the ``_PAIR_POOL``
    columns of largest marginal gain (value of a pair = both gains minus their overlap).
    """
    k = len(chosen)
    if k < 2:
        return chosen, False
    cnt = cover.counts(chosen)
    current = float(cover.w[cnt > 0].sum())
    tol = _REL_TOL * max(1.0, float(cover.w.sum()))
    for a in range(k):
        for b in range(a + 1, k):
            if time.perf_counter() > deadline:
                return chosen, False
            ra, rb = cover.column_rows(chosen[a]), cover.column_rows(chosen[b])
            left = cnt.copy()
            left[ra] -= 1
            left[rb] -= 1
            uncovered = cover.w * (left == 0)
            base = current - float(uncovered.sum() - cover.w[cnt == 0].sum())
            gains = cover.gains(uncovered)
            gains[chosen] = -np.inf
            pool_size = min(_PAIR_POOL, cover.n_cols)
            pool = np.argpartition(-gains, pool_size - 1)[:pool_size]
            pool = pool[np.isfinite(gains[pool])]
            if pool.size < 2:
                continue
            block = cover.csc[:, pool]
            pair = np.asarray((block.T @ (block * uncovered[:, None])).toarray())
            g = gains[pool]
            value = g[:, None] + g[None, :] - pair
            np.fill_diagonal(value, -np.inf)
            flat = int(np.argmax(value))
            p, q = divmod(flat, pool.size)
            if base + value[p, q] > current + tol:
                new = [c for t, c in enumerate(chosen) if t not in (a, b)]
                new += [int(pool[p]), int(pool[q])]
                return new, True
    return chosen, False


def _local_search(cover: _Cover, chosen: list[int], *, deadline: float) -> list[int]:
    chosen, _ = _one_swap(cover, chosen, deadline)
    while time.perf_counter() < deadline:
        chosen, improved = _two_swap(cover, chosen, deadline)
        if not improved:
            break
        chosen, _ = _one_swap(cover, chosen, deadline)
    return chosen


# --------------------------------------------------------------------------------------------
# Bounds and exact solution
# --------------------------------------------------------------------------------------------


def _lagrangian_bound(
    cover: _Cover, k: int, incumbent: float, *, iterations: int, deadline: float
) -> tuple[float, FloatArray]:
    """Upper bound from the Lagrangian relaxation of the coverage rows, by subgradient descent.

    Relaxing ``y_i <= sum_j a_ij x_j`` with multipliers ``0 <= λ_i <= w_i`` leaves
    ``L(λ) = Σ_i (w_i - λ_i) + (sum of the k largest column sums c_j of λ)``, an upper bound
    for every such ``λ``. Its minimum equals the LP bound; a few hundred cheap steps get close,
    and any step is valid, so this bound survives when the LP runs out of time.

    Returns
    -------
    bound : float
        The smallest ``L(λ)`` seen.
    with_column : numpy.ndarray
        For each column, a bound on every solution that opens it, at the best ``λ``:
        ``L - c_(k) + c_j`` for columns outside the top ``k`` (``L`` for those inside).
    """
    w = cover.w
    lam = w.copy()  # L(w) = the k heaviest columns' weights: the naive bound
    best, best_lam = np.inf, lam
    theta, stale = 2.0, 0
    kk = min(k, cover.n_cols)
    for _ in range(iterations):
        if time.perf_counter() > deadline or kk == 0:
            break
        col = cover.gains(lam)
        top = np.argpartition(-col, kk - 1)[:kk]
        value = float((w - lam).sum() + col[top].sum())
        if value < best - 1e-9 * max(1.0, value):
            best, best_lam, stale = value, lam, 0
        else:
            stale += 1
            if stale >= 20:  # tuned on the bench: 10 halves the step too soon at 800 m
                theta, stale = theta / 2, 0
        # Subgradient of L at λ: (A x)_i - y_i with y_i = 1 where w_i > λ_i.
        hits = np.zeros(cover.n_rows)
        for j in top:
            hits[cover.column_rows(int(j))] += 1.0
        grad = hits - (w > lam)
        norm = float(grad @ grad)
        if norm == 0.0 or theta < 1e-4:
            break
        step = theta * max(value - incumbent, 1e-9 * max(1.0, value)) / norm
        lam = np.clip(lam - step * grad, 0.0, w)
    if not np.isfinite(best):
        return best, np.full(cover.n_cols, np.inf)
    col = cover.gains(best_lam)
    kth = float(np.partition(col, col.size - kk)[col.size - kk])
    return best, best - kth + np.minimum(col, kth)


@dataclass
class _LPBound:
    """The LP relaxation's optimum, solution and reduced costs."""

    value: float  # LP optimum: an upper bound on the reduced objective; inf when unknown
    x: FloatArray  # LP values of the site variables
    raise_cost: FloatArray  # bound on the loss from forcing a column at 0 to 1
    lower_cost: FloatArray  # bound on the loss from forcing a column at 1 to 0

    def fixings(self, incumbent: float) -> tuple[BoolArray, BoolArray]:
        """Columns no better solution uses, and columns every better solution uses.

        The LP value as a function of one variable's bound is concave (maximisation), so
        the reduced cost ``d_j`` of a column at 0 bounds every solution using ``j`` by
        ``z_LP - d_j``; if that does not exceed the incumbent, no better solution uses ``j``.
        Symmetrically for columns at 1. A small slack keeps LP round-off from fixing wrongly.
        """
        if not np.isfinite(self.value):
            none = np.zeros(self.x.size, dtype=bool)
            return none, none.copy()
        slack = 1e-7 * max(1.0, abs(self.value))
        fix_zero = (self.x < 0.5) & (self.value - self.raise_cost + slack < incumbent)
        fix_one = (self.x > 0.5) & (self.value - self.lower_cost + slack < incumbent)
        return fix_zero, fix_one


def _lp_bound(cover: _Cover, k: int, time_limit: float) -> _LPBound:
    """Solve the LP relaxation of the MCLP on a reduced matrix."""
    n_rows, n_cols = cover.n_rows, cover.n_cols
    c = np.concatenate([np.zeros(n_cols), -cover.w])
    a_cover = sp.hstack([-cover.csr, sp.eye_array(n_rows)], format="csr")
    a_k = sp.csr_array(np.concatenate([np.ones(n_cols), np.zeros(n_rows)])[None, :])
    res = linprog(
        c,
        A_ub=sp.vstack([a_cover, a_k], format="csr"),
        b_ub=np.concatenate([np.zeros(n_rows), [float(k)]]),
        bounds=(0.0, 1.0),
        # Interior point with crossover: several times faster than dual simplex on these
        # degenerate covering LPs (2.5 s against 12 s at 800 m in bench/siting.py), and
        # crossover still yields the reduced costs that ``_LPBound.fixings`` needs.
        method="highs-ipm",
        options={"time_limit": max(time_limit, 0.01), "presolve": True},
    )
    if res.status != 0 or res.x is None:
        zeros = np.zeros(n_cols)
        return _LPBound(np.inf, zeros, zeros.copy(), zeros.copy())
    # scipy reports marginals of the minimisation: lower >= 0 (raising x_j costs), upper <= 0.
    return _LPBound(
        value=-float(res.fun),
        x=np.asarray(res.x[:n_cols], dtype=np.float64),
        raise_cost=np.maximum(np.asarray(res.lower.marginals[:n_cols], np.float64), 0.0),
        lower_cost=np.maximum(-np.asarray(res.upper.marginals[:n_cols], np.float64), 0.0),
    )


@dataclass
class _MilpOutcome:
    chosen: list[int] | None  # None when no solution better than the incumbent was found
    bound: float
    optimal: bool
    infeasible: bool = False  # nothing reaches the cutoff


def _solve_milp(
    cover: _Cover,
    k: int,
    *,
    incumbent: float,
    free: IntArray,
    forced: IntArray,
    time_limit: float,
    mip_rel_gap: float,
    heuristics: bool = True,
) -> _MilpOutcome:
    """MILP over the free columns, with the forced ones opened, searching above the incumbent.

    HiGHS is told the incumbent's value as its objective bound and prunes every node that
    cannot beat it. Its dual bound therefore holds only for the solutions above the incumbent;
    the returned ``bound`` is the larger of the two, a bound on every solution.
    ``heuristics=False`` switches HiGHS's primal heuristics off: when the incumbent is already
    good they cost seconds (sub-MIPs at the root) and only rediscover it.
    """
    forced_cnt = cover.counts(forced) if forced.size else np.zeros(cover.n_rows, np.int64)
    forced_value = float(cover.w[forced_cnt > 0].sum())
    # The sub-problem is reduced again: fixing columns makes more rows identical and more
    # columns dominated (exact for the sub-problem, see ``_reduce``).
    red = _reduce(
        sp.csr_array(cover.csr[:, free], dtype=bool),
        cover.w,
        forced_cnt > 0,
        drop_dominated=True,
    )
    free = free[red.columns]
    sub, sub_w = sp.csr_array(red.matrix, dtype=np.float64), red.weights
    n_rows, n_cols = sub.shape
    slots = k - forced.size
    if n_cols == 0 or slots <= 0 or n_rows == 0:  # the forced sites are all there is
        if forced.size and forced_value >= incumbent:
            return _MilpOutcome([int(j) for j in forced], forced_value, True)
        return _MilpOutcome(None, forced_value, True, infeasible=forced_value < incumbent)
    c = np.concatenate([np.zeros(n_cols), -sub_w])
    a_cover = sp.hstack([-sub, sp.eye_array(n_rows)], format="csr")
    a_k = sp.csr_array(np.concatenate([np.ones(n_cols), np.zeros(n_rows)])[None, :])
    constraints = [
        LinearConstraint(a_cover, -np.inf, 0.0),
        LinearConstraint(a_k, 0.0, float(min(slots, n_cols))),
    ]
    integrality = np.concatenate([np.ones(n_cols), np.zeros(n_rows)])
    options: dict[str, float | bool] = {
        "time_limit": max(time_limit, 0.01),
        "mip_rel_gap": mip_rel_gap,
        # HiGHS presolve finds nothing left to remove after ``_reduce`` yet spent 7 s
        # trying on the 800 m bench instance.
        "presolve": False,
        "disp": False,
        # scipy's milp takes no start solution; HiGHS's objective bound (a minimisation, so
        # the negated weight) is how it learns the value to beat. An earlier version added
        # a cutoff row instead; HiGHS then spent twice as long separating cuts at the root
        # (seed 1 of bench/siting.py at 800 m: 6.7 s against 3.2 s).
        "objective_bound": -(incumbent - forced_value),
    }
    if not heuristics:
        options |= {
            "mip_heuristic_effort": 0.0,
            "mip_heuristic_run_rins": False,
            "mip_heuristic_run_rens": False,
            "mip_heuristic_run_root_reduced_cost": False,
        }
    with warnings.catch_warnings():
        # scipy passes options it does not know to HiGHS verbatim, with a RuntimeWarning.
        # (A HiGHS too old to know one skips it with an OptimizeWarning, left visible: the
        # answer stays exact, only slower.)
        warnings.filterwarnings("ignore", "Unrecognized options", RuntimeWarning)
        res = milp(
            c,
            integrality=integrality,
            bounds=Bounds(0.0, 1.0),
            constraints=constraints,
            options=options,
        )
    if res.status == 2:  # infeasible: nothing beats the incumbent
        return _MilpOutcome(None, incumbent, True, infeasible=True)
    # HiGHS reports min(its bound, best solution seen); a solution it saw may be worse than
    # the incumbent (and when it prunes everything, the "dual bound" is that solution's
    # value), so the dual bound is only trusted above the incumbent.
    dual = getattr(res, "mip_dual_bound", None)
    bound = -float(dual) + forced_value if dual is not None and np.isfinite(dual) else np.inf
    bound = max(bound, incumbent)
    chosen: list[int] | None = None
    if res.x is not None:
        x = np.asarray(res.x[:n_cols])
        picked = free[np.flatnonzero(x > 0.5)]
        chosen = [int(j) for j in forced] + [int(j) for j in picked]
        if cover.value(chosen) < incumbent:
            chosen = None
    optimal = res.status == 0
    return _MilpOutcome(chosen, bound, optimal)


@dataclass
class _Outcome:
    chosen: list[int]
    value: float  # covered weight on the reduced problem
    greedy_value: float  # what greedy + swaps reached
    bound: float  # proven upper bound on the reduced problem
    method: str
    refuted: bool = False  # proven that no solution reaches ``decide``


def _restrict(cover: _Cover, keep: BoolArray) -> tuple[_Cover, IntArray]:
    """The problem on the kept columns, reduced again; returns it and its columns' indices."""
    columns = np.flatnonzero(keep).astype(np.intp)
    if columns.size == cover.n_cols:
        return cover, columns
    red = _reduce(
        sp.csr_array(cover.csr[:, columns], dtype=bool),
        cover.w,
        np.zeros(cover.n_rows, dtype=bool),
        drop_dominated=True,
    )
    return _Cover(red.matrix, red.weights), columns[red.columns]


def _mclp_reduced(
    cover: _Cover,
    k: int,
    *,
    started: float,
    time_limit: float,
    mip_rel_gap: float,
    decide: float | None = None,
) -> _Outcome:
    """Solve the MCLP on a reduced matrix: greedy, swaps, bounds, LP-guided search, MILP.

    With ``decide``, stop as soon as the question "can ``k`` sites reach ``decide``?" is
    answered: a solution reaching it, or a bound below it (used by :func:`solve_lscp`).
    """
    deadline = started + time_limit
    chosen, value, bound = _greedy(cover, k)
    chosen = _local_search(cover, chosen, deadline=started + 0.25 * time_limit)
    value = greedy_value = cover.value(chosen)
    bound = min(bound, float(cover.w.sum()))
    method = "greedy+swaps"

    def goal() -> float:
        """The value a solution must beat (or, when deciding, reach) to matter."""
        return value if decide is None else max(value, decide)

    refuted = False  # proven: no solution reaches ``decide``

    def open_gap() -> bool:
        """Whether the gap is still above the target and there is time to narrow it."""
        slack = mip_rel_gap * bound + _REL_TOL * max(1.0, bound)
        if decide is not None and (value >= decide or bound < decide or refuted):
            return False
        return bound - value > slack and time.perf_counter() < deadline

    def below(sub_bound: float) -> None:
        """Combine a bound on the restricted problem with ``floor`` for the dropped part."""
        nonlocal bound, refuted
        if decide is not None and sub_bound < decide <= floor:
            refuted = True  # both parts stay below ``decide``
        bound = min(bound, max(sub_bound, floor))

    def adopt(sub_chosen: list[int] | IntArray, sub_cols: IntArray, how: str) -> None:
        nonlocal chosen, value, method
        candidate = [int(sub_cols[j]) for j in sub_chosen]
        if cover.value(candidate) > value:
            chosen, value, method = candidate, cover.value(candidate), how

    if not open_gap():
        return _Outcome(chosen, value, greedy_value, bound, method)

    # Lagrangian bound, and with it the first fixing: a column whose forced opening bounds
    # every solution below the goal is dropped, and the rest of the work runs on what is left
    # (at 500 m on the bench, 230 of 1,790 candidates). Whatever was dropped is worth less than
    # ``floor``, so every later bound on the restricted problem is combined with it.
    now = time.perf_counter()
    lagrangian, with_column = _lagrangian_bound(
        cover, k, value, iterations=600, deadline=now + 0.1 * (deadline - now)
    )
    if lagrangian < bound:
        bound, method = lagrangian, "lagrangian-bound"
    floor = goal()
    keep = ~(with_column + 1e-7 * max(1.0, abs(lagrangian)) < floor)
    sub, cols = _restrict(cover, keep)
    if sub.n_cols <= k:  # the restricted problem is solved by opening all that is left
        adopt(np.arange(sub.n_cols), cols, "lagrangian-fixing")
        below(sub.value(list(range(sub.n_cols))))
        return _Outcome(chosen, value, greedy_value, bound, method, refuted)

    lp: _LPBound | None = None
    if open_gap():
        lp = _lp_bound(sub, k, deadline - time.perf_counter())
        if np.isfinite(lp.value):
            below(lp.value)
            method = "lp-bound"
        else:
            lp = None
    if open_gap():
        # The LP bound is usually tight (0.1 % on the 800 m bench instance) while greedy is
        # not (0.8 %): look for a better incumbent among the columns the LP uses, first by
        # perturbation and swaps, then exactly with a MILP restricted to them.
        position = {int(c): t for t, c in enumerate(cols)}
        if all(int(j) in position for j in chosen):
            start = [position[int(j)] for j in chosen]
        else:
            start, _, _ = _greedy(sub, k)
            start, _ = _one_swap(sub, start, deadline)
        support = np.arange(sub.n_cols, dtype=np.intp)
        if lp is not None:
            support = np.union1d(np.flatnonzero(lp.x > 1e-6), start).astype(np.intp)
        now = time.perf_counter()
        kicked = _support_search(sub, start, support, k, deadline=now + 0.25 * (deadline - now))
        kicked = _local_search(sub, kicked, deadline=deadline)
        adopt(kicked, cols, "lp-guided-search")
        support = np.union1d(support, kicked).astype(np.intp)
        if lp is not None and support.size > k and open_gap():
            outcome = _solve_milp(
                sub,
                k,
                incumbent=value,
                free=support,
                forced=np.zeros(0, dtype=np.intp),
                time_limit=min(deadline - time.perf_counter(), 0.3 * time_limit),
                mip_rel_gap=mip_rel_gap / 4,
            )
            if outcome.chosen is not None:
                improved = _local_search(sub, outcome.chosen, deadline=deadline)
                adopt(improved, cols, "lp-support-milp")
    if open_gap():
        cutoff = goal()
        none = np.zeros(sub.n_cols, dtype=bool)
        fix_zero, fix_one = lp.fixings(cutoff) if lp is not None else (none, none)
        outcome = _solve_milp(
            sub,
            k,
            incumbent=cutoff,
            free=np.flatnonzero(~fix_zero & ~fix_one).astype(np.intp),
            forced=np.flatnonzero(fix_one).astype(np.intp),
            time_limit=deadline - time.perf_counter(),
            mip_rel_gap=mip_rel_gap,
            heuristics=False,
        )
        method = "milp"
        if outcome.chosen is not None:
            adopt(outcome.chosen, cols, "milp")
        if outcome.infeasible:
            # Nothing reaches the cutoff here, nor the floor among the dropped columns.
            if decide is not None and value < decide:
                refuted = True
            else:
                bound = min(bound, max(value, floor))
        else:
            # Solutions the LP fixing excluded are worth less than the cutoff.
            below(max(outcome.bound, cutoff))
    return _Outcome(chosen, value, greedy_value, bound, method, refuted)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def _explain(
    matrix: sp.csr_array,
    w: FloatArray,
    done: BoolArray,
    chosen: IntArray,
) -> tuple[IntArray, list[IntArray], float]:
    """Order chosen sites by marginal gain and attribute each new demand point to one site."""
    csc = sp.csc_array(matrix)
    covered = done.copy()
    remaining = [int(j) for j in chosen]
    order: list[int] = []
    newly: list[IntArray] = []
    newly_weight = 0.0
    while remaining:
        best_t, best_gain, best_rows = 0, -1.0, np.zeros(0, np.intp)
        for t, j in enumerate(remaining):
            rows = np.asarray(csc.indices[csc.indptr[j] : csc.indptr[j + 1]], np.intp)
            rows = rows[~covered[rows]]
            gain = float(w[rows].sum())
            if gain > best_gain:
                best_t, best_gain, best_rows = t, gain, rows
        if best_gain <= 0:
            # Sites that add nothing are left out: an answer never carries idle sites.
            break
        j = remaining.pop(best_t)
        order.append(j)
        newly.append(np.sort(best_rows))
        covered[best_rows] = True
        newly_weight += best_gain
    return np.asarray(order, dtype=np.intp), newly, newly_weight


def _result(
    matrix: sp.csr_array,
    w: FloatArray,
    done: BoolArray,
    chosen: IntArray,
    *,
    greedy_weight: float,
    upper_bound: float,
    optimal: bool,
    started: float,
    method: str,
    count_objective: bool = False,
) -> SitingResult:
    """Assemble a result; ``count_objective`` marks LSCP, where optimality is about the count."""
    order, newly, newly_weight = _explain(matrix, w, done, chosen)
    covered = float(w[done].sum()) + newly_weight
    ub = max(upper_bound, covered)
    tol = _REL_TOL * max(1.0, ub)
    if ub - covered <= tol:
        ub = covered
        optimal = optimal or not count_objective
    elif optimal and not count_objective:
        ub = covered
    gap = (ub - covered) / ub if ub > 0 else 0.0
    return SitingResult(
        chosen=order,
        covered_weight=covered,
        newly_covered_weight=newly_weight,
        greedy_weight=greedy_weight,
        upper_bound=ub,
        gap=gap,
        optimal=optimal,
        seconds=time.perf_counter() - started,
        newly_covered=newly,
        method=method,
    )


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise SitingError(f"k must be a non-negative integer, got {k!r}.")


# --------------------------------------------------------------------------------------------
# Public solvers
# --------------------------------------------------------------------------------------------


def greedy_mclp(
    coverage: Coverage,
    weights: npt.ArrayLike,
    k: int,
    *,
    already_covered: npt.ArrayLike | None = None,
    swaps: bool = True,
) -> SitingResult:
    """Choose ``k`` sites greedily, then improve by 1-swaps and 2-swaps.

    Greedy takes, one at a time, the candidate covering the most uncovered weight; it is
    within ``1 - 1/e`` of the optimum in the worst case and usually within a few percent. The
    swap search then exchanges chosen sites for unchosen ones while that covers more.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array or csr_matrix
        ``(n_demand, n_candidates)`` boolean; demand ``i`` is covered by candidate ``j``.
    weights : numpy.ndarray
        ``(n_demand,)`` non-negative demand weights (population).
    k : int
        Number of new sites.
    already_covered : numpy.ndarray, optional
        ``(n_demand,)`` boolean; demand covered by existing facilities, which are kept.
    swaps : bool, default True
        Whether to run the swap local search after greedy.

    Returns
    -------
    SitingResult
        ``upper_bound`` is the submodularity bound from the greedy run (cheap, often loose);
        ``optimal`` is true only when it meets the solution. Fewer than ``k`` sites are chosen
        when fewer already cover every coverable demand point.
    """
    started = time.perf_counter()
    _check_k(k)
    matrix, w, done = _validate(coverage, weights, already_covered)
    red = _reduce(matrix, w, done, drop_dominated=False)
    cover = _Cover(red.matrix, red.weights)
    chosen, value, bound = _greedy(cover, k)
    method = "greedy"
    if swaps and chosen:
        chosen = _local_search(cover, chosen, deadline=started + 3600.0)
        value = cover.value(chosen)
        method = "greedy+swaps"
    picked = red.columns[np.asarray(chosen, dtype=np.intp)]
    return _result(
        matrix,
        w,
        done,
        picked,
        greedy_weight=red.base_weight + value,
        upper_bound=red.base_weight + min(bound, red.coverable_weight),
        optimal=False,
        started=started,
        method=method,
    )


def solve_mclp(
    coverage: Coverage,
    weights: npt.ArrayLike,
    k: int,
    *,
    already_covered: npt.ArrayLike | None = None,
    time_limit: float = 10.0,
    mip_rel_gap: float = 0.001,
) -> SitingResult:
    """Choose ``k`` new sites covering the most demand weight, with a proven bound.

    Steps: exact reductions (:func:`reduce_mclp`); greedy with swaps for an incumbent; the LP
    relaxation for an upper bound and reduced-cost fixing of candidates; then, unless the
    incumbent is already proven within ``mip_rel_gap``, a MILP (HiGHS via
    :func:`scipy.optimize.milp`) on what is left, told the incumbent's value as a cutoff.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array or csr_matrix
        ``(n_demand, n_candidates)`` boolean; demand ``i`` is covered by candidate ``j``.
    weights : numpy.ndarray
        ``(n_demand,)`` non-negative demand weights (population).
    k : int
        Number of new sites.
    already_covered : numpy.ndarray, optional
        ``(n_demand,)`` boolean; demand covered by existing facilities, which are kept.
    time_limit : float, default 10.0
        Wall-clock budget in seconds for the whole call (the reductions and greedy always run
        to the end; the LP and the MILP are cut off).
    mip_rel_gap : float, default 0.001
        Stop once the solution is proven within this share of the bound (0.001 = 0.1 %).

    Returns
    -------
    SitingResult
        ``optimal`` means proven optimal; otherwise ``gap`` is the proven relative gap.
    """
    started = time.perf_counter()
    _check_k(k)
    matrix, w, done = _validate(coverage, weights, already_covered)
    red = _reduce(matrix, w, done, drop_dominated=True)
    base = red.base_weight
    n_cols = red.matrix.shape[1]
    if n_cols <= k:
        picked = red.columns.copy()
        return _result(
            matrix,
            w,
            done,
            picked,
            greedy_weight=base + red.coverable_weight,
            upper_bound=base + red.coverable_weight,
            optimal=True,
            started=started,
            method="trivial",
        )
    cover = _Cover(red.matrix, red.weights)
    out = _mclp_reduced(cover, k, started=started, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    picked = red.columns[np.asarray(out.chosen, dtype=np.intp)]
    return _result(
        matrix,
        w,
        done,
        picked,
        greedy_weight=base + out.greedy_value,
        upper_bound=base + out.bound,
        optimal=out.bound - out.value <= _REL_TOL * max(1.0, out.bound),
        started=started,
        method=out.method,
    )


def solve_lscp(
    coverage: Coverage,
    weights: npt.ArrayLike,
    target_share: float,
    *,
    already_covered: npt.ArrayLike | None = None,
    time_limit: float = 10.0,
) -> SitingResult:
    """Fewest new sites so that at least ``target_share`` of all demand weight is covered.

    This is the partial location set covering problem: minimise the number of sites subject
    to ``covered weight >= target_share * total weight``, where the total counts all demand
    (also demand no candidate reaches) and the weight already covered counts towards the
    target. Greedy gives a first count; a MILP (HiGHS) then looks for a cover with fewer
    sites, and a swap search finally raises the coverage of the answer at its count.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array or csr_matrix
        ``(n_demand, n_candidates)`` boolean; demand ``i`` is covered by candidate ``j``.
    weights : numpy.ndarray
        ``(n_demand,)`` non-negative demand weights (population).
    target_share : float
        Share of the total weight to cover, in ``[0, 1]``.
    already_covered : numpy.ndarray, optional
        ``(n_demand,)`` boolean; demand covered by existing facilities, which are kept.
    time_limit : float, default 10.0
        Wall-clock budget in seconds for the MILP.

    Returns
    -------
    SitingResult
        ``optimal`` means the number of sites is proven minimal. ``upper_bound`` and ``gap``
        describe the covered weight reachable with ``len(chosen)`` sites (greedy's
        submodularity bound), as for :func:`greedy_mclp`; ``greedy_weight`` is what the greedy
        cover reached.

    Raises
    ------
    SitingError
        When even opening every candidate cannot reach the target.
    """
    started = time.perf_counter()
    deadline = started + time_limit
    if not 0.0 <= target_share <= 1.0:
        raise SitingError(f"target_share must lie in [0, 1], got {target_share!r}.")
    matrix, w, done = _validate(coverage, weights, already_covered)
    # Dropping dominated candidates is exact here too: a cover using one stays a cover, with
    # the same count, when it is replaced by the candidate dominating it.
    red = _reduce(matrix, w, done, drop_dominated=True)
    total = red.total_weight
    tol = _REL_TOL * max(1.0, total)
    need = target_share * total - red.base_weight  # weight the new sites must add
    if need > red.coverable_weight + tol:
        reachable = (red.base_weight + red.coverable_weight) / total if total > 0 else 0.0
        raise SitingError(
            f"Opening all {red.n_candidates} candidates covers {reachable:.2%} of the demand "
            f"weight, short of the target {target_share:.2%}."
        )
    cover = _Cover(red.matrix, red.weights)
    chosen: list[int] = []
    greedy_value = 0.0
    optimal = True
    method = "trivial"
    if need > tol:
        chosen = _greedy_until(cover, need - tol)
        greedy_value = cover.value(chosen)
        method = "greedy"
        optimal = len(chosen) <= 1
        # Ask the MCLP machinery, with one site fewer each time, whether the target is still
        # reachable; a bound below the target proves the current count minimal.
        while not optimal and time.perf_counter() < deadline:
            now = time.perf_counter()
            out = _mclp_reduced(
                cover,
                len(chosen) - 1,
                started=now,
                time_limit=deadline - now,
                mip_rel_gap=0.0,
                decide=need - tol,
            )
            method = "mclp-descent"
            if out.value >= need - tol:
                chosen = out.chosen
                optimal = len(chosen) <= 1
                continue
            optimal = out.refuted or out.bound < need - tol
            break
        # Swaps never lower the covered weight, so the answer stays a cover; they only
        # pick, among covers of this size, one that reaches more people.
        chosen, _ = _one_swap(cover, chosen, max(deadline, time.perf_counter() + 1.0))
    _, _, bound = _greedy(cover, len(chosen))
    picked = red.columns[np.asarray(chosen, dtype=np.intp)]
    return _result(
        matrix,
        w,
        done,
        picked,
        greedy_weight=red.base_weight + greedy_value,
        upper_bound=red.base_weight + min(bound, red.coverable_weight),
        optimal=optimal,
        started=started,
        method=method,
        count_objective=True,
    )


def _greedy_until(cover: _Cover, need: float) -> list[int]:
    """Greedy sites until the covered weight reaches ``need`` (or nothing more is gained)."""
    uncovered = cover.w.copy()
    gains = cover.gains(uncovered)
    chosen: list[int] = []
    value = 0.0
    while value < need and gains.size:
        j = int(np.argmax(gains))
        if gains[j] <= 0:
            break
        rows = cover.column_rows(j)
        delta = np.zeros_like(uncovered)
        delta[rows] = uncovered[rows]
        value += float(delta.sum())
        uncovered[rows] = 0.0
        gains = gains - cover.gains(delta)
        chosen.append(j)
    return chosen
