"""The staff JSON API for places, mounted at ``/api/places/`` (OpenAPI at ``/api/docs``).

Authentication is the console's session (django-ninja's ``SessionAuth``, which also checks the
CSRF token on unsafe methods); anonymous requests get 401, logged-in users who are not staff 403.
Every query goes through ``linli.places.permissions``; a record outside the user's scope is 404,
exactly as if it did not exist.

The list endpoints are the hot path (``bench/web.py`` loads them with 50 connections): they fetch
one page with ``.values()`` and a ``count()`` and serialise the rows with ``json.dumps`` instead of
letting ninja validate every row through pydantic, which cost two thirds of a naive list's time.
The ``response=`` schemas still document them in OpenAPI.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db.models import IntegerField, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from ninja import Query, Router, Schema, Status
from ninja.security import SessionAuth
from pydantic import Field

from linli.accounts.api_auth import TokenAuth
from linli.accounts.models import AnyUser
from linli.core.limits import Id, PageNumber
from linli.core.masking import mask_name, mask_phone
from linli.places import permissions, queries, services
from linli.places.models import ServiceAtStation
from linli.places.schemas import (
    CodeName,
    CompoundDetail,
    CompoundPage,
    ErrorOut,
    HoursPut,
    OrganisationPage,
    ScopeTree,
    ServicePage,
    StationDetail,
    StationIn,
    StationPage,
)

if TYPE_CHECKING:
    from linli.places.models import Station

router = Router(tags=["places"], auth=[TokenAuth(), SessionAuth()])

ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 400: ErrorOut, 409: ErrorOut}
MAX_PAGE_SIZE = 500


# --- helpers ------------------------------------------------------------------------------------


def json_response(data: Any, *, status: int = 200) -> HttpResponse:
    """A JSON response built without pydantic (see the module docstring); hsds.py uses it too."""
    return HttpResponse(
        json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_default),
        content_type="application/json; charset=utf-8",
        status=status,
    )


def _default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _hhmm(value: dt.time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _label(row: Mapping[str, Any], prefix: str) -> str:
    """The reference item's name in the request's language, from ``.values()`` columns."""
    return str(row[f"{prefix}name_en" if _english() else f"{prefix}name_zh"])


def _code_names(items: Iterable[Any]) -> list[CodeName]:
    return [CodeName(code=i.code, name=i.display_name) for i in items]


def _staff_user(request: HttpRequest) -> Any:
    """The authenticated user if staff; 403 otherwise (401 is ninja's auth, before this)."""
    permissions.require_staff(request.user)
    return request.user


class Paging(Schema):
    page: PageNumber = Field(1, ge=1, description="1-based page number.")
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


def _page(
    qs: QuerySet[Any], paging: Paging, fields: tuple[str, ...]
) -> tuple[int, list[dict[str, Any]]]:
    """The total count and one page of rows as dicts (one or two queries)."""
    return page_of(
        qs, start=(paging.page - 1) * paging.page_size, size=paging.page_size, fields=fields
    )


class _CountOf(Subquery):
    """``(SELECT COUNT(*) FROM (<subquery>))``: the total rides along with the page's query."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS _counted)"
    output_field = IntegerField()


def page_of(
    qs: QuerySet[Any], *, start: int, size: int, fields: tuple[str, ...]
) -> tuple[int, list[dict[str, Any]]]:
    """One page of ``qs`` as dicts and the total over all pages, in one query.

    The total is an uncorrelated scalar subquery, which PostgreSQL and SQLite evaluate once per
    query, so a page costs one round trip instead of a page query plus a ``count()``; on a busy
    server the round trip, not the counting, is what costs (``docs/api.md``, Performance). Only
    a page past the end, which has no row to carry the total, needs a separate count. hsds.py
    uses this too.
    """
    rows = list(
        qs.annotate(_total=_CountOf(qs.order_by().values("pk"))).values(*fields, "_total")[
            start : start + size
        ]
    )
    if not rows:
        return (qs.count() if start else 0), rows
    total = int(rows[0]["_total"])
    for row in rows:
        del row["_total"]
    return total, rows


def _envelope(total: int, paging: Paging, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"total": total, "page": paging.page, "page_size": paging.page_size, "items": items}


# --- stations -----------------------------------------------------------------------------------


class StationFilters(Schema):
    community: Id | None = Field(None, description="Community id.")
    subdistrict: Id | None = Field(None, description="Subdistrict id.")
    kind: str | None = Field(None, description="Facility category code, e.g. happiness_station.")
    active: bool | None = Field(None, description="Only stations in (true) or out of service.")
    q: str | None = Field(None, max_length=100, description="Search in name, code and address.")


_STATION_FIELDS = (
    "id",
    "code",
    "name",
    "category__code",
    "category__name_zh",
    "category__name_en",
    "subdistrict_id",
    "subdistrict__name",
    "community_id",
    "community__name",
    "address",
    "lon",
    "lat",
    "phone",
    "is_active",
    "updated_at",
)


# Rendered list pages, keyed by everything that decides their bytes: the query, the language,
# the viewer's scope (for staff lists) and the places' data version (queries.places_versions,
# which every write to a station, its services or its area moves). Building a 50-row page through
# the ORM costs ~3 ms of CPU; a hit costs the one version query. Process-local like the resident
# pages' cache; hsds.py uses it for the public lists.
_list_pages = queries.BoundedCache(1024, max_bytes=64 * 1024 * 1024)


def params_key(*params: Any) -> tuple[Any, ...]:
    """The validated parameters of a list as a cache key: unknown query parameters (``?x=1``,
    ``?x=2``…) and different spellings of one value share an entry instead of adding one."""
    return tuple(p.model_dump_json() if hasattr(p, "model_dump_json") else repr(p) for p in params)


def cached_list(
    request: HttpRequest,
    build: Callable[[], HttpResponse],
    *,
    params: tuple[Any, ...],
    user: AnyUser | None = None,
) -> HttpResponse:
    """``build()``'s JSON body, or the same bytes from an earlier request with the same key.

    ``params`` are the list's validated parameters (``params_key``): what changes the page.
    """
    versions = queries.places_versions()
    scope = user.scope if user is not None and user.is_authenticated else None
    if scope is None or scope.everything:
        version: Any = tuple(sorted(versions.items()))
    else:
        version = versions.get(scope.district_id or 0, "")
    key = (
        request.path,
        params,
        get_language(),
        scope,
        version,
    )
    cached = _list_pages.get(key)
    if cached is None:
        response = build()
        if response.status_code != 200:
            return response
        cached = response.content
        _list_pages.set(key, cached)
    return HttpResponse(cached, content_type="application/json; charset=utf-8")


@router.get("/stations", response={200: StationPage, **ERRORS}, summary="List stations")
def list_stations(
    request: HttpRequest, filters: Query[StationFilters], paging: Query[Paging]
) -> HttpResponse:
    """Stations in the user's scope, by code; filters combine with AND."""
    user = _staff_user(request)
    return cached_list(
        request,
        lambda: _station_page(user, filters, paging),
        params=params_key(filters, paging),
        user=user,
    )


def _station_page(user: AnyUser, filters: StationFilters, paging: Paging) -> HttpResponse:
    qs = queries.filter_stations(
        permissions.stations_for_user(user),
        text=filters.q or "",
        kind=filters.kind or "",
        community=filters.community,
        subdistrict=filters.subdistrict,
        active=filters.active,
    )
    # (district, code) is unique and indexed: the page is read in index order, no sort of the
    # whole district (1 000+ facilities in the sample) for 50 rows.
    total, rows = _page(qs.order_by("district_id", "code"), paging, _STATION_FIELDS)
    items = [
        {
            "id": r["id"],
            "code": r["code"],
            "name": r["name"],
            "kind": r["category__code"],
            "kind_name": _label(r, "category__"),
            "subdistrict_id": r["subdistrict_id"],
            "subdistrict_name": r["subdistrict__name"],
            "community_id": r["community_id"],
            "community_name": r["community__name"],
            "address": r["address"],
            "lon": r["lon"],
            "lat": r["lat"],
            "phone": r["phone"],
            "is_active": r["is_active"],
            "updated_at": r["updated_at"],
        }
        for r in rows
    ]
    return json_response(_envelope(total, paging, items))


@router.get(
    "/stations/{station_id}",
    response={200: StationDetail, **ERRORS},
    summary="One station with hours, functions, amenities and services",
)
def get_station(request: HttpRequest, station_id: Id) -> dict[str, Any]:
    """The keeper's name and mobile are masked unless the user may change the station."""
    user = _staff_user(request)
    station = permissions.get_station_for_user(user, station_id)
    return _station_detail(user, station)


def _station_input(data: StationIn) -> services.StationInput:
    return services.StationInput(
        code=data.code,
        name=data.name,
        category=data.kind,
        community=data.community,
        subdistrict=data.subdistrict,
        compound=data.compound,
        lon=data.lon,
        lat=data.lat,
        address=data.address,
        description=data.description,
        phone=data.phone,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        functions=tuple(data.functions),
        amenities=tuple(data.amenities),
        holiday_policy=data.holiday_policy,
        is_active=data.is_active,
    )


@router.post("/stations", response={201: StationDetail, **WRITE_ERRORS}, summary="Create a station")
def create_station(request: HttpRequest, data: StationIn) -> Status[dict[str, Any]]:
    """Editors (district, subdistrict, community staff) create stations inside their scope."""
    user = _staff_user(request)
    station = services.create_station(actor=user, data=_station_input(data), request=request)
    return Status(201, _station_detail(user, permissions.get_station_for_user(user, station.pk)))


@router.put(
    "/stations/{station_id}",
    response={200: StationDetail, **WRITE_ERRORS},
    summary="Replace a station's details",
)
def update_station(request: HttpRequest, station_id: Id, data: StationIn) -> dict[str, Any]:
    """Every field is replaced; hours are changed with ``PUT /stations/{id}/hours``."""
    user = _staff_user(request)
    station = permissions.get_station_for_user(user, station_id)
    services.update_station(actor=user, station=station, data=_station_input(data), request=request)
    return _station_detail(user, permissions.get_station_for_user(user, station_id))


@router.put(
    "/stations/{station_id}/hours",
    response={200: StationDetail, **WRITE_ERRORS},
    summary="Replace a station's weekly opening hours",
)
def set_station_hours(request: HttpRequest, station_id: Id, data: HoursPut) -> dict[str, Any]:
    """Editors in scope and the station's own keeper may change its hours."""
    user = _staff_user(request)
    station = permissions.get_station_for_user(user, station_id)
    services.set_opening_hours(
        actor=user,
        station=station,
        request=request,
        holiday_policy=data.holiday_policy,
        hours=[
            services.HoursInput(weekday=h.weekday, opens=h.opens, closes=h.closes)
            for h in data.hours
        ],
    )
    return _station_detail(user, permissions.get_station_for_user(user, station_id))


@router.delete(
    "/stations/{station_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Take a station out of service (or remove it with hard=true)",
)
def delete_station(request: HttpRequest, station_id: Id, hard: bool = False) -> Status[None]:
    """Soft by default: the station leaves the directory, its history stays for the audit log."""
    user = _staff_user(request)
    station = permissions.get_station_for_user(user, station_id)
    services.delete_station(actor=user, station=station, request=request, hard=hard)
    return Status(204, None)


def _place(node: Any) -> dict[str, Any] | None:
    return None if node is None else {"id": node.pk, "code": node.code, "name": node.name}


def _station_detail(user: AnyUser, station: Station) -> dict[str, Any]:
    can_change = permissions.can_change_station(user, station)
    today = timezone.localdate()
    links = station.service_links.select_related(
        "service__category", "service__organisation"
    ).order_by("service__name", "service_id")
    return {
        "id": station.pk,
        "code": station.code,
        "name": station.name,
        "kind": station.category.code,
        "kind_name": station.category.display_name,
        "district_id": station.district_id,
        "subdistrict": _place(station.subdistrict),
        "community": _place(station.community),
        "compound": _place(station.compound),
        "description": station.description,
        "address": station.address,
        "lon": station.lon,
        "lat": station.lat,
        "phone": station.phone,
        "contact_name": station.contact_name if can_change else mask_name(station.contact_name),
        "contact_phone": (
            station.contact_phone if can_change else mask_phone(station.contact_phone)
        ),
        "contact_masked": not can_change,
        "holiday_policy": station.holiday_policy,
        "is_active": station.is_active,
        "updated_at": station.updated_at,
        "can_change": can_change,
        "can_delete": permissions.can_delete_station(user, station),
        "hours": [
            {"weekday": h.weekday, "opens": _hhmm(h.opens), "closes": _hhmm(h.closes)}
            for h in station.opening_hours.all()
        ],
        "exceptions": [
            {
                "date": e.date,
                "closed": e.closed,
                "opens": _hhmm(e.opens),
                "closes": _hhmm(e.closes),
                "note": e.note,
            }
            for e in station.opening_exceptions.filter(date__gte=today)
        ],
        "functions": _code_names(station.functions.all()),
        "amenities": _code_names(station.amenities.all()),
        "services": [
            {
                "id": link.service_id,
                "name": link.service.name,
                "category": {
                    "code": link.service.category.code,
                    "name": link.service.category.display_name,
                },
                "organisation": (
                    {"id": link.service.organisation_id, "name": link.service.organisation.name}
                    if link.service.organisation is not None
                    else None
                ),
                "fee": link.service.fee,
                "booking_required": link.service.booking_required,
                "is_active": link.service.is_active,
                "rrule": link.rrule,
                "opens": _hhmm(link.opens),
                "closes": _hhmm(link.closes),
                "schedule_note": link.schedule_note,
            }
            for link in links
        ],
    }


# --- compounds ----------------------------------------------------------------------------------


class CompoundFilters(Schema):
    community: Id | None = Field(None, description="Community id.")
    subdistrict: Id | None = Field(None, description="Subdistrict id.")
    q: str | None = Field(None, max_length=100, description="Search in name, code and address.")


_COMPOUND_FIELDS = (
    "id",
    "code",
    "name",
    "community_id",
    "community__name",
    "households",
    "population",
    "address",
)


@router.get("/compounds", response={200: CompoundPage, **ERRORS}, summary="List compounds")
def list_compounds(
    request: HttpRequest, filters: Query[CompoundFilters], paging: Query[Paging]
) -> HttpResponse:
    """Residential compounds (小区) of the communities in the user's scope."""
    qs = permissions.compounds_for_user(_staff_user(request))
    if filters.community is not None:
        qs = qs.filter(community_id=filters.community)
    if filters.subdistrict is not None:
        qs = qs.filter(community__subdistrict_id=filters.subdistrict)
    if filters.q:
        q = filters.q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(address__icontains=q))
    total, rows = _page(qs.order_by("district_id", "code"), paging, _COMPOUND_FIELDS)
    for r in rows:
        r["community_name"] = r.pop("community__name")
    return json_response(_envelope(total, paging, rows))


