"""The one place that answers "may this user see / act on this smart hut, device or fault?".

Built on ``linli.places.permissions``: a hut is visible exactly when its station is, so a keeper
sees his own station's huts, community staff their community's, and so on up. Records outside
the scope are 404 (guessed ids reveal nothing); a record the user may see but not act on is 403.
Closing a fault is for the station's keeper and the editors in scope (``can_change_station``);
issuing and revoking device keys is for editors only (a keeper could otherwise mint credentials
that sign readings).
"""

from __future__ import annotations

from typing import Any, TypeGuard

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from linli.accounts.models import AnyUser, Role, User
from linli.accounts.scopes import is_editor, is_signed_in
from linli.core import audit
from linli.core.limits import one_or_404, pk_or_404
from linli.core.models import AuditEntry
from linli.kiosks.models import (
    SMART_HUT,
    Device,
    Fault,
    FollowUp,
    HealthConsent,
    HealthSubject,
)
from linli.places import permissions as places_permissions
from linli.places.models import Station


def huts_for_user(user: AnyUser) -> QuerySet[Station]:
    """Smart huts the user may see in the console and the staff API."""
    return places_permissions.stations_for_user(user).filter(category__code=SMART_HUT)


def get_hut_for_user(user: AnyUser, pk: Any) -> Station:
    """The smart hut ``pk`` if ``user`` may see it; 404 otherwise."""
    return one_or_404(
        huts_for_user(user).select_related("community", "subdistrict", "district", "category"),
        pk,
        missing="No such smart hut.",
    )


def devices_for_user(user: AnyUser) -> QuerySet[Device]:
    """Devices in the huts the user may see."""
    return Device.objects.filter(station__in=huts_for_user(user))


def get_device_for_user(user: AnyUser, pk: Any, *, manage_keys: bool = False) -> Device:
    """The device ``pk`` if visible; with ``manage_keys`` the user must also be an editor."""
    device = one_or_404(
        devices_for_user(user).select_related("station", "keeper"), pk, missing="No such device."
    )
    if manage_keys and not can_manage_keys(user, device):
        raise PermissionDenied
    return device


def can_manage_keys(user: AnyUser, device: Device) -> bool:
    """Whether ``user`` may issue, rotate and revoke the device's keys (editors in scope)."""
    return is_editor(user) and devices_for_user(user).filter(pk=device.pk).exists()


def faults_for_user(user: AnyUser) -> QuerySet[Fault]:
    """Fault tickets of the huts the user may see."""
    return Fault.objects.filter(station__in=huts_for_user(user))


def get_fault_for_user(user: AnyUser, pk: Any, *, for_change: bool = False) -> Fault:
    """The fault ``pk`` if visible (and, with ``for_change``, if the user may close it)."""
    fault = one_or_404(
        faults_for_user(user).select_related("device", "station", "closed_by"),
        pk,
        missing="No such fault.",
    )
    if for_change and not can_handle_fault(user, fault):
        raise PermissionDenied
    return fault


def can_handle_fault(user: AnyUser, fault: Fault) -> TypeGuard[User]:
    """Whether ``user`` may close or report faults at the fault's hut: its keeper or an editor."""
    return places_permissions.can_change_station(user, fault.station)


# --- health data -----------------------------------------------------------------------------
#
# Only the family-doctor role reads health readings, and only of its own community's residents
# who have a consent in force. Superusers and administrators included, everyone else is refused;
# every read and every refusal goes to the audit log here, so no page or endpoint can forget it.


def is_family_doctor(user: AnyUser) -> TypeGuard[User]:
    """Whether ``user`` works as a family doctor of a community."""
    return is_signed_in(user) and user.role == Role.FAMILY_DOCTOR and bool(user.community_id)


def health_subjects_for_doctor(user: AnyUser) -> QuerySet[HealthSubject]:
    """Residents whose readings ``user`` may read: his community's, with consent in force."""
    if not is_family_doctor(user) or user.district_id is None or user.community_id is None:
        return HealthSubject.objects.none()
    return HealthSubject.objects.filter(
        district_id=user.district_id,
        community_id=user.community_id,
        pk__in=HealthConsent.objects.filter(withdrawn_at__isnull=True).values("subject_id"),
    )


def _audit_health(
    user: AnyUser, subject: HealthSubject | None, *, allowed: bool, request: HttpRequest | None
) -> None:
    audit.record(
        actor=user,
        action=AuditEntry.Action.VIEW_HEALTH,
        obj=subject,
        district_id=subject.district_id if subject else getattr(user, "district_id", None),
        request=request,
        object_type="" if subject else "kiosks.healthsubject",
        object_repr=subject.label if subject else (request.path[:200] if request else ""),
        changes={} if allowed else {"refused": True},
    )


def get_subject_for_doctor(
    user: AnyUser, pk: Any, *, request: HttpRequest | None = None
) -> HealthSubject:
    """The subject ``pk`` for reading his health data; the read is audited.

    Anyone not a family doctor is refused with 403, a doctor asking for a resident outside his
    community or without consent with 404; both refusals are audited too.
    """
    if not is_family_doctor(user):
        _audit_health(user, None, allowed=False, request=request)
        raise PermissionDenied
    try:
        value = pk_or_404(pk)
    except Http404:
        _audit_health(user, None, allowed=False, request=request)
        raise
    subject = health_subjects_for_doctor(user).filter(pk=value).first()
    if subject is None:
        _audit_health(user, None, allowed=False, request=request)
        raise Http404("No such resident.")
    _audit_health(user, subject, allowed=True, request=request)
    return subject


def require_family_doctor(user: AnyUser, *, request: HttpRequest | None = None) -> None:
    """Refuse (403, audited) anyone who is not a family doctor (the health pages' lists)."""
    if not is_family_doctor(user):
        _audit_health(user, None, allowed=False, request=request)
        raise PermissionDenied


def followups_for_doctor(user: AnyUser) -> QuerySet[FollowUp]:
    """The follow-ups of the family doctor's community whose residents still consent."""
    return FollowUp.objects.filter(subject__in=health_subjects_for_doctor(user))


def get_followup_for_doctor(
    user: AnyUser, pk: Any, *, request: HttpRequest | None = None
) -> FollowUp:
    """The follow-up ``pk`` with its resident's readings about to be shown; the read is audited.

    Refusals as in ``get_subject_for_doctor`` (403 for other roles, 404 outside the community),
    audited too.
    """
    if not is_family_doctor(user):
        _audit_health(user, None, allowed=False, request=request)
        raise PermissionDenied
    try:
        value = pk_or_404(pk)
    except Http404:
        _audit_health(user, None, allowed=False, request=request)
        raise
    follow_up = followups_for_doctor(user).select_related("subject").filter(pk=value).first()
    if follow_up is None:
        _audit_health(user, None, allowed=False, request=request)
        raise Http404("No such follow-up.")
    _audit_health(user, follow_up.subject, allowed=True, request=request)
    return follow_up
