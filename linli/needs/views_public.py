"""三公开 — the public service market: service items, the service process, evaluations.

Public, read-only, no login. Nothing here reads a personal field: service items come from
places (organisation, station, schedule, fee, credit code), the process from
``queries.public_timeline`` (staff's public summaries), evaluations from ratings whose comment
staff published. ``linli/needs/tests/test_public.py`` searches all of it for the sample
residents' names, phones and addresses.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from linli.needs import queries
from linli.needs.models import Need, Rating
from linli.needs.views_resident import district_for
from linli.places.models import ServiceAtStation, Station
from linli.places.rrule_words import schedule_in_words


def _year_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The last twelve months: scorecards show what is recent."""
    return now - dt.timedelta(days=365), now + dt.timedelta(seconds=1)


def _service_items(district_id: int, *, station_id: int | None = None) -> list[dict[str, Any]]:
    """Service items per provider: what, where, when, fee, qualification."""
    links = ServiceAtStation.objects.filter(
        district_id=district_id, station__is_active=True, service__is_active=True
    ).select_related("service__organisation", "service__category", "station")
    if station_id is not None:
        links = links.filter(station_id=station_id)
    language = get_language() or "zh-hans"
    providers: dict[Any, dict[str, Any]] = {}
    for link in links.order_by("service__organisation__name", "service__name", "station__name"):
        org = link.service.organisation
        entry = providers.setdefault(
            org.pk if org else None,
            {"organisation": org, "items": []},
        )
        entry["items"].append(
            {
                "service": link.service,
                "station": link.station,
                "when": schedule_in_words(
                    link.rrule, opens=link.opens, closes=link.closes, language=language
                )
                or link.schedule_note,
            }
        )
    return list(providers.values())


def service_market(request: HttpRequest) -> HttpResponse:
    """The service items of every provider at the district's stations."""
    district = district_for(request)
    if district is None:
        raise Http404("No district.")
    return render(
        request,
        "needs/public/services.html",
        {"district": district, "providers": _service_items(district.pk)},
    )


def evaluations(request: HttpRequest) -> HttpResponse:
    """Ratings with published comments, and the scorecard of every provider."""
    district = district_for(request)
    if district is None:
        raise Http404("No district.")
    now = timezone.now()
    start, end = _year_window(now)
    district_needs = Need.objects.filter(district=district)
    comments = (
        Rating.objects.filter(
            need__district=district, comment_moderation=Rating.Moderation.APPROVED
        )
        .exclude(comment="")
        .select_related("need__community")
        .order_by("-at")[:30]
    )
    return render(
        request,
        "needs/public/evaluations.html",
        {
            "district": district,
            "comments": comments,
            "providers": queries.rates(district_needs, by="unit", start=start, end=end, now=now),
            "communities": queries.rates(
                district_needs, by="community", start=start, end=end, now=now
            ),
        },
    )


def station_page(request: HttpRequest, pk: int) -> HttpResponse:
    """What the QR code at a station opens: its services, its community's needs, its scores."""
    district = district_for(request)
    station = (
        Station.objects.filter(pk=pk, district=district, is_active=True)
        .select_related("community", "subdistrict")
        .first()
    )
    if station is None or district is None:
        raise Http404("No such station.")
    now = timezone.now()
    start, end = _year_window(now)
    scorecard = None
    rows: list[dict[str, Any]] = []
    if station.community_id is not None:
        community_needs = Need.objects.filter(community_id=station.community_id)
        found = queries.rates(community_needs, by="community", start=start, end=end, now=now)
        scorecard = found[0] if found else None
        rows = [
            queries.public_row(r)
            for r in queries.public_timeline(district.pk, community_id=station.community_id).values(
                *queries.PUBLIC_FIELDS
            )[:20]
        ]
    return render(
        request,
        "needs/public/station.html",
        {
            "district": district,
            "station": station,
            "providers": _service_items(district.pk, station_id=station.pk),
            "scorecard": scorecard,
            "rows": rows,
            "qr_url": reverse("needs:station_qr", args=[station.pk]),
        },
    )


def station_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """An SVG QR code that opens the station's public page (print it for the station's wall)."""
    district = district_for(request)
    if not Station.objects.filter(pk=pk, district=district, is_active=True).exists():
        raise Http404("No such station.")
    url = request.build_absolute_uri(reverse("needs:station_public", args=[pk]))
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    out = io.BytesIO()
    image.save(out)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
