"""Console pages for stations: list, create, edit, weekly hours, services offered, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from linli.core import limits
from linli.core.exceptions import LinliError
from linli.places import permissions, queries, services
from linli.places.forms import (
    AddServiceForm,
    HoursForm,
    StationFilterForm,
    StationForm,
)
from linli.places.models import (
    ServiceAtStation,
    Station,
)
from linli.places.views.console._common import (
    _form_error,
    _is_editor,
    _page,
    _require_editor,
    staff_required,
)


def _filtered_stations(request: HttpRequest) -> tuple[StationFilterForm, QuerySet[Station]]:
    form = StationFilterForm(request.GET, user=request.user)
    qs = permissions.stations_for_user(request.user).select_related(
        "category", "community", "subdistrict"
    )
    if form.is_valid():
        d = form.cleaned_data
        # The area tree sets one of the two: a community wins over a stale subdistrict.
        community = limits.parse_id(d["community"])
        subdistrict = limits.parse_id(d["subdistrict"])
        qs = queries.filter_stations(
            qs,
            text=d["q"],
            kind=d["kind"],
            community=community,
            subdistrict=subdistrict if community is None else None,
            active={"1": True, "0": False}.get(d["active"]),
        )
    return form, qs.order_by("code")


@staff_required
def station_list(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered_stations(request)
    context = {
        "console_nav": "stations",
        "page_title": _("Stations and facilities"),
        "form": form,
        "page": _page(request, qs),
        "is_editor": _is_editor(request.user),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, "places/console/_station_table.html", context)
    return render(request, "places/console/station_list.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def station_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request.user)
    form = StationForm(
        request.POST or None,
        user=request.user,
        initial={
            "community": request.GET.get("community_code", ""),
            "is_active": True,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            station = services.create_station(
                actor=request.user, data=form.to_input(), request=request
            )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(request, _("Station “%(name)s” created.") % {"name": station.name})
            return redirect("console:station_edit", pk=station.pk)
    return render(
        request,
        "places/console/station_form.html",
        {
            "console_nav": "stations",
            "page_title": _("New station"),
            "form": form,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def station_edit(request: HttpRequest, pk: int) -> HttpResponse:
    station = permissions.get_station_for_user(request.user, pk, for_change=True)
    if not _is_editor(request.user):
        # A station keeper changes hours and services only.
        return redirect("console:station_hours", pk=station.pk)
    initial = StationForm.initial_for(station)
    form = StationForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        compound = station.compound.code if station.compound else ""
        try:
            services.update_station(
                actor=request.user,
                station=station,
                data=form.to_input(compound=compound),
                request=request,
            )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("console:station_edit", pk=station.pk)
    return render(
        request,
        "places/console/station_form.html",
        {
            "console_nav": "stations",
            "page_title": _("Edit station"),
            "form": form,
            "station": station,
            **_station_extras(request, station),
        },
    )


def _station_extras(request: HttpRequest, station: Station) -> dict[str, Any]:
    links = station.service_links.select_related("service__category", "service__organisation")
    return {
        "hours_form": HoursForm(initial=HoursForm.initial_for(station)),
        "links": links,
        "link_form": _link_form_for(request, station),
    }


def _link_form_for(request: HttpRequest, station: Station) -> AddServiceForm:
    return AddServiceForm(user=request.user, station=station)


@staff_required
@require_http_methods(["GET", "POST"])
def station_hours(request: HttpRequest, pk: int) -> HttpResponse:
    station = permissions.get_station_for_user(request.user, pk, for_change=True)
    form = HoursForm(request.POST or None, initial=HoursForm.initial_for(station))
    if request.method == "POST" and form.is_valid():
        try:
            services.set_opening_hours(
                actor=request.user,
                station=station,
                hours=form.hours,
                holiday_policy=form.cleaned_data["holiday_policy"],
                request=request,
            )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(request, _("Opening hours saved."))
            return redirect(_back_to_station(request, station, "hours"))
    return _hours_page(
        request, station, hours_form=form, link_form=_link_form_for(request, station)
    )


def _hours_page(
    request: HttpRequest,
    station: Station,
    *,
    hours_form: HoursForm,
    link_form: AddServiceForm,
    status: int = 200,
) -> HttpResponse:
    """The weekly hours and services page; a refused form is shown again with what was typed."""
    return render(
        request,
        "places/console/station_hours.html",
        {
            "console_nav": "stations",
            "page_title": _("Opening hours and services"),
            "station": station,
            "hours_form": hours_form,
            "links": station.service_links.select_related(
                "service__category", "service__organisation"
            ),
            "link_form": link_form,
            "is_editor": _is_editor(request.user),
        },
        status=status,
    )


@staff_required
@require_POST
def station_add_service(request: HttpRequest, pk: int) -> HttpResponse:
    """Offer a service here; a refused schedule comes back with what was typed, the error
    beside its field (it used to redirect to the station with the values gone)."""
    station = permissions.get_station_for_user(request.user, pk, for_change=True)
    form = AddServiceForm(request.POST, user=request.user, station=station)
    if form.is_valid():
        service = permissions.get_service_for_user(request.user, form.cleaned_data["service"])
        try:
            services.add_service_at_station(
                actor=request.user,
                service=service,
                station=station,
                schedule=form.schedule(),
                request=request,
            )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(request, _("Service “%(name)s” added.") % {"name": service.name})
            return redirect(_back_to_station(request, station, "services"))
    hours = HoursForm(initial=HoursForm.initial_for(station))
    return _hours_page(request, station, hours_form=hours, link_form=form, status=400)


@staff_required
@require_POST
def station_remove_service(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    station = permissions.get_station_for_user(request.user, pk, for_change=True)
    link = get_object_or_404(
        ServiceAtStation.objects.select_related("service", "station"), pk=link_pk, station=station
    )
    try:
        services.remove_service_at_station(actor=request.user, link=link, request=request)
    except LinliError as err:
        messages.error(request, str(err.message))
    else:
        messages.success(
            request,
            _("Service “%(name)s” removed from this station.") % {"name": link.service.name},
        )
    return redirect(_back_to_station(request, station, "services"))


def _back_to_station(request: HttpRequest, station: Station, anchor: str) -> str:
    name = "console:station_edit" if _is_editor(request.user) else "console:station_hours"
    return reverse(name, kwargs={"pk": station.pk}) + f"#{anchor}"


def _stations_to_delete(request: HttpRequest, ids: list[str]) -> list[Station]:
    stations = []
    for pk in ids:
        station = permissions.get_station_for_user(request.user, pk, for_change=True)
        if not permissions.can_delete_station(request.user, station):
            raise PermissionDenied
        stations.append(station)
    if not stations:
        raise Http404("No station chosen.")
    return stations


@staff_required
@require_http_methods(["GET", "POST"])
def station_delete(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Confirm, then take stations out of service (or remove them when ``hard`` is ticked)."""
    _require_editor(request.user)
    ids = [str(pk)] if pk is not None else request.POST.getlist("ids") or request.GET.getlist("ids")
    stations = _stations_to_delete(request, ids)
    if request.method == "POST" and request.POST.get("confirm") == "1":
        hard = request.POST.get("hard") == "1"
        for station in stations:
            try:
                services.delete_station(
                    actor=request.user, station=station, hard=hard, request=request
                )
            except LinliError as err:
                messages.error(request, str(err.message))
                return redirect("console:stations")
        if hard:
            messages.success(request, _("%(count)s station(s) deleted.") % {"count": len(stations)})
        else:
            messages.success(
                request, _("%(count)s station(s) taken out of service.") % {"count": len(stations)}
            )
        return redirect("console:stations")
    return render(
        request,
        "places/console/station_delete.html",
        {
            "console_nav": "stations",
            "page_title": _("Delete stations"),
            "stations": stations,
        },
    )
