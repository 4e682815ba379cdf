"""Resident pages: the station map and search, and a station's page. Public, read-only.

Every page is built from linli.places.queries (the in-process directory of active stations, which
never holds the keeper's personal contact) and rendered HTML is cached per data version and per
everything else the page depends on (language, elderly mode, the URL, the opening states shown),
so a repeated view costs one version query and a dictionary lookup. The per-visitor parts — the
CSRF token of the two small forms in the header (elderly mode, language) and the account link
(sign in, or who is signed in) — are placeholders replaced on the way out.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from linli.places import network_layer as streets
from linli.places import page_parts, queries

CSRF_PLACEHOLDER = "linli-csrf-placeholder-5d1c9e"
ACCOUNT_PLACEHOLDER = "<!--linli-account-->"
MAX_QUERY_LENGTH = 50


def _cached_page(
    request: HttpRequest,
    key: tuple[Any, ...],
    build: Callable[[str], str],
    *,
    params: dict[str, str] | None = None,
    parts: Callable[[str], str] | None = None,
) -> HttpResponse:
    """Serve HTML cached under ``key`` (plus language, elderly mode and the page's address), with
    this visitor's CSRF token and the other apps' page parts (``linli.places.page_parts``) put in.

    The address is the path and the parameters the page reads (``params``, already parsed), not
    the URL as sent: ``?q=1``, ``?x=2``… would each add an entry. ``build`` receives that address
    for the header's forms, which send the visitor back to the page.
    """
    elderly = bool(getattr(request, "elderly", False))
    query = urlencode(sorted((k, v) for k, v in (params or {}).items() if v))
    address = f"{request.path}?{query}" if query else request.path
    full_key = (*key, get_language(), elderly, address)
    html = queries.html_cache.get(full_key)
    if html is None:
        html = build(address)
        queries.html_cache.set(full_key, html)
    if parts is not None:
        html = parts(html)
    html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    response = HttpResponse(html.replace(ACCOUNT_PLACEHOLDER, _account_link(request), 1))
    patch_vary_headers(response, ("Cookie", "HX-Request"))
    return response


def _account_link(request: HttpRequest) -> str:
    """The header's account link: sign in, the signed-in resident's own page, or the console."""
    user = request.user
    if not user.is_authenticated:
        url = f"{reverse('accounts:phone_login')}?{urlencode({'next': request.get_full_path()})}"
        return format_html('<a class="r-pref r-pref--account" href="{}">{}</a>', url, _("Log in"))
    if getattr(user, "is_staff_role", False):
        return format_html(
            '<a class="r-pref r-pref--account" href="{}">{}</a>',
            reverse("console:home"),
            _("Staff console"),
        )
    return format_html(
        '<a class="r-pref r-pref--account" href="{}"><span class="visually-hidden">{}</span>{}</a>',
        reverse("accounts:account"),
        _("Signed in as"),
        user.masked_label(),
    )


def _render(request: HttpRequest, template: str, context: dict[str, Any], address: str) -> str:
    return render_to_string(
        template,
        {**context, "csrf_token": CSRF_PLACEHOLDER, "next_url": address},
        request=request,
    )


def _network_url(directory: queries.Directory) -> str:
    """The street-network layer's URL (carrying the file's hash), or "" with a tile server."""
    if settings.LINLI_TILE_URL:
        return ""
    path = streets.network_path(directory.district.network_file)
    if path is None:
        return ""
    try:
        digest = streets.file_digest(path)
    except FileNotFoundError:
        return ""
    return reverse("resident:network", kwargs={"code": directory.district.code, "digest": digest})


def _map_config(directory: queries.Directory, network_url: str, **extra: Any) -> dict[str, Any]:
    """What the map script needs; rendered with json_script, which escapes "</script>"."""
    district = directory.district
    return {
        "tiles": settings.LINLI_TILE_URL,
        "attribution": settings.LINLI_TILE_ATTRIBUTION,
        "network": network_url,
        "centre": district.centre,
        "bounds": district.bounds,
        **extra,
    }


def _parse_query(
    params: QueryDict, directory: queries.Directory
) -> tuple[queries.SearchQuery, dict[str, Any]]:
    """Read the search form; unknown kinds and bad coordinates are ignored, never an error."""
    kind = params.get("kind", "")
    if kind not in {k.code for k in directory.kinds}:
        kind = ""
    near_requested = params.get("near") == "1"
    near = None
    try:
        lat, lon = float(params.get("lat", "")), float(params.get("lon", ""))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            near = (round(lat, 4), round(lon, 4))
    except ValueError:
        pass
    query = queries.SearchQuery(
        text=params.get("q", "").strip()[:MAX_QUERY_LENGTH],
        kind=kind,
        open_now=params.get("open") == "1",
        near=near if near_requested else None,
    )
    form = {
        "near_requested": near_requested,
        "location_missing": near_requested and near is None,
        "location_denied": params.get("geo") == "denied",
    }
    return query, form


def _canonical_params(query: queries.SearchQuery, form: dict[str, Any]) -> dict[str, str]:
    """The search as the page reads it, back as query parameters (empty ones are dropped)."""
    params = {
        "q": query.text,
        "kind": query.kind,
        "open": "1" if query.open_now else "",
        "near": "1" if form["near_requested"] else "",
        "geo": "denied" if form["location_denied"] else "",
    }
    if query.near is not None:
        params["lat"], params["lon"] = (f"{c:.4f}" for c in query.near)
    return params


def _home(request: HttpRequest, directory: queries.Directory | None) -> HttpResponse:
    if directory is None:
        return _cached_page(
            request,
            ("empty",),
            lambda address: _render(request, "places/resident/empty.html", {}, address),
        )
    query, form = _parse_query(request.GET, directory)
    now = queries.now_local()
    found = queries.search(directory, query, now=now)
    fragment = request.headers.get("HX-Request") == "true"
    network_url = "" if fragment else _network_url(directory)
    key = (
        "home",
        fragment,
        directory.district.id,
        directory.version,
        now.date(),
        found.signature,
        found.unknown_hidden,
        network_url,
    )

    def build(address: str) -> str:
        context = {
            "district": directory.district,
            "directory": directory,
            "query": query,
            "form": form,
            "found": found,
            "points": queries.map_points(found.results),
            "suggestions": () if found.results else queries.suggestions(directory, query),
        }
        if fragment:
            return _render(request, "places/resident/_results.html", context, address)
        context["map_config"] = _map_config(directory, network_url, mode="list")
        return _render(request, "places/resident/home.html", context, address)

    district_id = directory.district.id
    return _cached_page(
        request,
        key,
        build,
        params=_canonical_params(query, form),
        parts=None if fragment else lambda html: page_parts.fill_home(html, request, district_id),
    )


def _district_directory(code: str) -> queries.Directory | None:
    site = queries.current_site()
    district_id = queries.district_id_for_code(code, known_ids=site.versions)
    if district_id is None:
        return None
    return site.directory(district_id, today=queries.now_local().date())


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The map and search of the district's stations (the first district with stations)."""
    directory = queries.current_site().directory(None, today=queries.now_local().date())
    return _home(request, directory)


