"""A project's steps carried over to its need, through the needs app's own services.

A project on the projects list stands for one need on the needs list; the need keeps its own
workflow (受理 → 派单 → 办理 → 办结 → 回访 → 评价), which the resident follows and rates. So:

========================  ===================================================================
project                   need (``linli.needs.services``)
========================  ===================================================================
已认领 (claimed)           派单 to the claiming unit, when the claimer may dispatch (community
                          staff); a unit's own claim waits for the community's next step
实施中 (under way)         派单 to the claiming unit if not yet (a need handled elsewhere is
                          first 退回 for re-dispatch), then 办理
待验收 (awaiting acc.)     — (the unit says the work is done; the community checks it)
居民评价 (evaluation)      办结, with a public note telling the resident what was done
销号 (closed) by staff     回访 logged with the residents' evaluation staff collected
销号 by the resident       the resident's 评价 of the need closes the project (``receivers``)
========================  ===================================================================

Each runs inside the project step's transaction: when the need refuses a step (it moved on in
the needs app, or the user may not take it there), the project step is refused too and nothing
changes. A need already past a step (resolved in the needs app, say) is left as it is.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from linli.accounts.models import User
from linli.cobuild.models import Project
from linli.core.exceptions import Forbidden
from linli.needs import permissions as need_permissions
from linli.needs import services as needs
from linli.needs.models import FollowUp, Need
from linli.needs.models import Status as NeedStatus

# The resident's 评价 of the need, as the project's residents' evaluation.
EVALUATION_OF_RATING = {
    "satisfied": Project.Evaluation.SATISFIED,
    "fairly": Project.Evaluation.BASICALLY_SATISFIED,
    "dissatisfied": Project.Evaluation.DISSATISFIED,
}


def _need(project: Project) -> Need:
    # Read afresh: the need may have moved in the needs app since the project was loaded.
    return Need.objects.get(pk=project.need_id)


def _refused(step: str) -> Forbidden:
    return Forbidden(
        _(
            "The linked need's step “%(step)s” is for the community's staff: ask them to take "
            "the project on."
        )
        % {"step": step},
        code="need_step_forbidden",
    )


def _call(step: str, function: Any, **kwargs: Any) -> Need:
    try:
        need: Need = function(**kwargs)
    except (PermissionDenied, Http404):
        raise _refused(step) from None
    return need


def may_dispatch(actor: User, project: Project) -> bool:
    """Whether ``actor`` may hand the project's need to a unit (派单) in the needs app."""
    need = need_permissions.needs_for_user(actor).filter(pk=project.need_id).first()
    return need is not None and need_permissions.can_take(actor, need, "manager")


def hand_to_unit(actor: User, project: Project, *, request: HttpRequest | None) -> None:
    """派单 the need to the unit that claimed the project (退回 first if it is handled
    elsewhere); a need already with that unit, or past handling, is left as it is."""
    unit = project.claimed_by
    if unit is None:
        return
    need = _need(project)
    note = _("Claimed by %(unit)s on the co-construction projects list (“%(title)s”).") % {
        "unit": unit.name,
        "title": project.title,
    }
    if (
        need.status in (NeedStatus.DISPATCHED, NeedStatus.IN_PROGRESS)
        and need.assigned_organisation_id != unit.pk
    ):
        need = _call(
            _("Return for re-dispatch"),
            needs.return_need,
            actor=actor,
            need_id=need.pk,
            internal_note=note,
            request=request,
        )
    if need.status == NeedStatus.ACCEPTED:
        _call(
            _("Dispatch"),
            needs.dispatch_need,
            actor=actor,
            need_id=need.pk,
            organisation_id=unit.pk,
            internal_note=note,
            request=request,
        )


def start(actor: User, project: Project, *, request: HttpRequest | None) -> None:
    """实施中: the need is with the claiming unit and being handled (派单 if needed, 办理)."""
    hand_to_unit(actor, project, request=request)
    need = _need(project)
    if need.status == NeedStatus.DISPATCHED:
        _call(
            _("Start handling"),
            needs.start_need,
            actor=actor,
            need_id=need.pk,
            public_note=_("%(unit)s has started the work as a co-construction project.")
            % {"unit": project.claimed_by.name if project.claimed_by else "—"},
            request=request,
        )


def accept(actor: User, project: Project, *, note: str, request: HttpRequest | None) -> None:
    """居民评价: the community accepted the work, so the need is 办结 and the resident may rate."""
    need = _need(project)
    if need.status != NeedStatus.IN_PROGRESS:
        return
    what = _(
        "%(unit)s carried out the co-construction project “%(title)s”, and the community "
        "accepted the work. Please tell us whether you are satisfied."
    ) % {"unit": project.claimed_by.name if project.claimed_by else "—", "title": project.title}
    if note:
        what = _("%(what)s Note: %(note)s") % {"what": what, "note": note}
    _call(
        _("Resolve"),
        needs.resolve_need,
        actor=actor,
        need_id=need.pk,
        public_note=what[:1000],
        request=request,
    )


def evaluated_by_staff(
    actor: User, project: Project, *, evaluation: str, request: HttpRequest | None
) -> None:
    """销号 with an evaluation staff collected (a residents' meeting, a visit): logged on the
    need as a follow-up; the resident may still rate it in the needs app."""
    need = _need(project)
    if need.status not in (NeedStatus.RESOLVED, NeedStatus.FOLLOWED_UP, NeedStatus.RATED):
        return
    _call(
        _("Log a follow-up call"),
        needs.log_follow_up,
        actor=actor,
        need_id=need.pk,
        outcome=FollowUp.Outcome.REACHED,
        note=_("Residents' evaluation of the co-construction project “%(title)s”: %(level)s.")
        % {"title": project.title, "level": Project.Evaluation(evaluation).label},
        request=request,
    )
