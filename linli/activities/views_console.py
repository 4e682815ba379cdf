"""Console pages of activities: the list, the form, a session's sign-ups, the door code, the
keeper's list, and the counts. Thin: authorise through ``linli.activities.permissions`` →
validate → one service or query call → respond. Refusals render inside the console (404 for
anything outside the scope, 403 for a record one may see but not change).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from linli.accounts.services import qr_svg
from linli.activities import permissions, queries, schedule, services
from linli.activities.forms import ActivityForm, CountForm, OnBehalfForm
from linli.activities.models import Activity, Category
from linli.core.exceptions import LinliError
from linli.core.masking import mask_phone
from linli.places.views.console import staff_required

PAGE_SIZE = 20


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, {"console_nav": "activities", **context})


def _form_error(form: Any, err: LinliError) -> None:
    name = str(err.details.get("field", ""))
    form.add_error(name if name in form.fields else None, str(err.message))


def _session(activity: Activity, key: str | None) -> schedule.Occurrence:
    """The session named in the URL, else the one on now or next, else the last one."""
    if key:
        occ = schedule.occurrence_at(activity, key)
        if occ is None:
            raise Http404("No such session.")
        return occ
    now = timezone.now()
    found = schedule.next_occurrence(activity, now=now)
    if found is not None:
        return found
    past = list(
        schedule.occurrences(
            activity, after=activity.starts_at, until=now, limit=schedule.MAX_OCCURRENCES
        )
    )
    if past:
        return past[-1]
    return schedule.Occurrence(activity, activity.starts_at, activity.ends_at)


@staff_required
def activity_list(request: HttpRequest) -> HttpResponse:
    """The activities of the user's scope, soonest first, with the past ones after."""
    rows = permissions.activities_for_user(request.user).select_related("station", "community")
    q = request.GET.get("q", "").strip()[:50]
    category = request.GET.get("category", "")
    if q:
        rows = rows.filter(title__icontains=q)
    if category in Category.values:
        rows = rows.filter(category=category)
    if request.GET.get("when") == "past":
        rows = rows.filter(ends_at__lt=timezone.now(), rrule="").order_by("-starts_at")
    else:
        rows = rows.exclude(ends_at__lt=timezone.now(), rrule="").order_by("starts_at")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    items = [(a, schedule.next_occurrence(a, now=now)) for a in page.object_list]
    return _render(
        request,
        "activities/console/list.html",
        {
            "page_title": _("Activities"),
            "page": page,
            "items": items,
            "q": q,
            "category": category,
            "categories": Category.choices,
            "when": request.GET.get("when", ""),
            "is_editor": permissions.is_editor(request.user),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    if not permissions.is_editor(request.user):
        raise PermissionDenied
    form = ActivityForm(
        request.POST or None,
        user=request.user,
        initial={"signup_required": True, "capacity": 0},
    )
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.create_activity(
                actor=request.user, data=form.to_input(), request=request
            )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(
                request, _("Activity “%(title)s” created.") % {"title": activity.title}
            )
            return redirect("activities_console:detail", pk=activity.pk)
    return _render(
        request, "activities/console/form.html", {"page_title": _("New activity"), "form": form}
    )


@staff_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = permissions.get_activity_for_user(request.user, pk, for_change=True)
    form = ActivityForm(
        request.POST or None, user=request.user, initial=ActivityForm.initial_for(activity)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_activity(
                actor=request.user, activity=activity, data=form.to_input(), request=request
            )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("activities_console:detail", pk=activity.pk)
    return _render(
        request,
        "activities/console/form.html",
        {"page_title": _("Edit activity"), "form": form, "activity": activity},
    )


@staff_required
@require_POST
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    activity = permissions.get_activity_for_user(request.user, pk, for_change=True)
    cancelled = request.POST.get("cancelled") == "1"
    services.set_cancelled(
        actor=request.user, activity=activity, cancelled=cancelled, request=request
    )
    messages.success(
        request, _("The activity is cancelled.") if cancelled else _("The activity is on again.")
    )
    return redirect("activities_console:detail", pk=activity.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One activity: its sessions, and for the chosen session its places and sign-ups."""
    activity = permissions.get_activity_for_user(request.user, pk)
    occ = _session(activity, request.GET.get("s") or request.POST.get("s"))
    form = OnBehalfForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signup = services.register_on_behalf(
                actor=request.user,
                activity_id=activity.pk,
                occurrence=occ.start,
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                request=request,
            )
        except LinliError as err:
            _form_error(form, err)
        else:
            if signup.status == signup.Status.WAITING:
                messages.warning(
                    request,
                    _("%(name)s is on the waiting list: the session is full.")
                    % {"name": signup.name},
                )
            else:
                messages.success(request, _("%(name)s is signed up.") % {"name": signup.name})
            return redirect(
                f"{reverse('activities_console:detail', args=[activity.pk])}?s={occ.key}"
            )
    now = timezone.now()
    sessions = list(
        schedule.occurrences(
            activity,
            after=now - dt.timedelta(days=30),
            until=now + dt.timedelta(days=120),
            limit=12,
        )
    )
    full_phones = permissions.sees_personal_data(request.user, activity)
    roll = queries.session_roll(activity, occ.start)
    for row in roll:
        phone = row["signup"].phone
        row["phone"] = phone if full_phones else mask_phone(phone)
    return _render(
        request,
        "activities/console/detail.html",
        {
            "page_title": activity.title,
            "activity": activity,
            "occ": occ,
            "sessions": sessions,
            "places": queries.places(activity, occ.start),
            "roll": roll,
            "form": form,
            "in_words": schedule.in_words(activity, language=request.LANGUAGE_CODE),
            "is_editor": permissions.is_editor(request.user),
            "figure": queries.figure(
                permissions.checkins_for_user(request.user).filter(activity=activity)
            ),
        },
    )


@staff_required
@require_POST
def signup_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        signup = services.cancel_signup(actor=request.user, signup_id=pk, request=request)
    except LinliError as err:
        if err.code == "forbidden":
            raise PermissionDenied from err
        messages.error(request, str(err.message))
        return redirect("activities_console:list")
    messages.success(request, _("The sign-up of %(name)s is cancelled.") % {"name": signup.name})
    key = timezone.localtime(signup.occurrence).strftime("%Y%m%d%H%M")
    return redirect(f"{reverse('activities_console:detail', args=[signup.activity_id])}?s={key}")


@staff_required
def door(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """The QR at the door: a signed code for this session, renewed while the page is open."""
    activity = permissions.get_activity_for_user(request.user, pk)
    if not permissions.may_take_attendance(request.user, activity):
        raise PermissionDenied
    occ = _session(activity, key)
    code = services.door_code(activity, occ.start)
    url = request.build_absolute_uri(reverse("activities:checkin", args=[code]))
    context = {
        "page_title": activity.title,
        "activity": activity,
        "occ": occ,
        "qr": qr_svg(url, label=_("Scan to check in")),
        "url": url,
        "refresh_seconds": services.DOOR_CODE_SECONDS // 3,
    }
    if request.headers.get("HX-Request"):
        return render(request, "activities/console/_door_code.html", context)
    return _render(request, "activities/console/door.html", context)


@staff_required
def roll(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """The keeper's list: tick names in; ticks wait on the device while the network is down."""
    activity = permissions.get_activity_for_user(request.user, pk)
    if not permissions.may_take_attendance(request.user, activity):
        raise PermissionDenied
    occ = _session(activity, key)
    rows = [
        {
            "signup": r["signup"].pk,
            "name": r["signup"].name,
            "phone": mask_phone(r["signup"].phone),
            "waiting": r["waiting"],
            "checked": r["checkin"] is not None,
            "checkin": r["checkin"].pk if r["checkin"] else None,
            "out": bool(r["checkin"] and r["checkin"].checked_out_at),
        }
        for r in queries.session_roll(activity, occ.start)
    ]
    return _render(
        request,
        "activities/console/roll.html",
        {
            "page_title": activity.title,
            "activity": activity,
            "occ": occ,
            "roll_config": {
                "rows": rows,
                "sync_url": reverse("activities_console:ticks"),
                "checkout_url": reverse("activities_console:checkout", args=[0]),
                "storage_key": f"linli-ticks-{activity.pk}-{occ.key}",
                "csrf": get_token(request),
            },
        },
    )


@staff_required
@require_POST
def ticks(request: HttpRequest) -> JsonResponse:
    """Receive queued ticks from the keeper's list; each is answered, none counted twice."""
    try:
        payload = json.loads(request.body or b"{}")
        items = payload["ticks"]
        if not isinstance(items, list) or len(items) > 500:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {"code": "invalid", "message": _("The list of ticks could not be read.")}, status=400
        )
    results: list[dict[str, Any]] = []
    for item in items:
        try:
            tick_id = uuid.UUID(str(item.get("id")))
            signup_id = int(item.get("signup"))
        except (ValueError, TypeError, AttributeError):
            results.append(
                {
                    "id": str(item.get("id", "")) if isinstance(item, dict) else "",
                    "status": "invalid",
                }
            )
            continue
        at = parse_datetime(str(item.get("at", ""))) if item.get("at") else None
        if at is not None and timezone.is_naive(at):
            at = None
        try:
            result = services.tick(
                actor=request.user, tick_id=tick_id, signup_id=signup_id, at=at, request=request
            )
        except (Http404, PermissionDenied):
            results.append({"id": str(tick_id), "status": "refused"})
        except LinliError as err:
            results.append({"id": str(tick_id), "status": "refused", "message": str(err.message)})
        else:
            results.append(
                {"id": str(tick_id), "status": result.status, "checkin": result.checkin_id}
            )
    return JsonResponse({"results": results})


@staff_required
@require_POST
def checkout(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        checkin = services.check_out(actor=request.user, checkin_id=pk, request=request)
    except LinliError as err:
        messages.error(request, str(err.message))
        return redirect("activities_console:list")
    messages.success(request, _("%(name)s has checked out.") % {"name": checkin.name})
    key = timezone.localtime(checkin.occurrence).strftime("%Y%m%d%H%M")
    return redirect(reverse("activities_console:roll", args=[checkin.activity_id, key]))


def _count_filter(form: CountForm) -> queries.CountFilter:
    data = form.cleaned_data if form.is_valid() else {}
    return queries.CountFilter(
        year=data.get("year"),
        month=data.get("month") if data.get("year") else None,
        category=data.get("category") or "",
        activity=data.get("activity"),
        station=data.get("station"),
        community=data.get("community"),
        subdistrict=data.get("subdistrict"),
    )


@staff_required
def counts(request: HttpRequest) -> HttpResponse:
    """Persons and person-times of the scope, grouped; each figure opens its people."""
    form = CountForm(request.GET or None)
    by = (form.cleaned_data.get("by") if form.is_valid() else "") or "month"
    flt = _count_filter(form)
    rows = queries.counts_by(request.user, by, flt)
    links = []
    for row in rows:
        extra: dict[str, Any] = {}
        if by == "month":
            extra = {"year": row.key[0], "month": row.key[1]}
        elif by == "year":
            extra = {"year": row.key}
        else:
            extra = {by: row.key}
        links.append((row, queries.CountFilter(**{**flt.as_params(), **extra}).as_params()))
    total = queries.figure(flt.apply(permissions.checkins_for_user(request.user)))
    return _render(
        request,
        "activities/console/counts.html",
        {
            "page_title": _("Attendance"),
            "console_nav": "attendance",
            "form": form,
            "by": by,
            "links": links,
            "total": total,
            "filter_params": flt.as_params(),
        },
    )


@staff_required
def people(request: HttpRequest) -> HttpResponse:
    """The check-ins behind a figure (names; phones masked but for editors)."""
    form = CountForm(request.GET or None)
    flt = _count_filter(form)
    rows = queries.people(request.user, flt)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    full = permissions.is_editor(request.user)
    return _render(
        request,
        "activities/console/people.html",
        {
            "page_title": _("Who attended"),
            "console_nav": "attendance",
            "page": page,
            "rows": [(c, c.phone if full else mask_phone(c.phone)) for c in page.object_list],
            "total": queries.figure(rows),
            "filter_params": flt.as_params(),
        },
    )
