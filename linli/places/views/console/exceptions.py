"""Console pages for changes to the opening hours (临时调整 / 闭馆)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from linli.core.exceptions import LinliError
from linli.core.holidays import DayKind, day_kind, festival_name
from linli.places import permissions, services
from linli.places.forms import (
    ExceptionForm,
)
from linli.places.models import (
    OpeningException,
    Station,
)
from linli.places.views.console._common import _form_error, _is_editor, staff_required

# 临时调整 / 闭馆 and 照片: pages beside the weekly hours, for editors in scope and the station's
# own keeper (permissions.get_station_for_user(..., for_change=True)).


@dataclass(frozen=True)
class HolidayRun:
    """Consecutive official days off (or adjusted working days) and what the station does."""

    first_day: dt.date
    last_day: dt.date
    name: str
    adjusted: bool  # 调休上班: a weekend day worked


def _holiday_runs(today: dt.date, *, days: int = 120) -> tuple[list[HolidayRun], dt.date | None]:
    """The official holidays and adjusted working days in the coming ``days``; and the last day
    before the first one the official calendar does not know yet (None: it knows them all)."""
    runs: list[HolidayRun] = []
    known_until: dt.date | None = None
    for i in range(days):
        day = today + dt.timedelta(days=i)
        kind = day_kind(day)
        if kind is DayKind.UNKNOWN:
            known_until = day - dt.timedelta(days=1)
            break  # an unknown year: nothing after it is listed, or guessed
        if kind not in (DayKind.HOLIDAY, DayKind.ADJUSTED_WORKDAY):
            continue
        adjusted = kind is DayKind.ADJUSTED_WORKDAY
        name = festival_name(day, english=_english()) if not adjusted else ""
        last = runs[-1] if runs else None
        if (
            last is not None
            and not adjusted
            and not last.adjusted
            and last.name == name
            and day - last.last_day == dt.timedelta(days=1)
        ):
            runs[-1] = HolidayRun(last.first_day, day, name, False)
        else:
            runs.append(HolidayRun(day, day, name, adjusted))
    return runs, known_until


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _exceptions_context(
    request: HttpRequest, station: Station, form: ExceptionForm, *, today: dt.date
) -> dict[str, Any]:
    periods = services.exception_periods(
        station, today=today, since=today - dt.timedelta(days=services.EXCEPTION_HISTORY_DAYS)
    )
    holidays, known_until = _holiday_runs(today)
    return {
        "console_nav": "stations",
        "station_tab": "exceptions",
        "page_title": _("Changes to the opening hours"),
        "station": station,
        "form": form,
        "upcoming": [p for p in periods if not p.is_past],
        "past": [p for p in periods if p.is_past],
        "history_days": services.EXCEPTION_HISTORY_DAYS,
        "holidays": holidays,
        "calendar_known": known_until is None,
        "known_until": known_until,
        "closes_on_holidays": station.holiday_policy == Station.HolidayPolicy.CLOSED,
        "is_editor": _is_editor(request.user),
        "today": today,
    }


@staff_required
@require_http_methods(["GET", "POST"])
def station_exceptions(request: HttpRequest, pk: int) -> HttpResponse:
    """The list of 临时调整 / 闭馆 with the form to add one."""
    station = permissions.get_station_for_user(request.user, pk, for_change=True)
    today = timezone.localdate()
    form = ExceptionForm(request.POST or None, initial={"first_day": today})
    if request.method == "POST" and form.is_valid():
        try:
            rows = services.add_opening_exception(
                actor=request.user, station=station, data=form.to_input(), request=request
            )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(
                request,
                _("Saved. Residents now see this change for %(days)s day(s).")
                % {"days": len(rows)},
            )
            return redirect("console:station_exceptions", pk=station.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "places/console/station_exceptions.html",
        _exceptions_context(request, station, form, today=today),
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def station_exception_edit(request: HttpRequest, pk: int, exception_pk: int) -> HttpResponse:
    """Edit a period from today on; a period that is over is refused (403)."""
    station = permissions.get_station_for_user(request.user, pk, for_change=True)
    exception = get_object_or_404(OpeningException, pk=exception_pk, station=station)
    today = timezone.localdate()
    period = _editable_period(station, exception, today)
    form = ExceptionForm(
        request.POST or None, initial=ExceptionForm.initial_for(period, today=today)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_opening_exception(
                actor=request.user,
                station=station,
                exception=exception,
                data=form.to_input(),
                request=request,
            )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(request, _("Change saved; residents see it at once."))
            return redirect("console:station_exceptions", pk=station.pk)
    return render(
        request,
        "places/console/station_exception_form.html",
        {
            "console_nav": "stations",
            "station_tab": "exceptions",
            "page_title": _("Edit a change to the opening hours"),
            "station": station,
            "period": period,
            "form": form,
            "today": today,
            "is_editor": _is_editor(request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


def _editable_period(
    station: Station, exception: OpeningException, today: dt.date
) -> services.ExceptionPeriod:
    for period in services.exception_periods(
        station, today=today, since=exception.date - dt.timedelta(days=services.EXCEPTION_MAX_DAYS)
    ):
        if exception.pk in period.ids:
            if period.is_past:
                raise PermissionDenied
            return period
    raise Http404("No such exception.")


@staff_required
@require_POST
def station_exception_delete(request: HttpRequest, pk: int, exception_pk: int) -> HttpResponse:
    station = permissions.get_station_for_user(request.user, pk, for_change=True)
    exception = get_object_or_404(OpeningException, pk=exception_pk, station=station)
    try:
        days = services.delete_opening_exception(
            actor=request.user, station=station, exception=exception, request=request
        )
    except LinliError as err:
        if err.status == 403:
            raise PermissionDenied from None
        messages.error(request, str(err.message))
    else:
        messages.success(
            request,
            _("Withdrawn: the usual hours apply again on %(days)s day(s).") % {"days": days},
        )
    return redirect("console:station_exceptions", pk=station.pk)
