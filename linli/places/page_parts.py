"""Parts of the resident pages that higher layers contribute (places may not import them).

The station page and the home page are cached whole (``linli.places.views_resident``); what
another app adds — the activities coming up at a station, what is on this week — changes on its
own clock, so it is rendered per request and put in where the cached page holds a marker.
An app registers a provider from its ``apps.ready()``; a provider returns a ``PagePart``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

HEAD_MARKER = "<!--linli-page-parts-head-->"
BODY_MARKER = "<!--linli-page-parts-body-->"


@dataclass(frozen=True)
class PagePart:
    """HTML for the page's <head> (links) and for its body; both already escaped."""

    head: str = ""
    body: str = ""


# A provider gets the request and the station's (or the district's) id.
Provider = Callable[[HttpRequest, int], PagePart]

_station: list[Provider] = []
_home: list[Provider] = []


def register_station_part(provider: Provider) -> None:
    """Add a part to every station page (once per provider)."""
    if provider not in _station:
        _station.append(provider)


def register_home_part(provider: Provider) -> None:
    """Add a part to the resident home page (once per provider)."""
    if provider not in _home:
        _home.append(provider)


def _fill(html: str, request: HttpRequest, target: int, providers: list[Provider]) -> str:
    if HEAD_MARKER not in html and BODY_MARKER not in html:
        return html
    parts = [provider(request, target) for provider in providers]
    html = html.replace(HEAD_MARKER, "".join(p.head for p in parts), 1)
    return html.replace(BODY_MARKER, "".join(p.body for p in parts), 1)


def fill_station(html: str, request: HttpRequest, station_id: int) -> str:
    """The cached station page with the registered parts put in."""
    return _fill(html, request, station_id, _station)


def fill_home(html: str, request: HttpRequest, district_id: int) -> str:
    """The cached home page with the registered parts put in."""
    return _fill(html, request, district_id, _home)
