"""Who a user is and what their scope holds, as query filters; every app's permissions module
builds on this."""

from __future__ import annotations

from typing import TypeGuard

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest

from linli.accounts.models import EDITOR_ROLES, AnyUser, Scope, User

NOTHING = Q(pk__in=[])


def is_signed_in(user: AnyUser | None) -> TypeGuard[User]:
    """A signed-in user whose account is active: the least every permission asks of a user."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_staff(user: AnyUser | None) -> TypeGuard[User]:
    """A signed-in, active user who works in the console (district admin to station keeper)."""
    return is_signed_in(user) and user.is_staff_role


def is_editor(user: AnyUser | None) -> TypeGuard[User]:
    """Staff who create and change the records of their area (``EDITOR_ROLES``), or a superuser."""
    return is_staff(user) and bool(user.is_superuser or user.role in EDITOR_ROLES)


def signed_in_user(request: HttpRequest) -> User:
    """``request.user`` where a check in front let only signed-in users through (``login_required``,
    an API router's ``auth``, an app's console decorator): anyone else is refused, not assumed."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def _id(path: str) -> str:
    """The lookup for a level's id: ``community`` → ``community_id``; ``pk`` (the model itself
    is that level, e.g. stations filtered by a keeper's station) stays ``pk``."""
    return path if path == "pk" or path.endswith("__pk") else f"{path}_id"


def scope_q(
    scope: Scope,
    *,
    district: str = "district",
    subdistrict: str | None = "subdistrict",
    community: str | None = "community",
    station: str | None = None,
) -> Q:
    """A filter that keeps the rows inside ``scope``.

    The keyword arguments name the lookup paths from the filtered model to each level; a level
    whose path is ``None`` cannot be checked on that model, so a scope narrower than the model
    supports matches nothing (safe by default).
    """
    if scope.everything:
        return Q()
    if scope.district_id is None:
        return NOTHING
    q = Q(**{_id(district): scope.district_id})
    if scope.station_id is not None:
        if station is None:
            return NOTHING
        return q & Q(**{_id(station): scope.station_id})
    if scope.community_id is not None:
        if community is None:
            return NOTHING
        return q & Q(**{_id(community): scope.community_id})
    if scope.subdistrict_id is not None:
        if subdistrict is None:
            return NOTHING
        return q & Q(**{_id(subdistrict): scope.subdistrict_id})
    return q
