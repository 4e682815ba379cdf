"""The one place that answers "may this user see / act on this smart hut, device or fault?".

Built on ``linli.places.permissions``: a hut is visible exactly when its station is, so a keeper
sees his own station's huts, community staff their community's, and so on up. Records outside
the scope are 404 (guessed ids reveal nothing); a record the user may see but not act on is 403.
Closing a fault is for the station's keeper and the editors in scope (``can_change_station``);
issuing and revoking device keys is for editors only (a keeper could otherwise mint credentials
that sign readings).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from linli.kiosks.models import SMART_HUT, Device, Fault
from linli.places import permissions as places_permissions
from linli.places.models import Station


def _as_pk(pk: Any) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such record.") from None
    if value <= 0 or value > 2**63 - 1:
        raise Http404("No such record.")
    return value


def huts_for_user(user: Any) -> QuerySet[Station]:
    """Smart huts the user may see in the console and the staff API."""
    return places_permissions.stations_for_user(user).filter(category__code=SMART_HUT)


def get_hut_for_user(user: Any, pk: Any) -> Station:
    """The smart hut ``pk`` if ``user`` may see it; 404 otherwise."""
    try:
        return (
            huts_for_user(user)
            .select_related("community", "subdistrict", "district", "category")
            .get(pk=_as_pk(pk))
        )
    except Station.DoesNotExist:
        raise Http404("No such smart hut.") from None


def devices_for_user(user: Any) -> QuerySet[Device]:
    """Devices in the huts the user may see."""
    return Device.objects.filter(station__in=huts_for_user(user))


def get_device_for_user(user: Any, pk: Any, *, manage_keys: bool = False) -> Device:
    """The device ``pk`` if visible; with ``manage_keys`` the user must also be an editor."""
    try:
        device = devices_for_user(user).select_related("station", "keeper").get(pk=_as_pk(pk))
    except Device.DoesNotExist:
        raise Http404("No such device.") from None
    if manage_keys and not can_manage_keys(user, device):
        raise PermissionDenied
    return device


def can_manage_keys(user: Any, device: Device) -> bool:
    """Whether ``user`` may issue, rotate and revoke the device's keys (editors in scope)."""
    return bool(
        devices_for_user(user).filter(pk=device.pk).exists()
        and (user.is_superuser or user.role in places_permissions.EDITOR_ROLES)
    )


def faults_for_user(user: Any) -> QuerySet[Fault]:
    """Fault tickets of the huts the user may see."""
    return Fault.objects.filter(station__in=huts_for_user(user))


def get_fault_for_user(user: Any, pk: Any, *, for_change: bool = False) -> Fault:
    """The fault ``pk`` if visible (and, with ``for_change``, if the user may close it)."""
    try:
        fault = (
            faults_for_user(user)
            .select_related("device", "station", "closed_by")
            .get(pk=_as_pk(pk))
        )
    except Fault.DoesNotExist:
        raise Http404("No such fault.") from None
    if for_change and not can_handle_fault(user, fault):
        raise PermissionDenied
    return fault


def can_handle_fault(user: Any, fault: Fault) -> bool:
    """Whether ``user`` may close or report faults at the fault's hut: its keeper or an editor."""
    return places_permissions.can_change_station(user, fault.station)
