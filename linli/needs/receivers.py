"""What the needs app does when other apps announce a change (connected from ``NeedsConfig.ready``).

A living-circle gap accepted by planners (``linli.planning.signals.gap_accepted``) becomes one
accepted need on the needs list (需求清单) of the compound's community
(``services.list_accepted_gap``; idempotent per gap). The receiver runs inside the planner's
transaction: if the needs app refuses, the gap is not accepted either.
"""

from __future__ import annotations

from typing import Any

from linli.needs import services

# The one module of planning the needs app imports (an ignore_imports entry in pyproject.toml):
# the signal it listens to, never planning's models or services.
from linli.planning.signals import gap_accepted


def list_accepted_gap(sender: Any, *, actor: Any, **gap: Any) -> None:
    """Put an accepted planning gap on the needs list (or update the need it already is)."""
    services.list_accepted_gap(
        actor=actor,
        district_id=gap["district_id"],
        compound_id=gap["compound_id"],
        key=gap["key"],
        gap_id=gap["gap_id"],
        category=gap["category"],
        standard=gap.get("standard_name") or gap["standard"],
        level=gap.get("level_name") or gap["level"],
        threshold_m=gap["threshold_m"],
        meters=gap["meters"],
        shortfall_m=gap["shortfall_m"],
        population=gap["population"],
        url=gap.get("url", ""),
        note=gap.get("note", ""),
    )


def connect() -> None:
    """Connect the needs app's receivers (idempotent: the dispatch uid guards a second call)."""
    gap_accepted.connect(list_accepted_gap, dispatch_uid="linli.needs.receivers.list_accepted_gap")
