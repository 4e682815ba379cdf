"""A public read API following Open Referral HSDS 3.0, mounted at ``/api/hsds/``.

Other directories (a city's 12345 hotline, a province's service map) consume our stations and
services through it. The mapping (``docs/api.md`` has the full table):

=====================  ==========================================================
HSDS                   Linli
=====================  ==========================================================
organization           ``Organisation`` that provides at least one public service
service                active ``Service`` offered at ≥ 1 active station
location               active ``Station`` (location_type ``physical``)
service_at_location    ``ServiceAtStation`` of an active service at an active station
schedule               ``OpeningHours`` (location) / ``ServiceAtStation.rrule`` (SAL)
phone                  the station's *public* phone only — never the keeper's mobile
address                the station's address
=====================  ==========================================================

Ids are UUID-shaped strings that can be decoded without a lookup table (see ``hsds_id``), so the
records need no extra column and ``/services/{id}`` is one primary-key query.

No authentication: everything here is already public on the resident pages. Lists are served the
same fast way as the staff API (``.values()`` + ``json.dumps``; see ``linli.places.api``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache, wraps
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from linli.core.limits import PageNumber
from linli.places.api import cached_list, json_response, page_of, params_key
from linli.places.models import (
    OpeningException,
    OpeningHours,
    Organisation,
    Service,
    ServiceAtStation,
    Station,
)
from linli.places.schemas import ErrorOut

router = Router(tags=["HSDS 3.0"], auth=None)

HSDS_VERSION = "3.0"
HSDS_SCHEMA = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/compiled/"
MAX_PER_PAGE = 500

# --- ids ----------------------------------------------------------------------------------------

# The 12-bit "kind" field of an id. Never renumber: consumers store these ids.
KINDS = {
    "organization": 1,
    "service": 2,
    "location": 3,
    "service_at_location": 4,
    "location_schedule": 5,
    "phone": 6,
    "address": 7,
    "sal_schedule": 8,
    "organization_phone": 9,
    "location_attribute": 10,
    "taxonomy_term": 11,
    "organization_identifier": 12,
    "location_change": 13,
}
# Taxonomy terms (facility categories) are the installation's, not a district's.
TAXONOMY_PREFIX = "taxonomy"
FACILITY_TAXONOMY = "linli_facility_category"
_PK_BITS = 62


@lru_cache(maxsize=256)
def _district_prefix(district_code: str) -> int:
    return int.from_bytes(hashlib.sha256(f"linli:{district_code}".encode()).digest()[:6], "big")


def hsds_id(district_code: str, kind: str, pk: int) -> str:
    """A stable UUID (RFC 9562 version 8, "custom") for record ``pk`` of ``kind``.

    Layout, from the most significant bit: 48 bits of SHA-256("linli:" + district code) | version
    8 | 12-bit kind | variant 0b10 | 62-bit primary key. The id stays the same for as long as the
    row lives (edits keep it), differs between districts and between kinds, and decodes back to
    the primary key in ``parse_hsds_id`` without a lookup table.
    """
    value = (
        (_district_prefix(district_code) << 80)
        | (8 << 76)
        | (KINDS[kind] << 64)
        | (0b10 << 62)
        | pk
    )
    return str(uuid.UUID(int=value))


def parse_hsds_id(value: str, kind: str) -> tuple[int, int] | None:
    """``(district prefix, pk)`` of an id made by ``hsds_id`` for ``kind``; None otherwise."""
    try:
        number = uuid.UUID(value).int
    except (ValueError, AttributeError, TypeError):
        return None
    if (number >> 76) & 0xF != 8 or (number >> 64) & 0xFFF != KINDS[kind]:
        return None
    if (number >> 62) & 0b11 != 0b10:
        return None
    pk = number & ((1 << _PK_BITS) - 1)
    return (number >> 80, pk) if pk > 0 else None


def _get_by_hsds_id(qs: QuerySet[Any], value: str, kind: str) -> Any:
    """The public record behind an HSDS id, or 404 (also when the district part does not match)."""
    parsed = parse_hsds_id(value, kind)
    if parsed is None:
        raise Http404
    prefix, pk = parsed
    row = qs.select_related("district").filter(pk=pk).first()
    if row is None or _district_prefix(row.district.code) != prefix:
        raise Http404
    return row


# --- what is public -----------------------------------------------------------------------------


def public_stations() -> QuerySet[Station]:
    """Stations shown to everyone: the ones in service."""
    return Station.objects.filter(is_active=True)


def public_links() -> QuerySet[ServiceAtStation]:
    """Offers of an active service at an active station."""
    return ServiceAtStation.objects.filter(service__is_active=True, station__is_active=True)


def public_services() -> QuerySet[Service]:
    """Active services offered at one active station at least."""
    return Service.objects.filter(is_active=True).filter(
        Exists(public_links().filter(service_id=OuterRef("pk")))
    )


def public_organisations() -> QuerySet[Organisation]:
    """Providers of a public service; the district's other organisations are not published."""
    return Organisation.objects.filter(
        Exists(public_services().filter(organisation_id=OuterRef("pk")))
    )


