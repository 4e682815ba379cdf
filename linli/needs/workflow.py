"""The workflow of a need as a table: which step may follow which status, and who takes it.

受理 (accept) → 派单 (dispatch) → 办理 (start) → 办结 (resolve) → 回访 (follow_up) → 评价 (rate),
with 退回 (return: the handler hands it back for re-dispatch), 延期申请 (request_extension, decided
by the level above), 重办 (reopen) and 不予受理 (decline). ``linli.needs.services`` asks
``check_transition`` before every step, so a step out of order is refused with a message that
names the need's status and the steps possible now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from linli.core.exceptions import Conflict
from linli.needs.models import NeedStep, Status

A = NeedStep.Action

# What a person does in each step, as buttons and refusals say it (the step's own label is
# the past tense the log shows). The order is the order the console offers them in.
BUTTONS: dict[str, Any] = {
    A.ACCEPT: pgettext_lazy("need step", "Accept"),
    A.DISPATCH: pgettext_lazy("need step", "Dispatch"),
    A.START: pgettext_lazy("need step", "Start handling"),
    A.RESOLVE: pgettext_lazy("need step", "Resolve"),
    A.FOLLOW_UP: pgettext_lazy("need step", "Log a follow-up call"),
    A.APPROVE_EXTENSION: pgettext_lazy("need step", "Approve the extension"),
    A.REFUSE_EXTENSION: pgettext_lazy("need step", "Refuse the extension"),
    A.REQUEST_EXTENSION: pgettext_lazy("need step", "Request an extension"),
    A.RETURN: pgettext_lazy("need step", "Return for re-dispatch"),
    A.REOPEN: pgettext_lazy("need step", "Handle again"),
    A.NEEDS_LIST: pgettext_lazy("need step", "Put on the needs list"),
    A.MERGE: pgettext_lazy("need step", "Merge into another need"),
    A.DECLINE: pgettext_lazy("need step", "Decline"),
}


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str | None  # None: the status does not change (extension requests, notes)
    who: str  # "manager" (community level and up), "handler", "above" (level above), "resident"


TRANSITIONS: dict[str, Transition] = {
    A.ACCEPT: Transition((Status.SUBMITTED,), Status.ACCEPTED, "manager"),
    A.DECLINE: Transition((Status.SUBMITTED, Status.ACCEPTED), Status.DECLINED, "manager"),
    A.DISPATCH: Transition((Status.ACCEPTED,), Status.DISPATCHED, "manager"),
    A.START: Transition((Status.DISPATCHED,), Status.IN_PROGRESS, "handler"),
    A.RETURN: Transition((Status.DISPATCHED, Status.IN_PROGRESS), Status.ACCEPTED, "handler"),
    A.REQUEST_EXTENSION: Transition((Status.DISPATCHED, Status.IN_PROGRESS), None, "handler"),
    A.APPROVE_EXTENSION: Transition((Status.DISPATCHED, Status.IN_PROGRESS), None, "above"),
    A.REFUSE_EXTENSION: Transition((Status.DISPATCHED, Status.IN_PROGRESS), None, "above"),
    A.RESOLVE: Transition((Status.IN_PROGRESS,), Status.RESOLVED, "handler"),
    A.FOLLOW_UP: Transition((Status.RESOLVED, Status.FOLLOWED_UP, Status.RATED), None, "manager"),
    A.RATE: Transition((Status.RESOLVED, Status.FOLLOWED_UP), Status.RATED, "resident"),
    A.REOPEN: Transition(
        (Status.RESOLVED, Status.FOLLOWED_UP, Status.RATED), Status.IN_PROGRESS, "manager"
    ),
    A.MERGE: Transition((Status.SUBMITTED, Status.ACCEPTED), Status.MERGED, "manager"),
    A.NEEDS_LIST: Transition(
        (Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS), None, "manager"
    ),
}


def allowed_actions(status: str) -> list[str]:
    """The steps a need in ``status`` may take next (whoever may take them)."""
    return [action for action, t in TRANSITIONS.items() if status in t.sources]


def check_transition(*, status: str, action: str) -> Transition:
    """The transition for ``action`` from ``status``; raises Conflict when out of order."""
    transition = TRANSITIONS[action]
    if status not in transition.sources:
        possible = ", ".join(str(BUTTONS[a]) for a in allowed_actions(status) if a in BUTTONS)
        possible = possible or _("none")
        raise Conflict(
            _(
                "This need is “%(status)s”, so “%(step)s” is not possible now. "
                "Possible next steps: %(possible)s."
            )
            % {
                "status": Status(status).label,
                "step": BUTTONS.get(action, A(action).label),
                "possible": possible,
            },
            code="step_out_of_order",
        )
    return transition