@router.get(
    "/compounds/{compound_id}",
    response={200: CompoundDetail, **ERRORS},
    summary="One compound with its gates",
)
def get_compound(request: HttpRequest, compound_id: Id) -> dict[str, Any]:
    user = _staff_user(request)
    compound = permissions.get_compound_for_user(user, compound_id)
    return {
        "id": compound.pk,
        "code": compound.code,
        "name": compound.name,
        "community_id": compound.community_id,
        "community_name": compound.community.name,
        "households": compound.households,
        "population": compound.population,
        "address": compound.address,
        "grid_id": compound.grid_id,
        "outline": compound.outline,
        "gates": [
            {"id": g.pk, "name": g.name, "lon": g.lon, "lat": g.lat} for g in compound.gates.all()
        ],
        "station_ids": list(
            permissions.stations_for_user(user)
            .filter(compound_id=compound.pk)
            .order_by("code")
            .values_list("pk", flat=True)
        ),
    }


# --- services and organisations -----------------------------------------------------------------


class ServiceFilters(Schema):
    station: Id | None = Field(None, description="Only services offered at this station.")
    category: str | None = Field(None, description="Service category code, e.g. haircut.")
    organisation: Id | None = Field(None, description="Provider organisation id.")
    active: bool | None = None
    q: str | None = Field(None, max_length=100, description="Search in name and description.")


