"""The projects list (项目清单): a need matched with a resource, claimed, carried out, closed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import AnyUser, User
from linli.cobuild import permissions
from linli.cobuild.models import NEXT_STATE, Project, ProjectEntry, Resource
from linli.cobuild.services import need_steps
from linli.core import audit
from linli.core.exceptions import Conflict, Forbidden, LinliError, NotFound
from linli.core.models import AuditEntry
from linli.places.models import Organisation

EVALUATION_CHOICES = Project.Evaluation.choices
EVALUATIONS = tuple(Project.Evaluation.values)


def create_project(
    *,
    actor: AnyUser,
    need: Any,
    title: str,
    resource: Resource | None = None,
    request: HttpRequest | None = None,
) -> Project:
    """Put a need on the projects list (待认领), optionally with the resource proposed for it."""
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise LinliError(
            _("Give the project a title of at most 120 characters."),
            code="invalid_title",
            field="title",
        )
    subdistrict = need.subdistrict
    if not permissions.can_create_resource_in(actor, subdistrict, need.community):
        raise Forbidden(_("You may not put this need on the projects list."), code="forbidden")
    if resource is not None and resource.district_id != need.district_id:
        raise LinliError(
            _("That resource is of another district."), code="resource_elsewhere", field="resource"
        )
    with transaction.atomic():
        project = Project.objects.create(
            district_id=need.district_id,
            subdistrict=subdistrict,
            community=need.community,
            need=need,
            resource=resource,
            title=title,
        )
        ProjectEntry.objects.create(
            project=project, at=timezone.now(), actor=actor, to_state=project.state
        )
        audit.record(actor=actor, action=AuditEntry.Action.CREATE, obj=project, request=request)
    return project


def _locked(actor: AnyUser, project: Project, *, claiming: Organisation | None = None) -> Project:
    locked = (
        permissions.projects_for_user(actor)
        .select_for_update(of=("self",))
        .select_related("subdistrict", "community", "claimed_by")
        .filter(pk=project.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such project."), code="not_found")
    if claiming is not None:
        if not permissions.can_claim_project(actor, locked, claiming):
            raise Forbidden(_("You may claim projects for your own unit only."), code="forbidden")
    elif not permissions.can_change_project(actor, locked):
        raise Forbidden(_("You may not change this project."), code="forbidden")
    return locked


def _move(actor: User, project: Project, to: str, note: str, request: HttpRequest | None) -> None:
    before = project.state
    project.state = to
    project.save()
    ProjectEntry.objects.create(
        project=project,
        at=timezone.now(),
        actor=actor,
        from_state=before,
        to_state=to,
        note=note[:500],
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=project,
        request=request,
        changes={"state": [before, to]},
    )


def claim_project(
    *,
    actor: User,
    project: Project,
    organisation: Organisation,
    request: HttpRequest | None = None,
) -> Project:
    """认领: a reporting unit takes on a project waiting to be claimed."""
    with transaction.atomic():
        locked = _locked(actor, project, claiming=organisation)
        if locked.state == Project.State.CLOSED:
            raise Conflict(
                _("This project is closed: it cannot be claimed."), code="project_closed"
            )
        if locked.state != Project.State.OPEN:
            raise Conflict(
                _("This project was already claimed by %(unit)s.")
                % {"unit": locked.claimed_by or "—"},
                code="project_claimed",
            )
        if (
            organisation.district_id != locked.district_id
            or organisation.kind not in permissions.CLAIMING_KINDS
        ):
            raise LinliError(
                _("“%(name)s” is not a reporting unit or organisation of this district.")
                % {"name": organisation},
                code="not_a_unit",
                field="organisation",
            )
        locked.claimed_by = organisation
        _move(actor, locked, Project.State.CLAIMED, str(organisation), request)
        if need_steps.may_dispatch(actor, locked):
            need_steps.hand_to_unit(actor, locked, request=request)
    return locked


def advance_project(
    *,
    actor: User,
    project: Project,
    note: str = "",
    evaluation: str = "",
    request: HttpRequest | None = None,
) -> Project:
    """Move a claimed project one step on: 实施中 → 待验收 → 居民评价 → 销号.

    Closing (销号) needs the residents' evaluation.
    """
    with transaction.atomic():
        locked = _locked(actor, project)
        if locked.state == Project.State.CLOSED:
            raise Conflict(_("This project is closed."), code="project_closed")
        if locked.state == Project.State.OPEN:
            raise Conflict(_("A unit must claim the project first."), code="project_unclaimed")
        to = NEXT_STATE[locked.state]
        if to == Project.State.CLOSED:
            if evaluation not in EVALUATIONS:
                raise LinliError(
                    _("Record the residents' evaluation before closing the project."),
                    code="evaluation_required",
                    field="evaluation",
                )
            locked.evaluation = evaluation
        _move(actor, locked, to, note, request)
        if to == Project.State.IN_PROGRESS:
            need_steps.start(actor, locked, request=request)
        elif to == Project.State.AWAITING_EVALUATION:
            need_steps.accept(actor, locked, note=note, request=request)
        elif to == Project.State.CLOSED:
            need_steps.evaluated_by_staff(actor, locked, evaluation=evaluation, request=request)
    return locked


def close_by_rating(*, need_id: int, level: str, reopened: bool) -> list[Project]:
    """The resident rated the need (评价, ``linli.needs``): its projects waiting for the
    residents' evaluation close (销号) with it — or, when the resident was not satisfied and
    asked for the need to be handled again, go back to 实施中."""
    evaluation = need_steps.EVALUATION_OF_RATING.get(level)
    changed: list[Project] = []
    if evaluation is None:
        return changed
    with transaction.atomic():
        waiting = Project.objects.select_for_update().filter(
            need_id=need_id, state=Project.State.AWAITING_EVALUATION
        )
        for project in waiting:
            before = project.state
            if reopened:
                project.state = Project.State.IN_PROGRESS
                note = str(_("The resident was not satisfied; the work is done again."))
            else:
                project.state = Project.State.CLOSED
                project.evaluation = evaluation
                note = str(
                    _("The resident rated the need: %(level)s.")
                    % {"level": Project.Evaluation(evaluation).label}
                )
            project.save()
            ProjectEntry.objects.create(
                project=project,
                at=timezone.now(),
                actor=None,
                from_state=before,
                to_state=project.state,
                note=note[:500],
            )
            audit.record(
                actor=None,
                action=AuditEntry.Action.UPDATE,
                obj=project,
                changes={"state": [before, project.state], "evaluation": project.evaluation},
            )
            changed.append(project)
    return changed