@require_GET
def district_home(request: HttpRequest, code: str) -> HttpResponse:
    """The same page for one district of a multi-district installation."""
    directory = _district_directory(code)
    if directory is None:
        raise Http404("No such district.")
    return _home(request, directory)


@require_GET
def station_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A station's page; inactive or unknown stations are 404."""
    now = queries.now_local()
    site = queries.current_site()
    for district_id in site.district_ids:
        directory = site.directory(district_id, today=now.date())
        if directory is not None and directory.station(pk) is not None:
            break
    else:
        raise Http404("No such station.")
    page = queries.station_page(directory, pk, today=now.date())
    assert page is not None
    status = queries.status_at(page.week[0], now.time())
    upcoming = queries.upcoming_sessions(page, now)
    network_url = _network_url(directory)
    key = (
        "station",
        directory.district.id,
        directory.version,
        pk,
        now.date(),
        status.state,
        status.next_open,
        tuple(s.start for s in upcoming),
        network_url,
    )
    station = page.station

    def build(address: str) -> str:
        context = {
            "district": directory.district,
            "page": page,
            "station": station,
            "status": status,
            "upcoming": upcoming,
            "map_config": _map_config(
                directory,
                network_url,
                mode="station",
                zoom=17,
                points=[
                    {
                        "id": station.id,
                        "n": station.name,
                        "k": station.kind.name,
                        "g": station.kind.group,
                        "lat": station.lat,
                        "lon": station.lon,
                        "o": status.state,
                    }
                ],
            ),
        }
        return _render(request, "places/resident/station.html", context, address)

    return _cached_page(
        request, key, build, parts=lambda html: page_parts.fill_station(html, request, pk)
    )


@require_GET
def network_layer(request: HttpRequest, code: str, digest: str) -> HttpResponse | FileResponse:
    """The district's street network as GeoJSON, cacheable for a year (the URL has the hash)."""
    directory = _district_directory(code)
    path = streets.network_path(directory.district.network_file) if directory else None
    if directory is None or path is None:
        raise Http404("No street network for this district.")
    current = streets.file_digest(path)
    if digest != current:
        return HttpResponseRedirect(
            reverse("resident:network", kwargs={"code": code, "digest": current})
        )
    layer = streets.layer_file(path)
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    if gzip_ok:
        response: HttpResponse | FileResponse = FileResponse(
            layer.open("rb"), content_type="application/geo+json"
        )
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(
            gzip.decompress(layer.read_bytes()), content_type="application/geo+json"
        )
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    patch_vary_headers(response, ("Accept-Encoding",))
    return response
