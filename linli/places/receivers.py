"""What places does when its rows change: touch the stations a change affects.

Changes to rows hanging off a station (hours, exceptions, services, organisations, functions,
amenities, reference lists, the district and its areas) bump the affected stations'
``updated_at``, the version ``linli.places.queries`` caches the resident directory under, so every
worker sees the change at its next request. Connected once from ``PlacesConfig.ready`` in every
process (web, task worker, management commands).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from linli.places.models import (
    Amenity,
    Community,
    District,
    FacilityCategory,
    OpeningException,
    OpeningHours,
    Organisation,
    Service,
    ServiceAtStation,
    ServiceCategory,
    Station,
    StationFunction,
    StationPhoto,
    Subdistrict,
)
from linli.places.queries import bump_generation


def _touch(qs: Any) -> None:
    bump_generation()
    # The affected ids are read first and updated by primary key: an UPDATE … WHERE id IN (a
    # join through service links) is planned blind on PostgreSQL inside a long transaction (the
    # sample load, an import) and ran ~45 s per organisation there; two plain queries take ms.
    ids = list(qs.order_by().values_list("pk", flat=True).distinct())
    if ids:
        Station.objects.filter(pk__in=ids).update(updated_at=timezone.now())


def _on_station_saved(sender: Any, **kwargs: Any) -> None:
    bump_generation()


def _on_station_child(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    _touch(Station.objects.filter(pk=instance.station_id))


def _on_service(sender: Any, instance: Service, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    _touch(Station.objects.filter(service_links__service_id=instance.pk))


def _on_organisation(sender: Any, instance: Organisation, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    _touch(Station.objects.filter(service_links__service__organisation_id=instance.pk))


def _on_reference(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    _touch(Station.objects.all())


def _on_district(sender: Any, instance: District, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    _touch(Station.objects.filter(district_id=instance.pk))


def _on_area(sender: Any, instance: Subdistrict | Community, **kwargs: Any) -> None:
    """A renamed subdistrict or community changes the names shown with its stations."""
    if kwargs.get("raw"):
        return
    if isinstance(instance, Subdistrict):
        _touch(Station.objects.filter(subdistrict_id=instance.pk))
    else:
        _touch(Station.objects.filter(community_id=instance.pk))


def _on_m2m(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, Station):
        _touch(Station.objects.filter(pk=instance.pk))
    elif pk_set:
        _touch(Station.objects.filter(pk__in=pk_set))
    else:
        _touch(Station.objects.all())


_connected = False


def connect_receivers() -> None:
    """Connect the receivers that keep versions honest (idempotent; ``PlacesConfig.ready``)."""
    global _connected
    if _connected:
        return
    _connected = True
    uid = "linli.places.receivers"
    post_save.connect(_on_station_saved, sender=Station, dispatch_uid=f"{uid}.station.save")
    post_delete.connect(_on_station_saved, sender=Station, dispatch_uid=f"{uid}.station.delete")
    children: tuple[type[Any], ...] = (
        OpeningHours,
        OpeningException,
        ServiceAtStation,
        StationPhoto,
    )
    for child in children:
        for signal, name in ((post_save, "save"), (post_delete, "delete")):
            signal.connect(
                _on_station_child, sender=child, dispatch_uid=f"{uid}.{child.__name__}.{name}"
            )
    for signal, name in ((post_save, "save"), (post_delete, "delete")):
        signal.connect(_on_service, sender=Service, dispatch_uid=f"{uid}.service.{name}")
        signal.connect(_on_organisation, sender=Organisation, dispatch_uid=f"{uid}.org.{name}")
        signal.connect(_on_district, sender=District, dispatch_uid=f"{uid}.district.{name}")
        signal.connect(_on_area, sender=Subdistrict, dispatch_uid=f"{uid}.subdistrict.{name}")
        signal.connect(_on_area, sender=Community, dispatch_uid=f"{uid}.community.{name}")
        references: tuple[type[Any], ...] = (
            FacilityCategory,
            StationFunction,
            Amenity,
            ServiceCategory,
        )
        for reference in references:
            signal.connect(
                _on_reference, sender=reference, dispatch_uid=f"{uid}.{reference.__name__}.{name}"
            )
    for through in (Station.functions.through, Station.amenities.through, Service.stations.through):
        m2m_changed.connect(_on_m2m, sender=through, dispatch_uid=f"{uid}.m2m.{through.__name__}")
