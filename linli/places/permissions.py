"""The one place that answers "may this user see / change this place?".

Staff (district admin, subdistrict staff, community staff, station keeper) see and change the
records inside their scope; everything else is refused with 404 (for ids outside the scope, so
that guessing ids reveals nothing) or 403 (for a record the user may see but not change).
The public directory (resident pages, HSDS API) shows active stations to everyone and never
exposes the keeper's personal contact.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from linli.accounts.models import Role, User
from linli.accounts.scopes import scope_q
from linli.places.models import Community, Compound, Organisation, Service, Station, Subdistrict

# Roles that may create, change and delete places inside their scope. Station keepers may change
# their own station (hours, services, photos) but not create or delete stations.
EDITOR_ROLES = {Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF, Role.COMMUNITY_STAFF}


def _staff(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff_role)


def stations_for_user(user: Any) -> QuerySet[Station]:
    """Stations a staff user may see in the console and staff API."""
    if not _staff(user):
        return Station.objects.none()
    return Station.objects.filter(scope_q(user.scope, station="pk"))


def get_station_for_user(user: Any, pk: int, *, for_change: bool = False) -> Station:
    """The station ``pk`` if ``user`` may see it (and change it, with ``for_change``)."""
    try:
        station = stations_for_user(user).select_related(
            "category", "community", "subdistrict", "district"
        ).get(pk=pk)
    except (Station.DoesNotExist, ValueError, TypeError):
        raise Http404("No such station.") from None
    if for_change and not can_change_station(user, station):
        raise PermissionDenied
    return station


def can_change_station(user: Any, station: Station) -> bool:
    """Whether ``user`` may change ``station`` (editors in scope, or its own keeper)."""
    if not _staff(user) or not stations_for_user(user).filter(pk=station.pk).exists():
        return False
    return bool(user.is_superuser or user.role in EDITOR_ROLES or user.station_id == station.pk)


def can_create_in(user: Any, community: Community | None, subdistrict: Subdistrict) -> bool:
    """Whether ``user`` may create a record placed in this community (or subdistrict level)."""
    if not _staff(user) or not (user.is_superuser or user.role in EDITOR_ROLES):
        return False
    scope = user.scope
    if scope.everything:
        return True
    if subdistrict.district_id != scope.district_id:
        return False
    if scope.community_id is not None:
        return community is not None and community.pk == scope.community_id
    if scope.subdistrict_id is not None:
        return subdistrict.pk == scope.subdistrict_id
    return True


def communities_for_user(user: Any) -> QuerySet[Community]:
    """Communities inside the user's scope (the console's hierarchy tree).

    A station keeper sees the community of the station, read-only.
    """
    if not _staff(user):
        return Community.objects.none()
    scope = user.scope
    if scope.station_id is not None:
        return Community.objects.filter(pk=user.community_id, district_id=scope.district_id)
    return Community.objects.filter(scope_q(scope, community="pk"))


def subdistricts_for_user(user: Any) -> QuerySet[Subdistrict]:
    """Subdistricts inside the user's scope, or holding the user's community."""
    if not _staff(user):
        return Subdistrict.objects.none()
    scope = user.scope
    if scope.community_id is not None or scope.station_id is not None:
        return Subdistrict.objects.filter(
            pk__in=communities_for_user(user).values("subdistrict_id")
        )
    return Subdistrict.objects.filter(scope_q(scope, subdistrict="pk", community=None))


def compounds_for_user(user: Any) -> QuerySet[Compound]:
    if not _staff(user):
        return Compound.objects.none()
    return Compound.objects.filter(
        scope_q(user.scope, subdistrict="community__subdistrict", station=None)
    )


def services_for_user(user: Any) -> QuerySet[Service]:
    """Services offered at a station the user may see, or not yet at any station in the district."""
    if not _staff(user):
        return Service.objects.none()
    scope = user.scope
    if scope.everything:
        return Service.objects.all()
    return Service.objects.filter(district_id=scope.district_id).filter(
        at_stations__station__in=stations_for_user(user)
    ).distinct()


def organisations_for_user(user: Any) -> QuerySet[Organisation]:
    """Organisations are district-wide records; staff of the district may read them."""
    if not _staff(user):
        return Organisation.objects.none()
    if user.scope.everything:
        return Organisation.objects.all()
    return Organisation.objects.filter(district_id=user.scope.district_id)


def require_staff(user: User | Any) -> None:
    if not _staff(user):
        raise PermissionDenied
