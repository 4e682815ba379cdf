"""Duty rotation: fair over the year and respecting declared unavailability (property tests)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from linli.cobuild.rotation import rotate


def round_robin(days: list[int], units: list[int], per_day: int) -> dict[int, list[int]]:
    """The simple reference: units in order, wrapping around, ``per_day`` at a time."""
    out: dict[int, list[int]] = {}
    k = 0
    for day in days:
        take = min(per_day, len(units))
        out[day] = [units[(k + i) % len(units)] for i in range(take)]
        k += take
    return out


cases = st.integers(1, 8).flatmap(
    lambda n_units: st.tuples(
        st.just(list(range(n_units))),
        st.integers(1, 24),
        st.integers(1, 3),
        st.sets(st.tuples(st.integers(0, n_units - 1), st.integers(0, 23)), max_size=30),
    )
)


@settings(max_examples=300, deadline=None)
@given(cases)
def test_rotation_is_fair_and_respects_unavailability(case: tuple) -> None:  # type: ignore[type-arg]  # hypothesis draws a loose tuple
    units, n_days, per_day, unavailable = case
    days = list(range(n_days))
    result = rotate(days=days, units=units, per_day=per_day, unavailable=unavailable)
    for day, on_duty in result.on_duty.items():
        assert not any((u, day) in unavailable for u in on_duty)
        available = [u for u in units if (u, day) not in unavailable]
        assert len(on_duty) == min(per_day, len(available)) == len(set(on_duty))
    counts = {u: sum(u in d for d in result.on_duty.values()) for u in units}
    assert counts == result.counts
    always = [u for u in units if not any(x == u for x, _ in unavailable if _ < n_days)]
    if always:
        low, high = min(counts[u] for u in always), max(counts[u] for u in always)
        assert high - low <= 1
        assert all(counts[u] <= low + 1 for u in units)
    # A skip names a unit that was unavailable on that day.
    assert all((s.unit, s.day) in unavailable for s in result.skips)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 8), st.integers(1, 24), st.integers(1, 3))
def test_without_unavailability_it_is_plain_round_robin(n_units: int, n_days: int, k: int) -> None:
    units, days = list(range(n_units)), list(range(n_days))
    assert rotate(days=days, units=units, per_day=k).on_duty == round_robin(days, units, k)


def test_a_unit_away_on_its_day_is_skipped_and_comes_first_next_time() -> None:
    result = rotate(days=["jan", "feb", "mar"], units=["a", "b", "c"], unavailable={("a", "jan")})
    assert result.on_duty == {"jan": ["b"], "feb": ["a"], "mar": ["c"]}
    assert [(s.day, s.unit) for s in result.skips] == [("jan", "a")]