# --- shapes -------------------------------------------------------------------------------------


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    """Drop empty optional fields: HSDS types them as strings with formats (uri, email), so an
    empty string or null would make the record invalid; absent is valid."""
    return {k: v for k, v in record.items() if v not in ("", None)}


@lru_cache(maxsize=1)
def _utc_offset() -> tuple[str, float]:
    """The installation's offset (Asia/Shanghai: "+08:00", 8.0); China has no daylight saving."""
    offset = timezone.localtime(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)).utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}", minutes / 60


def _time(value: dt.time | None) -> str | None:
    """HSDS wants HH:MM with the UTC offset (09:00+08:00)."""
    return None if value is None else f"{value:%H:%M}{_utc_offset()[0]}"


_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _weekly_schedules(
    district_code: str,
    station_pk: int,
    hours: Iterable[tuple[int, dt.time, dt.time]],
    *,
    kind: str,
    owner_pk: int,
    extra: dict[str, Any],
) -> list[dict[str, Any]]:
    """Group a station's weekly intervals by (opens, closes) into WEEKLY schedules with BYDAY."""
    groups: dict[tuple[dt.time, dt.time], list[int]] = defaultdict(list)
    for weekday, opens, closes in hours:
        groups[(opens, closes)].append(weekday)
    schedules = []
    for index, ((opens, closes), days) in enumerate(sorted(groups.items())):
        schedules.append(
            _compact(
                {
                    "id": hsds_id(district_code, kind, owner_pk * 16 + min(index, 15)),
                    **extra,
                    "freq": "WEEKLY",
                    "interval": 1,
                    "byday": ",".join(_WEEKDAY_CODES[d] for d in sorted(set(days))),
                    "opens_at": _time(opens),
                    "closes_at": _time(closes),
                    "timezone": _utc_offset()[1],
                }
            )
        )
    return schedules


def parse_rrule(text: str) -> dict[str, str]:
    """``FREQ=MONTHLY;BYDAY=1FR`` (optionally with ``RRULE:`` and a ``DTSTART`` line) as a dict."""
    parts: dict[str, str] = {}
    for line in text.replace("\\n", "\n").splitlines():
        line = line.strip()
        if line.upper().startswith("DTSTART"):
            parts["DTSTART"] = line.split(":", 1)[-1].split("=", 1)[-1]
            continue
        if line.upper().startswith("RRULE:"):
            line = line[6:]
        for item in line.split(";"):
            if "=" in item:
                key, value = item.split("=", 1)
                parts[key.strip().upper()] = value.strip().upper()
    return parts


def _rrule_date(value: str) -> str | None:
    try:
        return dt.datetime.strptime(value[:8], "%Y%m%d").date().isoformat()
    except ValueError:
        return None


