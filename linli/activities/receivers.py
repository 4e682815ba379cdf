"""How the activities app joins other apps' pages: the parts of the resident station and home
pages (``linli.places.page_parts``), connected from ``ActivitiesConfig.ready``.

The resident pages answer from memory in two queries (linli/places/tests/test_resident_views.py,
bench/web.py), so a part is kept in this process for ``LINLI_ACTIVITY_PARTS_SECONDS`` (60 s)
and dropped at once when this process changes an activity, a sign-up or a check-in; another
worker shows the change within that time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html

from linli.activities import queries, signals
from linli.places import page_parts

_parts: dict[tuple[Any, ...], tuple[float, page_parts.PagePart]] = {}
MAX_PARTS = 4000


def _cached(
    request: HttpRequest, key: tuple[Any, ...], build: Callable[[], page_parts.PagePart]
) -> page_parts.PagePart:
    full_key = (
        *key,
        translation.get_language(),
        bool(getattr(request, "elderly", False)),
        request.user.is_authenticated,
    )
    now = time.monotonic()
    hit = _parts.get(full_key)
    if hit is not None and hit[0] > now:
        return hit[1]
    part = build()
    if len(_parts) >= MAX_PARTS:
        _parts.clear()
    _parts[full_key] = (now + getattr(settings, "LINLI_ACTIVITY_PARTS_SECONDS", 60), part)
    return part


def clear_parts(**kwargs: Any) -> None:
    """Forget the cached parts (this process changed something they show)."""
    _parts.clear()


def station_part(request: HttpRequest, station_id: int) -> page_parts.PagePart:
    """The station page's "activities coming up" panel and its calendar feed link."""
    return _cached(request, ("station", station_id), lambda: _station_part(request, station_id))


def _station_part(request: HttpRequest, station_id: int) -> page_parts.PagePart:
    at = queries.now()
    feed = reverse("activities:station_feed", args=[station_id])
    body = render_to_string(
        "activities/resident/_station_part.html",
        {
            "occurrences": queries.station_upcoming(station_id, at=at),
            "figure": queries.public_figure(
                station_id=station_id, year=timezone.localtime(at).year
            ),
            "year": timezone.localtime(at).year,
            "feed_url": feed,
        },
        request=request,
    )
    head = format_html(
        '<link rel="alternate" type="text/calendar" href="{}" title="{}">',
        feed,
        "iCalendar",
    )
    return page_parts.PagePart(head=head, body=body)


def home_part(request: HttpRequest, district_id: int) -> page_parts.PagePart:
    """The home page's "on this week" strip."""
    return _cached(request, ("home", district_id), lambda: _home_part(request, district_id))


def _home_part(request: HttpRequest, district_id: int) -> page_parts.PagePart:
    body = render_to_string(
        "activities/resident/_week_part.html",
        {"occurrences": queries.this_week(district_id, at=queries.now())},
        request=request,
    )
    return page_parts.PagePart(body=body)


def connect() -> None:
    page_parts.register_station_part(station_part)
    page_parts.register_home_part(home_part)
    for signal in (
        signals.activity_changed,
        signals.signup_changed,
        signals.checked_in,
        signals.checked_out,
    ):
        signal.connect(clear_parts, dispatch_uid=f"activities.clear_parts.{id(signal)}")
