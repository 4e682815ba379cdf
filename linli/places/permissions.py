"""The one place that answers "may this user see / change this place?".

Staff (district admin, subdistrict staff, community staff, station keeper) see and change the
records inside their scope; everything else is refused with 404 (for ids outside the scope, so
that guessing ids reveals nothing) or 403 (for a record the user may see but not change).
The public directory (resident pages, HSDS API) shows active stations to everyone and never
exposes the keeper's personal contact.

Every ``*_for_user`` function returns a queryset (never a list) so callers can keep filtering,
count and page in the database; every ``get_*_for_user`` function is the chokepoint for one
record and raises ``Http404`` for anything outside the scope. ``linli.places.api``, the console
views and the import/export code call these and never filter by scope themselves.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from linli.accounts.models import EDITOR_ROLES as EDITOR_ROLES  # places' modules ask here
from linli.accounts.models import AnyUser, Role, User
from linli.accounts.scopes import is_editor, is_staff, scope_q
from linli.core import limits
from linli.places.models import (
    Community,
    Compound,
    Organisation,
    Service,
    ServiceAtStation,
    Station,
    Subdistrict,
)

# Roles that may create, change and delete places inside their scope. Station keepers may change
# their own station (hours, services, photos) but not create or delete stations.


def stations_for_user(user: AnyUser) -> QuerySet[Station]:
    """Stations a staff user may see in the console and staff API."""
    if not is_staff(user):
        return Station.objects.none()
    return Station.objects.filter(scope_q(user.scope, station="pk"))


def get_station_for_user(user: AnyUser, pk: Any, *, for_change: bool = False) -> Station:
    """The station ``pk`` if ``user`` may see it (and change it, with ``for_change``)."""
    station = limits.one_or_404(
        stations_for_user(user).select_related(
            "category", "community", "subdistrict", "district", "compound"
        ),
        pk,
        missing="No such station.",
    )
    if for_change and not can_change_station(user, station):
        raise PermissionDenied
    return station


def changeable_stations_for_user(user: AnyUser) -> QuerySet[Station]:
    """Stations ``user`` may change: in scope for editors, their own for a keeper.

    One query for a whole list (a form's station choices), where asking
    :func:`can_change_station` per station costs one query each.
    """
    if not is_staff(user):
        return Station.objects.none()
    visible = stations_for_user(user)
    if user.is_superuser or user.role in EDITOR_ROLES:
        return visible
    if user.station_id is None:
        return Station.objects.none()
    return visible.filter(pk=user.station_id)


def can_change_station(user: AnyUser, station: Station) -> TypeGuard[User]:
    """Whether ``user`` may change ``station`` (editors in scope, or its own keeper)."""
    if not is_staff(user) or not stations_for_user(user).filter(pk=station.pk).exists():
        return False
    return bool(user.is_superuser or user.role in EDITOR_ROLES or user.station_id == station.pk)


def can_delete_station(user: AnyUser, station: Station) -> bool:
    """Whether ``user`` may delete ``station``: editors in scope; keepers never delete."""
    return is_editor(user) and stations_for_user(user).filter(pk=station.pk).exists()


def can_create_in(
    user: AnyUser, community: Community | None, subdistrict: Subdistrict
) -> TypeGuard[User]:
    """Whether ``user`` may create a record placed in this community (or subdistrict level).

    A community that does not lie in ``subdistrict`` is refused whatever the scope: a form that
    mixes them would otherwise let a community's staff file a record under another subdistrict.
    """
    if not is_editor(user):
        return False
    if community is not None and (
        community.subdistrict_id != subdistrict.pk
        or community.district_id != subdistrict.district_id
    ):
        return False
    scope = user.scope
    if scope.everything:
        return True
    if scope.district_id is None or subdistrict.district_id != scope.district_id:
        return False
    if scope.community_id is not None:
        return community is not None and community.pk == scope.community_id
    if scope.subdistrict_id is not None:
        return bool(subdistrict.pk == scope.subdistrict_id)
    return True


def communities_for_user(user: AnyUser) -> QuerySet[Community]:
    """Communities inside the user's scope (the console's hierarchy tree).

    A station keeper sees the community of the station, read-only.
    """
    if not is_staff(user):
        return Community.objects.none()
    scope = user.scope
    if scope.station_id is not None:
        if scope.district_id is None:  # a keeper outside any district sees nothing
            return Community.objects.none()
        return Community.objects.filter(
            district_id=scope.district_id,
            pk__in=Station.objects.filter(
                pk=scope.station_id, district_id=scope.district_id
            ).values("community_id"),
        )
    return Community.objects.filter(scope_q(scope, community="pk"))


def subdistricts_for_user(user: AnyUser) -> QuerySet[Subdistrict]:
    """Subdistricts inside the user's scope, or holding the user's community."""
    if not is_staff(user):
        return Subdistrict.objects.none()
    scope = user.scope
    if scope.community_id is not None or scope.station_id is not None:
        return Subdistrict.objects.filter(
            pk__in=communities_for_user(user).values("subdistrict_id")
        )
    return Subdistrict.objects.filter(scope_q(scope, subdistrict="pk", community=None))


def compounds_for_user(user: AnyUser) -> QuerySet[Compound]:
    """Compounds of the communities in scope; a station keeper's scope holds none."""
    if not is_staff(user):
        return Compound.objects.none()
    return Compound.objects.filter(
        scope_q(user.scope, subdistrict="community__subdistrict", station=None)
    )