def rrule_schedule(rrule: str) -> dict[str, Any]:
    """The HSDS schedule fields of an RRULE.

    HSDS 3.0 allows WEEKLY and MONTHLY only; a DAILY rule becomes WEEKLY on every day, and a rule
    it cannot express (YEARLY …) keeps its text in ``description`` so nothing is silently lost.
    """
    parts = parse_rrule(rrule)
    freq = parts.get("FREQ", "")
    fields: dict[str, Any] = {}
    if freq == "DAILY" and "BYDAY" not in parts:
        fields.update(freq="WEEKLY", byday=",".join(_WEEKDAY_CODES))
    elif freq in {"WEEKLY", "MONTHLY"}:
        fields["freq"] = freq
        if "BYDAY" in parts:
            fields["byday"] = parts["BYDAY"]
        if "BYMONTHDAY" in parts:
            fields["bymonthday"] = parts["BYMONTHDAY"]
        if "BYWEEKNO" in parts:
            fields["byweekno"] = parts["BYWEEKNO"]
    else:
        return {"description": rrule}
    if parts.get("INTERVAL", "").isdigit():
        fields["interval"] = int(parts["INTERVAL"])
    if parts.get("COUNT", "").isdigit():
        fields["count"] = int(parts["COUNT"])
    if "UNTIL" in parts:
        fields["until"] = _rrule_date(parts["UNTIL"])
    if "DTSTART" in parts:
        fields["dtstart"] = _rrule_date(parts["DTSTART"])
    if "WKST" in parts:
        fields["wkst"] = parts["WKST"]
    return fields


def _link_schedules(
    district_code: str,
    link: dict[str, Any],
    station_hours: list[tuple[int, dt.time, dt.time]],
    service_id: str,
    location_id: str,
    sal_id: str,
) -> list[dict[str, Any]]:
    """A service's schedule at a station: its RRULE, or the station's hours when it has none."""
    owner = {"service_id": service_id, "location_id": location_id, "service_at_location_id": sal_id}
    if not link["rrule"]:
        return _weekly_schedules(
            district_code,
            link["station_id"],
            station_hours,
            kind="sal_schedule",
            owner_pk=link["id"],
            extra={**owner, "description": link["schedule_note"]},
        )
    return [
        _compact(
            {
                "id": hsds_id(district_code, "sal_schedule", link["id"] * 16),
                **owner,
                **rrule_schedule(link["rrule"]),
                "opens_at": _time(link["opens"]),
                "closes_at": _time(link["closes"]),
                "timezone": _utc_offset()[1] if link["opens"] else None,
                "notes": link["schedule_note"],
            }
        )
    ]


# Columns read for each kind, and how a row becomes an HSDS object.

_ORG_FIELDS = ("id", "district__code", "name", "description", "email", "website", "phone", "kind")
_SERVICE_FIELDS = (
    "id",
    "district__code",
    "name",
    "description",
    "fee",
    "fee_description",
    "booking_required",
    "organisation_id",
    "organisation__name",
    "organisation__description",
    "organisation__email",
    "organisation__website",
)
_STATION_FIELDS = (
    "id",
    "district__code",
    "district__name",
    "code",
    "name",
    "description",
    "address",
    "lon",
    "lat",
    "phone",
    "subdistrict__name",
    "category_id",
    "category__code",
    "category__name_zh",
    "category__name_en",
)
_LINK_FIELDS = (
    "id",
    "district__code",
    "service_id",
    "station_id",
    "rrule",
    "opens",
    "closes",
    "schedule_note",
    *(f"service__{f}" for f in _SERVICE_FIELDS if f not in {"id", "district__code"}),
    *(f"station__{f}" for f in _STATION_FIELDS if f not in {"id", "district__code"}),
)


def _organization(row: dict[str, Any]) -> dict[str, Any]:
    return _compact(
        {
            "id": hsds_id(row["district__code"], "organization", row["id"]),
            "name": row["name"],
            "description": row["description"] or row["name"],
            "email": row["email"],
            "website": row["website"],
        }
    )


def _pk(row: dict[str, Any], prefix: str) -> int:
    """The row's own pk, or the foreign key when reading through ``service__`` / ``station__``."""
    return int(row[f"{prefix[:-2]}_id"] if prefix else row["id"])


