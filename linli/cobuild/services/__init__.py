"""Every write to co-construction records: one named function per use case.

Each function owns its transaction, re-reads the rows it changes through
``linli.cobuild.permissions`` under a row lock, writes one audit entry, and refuses bad input
with a ``linli.core.exceptions`` error carrying a stable code — changing nothing. Console pages,
the JSON API and the Excel import all call these.
"""

from linli.cobuild.services.days import confirm_day, move_day, plan_days, set_policy
from linli.cobuild.services.resources import (
    ResourceInput,
    WindowInput,
    create_resource,
    deactivate_resource,
    update_resource,
)
from linli.cobuild.services.roster import (
    add_duty_unit,
    approve_swap,
    declare_unavailable,
    generate_roster,
    refuse_swap,
    request_swap,
)

__all__ = [
    "ResourceInput",
    "WindowInput",
    "add_duty_unit",
    "approve_swap",
    "confirm_day",
    "create_resource",
    "deactivate_resource",
    "declare_unavailable",
    "generate_roster",
    "move_day",
    "plan_days",
    "refuse_swap",
    "request_swap",
    "set_policy",
    "update_resource",
]
