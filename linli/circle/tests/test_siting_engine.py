"""The exact engine behind ``solve_mclp``, checked without greedy's help.

On small instances greedy with swaps is almost always optimal already, so the public tests
alone would not notice a broken MILP or a wrong reduced-cost fixing; these drive them directly.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
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