def _service(row: dict[str, Any], *, prefix: str = "") -> dict[str, Any]:
    code = row["district__code"]
    org_pk = row[f"{prefix}organisation_id"]
    fee = row[f"{prefix}fee"]
    record = _compact(
        {
            "id": hsds_id(code, "service", _pk(row, prefix)),
            "organization_id": hsds_id(code, "organization", org_pk) if org_pk else None,
            "name": row[f"{prefix}name"],
            "description": row[f"{prefix}description"],
            "status": "active",
            "fees_description": row[f"{prefix}fee_description"] or _fee_label(fee),
            "application_process": (
                str(_("Booking is required.")) if row[f"{prefix}booking_required"] else None
            ),
        }
    )
    if org_pk:
        record["organization"] = _organization(
            {
                "id": org_pk,
                "district__code": code,
                "name": row[f"{prefix}organisation__name"],
                "description": row[f"{prefix}organisation__description"],
                "email": row[f"{prefix}organisation__email"],
                "website": row[f"{prefix}organisation__website"],
            }
        )
    return record


def _fee_label(fee: str) -> str:
    return str(Service.Fee(fee).label) if fee in Service.Fee.values else fee


def _location(row: dict[str, Any], *, prefix: str = "") -> dict[str, Any]:
    code = row["district__code"]
    pk = _pk(row, prefix)
    return _compact(
        {
            "id": hsds_id(code, "location", pk),
            "location_type": "physical",
            "name": row[f"{prefix}name"],
            "description": row[f"{prefix}description"],
            "latitude": row[f"{prefix}lat"],
            "longitude": row[f"{prefix}lon"],
            "external_identifier": row[f"{prefix}code"],
            "external_identifier_type": "linli_station_code",
        }
    )


def _change_schedules(
    code: str, location_id: str, changes: Iterable[OpeningException]
) -> list[dict[str, Any]]:
    """Closures and changed hours on single days (临时调整/闭馆), as one-day schedules: what the
    resident pages show, the API says too. A closure has no opening time; its description
    says closed."""
    schedules = []
    for change in changes:
        day = change.date.isoformat()
        if change.closed:
            text = _("Closed all day: %(note)s") if change.note else _("Closed all day")
        else:
            text = (
                _("Changed hours on this day: %(note)s")
                if change.note
                else _("Changed hours on this day")
            )
        schedules.append(
            _compact(
                {
                    "id": hsds_id(code, "location_change", change.pk),
                    "location_id": location_id,
                    "valid_from": day,
                    "valid_to": day,
                    "dtstart": day,
                    "until": day,
                    "opens_at": None if change.closed else _time(change.opens),
                    "closes_at": None if change.closed else _time(change.closes),
                    "timezone": _utc_offset()[1],
                    "description": text % {"note": change.note},
                }
            )
        )
    return schedules


def _location_children(
    row: dict[str, Any],
    hours: list[tuple[int, dt.time, dt.time]],
    *,
    prefix: str = "",
    changes: Iterable[OpeningException] = (),
) -> dict[str, Any]:
    """The one-to-many parts of a location: address, public phone, opening hours and the
    coming closures and changed hours."""
    code = row["district__code"]
    pk = _pk(row, prefix)
    location_id = hsds_id(code, "location", pk)
    phones = []
    if row[f"{prefix}phone"]:
        phones.append(
            {
                "id": hsds_id(code, "phone", pk),
                "location_id": location_id,
                "number": row[f"{prefix}phone"],
                "type": "voice",
            }
        )
    return {
        # state_province and postal_code are required strings in HSDS; a district has neither
        # on record, so they are present and empty.
        "addresses": [
            {
                "id": hsds_id(code, "address", pk),
                "location_id": location_id,
                "address_1": row[f"{prefix}address"] or row[f"{prefix}name"],
                "city": row[f"{prefix}district__name"],
                "region": row[f"{prefix}subdistrict__name"],
                "state_province": "",
                "postal_code": "",
                "country": "CN",
                "address_type": "physical",
            }
        ],
        "phones": phones,
        "schedules": _weekly_schedules(
            code,
            pk,
            hours,
            kind="location_schedule",
            owner_pk=pk,
            extra={"location_id": location_id},
        )
        + _change_schedules(code, location_id, changes),
        # The kind of place (幸福驿站, kindergarten …) as an HSDS attribute with a taxonomy term.
        "attributes": [
            {
                "id": hsds_id(code, "location_attribute", pk),
                "link_id": location_id,
                "link_entity": "location",
                "link_type": "facility_category",
                "taxonomy_term_id": hsds_id(
                    TAXONOMY_PREFIX, "taxonomy_term", row[f"{prefix}category_id"]
                ),
                "taxonomy_term": {
                    "id": hsds_id(TAXONOMY_PREFIX, "taxonomy_term", row[f"{prefix}category_id"]),
                    "code": row[f"{prefix}category__code"],
                    "name": row[f"{prefix}category__name_zh"],
                    "description": row[f"{prefix}category__name_en"],
                    "taxonomy": FACILITY_TAXONOMY,
                    "language": "zh",
                },
            }
        ],
    }


