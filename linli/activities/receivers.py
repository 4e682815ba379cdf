"""How the activities app joins other apps' pages: the parts of the resident station and home
pages (``linli.places.page_parts``), connected from ``ActivitiesConfig.ready``."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from linli.activities import queries
from linli.places import page_parts


def station_part(request: HttpRequest, station_id: int) -> page_parts.PagePart:
    """The station page's "activities coming up" panel and its calendar feed link."""
    at = queries.now()
    feed = reverse("activities:station_feed", args=[station_id])
    body = render_to_string(
        "activities/resident/_station_part.html",
        {
            "occurrences": queries.station_upcoming(station_id, at=at),
            "figure": queries.public_figure(station_id=station_id, year=timezone.localtime(at).year),
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
    body = render_to_string(
        "activities/resident/_week_part.html",
        {"occurrences": queries.this_week(district_id, at=queries.now())},
        request=request,
    )
    return page_parts.PagePart(body=body)


def connect() -> None:
    page_parts.register_station_part(station_part)
    page_parts.register_home_part(home_part)
