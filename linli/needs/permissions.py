"""The one place that answers "may this user see / act on this need?".

- Staff see the needs of their scope: a district admin the district, subdistrict staff their
  subdistrict, community staff their community, a station keeper the community of the station.
- A unit's liaison (or a social organisation's member) sees the needs dispatched to the unit.
- A resident sees the needs raised by or for them (``my_needs``), nothing else.

Acting needs more than seeing (``can_take``): 受理/派单/回访/重办/合并 are the community level and
up ("manager"); 办理/办结/退回/延期申请 the handler (the assigned unit's people, or the managers
of the need); a 延期申请 is decided by the level above the need's community: its subdistrict's
staff or the district admin ("above"); 评价 by the resident the need belongs to.

Ids outside the scope are 404 (guessing reveals nothing); a need in scope that the user may not
act on is 403. ``linli.needs.services`` re-reads the row through ``get_need_for_user`` under a
lock before every step; views and the API never filter by scope themselves.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from linli.accounts.models import AnyUser, Role, User
from linli.accounts.scopes import NOTHING, is_signed_in, is_staff, scope_q
from linli.core.limits import one_or_404, pk_or_404
from linli.needs.models import Follower, Need, RoutingRule
from linli.places.models import Community, Station
from linli.places.permissions import communities_for_user

MANAGER_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF, Role.COMMUNITY_STAFF})
UNIT_ROLES = frozenset({Role.UNIT_LIAISON, Role.SOCIAL_ORGANISATION})


def _unit(user: AnyUser) -> tuple[int, int] | None:
    """(district, organisation) of a unit's liaison or a social organisation's member, else None."""
    if (
        is_signed_in(user)
        and user.role in UNIT_ROLES
        and user.organisation_id is not None
        and user.district_id is not None
    ):
        return user.district_id, user.organisation_id
    return None


def _unit_member(user: AnyUser) -> TypeGuard[User]:
    return _unit(user) is not None


def as_pk(pk: Any) -> int:
    """A primary key from a URL or form value (``core.limits.pk_or_404``, the one reader)."""
    return pk_or_404(pk)


def _staff_q(user: User) -> Q:
    scope = user.scope
    if scope.station_id is not None and not scope.everything:
        if scope.district_id is None:  # a keeper outside any district sees nothing
            return NOTHING
        # A keeper works for the community of the station.
        community = Station.objects.filter(
            pk=scope.station_id, district_id=scope.district_id
        ).values("community_id")
        return Q(district_id=scope.district_id, community_id__in=community)
    return scope_q(scope)


def needs_for_user(user: AnyUser) -> QuerySet[Need]:
    """Needs ``user`` may read in the console and the staff API."""
    if is_staff(user):
        return Need.objects.filter(_staff_q(user))
    if (unit := _unit(user)) is not None:
        district_id, organisation_id = unit
        return Need.objects.filter(
            district_id=district_id, assigned_organisation_id=organisation_id
        )
    return Need.objects.none()


def get_need_for_user(user: AnyUser, pk: Any, *, lock: bool = False) -> Need:
    """The need ``pk`` if ``user`` may read it (locked for update with ``lock``)."""
    queryset = needs_for_user(user)
    if lock:
        queryset = queryset.select_for_update()
    else:
        queryset = queryset.select_related(
            "community", "subdistrict", "compound", "grid", "assigned_organisation", "resident"
        )
    return one_or_404(queryset, pk, missing="No such need.")


def my_needs(user: AnyUser) -> QuerySet[Need]:
    """The needs a resident raised, that were raised for them, or that they follow (+1, or
    a need of theirs merged into another)."""
    if not is_signed_in(user):
        return Need.objects.none()
    followed = Follower.objects.filter(user_id=user.pk).values("need_id")
    return Need.objects.filter(Q(resident_id=user.pk) | Q(pk__in=followed))


def get_my_need(user: AnyUser, pk: Any, *, lock: bool = False) -> Need:
    """The resident's own need ``pk``; someone else's is 404."""
    queryset = my_needs(user)
    if lock:
        queryset = queryset.select_for_update()
    return one_or_404(queryset, pk, missing="No such need.")


def _is_manager(user: AnyUser) -> TypeGuard[User]:
    return is_staff(user) and bool(user.is_superuser or user.role in MANAGER_ROLES)


def can_take(user: AnyUser, need: Need, who: str) -> bool:
    """Whether ``user`` (who can already read ``need``) may take a step of kind ``who``."""
    if who == "resident":
        return is_signed_in(user) and bool(need.resident_id == user.pk)
    if who == "manager":
        return _is_manager(user)
    if who == "handler":
        if _is_manager(user):
            return True
        return _unit_member(user) and need.assigned_organisation_id == user.organisation_id
    if who == "above":
        if not is_staff(user):
            return False
        if user.is_superuser or user.role == Role.DISTRICT_ADMIN:
            return True
        return bool(
            user.role == Role.SUBDISTRICT_STAFF and user.subdistrict_id == need.subdistrict_id
        )
    return False


def require(user: AnyUser, need: Need, who: str) -> None:
    """Refuse (403) a step ``user`` may not take on a need they can read."""
    if not can_take(user, need, who):
        raise PermissionDenied


def communities_for_raising(user: AnyUser | None) -> QuerySet[Community]:
    """Communities a staff member may raise a need in on a resident's behalf."""
    if user is None:  # an Open311 client raises with no user
        return Community.objects.none()
    # The communities of the scope, a keeper's the community of the station: the console's own.
    return communities_for_user(user)


def can_list_in(user: AnyUser, community: Community) -> bool:
    """Whether ``user`` may put a need of ``community`` on the needs list without a resident
    (an accepted planning gap): its managers, who raise, accept and list needs there."""
    return _is_manager(user) and communities_for_raising(user).filter(pk=community.pk).exists()


def is_console_user(user: AnyUser) -> TypeGuard[User]:
    """Whether ``user`` works with needs in the console (staff, or a unit handling needs)."""
    return is_staff(user) or _unit_member(user)


def can_edit_routing(user: AnyUser) -> TypeGuard[User]:
    """Whether ``user`` may change the routing rules (who handles which category where): the
    district's administrators, who answer for the whole district's routing."""
    return is_staff(user) and bool(
        user.district_id and (user.is_superuser or user.role == Role.DISTRICT_ADMIN)
    )


def routing_rules_for_user(user: AnyUser) -> QuerySet[RoutingRule]:
    """The routing rules of the district ``user`` edits (none for anyone else)."""
    if not can_edit_routing(user) or user.district_id is None:
        return RoutingRule.objects.none()
    return RoutingRule.objects.filter(district_id=user.district_id)