def _changes_of(station_pks: Iterable[int]) -> dict[int, list[OpeningException]]:
    """The stations' closures and changed hours from today on (past days are history)."""
    changes: dict[int, list[OpeningException]] = defaultdict(list)
    for change in OpeningException.objects.filter(
        station_id__in=list(station_pks), date__gte=timezone.localdate()
    ).order_by("date", "opens"):
        changes[change.station_id].append(change)
    return changes


def _hours_of(station_pks: Iterable[int]) -> dict[int, list[tuple[int, dt.time, dt.time]]]:
    hours: dict[int, list[tuple[int, dt.time, dt.time]]] = defaultdict(list)
    for station_id, weekday, opens, closes in OpeningHours.objects.filter(
        station_id__in=list(station_pks)
    ).values_list("station_id", "weekday", "opens", "closes"):
        hours[station_id].append((weekday, opens, closes))
    return hours


# --- paging -------------------------------------------------------------------------------------


class HsdsQuery(Schema):
    district: str | None = Field(None, description="Only this district (its code).")
    search: str | None = Field(None, max_length=100, description="Full text search.")
    page: PageNumber = Field(1, ge=1, description="Page number of paginated result.")
    per_page: int = Field(
        50, ge=1, le=MAX_PER_PAGE, description="Number of results requested in a single page."
    )


class HsdsPage(Schema):
    """The HSDS API's paginated envelope (components/schemas/Page, plus ``contents``)."""

    total_items: int
    total_pages: int
    page_number: int
    size: int = Field(description="The number of entities in the current page.")
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[dict[str, Any]]


def _filtered(
    qs: QuerySet[Any], query: HsdsQuery, *, district: str, search: tuple[str, ...]
) -> QuerySet[Any]:
    if query.district:
        qs = qs.filter(**{district: query.district})
    if query.search and query.search.strip():
        term = query.search.strip()
        condition = Q()
        for path in search:
            condition |= Q(**{f"{path}__icontains": term})
        qs = qs.filter(condition)
    return qs


def _page(
    qs: QuerySet[Any], query: HsdsQuery, fields: tuple[str, ...]
) -> tuple[int, list[dict[str, Any]]]:
    return page_of(qs, start=(query.page - 1) * query.per_page, size=query.per_page, fields=fields)


def _envelope(total: int, query: HsdsQuery, contents: list[dict[str, Any]]) -> HttpResponse:
    pages = max(1, math.ceil(total / query.per_page))
    return json_response(
        {
            "total_items": total,
            "total_pages": pages,
            "page_number": query.page,
            "size": len(contents),
            "first_page": query.page == 1,
            "last_page": query.page >= pages,
            "empty": not contents,
            "contents": contents,
        }
    )


_LIST = {200: HsdsPage, 422: ErrorOut}
_ONE = {200: dict[str, Any], 404: ErrorOut}


def _openapi(schema_file: str) -> dict[str, Any]:
    return {
        "externalDocs": {
            "description": "HSDS 3.0 schema of the returned objects",
            "url": HSDS_SCHEMA + schema_file,
        }
    }


# --- endpoints ----------------------------------------------------------------------------------


def _cached_list(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The public lists are the same for everyone: cached by query, language and data version."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return cached_list(
            request,
            lambda: view(request, *args, **kwargs),
            params=params_key(*args, *(kwargs[k] for k in sorted(kwargs))),
        )

    return wrapper


