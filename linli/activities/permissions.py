"""The one place that answers "may this user see / change this activity, sign-up, check-in?".

Staff see the activities of their scope (district → subdistrict → community → station): a
community's staff see their community's activities, a station keeper those at the station.
Editors (district admins, subdistrict and community staff) create and change activities in
their scope and register residents on their behalf; keepers check people in and out at their
station. Anything outside the scope is 404, as if it did not exist.

Residents see published activities (the public pages) and their own sign-ups and check-ins,
never anyone else's. ``linli.activities.api``, the views, queries and exports call these and
never filter by scope themselves; the services re-read the row through them under a lock.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from linli.accounts.models import AnyUser, User

# The services, views and the API ask here: staff work in the console, editors (EDITOR_ROLES)
# create and change activities in their scope.
from linli.accounts.scopes import is_editor as is_editor
from linli.accounts.scopes import is_signed_in, scope_q
from linli.accounts.scopes import is_staff as is_staff
from linli.activities.models import Activity, CheckIn, SignUp
from linli.core.limits import one_or_404
from linli.places.models import Community, Station, Subdistrict
from linli.places.permissions import can_create_in, stations_for_user


def activities_for_user(user: AnyUser) -> QuerySet[Activity]:
    """Activities a staff user may see in the console, staff API and exports."""
    if not is_staff(user):
        return Activity.objects.none()
    return Activity.objects.filter(scope_q(user.scope, station="station"))


def get_activity_for_user(user: AnyUser, pk: Any, *, for_change: bool = False) -> Activity:
    """The activity ``pk`` if ``user`` may see it (and change it, with ``for_change``)."""
    activity = one_or_404(
        activities_for_user(user).select_related(
            "station", "community", "subdistrict", "organiser"
        ),
        pk,
        missing="No such activity.",
    )
    if for_change and not is_editor(user):
        raise PermissionDenied
    return activity


def may_take_attendance(user: AnyUser, activity: Activity) -> TypeGuard[User]:
    """Whether ``user`` may tick people in and out and show the door code (staff in scope)."""
    return is_staff(user) and activities_for_user(user).filter(pk=activity.pk).exists()


def may_register_for_others(user: AnyUser, activity: Activity) -> TypeGuard[User]:
    """Whether ``user`` may sign people up on their behalf (staff in scope, keepers included)."""
    return may_take_attendance(user, activity)


def may_create_in(user: AnyUser, community: Community | None, subdistrict: Subdistrict) -> bool:
    """Whether ``user`` may create an activity of this community (or subdistrict level)."""
    return is_editor(user) and can_create_in(user, community, subdistrict)


def places_for_user(user: AnyUser) -> QuerySet[Station]:
    """The places an editor may hold an activity at: the stations of their scope."""
    return stations_for_user(user).filter(is_active=True)


def public_activities() -> QuerySet[Activity]:
    """What residents see on the public pages: every activity not cancelled."""
    return Activity.objects.published()


def get_public_activity(pk: Any) -> Activity:
    """A published activity for the resident pages, or 404."""
    return one_or_404(
        public_activities().select_related(
            "station", "community", "subdistrict", "organiser", "district"
        ),
        pk,
        missing="No such activity.",
    )


def signups_for_user(user: AnyUser) -> QuerySet[SignUp]:
    """Sign-ups a user may see: staff those of the activities in scope, others their own."""
    if is_staff(user):
        return SignUp.objects.filter(activity__in=activities_for_user(user).values("pk"))
    if is_signed_in(user):
        return SignUp.objects.filter(user=user)
    return SignUp.objects.none()


def get_signup_for_user(user: AnyUser, pk: Any) -> SignUp:
    """The sign-up ``pk`` if ``user`` may see (and so cancel) it."""
    return one_or_404(
        signups_for_user(user).select_related("activity"), pk, missing="No such sign-up."
    )


def checkins_for_user(user: AnyUser) -> QuerySet[CheckIn]:
    """Check-ins a user may see: staff those of their scope, others their own."""
    if is_staff(user):
        return CheckIn.objects.filter(scope_q(user.scope, station="station"))
    if is_signed_in(user):
        return CheckIn.objects.filter(user=user)
    return CheckIn.objects.none()


def get_checkin_for_user(user: AnyUser, pk: Any) -> CheckIn:
    """The check-in ``pk`` if ``user`` may see it."""
    return one_or_404(
        checkins_for_user(user).select_related("activity"), pk, missing="No such check-in."
    )


def sees_personal_data(user: AnyUser, activity: Activity) -> bool:
    """Whether ``user`` may read participants' full phone numbers for ``activity``.

    The keeper at the door needs names, not numbers; editors in scope call people when a
    session moves. Everyone else sees masked numbers.
    """
    return is_editor(user) and activities_for_user(user).filter(pk=activity.pk).exists()
