"""Console pages of the smart huts: the huts in your area, a hut's devices, a fault ticket.

Thin views: authorise through ``linli.kiosks.permissions`` → one service or query call →
respond. Refusals render in the console layout (``staff_required`` from places).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from linli.accounts.scopes import signed_in_user
from linli.core.exceptions import LinliError
from linli.kiosks import board, health, permissions, queries, services, stock
from linli.kiosks import followup as followup_services
from linli.kiosks.models import BoardPost, Fault
from linli.places.permissions import can_change_station
from linli.places.views.console._common import staff_required


@require_GET
@staff_required
def index(request: HttpRequest) -> HttpResponse:
    """The smart huts in the user's area with their devices' status and open faults."""
    return render(
        request,
        "kiosks/index.html",
        {
            "console_nav": "kiosks",
            "page_title": _("Smart huts"),
            "summaries": queries.hut_summaries(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def hut(request: HttpRequest, pk: int) -> HttpResponse:
    """A hut's sections and function areas, their status, its fault tickets, its stock and
    usage, and its e-newspaper boards' feed (the keeper publishes to it here: POST)."""
    station = permissions.get_hut_for_user(request.user, pk)
    can_publish = can_change_station(request.user, station)
    post_form: dict[str, str] = {"kind": "notice", "title": "", "body": ""}
    post_error: dict[str, str] = {}
    if request.method == "POST":
        if not can_publish:
            raise PermissionDenied
        post_form = {k: request.POST.get(k, "") for k in ("kind", "title", "body")}
        try:
            board.publish_post(
                actor=signed_in_user(request),
                hut=station,
                kind=post_form["kind"],
                title=post_form["title"],
                body=post_form["body"],
                request=request,
            )
        except LinliError as exc:
            post_error = {str(exc.details.get("field", "body")): str(exc.message)}
        else:
            messages.success(request, _("The post is on the hut's e-newspaper boards."))
            return redirect("kiosks:hut", pk=station.pk)
    items = stock.hut_stock(station)
    today, days = timezone.localdate(), stock.expiry_days()
    return render(
        request,
        "kiosks/hut.html",
        {
            "console_nav": "kiosks",
            "page_title": station.name,
            "hut": station,
            "sections": queries.hut_sections(station),
            "open_faults": queries.hut_faults(station, status=Fault.Status.OPEN),
            "closed_faults": queries.hut_faults(station, status=Fault.Status.CLOSED)[:20],
            "stock_items": items,
            "attention": [i for i in items if i.is_low or i.expires_within(today, days)],
            "expiry_days": stock.expiry_days(),
            "usage": stock.monthly_usage(station, months=6),
            "boards": board.hut_boards(station),
            "posts": board.posts_in_force(station)[:20],
            "post_kinds": BoardPost.Kind.choices,
            "can_publish": can_publish,
            "post_form": post_form,
            "post_error": post_error,
            "now": timezone.now(),
        },
        status=400 if post_error else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def fault(request: HttpRequest, pk: int) -> HttpResponse:
    """A fault ticket with its history; the keeper closes it here with a note."""
    ticket = permissions.get_fault_for_user(request.user, pk)
    can_close = permissions.can_handle_fault(request.user, ticket)
    note, error = "", ""
    if request.method == "POST":
        ticket = permissions.get_fault_for_user(request.user, pk, for_change=True)
        note = request.POST.get("note", "")
        try:
            services.close_fault(actor=request.user, fault=ticket, note=note, request=request)
        except LinliError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("The fault has been closed."))
            return redirect("kiosks:hut", pk=ticket.station_id)
    return render(
        request,
        "kiosks/fault.html",
        {
            "console_nav": "kiosks",
            "page_title": _("Fault ticket"),
            "fault": ticket,
            "events": ticket.events.select_related("actor"),
            "can_close": can_close and ticket.status == Fault.Status.OPEN,
            "note": note,
            "error": error,
        },
        status=400 if error else 200,
    )


@require_GET
@staff_required
def health_index(request: HttpRequest) -> HttpResponse:
    """The family doctor's residents: those of his community who consented, latest first."""
    permissions.require_family_doctor(request.user, request=request)
    return render(
        request,
        "kiosks/health_index.html",
        {
            "console_nav": "kiosks_health",
            "page_title": _("Residents' health readings"),
            "subjects": queries.subjects_with_latest_reading(
                permissions.health_subjects_for_doctor(request.user)
            ),
        },
    )


@require_GET
@staff_required
def health_subject(request: HttpRequest, pk: int) -> HttpResponse:
    """One resident's readings, decrypted for the family doctor (the read is audited)."""
    subject = permissions.get_subject_for_doctor(request.user, pk, request=request)
    return render(
        request,
        "kiosks/health_subject.html",
        {
            "console_nav": "kiosks_health",
            "page_title": _("Readings of resident %(label)s") % {"label": subject.label},
            "subject": subject,
            "rows": list(reversed(health.readings_of(subject))),
        },
    )


@require_GET
@staff_required
def followups(request: HttpRequest) -> HttpResponse:
    """The family doctor's daily 异常待随访 list for his community."""
    permissions.require_family_doctor(request.user, request=request)
    return render(
        request,
        "kiosks/followups.html",
        {
            "console_nav": "kiosks_followups",
            "page_title": _("Residents to follow up"),
            "lists": queries.followup_list(
                permissions.followups_for_doctor(request.user), today=timezone.localdate()
            ),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def followup(request: HttpRequest, pk: int) -> HttpResponse:
    """One follow-up: the readings that crossed a threshold, and closing it with a note."""
    item = permissions.get_followup_for_doctor(request.user, pk, request=request)
    note, error = "", ""
    if request.method == "POST":
        note = request.POST.get("note", "")
        try:
            followup_services.close_followup(
                actor=request.user, follow_up=item, note=note, request=request
            )
        except LinliError as exc:
            error = str(exc.message)
        else:
            messages.success(
                request,
                _("Follow-up closed; a recheck is due on %(day)s.")
                % {"day": (timezone.localdate() + followup_services.RECHECK_AFTER).isoformat()},
            )
            return redirect("kiosks:followups")
    return render(
        request,
        "kiosks/followup.html",
        {
            "console_nav": "kiosks_followups",
            "page_title": _("Follow-up of resident %(label)s") % {"label": item.subject.label},
            "follow_up": item,
            "rows": health.finding_rows(item),
            "history": health.readings_of(item.subject)[-12:],
            "note": note,
            "error": error,
        },
        status=400 if error else 200,
    )
