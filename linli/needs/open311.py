"""Open311 GeoReport v2 at ``/open311/v2/`` (http://wiki.open311.org/GeoReport_v2/), JSON and XML.

- ``services.{fmt}``: the categories of needs as service types;
- ``services/{code}.{fmt}``: a service definition with its attributes;
- ``requests.{fmt}`` GET: public requests, filtered by ``service_request_id``, ``service_code``,
  ``start_date``, ``end_date``, ``status`` (the spec's filters; by default the last 90 days);
  POST: a new request, with an ``api_key`` staff issued (services.issue_api_key), placed by
  ``lat``/``long``, ``address_string`` (naming a compound) or ``address_id`` (a compound's code);
- ``requests/{id}.{fmt}``, ``tokens/{token}.{fmt}``.

Errors are the spec's error list (``[{"code": 400, "description": …}]`` /
``<errors><error><code>…``) with the same HTTP status.

Public records carry no personal data: the description is the public summary staff wrote,
the address is the community (and the compound unless the resident asked for anonymity), the
position is rounded to about 100 m; ``media_url`` is a photo staff reviewed and published.
A request is public once staff accepted it; with its ``api_key`` a client also sees its own
requests before that, with the description it sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any
from xml.etree import ElementTree as ET

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from linli.core.exceptions import LinliError
from linli.needs import services
from linli.needs.models import (
    OPEN_STATUSES,
    ApiClient,
    Category,
    ContactPreference,
    Need,
    NeedPhoto,
    Scale,
)
from linli.places.models import Compound, District

MAX_RESULTS = 1000
DEFAULT_DAYS = 90
FORMATS = ("json", "xml")


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# ------------------------------------------------------------------------------------ output


def _xml(root: ET.Element) -> bytes:
    body = bytes(ET.tostring(root, encoding="utf-8")).split(b"?>", 1)[-1]
    return b'<?xml version="1.0" encoding="utf-8"?>' + body


def _add(parent: ET.Element, tag: str, value: Any) -> ET.Element:
    child = ET.SubElement(parent, tag)
    if isinstance(value, bool):
        child.text = "true" if value else "false"
    elif value is not None:
        child.text = str(value)
    return child


def _respond(
    fmt: str,
    data: list[dict[str, Any]] | dict[str, Any],
    *,
    root: str,
    item: str,
    status: int = 200,
) -> HttpResponse:
    if fmt == "json":
        return JsonResponse(
            data, safe=False, status=status, json_dumps_params={"ensure_ascii": False}
        )
    top = ET.Element(root)
    rows = data if isinstance(data, list) else [data]
    for row in rows:
        element = ET.SubElement(top, item) if item else top
        _fill(element, row)
    return HttpResponse(_xml(top), content_type="text/xml; charset=utf-8", status=status)


def _fill(element: ET.Element, row: dict[str, Any]) -> None:
    for key, value in row.items():
        if isinstance(value, list):
            holder = ET.SubElement(element, key)
            singular = {"attributes": "attribute", "values": "value", "keywords": "keyword"}[key]
            for entry in value:
                if isinstance(entry, dict):
                    _fill(ET.SubElement(holder, singular), entry)
                else:
                    _add(holder, singular, entry)
        else:
            _add(element, key, value)


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _respond(
        fmt if fmt in FORMATS else "xml",
        [{"code": status, "description": description}],
        root="errors",
        item="error",
        status=status,
    )


def _w3(value: dt.datetime | None) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat(timespec="seconds")


def open311_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every refusal as the spec's error list, in the requested format."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        if fmt not in FORMATS:
            return _error("xml", 404, f"Unknown format {fmt!r}: use json or xml.")
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as err:
            return _error(fmt, err.status, err.description)
        except LinliError as err:
            return _error(fmt, 403 if err.code == "invalid_api_key" else 400, str(err.message))

    return csrf_exempt(wrapper)


def _district(request: HttpRequest) -> District:
    code = (request.POST.get("jurisdiction_id") or request.GET.get("jurisdiction_id") or "").strip()
    if code:
        district = District.objects.filter(code=code).first()
        if district is None:
            raise Open311Error(404, f"jurisdiction_id {code!r} not found.")
        return district
    districts = list(District.objects.order_by("pk")[:2])
    if len(districts) != 1:
        raise Open311Error(400, "jurisdiction_id is required: this server serves several.")
    return districts[0]


def _client(request: HttpRequest, district: District) -> ApiClient | None:
    key = request.POST.get("api_key") or request.GET.get("api_key") or ""
    if not key:
        return None
    client = services.api_client_for_key(key)
    if client is None or client.district_id != district.pk:
        raise Open311Error(403, "api_key is not valid.")
    return client


# ------------------------------------------------------------------------------------ services

ATTRIBUTES = [
    {
        "variable": True,
        "code": "scale",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "",
        "order": 1,
        "description": "Who is affected",
        "values": [{"key": k, "name": str(v)} for k, v in Scale.choices],
    },
    {
        "variable": True,
        "code": "anonymous",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "",
        "order": 2,
        "description": "Hide the compound on public pages",
        "values": [{"key": "true", "name": "yes"}, {"key": "false", "name": "no"}],
    },
]


def _service(code: str, label: str) -> dict[str, Any]:
    return {
        "service_code": code,
        "service_name": label,
        "description": label,
        "metadata": True,
        "type": "realtime",
        "keywords": [],
        "group": "",
    }


@open311_view
def services_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    _district(request)
    rows = [_service(code, str(label)) for code, label in Category.choices]
    return _respond(fmt, rows, root="services", item="service")


@open311_view
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    _district(request)
    if code not in Category.values:
        raise Open311Error(404, f"service_code {code!r} not found.")
    data = {"service_code": code, "attributes": ATTRIBUTES}
    return _respond(fmt, data, root="service_definition", item="")


# ------------------------------------------------------------------------------------ requests


def _record(need: Need, *, own: bool, request: HttpRequest) -> dict[str, Any]:
    """A request as the public (or, ``own``, the client that posted it) may read it."""
    # The latest public note in the order the steps were taken (ids), whatever their clocks.
    steps = sorted(need.steps.all(), key=lambda s: s.pk)
    last_note = next((s.public_note for s in reversed(steps) if s.public_note), "")
    lat = lon = None
    if need.lat is not None and need.lon is not None:
        lat, lon = round(need.lat, 3), round(need.lon, 3)
    address = need.community.name
    if need.compound is not None and not need.anonymous:
        address = f"{need.community.name} {need.compound.name}"
    description = need.public_summary or (need.description if own else "")
    # The first photo staff reviewed and published (``_related`` prefetches only those).
    photos = getattr(need, "public_photos", [])
    media_url = request.build_absolute_uri(photos[0].image.url) if photos else ""
    return {
        "service_request_id": str(need.pk),
        "status": "open" if need.status in OPEN_STATUSES else "closed",
        "status_notes": last_note,
        "service_name": need.get_category_display(),
        "service_code": need.category,
        "description": description,
        "agency_responsible": (
            need.assigned_organisation.name if need.assigned_organisation else need.community.name
        ),
        "service_notice": "",
        "requested_datetime": _w3(need.submitted_at),
        "updated_datetime": _w3(need.updated_at),
        "expected_datetime": _w3(need.due_at),
        "address": address,
        "address_id": "",
        "zipcode": "",
        "lat": lat,
        "long": lon,
        "media_url": media_url,
    }


def _visible(district: District, client: ApiClient | None) -> QuerySet[Need]:
    public = Need.objects.public().filter(district=district)
    if client is None:
        return public
    return public | Need.objects.filter(district=district, api_client=client)


def _date(value: str, name: str) -> dt.datetime:
    parsed = parse_datetime(value.replace(" ", "+")) if value else None
    if parsed is None:
        raise Open311Error(400, f"{name} must be a w3 date-time such as 2026-05-01T00:00:00Z.")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _records(
    needs: Iterable[Need], client: ApiClient | None, request: HttpRequest
) -> list[dict[str, Any]]:
    return [
        _record(n, own=client is not None and n.api_client_id == client.pk, request=request)
        for n in needs
    ]


def _related(queryset: QuerySet[Need]) -> QuerySet[Need]:
    published = NeedPhoto.objects.filter(approved=True, reviewed_at__isnull=False).order_by("pk")
    return queryset.select_related(
        "community", "compound", "assigned_organisation"
    ).prefetch_related("steps", Prefetch("photos", queryset=published, to_attr="public_photos"))


def _place(data: Any, district: District) -> tuple[float | None, float | None, Compound | None]:
    """The spec's location: ``lat`` and ``long``, else ``address_string`` (a text naming one of
    the district's compounds), else ``address_id`` (a compound's code)."""
    lat, lon = data.get("lat", ""), data.get("long", "")
    if lat or lon:
        try:
            return float(lat), float(lon), None
        except ValueError:
            raise Open311Error(400, "lat and long must both be decimal degrees.") from None
    address = data.get("address_string", "").strip()[:200]
    if address:
        names = Compound.objects.filter(district=district).values_list("pk", "name")
        found = [(len(name), pk) for pk, name in names if name and name in address]
        if not found:
            raise Open311Error(
                400, f"address_string {address!r} names no compound of this jurisdiction."
            )
        return None, None, Compound.objects.get(pk=max(found)[1])
    address_id = data.get("address_id", "").strip()[:40]
    if address_id:
        compound = Compound.objects.filter(district=district, code=address_id).first()
        if compound is None:
            raise Open311Error(400, f"address_id {address_id!r} is not a compound's code.")
        return None, None, compound
    raise Open311Error(400, "A location is required: lat and long, address_string or address_id.")


@open311_view
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt=fmt)
    if request.method != "GET":
        raise Open311Error(405, "Use GET or POST.")
    district = _district(request)
    client = _client(request, district)
    needs = _visible(district, client)
    ids = _list(request.GET.get("service_request_id", ""))
    if ids:
        if not all(i.isdigit() and len(i) < 19 for i in ids):
            raise Open311Error(400, "service_request_id must be numbers separated by commas.")
        needs = needs.filter(pk__in=[int(i) for i in ids])
    else:
        codes = _list(request.GET.get("service_code", ""))
        unknown = [c for c in codes if c not in Category.values]
        if unknown:
            raise Open311Error(400, f"service_code {unknown[0]!r} not found.")
        if codes:
            needs = needs.filter(category__in=codes)
        statuses = _list(request.GET.get("status", ""))
        if any(s not in ("open", "closed") for s in statuses):
            raise Open311Error(400, "status must be open, closed or both.")
        if statuses == ["open"]:
            needs = needs.filter(status__in=OPEN_STATUSES)
        elif statuses == ["closed"]:
            needs = needs.exclude(status__in=OPEN_STATUSES)
        end = _date(request.GET["end_date"], "end_date") if request.GET.get("end_date") else None
        start = (
            _date(request.GET["start_date"], "start_date")
            if request.GET.get("start_date")
            else None
        )
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
        if start is not None:
            needs = needs.filter(submitted_at__gte=start)
        if end is not None:
            needs = needs.filter(submitted_at__lte=end)
    rows = _related(needs.order_by("-submitted_at", "-pk"))[:MAX_RESULTS]
    return _respond(fmt, _records(rows, client, request), root="service_requests", item="request")


def _post_request(request: HttpRequest, *, fmt: str) -> HttpResponse:
    district = _district(request)
    client = _client(request, district)
    if client is None:
        raise Open311Error(403, "api_key is required to post a request.")
    data = request.POST
    code = data.get("service_code", "")
    if code not in Category.values:
        raise Open311Error(400, f"service_code {code!r} not found.")
    lat, lon, compound = _place(data, district)
    scale = data.get("attribute[scale]", Scale.PERSONAL)
    if scale not in Scale.values:
        raise Open311Error(400, f"attribute[scale] {scale!r} is not one of its values.")
    name = " ".join(p for p in (data.get("last_name", ""), data.get("first_name", "")) if p)
    need = services.raise_need(
        actor=None,
        district=district,
        category=code,
        description=data.get("description", ""),
        compound=compound,
        lon=lon,
        lat=lat,
        scale=scale,
        anonymous=data.get("attribute[anonymous]", "") == "true",
        contact_preference=ContactPreference.PHONE if data.get("phone") else ContactPreference.NONE,
        contact_name=name[:50],
        contact_phone=data.get("phone", "")[:20],
        api_client=client,
        request=request,
    )
    row = {
        "service_request_id": str(need.pk),
        "token": need.open311_token,
        "service_notice": "",
        "account_id": "",
    }
    return _respond(fmt, [row], root="service_requests", item="request", status=201)


@open311_view
def request_detail(request: HttpRequest, pk: str, *, fmt: str) -> HttpResponse:
    district = _district(request)
    client = _client(request, district)
    need = _related(_visible(district, client)).filter(pk=int(pk)).first() if len(pk) < 19 else None
    if need is None:
        raise Open311Error(404, f"service_request_id {pk} not found.")
    return _respond(fmt, _records([need], client, request), root="service_requests", item="request")


@open311_view
def token_detail(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    district = _district(request)
    need = Need.objects.filter(district=district, open311_token=token).first()
    if need is None:
        raise Open311Error(404, f"token {token!r} not found.")
    row = {"service_request_id": str(need.pk), "token": token}
    return _respond(fmt, [row], root="service_requests", item="request")
