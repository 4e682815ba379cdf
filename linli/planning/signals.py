"""What planning announces to the apps above it; they listen in their own ``receivers.py``.

Planning never imports the apps that react (docs/architecture.md): it sends, they connect from
their ``AppConfig.ready``.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent when a planner accepts a living-circle gap (缺口), INSIDE the transaction that marks it, so
# the gap's acceptance and what listeners make of it are kept or rolled back together (a listener
# that raises refuses the acceptance). Sent again each time the gap is accepted (after a reopen,
# or the same gap of a later analysis): listeners must be idempotent. Arguments, all plain values
# (listeners need not know planning's models): ``sender`` (the Gap class), ``actor`` (the
# planner), ``gap_id``, ``run_id``, ``key`` (the gap's run-independent identity), ``district_id``,
# ``compound_id``, ``category`` (a facility category code), ``standard``, ``level`` (codes),
# ``standard_name``, ``level_name`` (the same as planners read them, in the district's language),
# ``threshold_m``, ``meters`` (None when nothing of the category is reachable), ``shortfall_m``,
# ``population``, ``households``, ``note`` (the planner's note) and ``url`` (the gap on the
# planning pages). linli.needs.receivers puts it on the needs list (需求清单).
gap_accepted = Signal()
