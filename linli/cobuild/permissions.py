"""The one place that answers "may this user see / change this co-construction record?".

Co-construction days are led by the subdistrict: district administrators and the subdistrict's
staff plan the days, move a date, confirm an unknown year's dates, keep the duty rotation and
approve swaps (``can_manage``). Community staff and station keepers read their subdistrict's
days and roster, and community staff may ask for a swap. Resources belong to a subdistrict and
optionally a community: community staff see and change their community's resources and see the
subdistrict-wide ones. A reporting unit's liaison sees the projects list of the subdistrict
his community belongs to, claims a project waiting to be claimed for his own unit and reports
his unit's work done (``can_claim_project``, ``can_change_project``); he sees nothing else here.
Residents and anonymous users see none of it.
Anything outside the user's scope is 404, as if it did not exist; ``linli.cobuild.views``,
``.api``, ``.services``, ``.imports`` and ``.exports`` call these and never filter by scope.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from linli.accounts.models import AnyUser, Role, User
from linli.accounts.scopes import NOTHING, is_signed_in, scope_q
from linli.accounts.scopes import is_staff as is_staff  # the views, API and services ask here
from linli.cobuild.models import (
    CoBuildDay,
    DayReminder,
    DutyAssignment,
    DutySkip,
    DutyUnit,
    Project,
    Resource,
    SwapRequest,
)
from linli.core.limits import one_or_404, pk_or_404
from linli.places.models import Community, Organisation, Subdistrict
from linli.places.permissions import can_create_in, subdistricts_for_user

as_pk = pk_or_404  # views ask here, as for the other chokepoints

MANAGER_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF})


def require_staff(user: AnyUser) -> None:
    """Refuse (403) anyone who is not staff."""
    if not is_staff(user):
        raise PermissionDenied


def cobuild_subdistricts_for_user(user: AnyUser) -> QuerySet[Subdistrict]:
    """Subdistricts whose days and roster ``user`` may read (a community's: its subdistrict)."""
    if not is_staff(user):
        return Subdistrict.objects.none()
    return subdistricts_for_user(user)


def get_subdistrict_for_user(user: AnyUser, pk: Any) -> Subdistrict:
    """The subdistrict ``pk`` if ``user`` may read its co-construction days."""
    return one_or_404(
        cobuild_subdistricts_for_user(user).select_related("district"),
        pk,
        missing="No such subdistrict.",
    )


def can_manage(user: AnyUser, subdistrict: Subdistrict) -> TypeGuard[User]:
    """Whether ``user`` plans ``subdistrict``'s days, keeps its rotation and approves swaps."""
    if not is_staff(user):
        return False
    if user.is_superuser:
        return True
    scope = user.scope
    if user.role not in MANAGER_ROLES or scope.community_id or scope.station_id:
        return False
    if scope.district_id != subdistrict.district_id:
        return False
    return scope.subdistrict_id is None or scope.subdistrict_id == subdistrict.pk


def require_manager(user: AnyUser, subdistrict: Subdistrict) -> None:
    """Refuse (403) a reader who may not manage ``subdistrict``."""
    if not can_manage(user, subdistrict):
        raise PermissionDenied


def days_for_user(user: AnyUser) -> QuerySet[CoBuildDay]:
    """Co-construction days of the subdistricts ``user`` may read."""
    return CoBuildDay.objects.filter(subdistrict__in=cobuild_subdistricts_for_user(user))


def get_day_for_user(user: AnyUser, pk: Any, *, for_change: bool = False) -> CoBuildDay:
    """The day ``pk`` if ``user`` may read it (and manage it, with ``for_change``)."""
    day = one_or_404(
        days_for_user(user).select_related("subdistrict"),
        pk,
        missing="No such co-construction day.",
    )
    if for_change:
        require_manager(user, day.subdistrict)
    return day


def duty_units_for_user(user: AnyUser) -> QuerySet[DutyUnit]:
    """Units on the rotations ``user`` may read."""
    return DutyUnit.objects.filter(subdistrict__in=cobuild_subdistricts_for_user(user))


def get_duty_unit_for_user(user: AnyUser, pk: Any, *, for_change: bool = False) -> DutyUnit:
    """The rotation unit ``pk`` if ``user`` may read it (and manage it)."""
    unit = one_or_404(
        duty_units_for_user(user).select_related("subdistrict", "organisation"),
        pk,
        missing="No such unit on the rotation.",
    )
    if for_change:
        require_manager(user, unit.subdistrict)
    return unit


def duties_for_user(user: AnyUser) -> QuerySet[DutyAssignment]:
    """Roster rows of the subdistricts ``user`` may read."""
    return DutyAssignment.objects.filter(day__subdistrict__in=cobuild_subdistricts_for_user(user))


def skips_for_user(user: AnyUser) -> QuerySet[DutySkip]:
    """Skipped turns of the subdistricts ``user`` may read."""
    return DutySkip.objects.filter(day__subdistrict__in=cobuild_subdistricts_for_user(user))


def reminders_for_user(user: AnyUser) -> QuerySet[DayReminder]:
    """Reminders sent for the days of the subdistricts ``user`` may read (who was told)."""
    return DayReminder.objects.filter(day__subdistrict__in=cobuild_subdistricts_for_user(user))


def get_duty_for_user(user: AnyUser, pk: Any) -> DutyAssignment:
    """The roster row ``pk`` if ``user`` may read it."""
    return one_or_404(
        duties_for_user(user).select_related("day__subdistrict", "unit__organisation"),
        pk,
        missing="No such duty.",
    )


def can_request_swap(user: AnyUser, subdistrict: Subdistrict) -> TypeGuard[User]:
    """Whether ``user`` may ask for a swap on ``subdistrict``'s roster (its managers and the
    staff of its communities)."""
    if can_manage(user, subdistrict):
        return True
    return bool(
        is_staff(user)
        and user.role == Role.COMMUNITY_STAFF
        and cobuild_subdistricts_for_user(user).filter(pk=subdistrict.pk).exists()
    )


def swaps_for_user(user: AnyUser) -> QuerySet[SwapRequest]:
    """Swap requests of the subdistricts ``user`` may read."""
    return SwapRequest.objects.filter(subdistrict__in=cobuild_subdistricts_for_user(user))


def get_swap_for_user(user: AnyUser, pk: Any, *, for_change: bool = False) -> SwapRequest:
    """The swap request ``pk`` if ``user`` may read it (and decide it, with ``for_change``)."""
    swap = one_or_404(
        swaps_for_user(user).select_related("subdistrict"), pk, missing="No such swap request."
    )
    if for_change:
        require_manager(user, swap.subdistrict)
    return swap


# ------------------------------------------------------------------------------------ resources


def area_q(user: User) -> Q:
    """The rows of a subdistrict-and-community list (resources, projects) ``user`` may see:
    those in scope, and for community staff also the subdistrict-wide ones of their subdistrict
    (they draw on them too). Station keepers see none."""
    scope = user.scope
    q = scope_q(scope, station=None)
    if q is NOTHING:
        return NOTHING
    if scope.community_id is not None and not scope.everything:
        community = Community.objects.filter(pk=scope.community_id).values("subdistrict_id")
        q |= Q(district_id=scope.district_id, community=None, subdistrict_id__in=community)
    return q


def resources_for_user(user: AnyUser) -> QuerySet[Resource]:
    """Resources ``user`` may see (``area_q``)."""
    if not is_staff(user):
        return Resource.objects.none()
    return Resource.objects.filter(area_q(user))


def can_change_resource(user: AnyUser, resource: Resource) -> bool:
    """Whether ``user`` may change ``resource``: editors whose scope holds its area."""
    return can_create_resource_in(user, resource.subdistrict, resource.community)


def can_create_resource_in(
    user: AnyUser, subdistrict: Subdistrict, community: Community | None
) -> TypeGuard[User]:
    """Whether ``user`` may file a resource in this subdistrict (and community): editors
    (``EDITOR_ROLES``) whose scope holds the area, as for every record placed in an area."""
    return can_create_in(user, community, subdistrict)


def get_resource_for_user(user: AnyUser, pk: Any, *, for_change: bool = False) -> Resource:
    """The resource ``pk`` if ``user`` may see it (and change it, with ``for_change``)."""
    resource = one_or_404(
        resources_for_user(user).select_related(
            "subdistrict", "community", "organisation", "station"
        ),
        pk,
        missing="No such resource.",
    )
    if for_change and not can_change_resource(user, resource):
        raise PermissionDenied
    return resource


CLAIMING_KINDS = frozenset(
    {Organisation.Kind.UNIT, Organisation.Kind.NEW_ECONOMIC, Organisation.Kind.NEW_SOCIAL}
)


def unit_liaison(user: AnyUser) -> TypeGuard[User]:
    """Whether ``user`` is the active liaison of a reporting unit (or 两新组织) in a district."""
    return bool(
        is_signed_in(user)
        and user.role == Role.UNIT_LIAISON
        and user.organisation_id is not None
        and user.district_id is not None
    )


def projects_for_user(user: AnyUser) -> QuerySet[Project]:
    """Projects ``user`` may see: staff the same areas as the resources list; a unit's liaison
    the projects of his community's subdistrict (all of the district's without a community)."""
    if is_staff(user):
        return Project.objects.filter(area_q(user))
    if unit_liaison(user) and user.district_id is not None:
        projects = Project.objects.filter(district_id=user.district_id)
        if user.community_id is not None:
            projects = projects.filter(
                subdistrict_id__in=Community.objects.filter(pk=user.community_id).values(
                    "subdistrict_id"
                )
            )
        return projects
    return Project.objects.none()


def can_claim_project(user: AnyUser, project: Project, organisation: Organisation) -> bool:
    """Whether ``user`` may claim ``project`` for ``organisation``: editors of its area for any
    unit; a unit's liaison for his own unit only."""
    if can_create_resource_in(user, project.subdistrict, project.community):
        return True
    return unit_liaison(user) and organisation.pk == user.organisation_id


def can_change_project(user: AnyUser, project: Project) -> bool:
    """Whether ``user`` may move ``project`` on: editors whose scope holds its area; the
    liaison of the claiming unit only from 实施中 to 待验收 (his unit's work is done)."""
    if can_create_resource_in(user, project.subdistrict, project.community):
        return True
    return bool(
        unit_liaison(user)
        and project.claimed_by_id == user.organisation_id
        and project.state == Project.State.IN_PROGRESS
    )


def get_project_for_user(user: AnyUser, pk: Any, *, for_change: bool = False) -> Project:
    """The project ``pk`` if ``user`` may see it (and change it, with ``for_change``)."""
    project = one_or_404(
        projects_for_user(user).select_related(
            "subdistrict", "community", "need", "resource", "claimed_by"
        ),
        pk,
        missing="No such project.",
    )
    if for_change and not can_change_project(user, project):
        raise PermissionDenied
    return project