@router.get("/", summary="About this API and its relationship with HSDS")
def meta(request: HttpRequest) -> HttpResponse:
    return json_response(
        {
            "version": HSDS_VERSION,
            "profile": "https://docs.openreferral.org/en/latest/hsds/",
            "openapi_url": request.build_absolute_uri(reverse("api:openapi-json")),
            "description": "Linli 邻里: community stations (幸福驿站, 智慧小屋, 党群服务中心) "
            "and the services offered there.",
        }
    )


@router.get(
    "/organizations",
    response=_LIST,
    summary="Paginated list of organizations",
    openapi_extra=_openapi("organization_list.json"),
)
@_cached_list
def list_organizations(request: HttpRequest, query: Query[HsdsQuery]) -> HttpResponse:
    qs = _filtered(
        public_organisations(), query, district="district__code", search=("name", "description")
    )
    total, rows = _page(qs.order_by("district_id", "name"), query, _ORG_FIELDS)
    return _envelope(total, query, [_organization(r) for r in rows])


@router.get(
    "/organizations/{organization_id}",
    response=_ONE,
    summary="A fully nested organization",
    openapi_extra=_openapi("organization.json"),
)
def get_organization(request: HttpRequest, organization_id: str) -> HttpResponse:
    org = _get_by_hsds_id(public_organisations(), organization_id, "organization")
    row = {f: getattr(org, f) for f in ("id", "name", "description", "email", "website", "phone")}
    record = _organization({**row, "district__code": org.district.code})
    code = org.district.code
    record["phones"] = (
        [
            {
                "id": hsds_id(code, "organization_phone", org.pk),
                "organization_id": record["id"],
                "number": org.phone,
                "type": "voice",
            }
        ]
        if org.phone
        else []
    )
    # The 统一社会信用代码 (GB 32100-2015) is how Chinese registries know an organisation.
    record["organization_identifiers"] = (
        [
            {
                "id": hsds_id(code, "organization_identifier", org.pk),
                "organization_id": record["id"],
                "identifier_type": "统一社会信用代码 (Unified Social Credit Code, GB 32100-2015)",
                "identifier": org.credit_code,
            }
        ]
        if org.credit_code
        else []
    )
    services = public_services().filter(organisation_id=org.pk).order_by("name", "pk")
    record["services"] = [_service(r) for r in services.values(*_SERVICE_FIELDS)]
    return json_response(record)


@router.get(
    "/services",
    response=_LIST,
    summary="Paginated list of services",
    openapi_extra=_openapi("service_list.json"),
)
@_cached_list
def list_services(
    request: HttpRequest, query: Query[HsdsQuery], organization_id: str | None = None
) -> HttpResponse:
    qs = _filtered(
        public_services(),
        query,
        district="district__code",
        search=(
            "name",
            "description",
            "category__name_zh",
            "category__name_en",
            "category__keywords",
        ),
    )
    if organization_id is not None:
        parsed = parse_hsds_id(organization_id, "organization")
        qs = qs.filter(organisation_id=parsed[1] if parsed else 0)
    total, rows = _page(qs.order_by("district_id", "name", "pk"), query, _SERVICE_FIELDS)
    return _envelope(total, query, [_service(r) for r in rows])


@router.get(
    "/services/{service_id}",
    response=_ONE,
    summary="A fully nested service",
    openapi_extra=_openapi("service.json"),
)
def get_service(request: HttpRequest, service_id: str) -> HttpResponse:
    service = _get_by_hsds_id(public_services(), service_id, "service")
    row = Service.objects.filter(pk=service.pk).values(*_SERVICE_FIELDS).get()
    record = _service(row)
    links = list(
        public_links()
        .filter(service_id=service.pk)
        .order_by("station__code", "pk")
        .values(*_LINK_FIELDS)
    )
    hours = _hours_of(link["station_id"] for link in links)
    sals = [_service_at_location(link, hours, nested=True) for link in links]
    record["service_at_locations"] = sals
    record["schedules"] = [s for sal in sals for s in sal["schedules"]]
    return json_response(record)


