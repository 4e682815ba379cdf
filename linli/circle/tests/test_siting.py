"""Siting (选址) behaviour: exact answers checked against brute force on small instances."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.circle.siting import (
    SitingError,
    SitingResult,
    greedy_mclp,
    reduce_mclp,
    solve_lscp,
    solve_mclp,
)

# Hypothesis runs a fixed, derandomised set of examples so the suite is deterministic.
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True)
# Where a test asserts a proof, the time limit is far above the milliseconds the instances
# need, so a busy machine cannot turn a proof into a time-out (a flaky test).
GENEROUS = 60.0


class Instance:
    """A small MCLP instance with a dense copy for brute force."""

    def __init__(
        self,
        dense: npt.NDArray[np.bool_],
        weights: npt.NDArray[np.float64],
        done: npt.NDArray[np.bool_],
        k: int,
    ) -> None:
        self.dense = dense
        self.coverage = sp.csr_array(dense)
        self.weights = weights
        self.done = done
        self.k = k

    def covered(self, columns: tuple[int, ...] | npt.NDArray[np.intp]) -> float:
        hit = self.done.copy()
        if len(columns):
            hit |= self.dense[:, list(columns)].any(axis=1)
        return float(self.weights[hit].sum())

    def best(self, k: int) -> float:
        n = self.dense.shape[1]
        return max(self.covered(c) for c in itertools.combinations(range(n), min(k, n)))


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    n_demand = draw(st.integers(1, 12))
    n_candidates = draw(st.integers(1, 8))
    density = draw(st.sampled_from([0.1, 0.25, 0.5]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    dense = rng.random((n_demand, n_candidates)) < density
    # Integer weights keep brute-force sums exact; zeros exercise the row reduction.
    weights = rng.integers(0, 20, n_demand).astype(np.float64)
    done = rng.random(n_demand) < draw(st.sampled_from([0.0, 0.2]))
    k = draw(st.integers(0, n_candidates + 1))
    return Instance(dense, weights, done, k)


def assert_explanation_partitions(inst: Instance, result: SitingResult) -> None:
    chosen = result.chosen
    assert len(result.newly_covered) == len(chosen)
    covered_by_chosen = (
        inst.dense[:, chosen].any(axis=1) if len(chosen) else np.zeros(len(inst.done), bool)
    )
    expected = set(np.flatnonzero(covered_by_chosen & ~inst.done).tolist())
    seen: set[int] = set()
    gains = []
    for site, rows in zip(chosen, result.newly_covered, strict=True):
        rows_set = set(rows.tolist())
        assert not rows_set & seen, "a demand point is attributed to two sites"
        assert inst.dense[rows, site].all(), "a site is credited with demand it does not cover"
        seen |= rows_set
        gains.append(float(inst.weights[rows].sum()))
    assert seen == expected
    assert sum(gains) == pytest.approx(result.newly_covered_weight)
    assert gains == sorted(gains, reverse=True), "sites are listed by marginal gain"
    assert result.covered_weight == pytest.approx(
        float(inst.weights[inst.done].sum()) + result.newly_covered_weight
    )


@PROPERTY
@given(instances())
def test_milp_optimum_equals_brute_force(inst: Instance) -> None:
    result = solve_mclp(
        inst.coverage, inst.weights, inst.k, already_covered=inst.done, time_limit=GENEROUS
    )

    assert result.optimal
    assert result.covered_weight == pytest.approx(inst.best(inst.k))
    assert result.covered_weight == pytest.approx(inst.covered(result.chosen))
    assert len(result.chosen) <= inst.k
    assert result.gap == pytest.approx(0.0, abs=1e-9)
    assert result.upper_bound == pytest.approx(result.covered_weight)


@PROPERTY
@given(instances(), st.booleans())
def test_greedy_never_beats_the_optimum_and_its_bound_holds(inst: Instance, swaps: bool) -> None:
    best = inst.best(inst.k)

    result = greedy_mclp(
        inst.coverage, inst.weights, inst.k, already_covered=inst.done, swaps=swaps
    )

    assert result.covered_weight <= best + 1e-9
    assert result.covered_weight == pytest.approx(inst.covered(result.chosen))
    assert result.greedy_weight == pytest.approx(result.covered_weight)
    assert result.upper_bound >= best - 1e-9
    assert 0.0 <= result.gap <= 1.0
    assert_explanation_partitions(inst, result)


@PROPERTY
@given(instances())
def test_upper_bound_is_never_below_the_optimum(inst: Instance) -> None:
    best = inst.best(inst.k)

    result = solve_mclp(
        inst.coverage, inst.weights, inst.k, already_covered=inst.done, mip_rel_gap=0.2
    )

    assert result.upper_bound >= best - 1e-9
    assert result.covered_weight <= best + 1e-9
    assert result.greedy_weight <= result.covered_weight + 1e-9


@PROPERTY
@given(instances())
def test_reductions_keep_the_optimum(inst: Instance) -> None:
    red = reduce_mclp(inst.coverage, inst.weights, already_covered=inst.done)
    dense = red.matrix.toarray().astype(bool)
    n_kept = dense.shape[1]

    reduced_best = red.base_weight + max(
        float(red.weights[dense[:, list(c)].any(axis=1)].sum()) if c else 0.0
        for c in itertools.combinations(range(n_kept), min(inst.k, n_kept))
    )

    assert reduced_best == pytest.approx(inst.best(inst.k))
    assert red.total_weight == pytest.approx(float(inst.weights.sum()))
    # Kept columns are original columns restricted to the kept demand.
    assert len(set(red.columns.tolist())) == n_kept
    assert (red.weights > 0).all()
    assert (dense.sum(axis=1) > 0).all()


def brute_lscp(inst: Instance, target: float) -> int | None:
    total = float(inst.weights.sum())
    need = target * total - 1e-9 * max(1.0, total)
    n = inst.dense.shape[1]
    for m in range(n + 1):
        if any(inst.covered(c) >= need for c in itertools.combinations(range(n), m)):
            return m
    return None


@PROPERTY
@given(instances(), st.sampled_from([0.0, 0.3, 0.5, 0.75, 0.9, 1.0]))
def test_lscp_count_equals_brute_force(inst: Instance, target: float) -> None:
    expected = brute_lscp(inst, target)
    if expected is None:
        with pytest.raises(SitingError, match="short of the target"):
            solve_lscp(inst.coverage, inst.weights, target, already_covered=inst.done)
        return

    result = solve_lscp(
        inst.coverage, inst.weights, target, already_covered=inst.done, time_limit=GENEROUS
    )

    assert result.optimal
    assert len(result.chosen) == expected
    total = float(inst.weights.sum())
    assert result.covered_weight >= target * total - 1e-9 * max(1.0, total)
    assert result.covered_weight <= result.upper_bound + 1e-9
    assert_explanation_partitions(inst, result)


@PROPERTY
@given(instances())
def test_explanation_partitions_the_newly_covered_demand(inst: Instance) -> None:
    result = solve_mclp(inst.coverage, inst.weights, inst.k, already_covered=inst.done)

    assert_explanation_partitions(inst, result)


def geometric_instance(
    seed: int, n_demand: int, n_candidates: int, radius: float
) -> tuple[sp.csr_array, npt.NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 2000, (n_demand, 2))
    candidates = rng.uniform(0, 2000, (n_candidates, 2))
    distance = np.linalg.norm(demand[:, None, :] - candidates[None, :, :], axis=2)
    weights = rng.integers(1, 100, n_demand).astype(np.float64)
    return sp.csr_array(distance <= radius), weights


def test_it_proves_a_medium_instance_optimal_and_beats_or_matches_greedy() -> None:
    coverage, weights = geometric_instance(3, 400, 150, 300.0)

    plain = greedy_mclp(coverage, weights, 6, swaps=False)
    swapped = greedy_mclp(coverage, weights, 6)
    exact = solve_mclp(coverage, weights, 6, mip_rel_gap=0.0, time_limit=GENEROUS)

    assert plain.covered_weight <= swapped.covered_weight <= exact.covered_weight
    assert exact.optimal
    assert exact.upper_bound == exact.covered_weight
    assert plain.method == "greedy"
    assert swapped.method == "greedy+swaps"


def test_it_is_deterministic() -> None:
    coverage, weights = geometric_instance(5, 300, 120, 350.0)

    first = solve_mclp(coverage, weights, 5, time_limit=GENEROUS)
    second = solve_mclp(coverage, weights, 5, time_limit=GENEROUS)

    np.testing.assert_array_equal(first.chosen, second.chosen)
    assert first.covered_weight == second.covered_weight


def test_it_returns_within_a_tiny_time_limit_with_an_honest_gap() -> None:
    coverage, weights = geometric_instance(7, 600, 200, 400.0)
    exact = solve_mclp(coverage, weights, 8, mip_rel_gap=0.0, time_limit=GENEROUS)

    rushed = solve_mclp(coverage, weights, 8, time_limit=0.001)

    assert rushed.seconds < 5.0
    assert rushed.covered_weight <= exact.covered_weight + 1e-9
    assert rushed.upper_bound >= exact.covered_weight - 1e-9
    assert rushed.gap == pytest.approx(
        (rushed.upper_bound - rushed.covered_weight) / rushed.upper_bound
    )


def test_already_covered_demand_counts_but_is_never_credited_to_a_new_site() -> None:
    coverage = sp.csr_array(np.array([[1, 0], [1, 1], [0, 1]], dtype=bool))
    weights = np.array([10.0, 5.0, 1.0])
    done = np.array([True, False, False])

    result = solve_mclp(coverage, weights, 1, already_covered=done, time_limit=GENEROUS)

    assert result.chosen.tolist() == [1]
    assert result.covered_weight == 16.0
    assert result.newly_covered_weight == 6.0
    assert [rows.tolist() for rows in result.newly_covered] == [[1, 2]]


def test_it_leaves_out_sites_that_add_nothing() -> None:
    coverage = sp.csr_array(np.array([[1, 1, 0], [0, 1, 0]], dtype=bool))

    result = solve_mclp(coverage, np.array([3.0, 4.0]), 3, time_limit=GENEROUS)

    assert result.chosen.tolist() == [1]
    assert result.method == "trivial"
    assert result.optimal


def test_lscp_refuses_an_unreachable_target_with_a_clear_message() -> None:
    coverage = sp.csr_array(np.array([[1, 0], [0, 1], [0, 0]], dtype=bool))

    with pytest.raises(SitingError, match=r"covers 50\.00% .* short of the target 90\.00%"):
        solve_lscp(coverage, np.array([1.0, 1.0, 2.0]), 0.9)


@pytest.mark.parametrize(
    ("weights", "k", "message"),
    [
        (np.array([1.0]), 1, "weights has shape"),
        (np.array([1.0, -1.0]), 1, "non-negative"),
        (np.array([1.0, np.nan]), 1, "finite"),
        (np.array([1.0, 1.0]), -1, "non-negative integer"),
    ],
)
def test_it_rejects_bad_input(weights: npt.NDArray[np.float64], k: int, message: str) -> None:
    coverage = sp.csr_array(np.eye(2, dtype=bool))

    with pytest.raises(SitingError, match=message):
        solve_mclp(coverage, weights, k)
