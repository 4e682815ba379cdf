"""The matcher equals a brute-force optimum on small cases, and explains itself."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.cobuild.matching import (
    MatchNeed,
    MatchResource,
    Window,
    explain,
    feasible_pairs,
    match,
)

T0 = dt.datetime(2026, 1, 2, 9, 0)


def hours(a: int, b: int) -> Window:
    return Window(T0 + dt.timedelta(hours=a), T0 + dt.timedelta(hours=b))


def brute_force(
    needs: list[MatchNeed], resources: list[MatchResource], walk: Any, max_walk_m: float
) -> int:
    """Try every assignment of needs to a resource or to nothing; the best priority sum."""
    pairs = feasible_pairs(needs, resources, walk, max_walk_m=max_walk_m)
    options: list[list[int | None]] = [[None] for _ in needs]
    for i, j, _, _ in pairs:
        options[i].append(j)
    best = 0
    for choice in itertools.product(*options):
        used = [sum(1 for c in choice if c == j) for j in range(len(resources))]
        if any(used[j] > resources[j].capacity for j in range(len(resources))):
            continue
        best = max(best, sum(needs[i].priority for i, c in enumerate(choice) if c is not None))
    return best


CATEGORIES = ["skill", "venue"]
SKILLS = ["", "legal", "repair"]


@st.composite
def small_cases(draw):  # type: ignore[no-untyped-def]  # a hypothesis composite
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 3))
    needs = [
        MatchNeed(
            key=i,
            category=draw(st.sampled_from(CATEGORIES)),
            skill=draw(st.sampled_from(SKILLS)),
            priority=draw(st.integers(1, 5)),
            window=hours(a := draw(st.integers(0, 8)), a + draw(st.integers(1, 4))),
        )
        for i in range(n)
    ]
    resources = [
        MatchResource(
            key=100 + j,
            category=draw(st.sampled_from(CATEGORIES)),
            skill=draw(st.sampled_from(SKILLS[1:])),
            capacity=draw(st.integers(0, 3)),
            windows=(hours(a := draw(st.integers(0, 8)), a + draw(st.integers(1, 4))),),
        )
        for j in range(m)
    ]
    walk = np.array(
        draw(
            st.lists(
                st.lists(
                    st.sampled_from([50.0, 400.0, 800.0, 1200.0, np.inf]), min_size=m, max_size=m
                ),
                min_size=n,
                max_size=n,
            )
        )
    )
    return needs, resources, walk


@settings(max_examples=300, deadline=None)
@given(small_cases())
def test_the_matcher_equals_a_brute_force_optimum(case) -> None:  # type: ignore[no-untyped-def]  # a hypothesis case
    needs, resources, walk = case
    result = match(needs, resources, walk, max_walk_m=900)
    assert result.priority_met == brute_force(needs, resources, walk, 900)
    assert result.proven_optimal
    # What it proposes is feasible: one resource per need, capacity kept, limits respected.
    assert len({p.need for p in result.proposals}) == len(result.proposals)
    for resource in resources:
        assert sum(p.resource == resource.key for p in result.proposals) <= resource.capacity
    for p in result.proposals:
        need = needs[p.need]
        assert p.walk_m <= 900
        assert need.window.overlaps(p.window)


def test_priority_wins_over_distance_and_distance_breaks_ties() -> None:
    needs = [
        MatchNeed(0, "skill", "legal", 1, hours(0, 4)),
        MatchNeed(1, "skill", "legal", 3, hours(0, 4)),
        MatchNeed(2, "skill", "legal", 3, hours(0, 4)),
    ]
    lawyer = MatchResource(7, "skill", "legal", 1, (hours(1, 2),))
    result = match(needs, [lawyer], np.array([[10.0], [600.0], [300.0]]))
    assert [(p.need, p.resource) for p in result.proposals] == [(2, 7)]
    sentence = explain(result.proposals[0], need_label="need 2", resource_label="Legal clinic")
    assert "300 m" in sentence
    assert "priority 3" in sentence


def test_nothing_is_proposed_across_a_window_gap_or_beyond_the_walk() -> None:
    needs = [MatchNeed(0, "skill", "", 5, hours(0, 1)), MatchNeed(1, "skill", "", 5, hours(3, 4))]
    resources = [MatchResource(1, "skill", "repair", 5, (hours(1, 3),))]
    assert match(needs, resources, np.array([[10.0], [10.0]])).proposals == []
    far = [MatchResource(1, "skill", "repair", 5, (hours(0, 4),))]
    assert match(needs, far, np.array([[901.0], [np.inf]]), max_walk_m=900).proposals == []


def test_a_matrix_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="shape"):
        match([MatchNeed(0, "skill", "", 1, hours(0, 1))], [], np.zeros((2, 2)))
