"""轮值 — the duty rotation of reporting units over a year's co-construction days.

Pure code (no Django). Each day takes ``per_day`` units; the units whose turn it is are those
with the fewest duties so far, the one served longest ago first, then the rotation order. With
nobody unavailable this is plain round-robin in the rotation order; a unit that declared
itself unavailable on a day is passed over (and the roster says so) and comes first on the next
day it can serve, so it catches up. docs/cobuild.md proves the fairness bound the property
tests check: among the units that never declared themselves unavailable, duties differ by at
most one, and no unit serves more than one duty beyond any of them.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence, Set
from dataclasses import dataclass, field

__all__ = ["Rotation", "Skip", "rotate"]


@dataclass(frozen=True)
class Skip[D: Hashable, U: Hashable]:
    """A unit passed over on a day although its turn had come: it declared itself unavailable."""

    day: D
    unit: U


@dataclass(frozen=True)
class Rotation[D: Hashable, U: Hashable]:
    """The result: the units on duty each day, the skips, and each unit's duty count."""

    on_duty: dict[D, list[U]]
    skips: list[Skip[D, U]] = field(default_factory=list)
    counts: dict[U, int] = field(default_factory=dict)


def rotate[D: Hashable, U: Hashable](
    *,
    days: Sequence[D],
    units: Sequence[U],
    per_day: int = 1,
    unavailable: Set[tuple[U, D]] = frozenset(),
    prior_counts: Mapping[U, int] | None = None,
    fixed: Mapping[D, Sequence[U]] | None = None,
) -> Rotation[D, U]:
    """Assign ``per_day`` units to each day in order, fairly.

    Parameters
    ----------
    days
        The co-construction days in date order.
    units
        The rotation order of the units (first served first).
    per_day
        Units on duty each day (fewer when fewer are available).
    unavailable
        ``(unit, day)`` pairs a unit declared itself unavailable on.
    prior_counts
        Duties already served (e.g. earlier this year before a unit joined the others); a unit
        that joins late starts level with the others rather than owing them duties.
    fixed
        Units already placed on a day (by an approved swap): they take that day's first slots
        and their duty counts like any other.

    Returns
    -------
    Rotation
    """
    if per_day < 1:
        raise ValueError("per_day must be at least 1")
    counts = {u: int((prior_counts or {}).get(u, 0)) for u in units}
    last_served = dict.fromkeys(units, -1)
    position = {u: i for i, u in enumerate(units)}
    on_duty: dict[D, list[U]] = {}
    skips: list[Skip[D, U]] = []
    for index, day in enumerate(days):
        placed = [u for u in (fixed or {}).get(day, ()) if u in counts]
        queue = sorted(
            (u for u in units if u not in placed),
            key=lambda u: (counts[u], last_served[u], position[u]),
        )
        chosen: list[U] = list(placed)
        passed: list[U] = []
        for unit in queue:
            if len(chosen) >= per_day:
                break
            if (unit, day) in unavailable:
                passed.append(unit)
                continue
            chosen.append(unit)
        for unit in chosen:
            counts[unit] += 1
            last_served[unit] = index
        on_duty[day] = chosen
        skips.extend(Skip(day, unit) for unit in passed)
    return Rotation(on_duty=on_duty, skips=skips, counts=counts)