_SERVICE_FIELDS = (
    "id",
    "name",
    "category__code",
    "category__name_zh",
    "category__name_en",
    "organisation_id",
    "organisation__name",
    "fee",
    "booking_required",
    "is_active",
)


@router.get("/services", response={200: ServicePage, **ERRORS}, summary="List services")
def list_services(
    request: HttpRequest, filters: Query[ServiceFilters], paging: Query[Paging]
) -> HttpResponse:
    """Services offered at stations in scope, and the district's services at no station yet."""
    user = _staff_user(request)
    qs = permissions.services_for_user(user)
    if filters.station is not None:
        # The station must itself be visible: filtering by another community's station id must
        # not reveal what it offers.
        visible = permissions.stations_for_user(user).filter(pk=filters.station)
        qs = qs.filter(
            pk__in=ServiceAtStation.objects.filter(station__in=visible.values("pk")).values(
                "service_id"
            )
        )
    if filters.category:
        qs = qs.filter(category__code=filters.category)
    if filters.organisation is not None:
        qs = qs.filter(organisation_id=filters.organisation)
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    if filters.q:
        q = filters.q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(description__icontains=q))
    total, rows = _page(qs.order_by("name", "pk"), paging, _SERVICE_FIELDS)
    items = [
        {
            "id": r["id"],
            "name": r["name"],
            "category": r["category__code"],
            "category_name": _label(r, "category__"),
            "organisation_id": r["organisation_id"],
            "organisation_name": r["organisation__name"],
            "fee": r["fee"],
            "booking_required": r["booking_required"],
            "is_active": r["is_active"],
        }
        for r in rows
    ]
    return json_response(_envelope(total, paging, items))