def get_compound_for_user(user: AnyUser, pk: Any) -> Compound:
    """The compound ``pk`` if ``user`` may see it."""
    return limits.one_or_404(
        compounds_for_user(user).select_related("community"), pk, missing="No such compound."
    )


def services_for_user(user: AnyUser) -> QuerySet[Service]:
    """Services a staff user may see.

    District-wide scopes see every service of the district. Narrower scopes see the services
    offered at a station they may see, plus the district's services not yet offered at any
    station (a district-wide catalogue entry that a community may take up), never a service
    that only another community's stations offer.
    """
    if not is_staff(user):
        return Service.objects.none()
    scope = user.scope
    if scope.everything:
        return Service.objects.all()
    if scope.district_id is None or -1 in (
        scope.subdistrict_id,
        scope.community_id,
        scope.station_id,
    ):
        return Service.objects.none()
    in_district = Service.objects.filter(district_id=scope.district_id)
    if scope.level == "district":
        return in_district
    offered_in_scope = ServiceAtStation.objects.filter(
        station__in=stations_for_user(user).values("pk")
    ).values("service_id")
    offered_anywhere = ServiceAtStation.objects.values("service_id")
    return in_district.filter(Q(pk__in=offered_in_scope) | ~Q(pk__in=offered_anywhere))


def get_service_for_user(user: AnyUser, pk: Any) -> Service:
    """The service ``pk`` if ``user`` may see it."""
    return limits.one_or_404(
        services_for_user(user).select_related("category", "organisation"),
        pk,
        missing="No such service.",
    )


def organisations_for_user(user: AnyUser) -> QuerySet[Organisation]:
    """Organisations are district-wide records; staff of the district may read them."""
    if not is_staff(user):
        return Organisation.objects.none()
    if user.scope.everything:
        return Organisation.objects.all()
    if user.scope.district_id is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(district_id=user.scope.district_id)


def require_staff(user: AnyUser) -> None:
    """Refuse (403) anyone who is not staff; anonymous users are refused earlier with 401."""
    if not is_staff(user):
        raise PermissionDenied


# --------------------------------------------------------------------------------- organisations
#
# 服务组织 are district-wide records: one provider serves stations of several communities, and a
# change to its name shows on all of them. So they are edited by the people whose work already
# spans communities — district admins and subdistrict staff — while community staff and station
# keepers read the list (to pick a provider when they enter a service) but change nothing.
# ``linli.places.views.console.organisations`` and ``services.*_organisation`` ask these.

ORGANISATION_EDITOR_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF})


def get_organisation_for_user(user: AnyUser, pk: Any, *, for_change: bool = False) -> Organisation:
    """The organisation ``pk`` if ``user`` may see it (and change it, with ``for_change``)."""
    organisation = limits.one_or_404(
        organisations_for_user(user), pk, missing="No such organisation."
    )
    if for_change and not can_change_organisations(user):
        raise PermissionDenied
    return organisation


def can_change_organisations(user: AnyUser) -> bool:
    """Whether ``user`` may create, change, merge and delete the organisations of the district."""
    if not is_staff(user):
        return False
    if user.is_superuser:
        return True
    scope = user.scope
    # A subdistrict staff member whose subdistrict was never assigned (-1) edits nothing.
    return bool(
        user.role in ORGANISATION_EDITOR_ROLES
        and scope.district_id is not None
        and -1 not in (scope.subdistrict_id, scope.community_id)
    )
