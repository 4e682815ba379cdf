"""The exact engine behind ``solve_mclp``, checked without greedy's help.

On small instances greedy with swaps is almost always optimal already, so the public tests
alone would not notice a broken MILP or a wrong reduced-cost fixing; these drive them directly.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.circle import siting
from linli.circle.tests.test_siting import Instance, instances

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True)


def reduced(inst: Instance) -> tuple[siting.ReducedProblem, siting._Cover]:
    red = siting.reduce_mclp(inst.coverage, inst.weights, already_covered=inst.done)
    return red, siting._Cover(red.matrix, red.weights)


def best_over(cover: siting._Cover, columns: list[int], k: int) -> float:
    picks = itertools.combinations(columns, min(k, len(columns)))
    return max(cover.value(list(c)) for c in picks)


@PROPERTY
@given(instances())
def test_milp_alone_finds_the_brute_force_optimum(inst: Instance) -> None:
    red, cover = reduced(inst)
    everything = np.arange(cover.n_cols, dtype=np.intp)

    outcome = siting._solve_milp(
        cover,
        inst.k,
        incumbent=0.0,
        free=everything,
        forced=np.zeros(0, dtype=np.intp),
        time_limit=60.0,
        mip_rel_gap=0.0,
    )

    expected = inst.best(inst.k) - red.base_weight
    found = cover.value(outcome.chosen) if outcome.chosen is not None else 0.0
    assert outcome.optimal
    assert found == pytest.approx(expected)
    assert outcome.bound >= expected - 1e-6


@PROPERTY
@given(instances())
def test_lp_bound_holds_and_fixing_keeps_every_better_solution(inst: Instance) -> None:
    _, cover = reduced(inst)
    if cover.n_cols == 0:
        return
    best = best_over(cover, list(range(cover.n_cols)), inst.k)

    lp = siting._lp_bound(cover, inst.k, 60.0)
    # An incumbent just below the optimum: fixing must leave an optimal solution reachable.
    fix_zero, fix_one = lp.fixings(best - 0.5)

    assert lp.value >= best - 1e-6
    allowed = [j for j in range(cover.n_cols) if not fix_zero[j]]
    forced = set(np.flatnonzero(fix_one).tolist())
    optimal_sets = [
        set(c)
        for c in itertools.combinations(range(cover.n_cols), min(inst.k, cover.n_cols))
        if cover.value(list(c)) >= best - 1e-9
    ]
    assert any(s <= set(allowed) and forced <= s for s in optimal_sets)


@PROPERTY
@given(instances(), st.sampled_from([0.3, 0.6, 0.9, 1.0]))
def test_deciding_whether_k_sites_reach_a_level_matches_brute_force(
    inst: Instance, share: float
) -> None:
    _, cover = reduced(inst)
    if cover.n_cols == 0 or inst.k == 0:
        return
    k = max(1, inst.k - 1)
    level = share * float(cover.w.sum())
    reachable = best_over(cover, list(range(cover.n_cols)), k) >= level

    out = siting._mclp_reduced(
        cover, k, started=time.perf_counter(), time_limit=60.0, mip_rel_gap=0.0, decide=level
    )

    if reachable:
        assert out.value >= level
    else:
        assert out.refuted or out.bound < level
        assert not out.refuted or out.value < level
    assert out.bound >= best_over(cover, list(range(cover.n_cols)), k) - 1e-6 or out.refuted


@PROPERTY
@given(instances(), st.sampled_from([-0.5, 0.0, 0.5, 3.0]), st.booleans())
def test_milp_bound_holds_whatever_the_value_to_beat(
    inst: Instance, offset: float, heuristics: bool
) -> None:
    # HiGHS prunes at the value to beat; when that prunes everything it reports the value of
    # some worse solution as its "dual bound". The outcome's bound must hold regardless.
    _, cover = reduced(inst)
    k = min(inst.k, cover.n_cols - 1)  # fewer sites than columns: a real choice
    if k <= 0:
        return
    best = best_over(cover, list(range(cover.n_cols)), k)
    everything = np.arange(cover.n_cols, dtype=np.intp)

    outcome = siting._solve_milp(
        cover,
        k,
        incumbent=max(best + offset, 0.0),
        free=everything,
        forced=np.zeros(0, dtype=np.intp),
        time_limit=60.0,
        mip_rel_gap=0.0,
        heuristics=heuristics,
    )

    assert outcome.bound >= best - 1e-6
    if outcome.chosen is not None:
        assert cover.value(outcome.chosen) >= max(best + offset, 0.0)
        assert len(outcome.chosen) <= k
    elif offset < 0 and best + offset > 0:
        pytest.fail("a solution better than the incumbent exists but none was returned")


@PROPERTY
@given(instances())
def test_support_search_keeps_k_columns_and_never_worsens(inst: Instance) -> None:
    _, cover = reduced(inst)
    if cover.n_cols <= inst.k or inst.k == 0:
        return
    start, _, _ = siting._greedy(cover, inst.k)
    start = start + [j for j in range(cover.n_cols) if j not in start][: inst.k - len(start)]
    support = np.arange(0, cover.n_cols, 2, dtype=np.intp)

    found = siting._support_search(
        cover, start, support, inst.k, deadline=time.perf_counter() + 60.0
    )

    assert len(found) == len(set(found)) == len(start)
    assert all(0 <= j < cover.n_cols for j in found)
    assert cover.value(found) >= cover.value(start)


def test_milp_bound_holds_when_nothing_beats_the_incumbent() -> None:
    # Seeded instances where HiGHS prunes everything: its reported "dual bound" is then the
    # value of a worse solution it saw (below the optimum in about a quarter of these cases).
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(60):
        dense = rng.random((12, 8)) < 0.3
        weights = rng.integers(0, 20, 12).astype(np.float64)
        red = siting.reduce_mclp(sp.csr_array(dense), weights)
        cover = siting._Cover(red.matrix, red.weights)
        if cover.n_cols <= 2:
            continue
        best = best_over(cover, list(range(cover.n_cols)), 2)
        for above in (0.5, 3.0):
            outcome = siting._solve_milp(
                cover,
                2,
                incumbent=best + above,
                free=np.arange(cover.n_cols, dtype=np.intp),
                forced=np.zeros(0, dtype=np.intp),
                time_limit=60.0,
                mip_rel_gap=0.0,
                heuristics=False,
            )
            assert outcome.chosen is None
            assert outcome.bound >= best
            checked += 1
    assert checked > 50