class OrganisationFilters(Schema):
    kind: str | None = Field(None, description="social, unit, partner, new_economic, …")
    q: str | None = Field(None, max_length=100, description="Search in the name.")


@router.get(
    "/organisations", response={200: OrganisationPage, **ERRORS}, summary="List organisations"
)
def list_organisations(
    request: HttpRequest, filters: Query[OrganisationFilters], paging: Query[Paging]
) -> HttpResponse:
    """Organisations are district-wide: every staff member of the district may read them."""
    qs = permissions.organisations_for_user(_staff_user(request))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q.strip())
    total, rows = _page(
        qs.order_by("district_id", "name"), paging, ("id", "name", "kind", "phone", "website")
    )
    return json_response(_envelope(total, paging, rows))


# --- the hierarchy ------------------------------------------------------------------------------


@router.get(
    "/scope",
    response={200: ScopeTree, **ERRORS},
    summary="The subdistricts and communities the user may see",
)
def scope_tree(request: HttpRequest) -> HttpResponse:
    """The console's hierarchy tree, in code order."""
    user = _staff_user(request)
    communities: dict[int, list[dict[str, Any]]] = {}
    for pk, code, name, subdistrict_id in (
        permissions.communities_for_user(user)
        .order_by("code")
        .values_list("id", "code", "name", "subdistrict_id")
    ):
        communities.setdefault(subdistrict_id, []).append({"id": pk, "code": code, "name": name})
    subdistricts = [
        {**s, "communities": communities.get(s["id"], [])}
        for s in permissions.subdistricts_for_user(user)
        .order_by("code")
        .values("id", "code", "name")
    ]
    return json_response({"level": user.scope.level, "subdistricts": subdistricts})
