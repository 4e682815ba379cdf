"""Resident pages of activities: what is on, an activity and its sessions, signing up, "my
activities", checking in by the door's QR, a community's page, and the calendar feeds.

Public pages show published activities to everyone; signing up and checking in need a phone
login (anonymous visitors are sent to it and come back). Thin views: one service or query call.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.accounts.models import User
from linli.activities import feeds, permissions, queries, schedule, services
from linli.activities.exceptions import DoorCodeRefused
from linli.activities.models import SignUp
from linli.core.exceptions import LinliError
from linli.places.models import Community, District, Station

PHONE_LOGIN = "accounts:phone_login"


def _login(request: HttpRequest) -> HttpResponse:
    return redirect_to_login(request.get_full_path(), login_url=reverse(PHONE_LOGIN))


def _district(request: HttpRequest) -> District | None:
    user = request.user
    district_id = getattr(user, "district_id", None) if user.is_authenticated else None
    if district_id is not None:
        return District.objects.filter(pk=district_id).first()
    return District.objects.order_by("pk").first()


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """What is on in the coming four weeks, in the district."""
    district = _district(request)
    at = queries.now()
    occurrences: list[schedule.Occurrence] = []
    if district is not None:
        window = (
            permissions.public_activities()
            .filter(district=district, starts_at__lt=at + dt.timedelta(days=28))
            .select_related("station", "community")
        )
        occurrences = queries.upcoming(window, after=at, days=28, limit=40)
    return render(
        request,
        "activities/resident/index.html",
        {"district": district, "occurrences": occurrences},
    )


@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An activity with its next sessions; a logged-in resident signs up for one."""
    activity = permissions.get_public_activity(pk)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return _login(request)
        occ = schedule.occurrence_at(activity, request.POST.get("s", ""))
        if occ is None:
            messages.error(request, _("This activity has no session at that time."))
            return redirect("activities:detail", pk=activity.pk)
        try:
            signup = services.sign_up(
                actor=request.user, activity_id=activity.pk, occurrence=occ.start, request=request
            )
        except LinliError as err:
            messages.error(request, str(err.message))
        else:
            if signup.status == signup.Status.WAITING:
                messages.warning(
                    request,
                    _(
                        "The session is full, so you are on the waiting list. "
                        "We will text you if a place comes free."
                    ),
                )
            else:
                messages.success(request, _("You are signed up. See you there!"))
            return redirect("activities:mine")
        return redirect("activities:detail", pk=activity.pk)
    at = queries.now()
    sessions = list(
        schedule.occurrences(activity, after=at, until=at + dt.timedelta(days=90), limit=6)
    )
    mine: dict[dt.datetime, Any] = {}
    if request.user.is_authenticated:
        for s in (
            permissions.signups_for_user(request.user)
            .exclude(status=SignUp.Status.CANCELLED)
            .filter(activity=activity, user=request.user)
        ):
            mine[s.occurrence] = s
    rows = [
        {"occ": o, "places": queries.places(activity, o.start), "mine": mine.get(o.start)}
        for o in sessions
    ]
    return render(
        request,
        "activities/resident/detail.html",
        {
            "district": activity.district,
            "activity": activity,
            "rows": rows,
            "in_words": schedule.in_words(activity, language=request.LANGUAGE_CODE),
            "partners": list(activity.partners.all()),
        },
    )


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """A person's sign-ups, with cancel buttons and their own calendar feed."""
    if not request.user.is_authenticated:
        return _login(request)
    return render(
        request,
        "activities/resident/mine.html",
        {
            "district": _district(request),
            "signups": queries.my_signups(request.user, at=queries.now()),
            "feed_url": request.build_absolute_uri(
                reverse("activities:person_feed", args=[feeds.person_feed_token(request.user)])
            ),
        },
    )


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    try:
        services.cancel_signup(actor=request.user, signup_id=pk, request=request)
    except LinliError as err:
        messages.error(request, str(err.message))
    else:
        messages.success(request, _("Your sign-up is cancelled."))
    return redirect("activities:mine")


@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, code: str) -> HttpResponse:
    """The page the door's QR opens: confirm, and you are checked in."""
    if not request.user.is_authenticated:
        return _login(request)
    error = ""
    activity = occ = None
    try:
        activity, occ = services.read_door_code(code)
    except DoorCodeRefused as err:
        error = str(err.message)
    done = None
    if request.method == "POST" and not error:
        try:
            done = services.check_in_by_code(actor=request.user, code=code, request=request)
        except LinliError as err:
            error = str(err.message)
    return render(
        request,
        "activities/resident/checkin.html",
        {
            "district": _district(request),
            "activity": activity,
            "occ": occ,
            "error": error,
            "done": done,
        },
        status=400 if error else 200,
    )


@require_GET
def community(request: HttpRequest, pk: int) -> HttpResponse:
    """A community's page: what is coming up there and its attendance this year."""
    found = Community.objects.select_related("subdistrict", "district").filter(pk=pk).first()
    if found is None:
        raise Http404("No such community.")
    at = queries.now()
    year = timezone.localtime(at).year
    return render(
        request,
        "activities/resident/community.html",
        {
            "district": found.district,
            "community": found,
            "occurrences": queries.community_upcoming(found.pk, at=at),
            "figure": queries.public_figure(community_id=found.pk, year=year),
            "year": year,
            "feed_url": reverse("activities:community_feed", args=[found.pk]),
        },
    )


def _ics(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    response["Cache-Control"] = "max-age=300"
    return response


@require_GET
def station_feed(request: HttpRequest, pk: int) -> HttpResponse:
    station = Station.objects.filter(pk=pk, is_active=True).first()
    if station is None:
        raise Http404("No such station.")
    rows = feeds.feed_activities(
        permissions.public_activities().filter(station=station), at=queries.now()
    )
    return _ics(
        feeds.activities_calendar(station.name, rows, host=request.get_host()), f"station-{pk}"
    )


@require_GET
def community_feed(request: HttpRequest, pk: int) -> HttpResponse:
    found = Community.objects.filter(pk=pk).first()
    if found is None:
        raise Http404("No such community.")
    rows = feeds.feed_activities(
        permissions.public_activities().filter(community=found), at=queries.now()
    )
    return _ics(
        feeds.activities_calendar(found.name, rows, host=request.get_host()), f"community-{pk}"
    )


@require_GET
def person_feed(request: HttpRequest, token: str) -> HttpResponse:
    user_id = feeds.read_person_feed_token(token)
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        raise Http404("No such feed.")
    signups = (
        permissions.signups_for_user(user)
        .exclude(status=SignUp.Status.CANCELLED)
        .filter(user=user, occurrence__gte=queries.now() - dt.timedelta(days=90))
        .select_related("activity", "activity__station")
    )
    return _ics(feeds.person_calendar(_("My activities"), signups, host=request.get_host()), "mine")