@router.get(
    "/locations",
    response=_LIST,
    summary="Paginated list of locations (stations)",
    openapi_extra=_openapi("service_at_location_list.json"),
)
@_cached_list
def list_locations(
    request: HttpRequest, query: Query[HsdsQuery], kind: str | None = None
) -> HttpResponse:
    """``kind`` (a facility category code such as happiness_station) narrows the list: the
    directory also holds the standard facilities planners count (kindergartens, clinics …)."""
    qs = _filtered(
        public_stations(),
        query,
        district="district__code",
        search=("name", "address", "description"),
    )
    if kind:
        qs = qs.filter(category__code=kind)
    total, rows = _page(qs.order_by("district_id", "code"), query, _STATION_FIELDS)
    return _envelope(total, query, [_location(r) for r in rows])


@router.get(
    "/locations/{location_id}",
    response=_ONE,
    summary="A location with its address, public phone and opening hours",
)
def get_location(request: HttpRequest, location_id: str) -> HttpResponse:
    station = _get_by_hsds_id(public_stations(), location_id, "location")
    row = Station.objects.filter(pk=station.pk).values(*_STATION_FIELDS).get()
    record = _location(row) | _location_children(
        row, _hours_of([station.pk])[station.pk], changes=_changes_of([station.pk])[station.pk]
    )
    return json_response(record)


def _service_at_location(
    link: dict[str, Any], hours: dict[int, list[tuple[int, dt.time, dt.time]]], *, nested: bool
) -> dict[str, Any]:
    code = link["district__code"]
    sal_id = hsds_id(code, "service_at_location", link["id"])
    service = _service(link, prefix="service__") if nested else None
    location = _location(link, prefix="station__")
    record = _compact(
        {
            "id": sal_id,
            "service_id": hsds_id(code, "service", link["service_id"]),
            "location_id": location["id"],
            "description": link["schedule_note"],
        }
    )
    if nested:
        station_hours = hours.get(link["station_id"], [])
        changes = _changes_of([link["station_id"]])[link["station_id"]]
        location |= _location_children(link, station_hours, prefix="station__", changes=changes)
        record["schedules"] = _link_schedules(
            code, link, station_hours, record["service_id"], location["id"], sal_id
        )
        record["phones"] = [
            {**phone, "service_at_location_id": sal_id} for phone in location["phones"]
        ]
    record["location"] = location
    record["service"] = service or _service(link, prefix="service__")
    return record


_SAL_SEARCH = (
    "service__name",
    "service__description",
    "service__category__name_zh",
    "service__category__name_en",
    "service__category__keywords",
    "station__name",
    "station__address",
)


@router.get(
    "/service_at_locations",
    response=_LIST,
    summary="Paginated list of services at locations",
    openapi_extra=_openapi("service_at_location_list.json"),
)
@_cached_list
def list_service_at_locations(
    request: HttpRequest, query: Query[HsdsQuery], organization_id: str | None = None
) -> HttpResponse:
    qs = _filtered(public_links(), query, district="district__code", search=_SAL_SEARCH)
    if organization_id is not None:
        parsed = parse_hsds_id(organization_id, "organization")
        qs = qs.filter(service__organisation_id=parsed[1] if parsed else 0)
    total, rows = _page(qs.order_by("district_id", "station_id", "service_id"), query, _LINK_FIELDS)
    return _envelope(total, query, [_service_at_location(r, {}, nested=False) for r in rows])


@router.get(
    "/service_at_locations/{service_at_location_id}",
    response=_ONE,
    summary="A fully nested service at location",
    openapi_extra=_openapi("service_at_location.json"),
)
def get_service_at_location(request: HttpRequest, service_at_location_id: str) -> HttpResponse:
    link = _get_by_hsds_id(public_links(), service_at_location_id, "service_at_location")
    row = ServiceAtStation.objects.filter(pk=link.pk).values(*_LINK_FIELDS).get()
    return json_response(_service_at_location(row, _hours_of([link.station_id]), nested=True))


assert settings.USE_TZ  # _time() writes offsets; naive times would lie about the zone
