"""Proposals: the matcher (``matching.py``) run on the needs list and the resources list.

The bridge between the Django records and the pure matcher: each open need on the needs list
(``linli.needs.queries.open_needs_for_cobuild``) and each offered resource of the user's area
become plain records; walking distances come from the district's street network through the
living-circle engine (``walking.py``). Nothing is assigned: staff turn a proposal into a
project themselves (``services.create_project``). docs/cobuild.md explains the rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import User
from linli.cobuild import permissions, queries
from linli.cobuild.matching import MatchNeed, MatchResource, Proposal, Window, match
from linli.cobuild.models import Resource

#: What kind of resource meets each category of need (``linli.needs.models.Category``).
FIT: dict[str, tuple[str, str]] = {
    "facilities": ("skill", "repair"),
    "water_power": ("skill", "repair"),
    "safety": ("skill", "repair"),
    "elderly_care": ("skill", "care"),
    "neighbours": ("skill", "legal"),
    "services": ("venue", ""),
    "renovation": ("funds", ""),
    "environment": ("volunteer_hours", ""),
}
#: Priority by the need's deadline class: the more urgent, the more a match is worth.
PRIORITY = {"urgent": 5, "utilities": 4, "complex": 3, "general": 2}
MAX_WALK_M = 1500.0
#: A need with no deadline is open to resources over the next month.
OPEN_WINDOW = dt.timedelta(days=30)
#: How many needs one resource may take on at most, whatever its quantity counts (yuan, seats).
MAX_CAPACITY = 20


@dataclass(frozen=True)
class ProposalRow:
    """A proposal with its records and the sentence that explains it."""

    need: Any
    resource: Resource
    proposal: Proposal
    sentence: str


@dataclass(frozen=True)
class Proposals:
    rows: list[ProposalRow]
    problem: str  # why there are none (no network, nothing open …), or ""
    priority_met: int = 0
    proven_optimal: bool = False


def _need_place(need: Any) -> tuple[float, float] | None:
    if need.lon is not None and need.lat is not None:
        return float(need.lon), float(need.lat)
    if need.compound_id is not None:
        gate = need.compound.gates.first()
        if gate is not None:
            return gate.lon, gate.lat
    if need.station_id is not None:
        return need.station.lon, need.station.lat
    return None


def sentence(row_need: Any, resource: Resource, proposal: Proposal) -> str:
    """The plain sentence staff read beside a proposal."""
    window = proposal.window
    return _(
        "%(resource)s (%(provider)s) can meet “%(need)s”: it offers what the need asks for, is "
        "available %(starts)s–%(ends)s within the need's time, and is a %(metres)s m walk away "
        "(about %(minutes)s minutes); the need's priority is %(priority)s."
    ) % {
        "resource": resource.title,
        "provider": resource.provider_label,
        "need": row_need.public_summary or row_need.get_category_display(),
        "starts": f"{timezone.localtime(window.starts):%m-%d %H:%M}",
        "ends": f"{timezone.localtime(window.ends):%m-%d %H:%M}",
        "metres": f"{proposal.walk_m:.0f}",
        "minutes": f"{proposal.walk_m / 60:.0f}",
        "priority": proposal.priority,
    }


def _graph(district: Any) -> Any:
    from linli.circle import load_graph

    path = Path(settings.LINLI_NETWORK_DIR) / district.network_file
    return load_graph(path, cache_dir=settings.LINLI_CIRCLE_CACHE_DIR)


def propose(user: User, district: Any, *, now: dt.datetime) -> Proposals:
    """Optimal need ↔ resource proposals for the user's area."""
    from linli.needs.queries import open_needs_for_cobuild

    needs = [
        n
        for n in open_needs_for_cobuild(district.pk)
        .filter(permissions.area_q(user), cobuild_projects__isnull=True)
        .select_related("compound", "station")
        if n.category in FIT
    ]
    resources = list(queries.resources(user).filter(district=district))
    if not needs or not resources:
        return Proposals(
            [],
            _(
                "There is nothing to match: no open need on the needs list, or no resource, "
                "in your area."
            ),
        )
    if not district.network_file:
        return Proposals(
            [],
            _(
                "This district has no street network file, so walking distances cannot be "
                "computed; ask the system administrator to add one."
            ),
        )
    placed: list[tuple[Any, tuple[float, float]]] = []
    for n in needs:
        place = _need_place(n)
        if place is not None:
            placed.append((n, place))
    if not placed:
        return Proposals([], _("None of the open needs has a place to walk from."))
    match_needs = [
        MatchNeed(
            key=i,
            category=FIT[n.category][0],
            skill=FIT[n.category][1],
            priority=PRIORITY.get(n.urgency, 2),
            window=Window(now, n.due_at if n.due_at and n.due_at > now else now + OPEN_WINDOW),
        )
        for i, (n, _p) in enumerate(placed)
    ]
    match_resources = [
        MatchResource(
            key=j,
            category=r.category,
            skill=r.skill,
            capacity=min(r.quantity, MAX_CAPACITY),
            windows=tuple(Window(w.starts_at, w.ends_at) for w in r.windows.all())
            or (Window(now, now + OPEN_WINDOW),),
        )
        for j, r in enumerate(resources)
    ]
    from linli.cobuild.walking import walking_matrix

    walk = walking_matrix(
        _graph(district),
        need_lon=np.array([p[0] for _n, p in placed]),
        need_lat=np.array([p[1] for _n, p in placed]),
        resource_lon=np.array([r.lon for r in resources]),
        resource_lat=np.array([r.lat for r in resources]),
        cutoff_m=MAX_WALK_M,
    )
    result = match(match_needs, match_resources, walk, max_walk_m=MAX_WALK_M)
    rows = [
        ProposalRow(
            placed[p.need][0],
            resources[p.resource],
            p,
            sentence(placed[p.need][0], resources[p.resource], p),
        )
        for p in result.proposals
    ]
    problem = (
        "" if rows else _("No resource fits an open need within a walk of 1.5 km and in time.")
    )
    return Proposals(rows, problem, result.priority_met, result.proven_optimal)
