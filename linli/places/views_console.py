"""The staff console for the directory: stations, compounds, services, Excel import and export.

Thin views: authorise through ``linli.places.permissions`` (a record outside the user's scope is
a 404, guessed ids included), validate a form, call one function of ``linli.places.services`` (or
``imports``/``exports``), respond. Lists answer htmx requests with only the results table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from linli.core import limits
from linli.core.exceptions import LinliError
from linli.core.holidays import DayKind, day_kind, festival_name, year_is_known
from linli.places import exports, imports, organisation_sheet, permissions, services
from linli.places.forms import (
    AddServiceForm,
    CaptionForm,
    CompoundForm,
    ExceptionForm,
    HoursForm,
    ImportForm,
    OrganisationForm,
    OrganisationMergeForm,
    PhotoForm,
    ScheduleFields,
    ServiceForm,
    ServiceLinkForm,
    StationFilterForm,
    StationForm,
)
from linli.places.models import (
    Compound,
    OpeningException,
    Organisation,
    Service,
    ServiceAtStation,
    Station,
    StationPhoto,
)
from linli.places.sheets import SHEET_TITLES, SheetKind

PAGE_SIZE = 20
REPORT_SESSION_KEY = "linli_import_report"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def staff_required[V: Callable[..., HttpResponse]](view: V) -> V:
    """Anonymous users and non-staff (residents, liaisons) are sent to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and getattr(user, "is_staff_role", False)):
            return redirect_to_login(request.get_full_path())
        # Refusals render inside the console layout, so staff keep their menu and bearings; a
        # 404 says nothing about whether the record exists elsewhere.
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return render(
                request,
                "places/console/refused.html",
                {"page_title": _("Not found"), "status": 404},
                status=404,
            )
        except PermissionDenied:
            return render(
                request,
                "places/console/refused.html",
                {"page_title": _("Not allowed"), "status": 403},
                status=403,
            )

    return wrapper  # type: ignore[return-value]


def _is_editor(user: Any) -> bool:
    return bool(user.is_superuser or user.role in permissions.EDITOR_ROLES)


def _require_editor(user: Any) -> None:
    if not _is_editor(user):
        raise PermissionDenied


def _form_error(form: Form, err: LinliError) -> None:
    """Show a service refusal next to the field it names, or above the form."""
    name = str(err.details.get("field", ""))
    form.add_error(name if name in form.fields else None, str(err.message))


def _id_param(request: HttpRequest, name: str) -> int | None:
    """An id filter from the query string; None when absent or no row could have it."""
    return limits.parse_id(request.GET.get(name))


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _download(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    return quote(name)


# ------------------------------------------------------------------------------------ home


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    stations = permissions.stations_for_user(user)
    by_kind = list(
        stations.filter(is_active=True)
        .values("category__name_zh", "category__name_en", "category__sort_order")
        .annotate(n=Count("pk"))
        .order_by("category__sort_order")
    )
    compounds = permissions.compounds_for_user(user).aggregate(
        n=Count("pk"), population=Sum("population"), households=Sum("households")
    )
    next_year = timezone.localdate().year + 1
    return render(
        request,
        "places/console/home.html",
        {
            "console_nav": "home",
            "page_title": _("Overview"),
            "by_kind": by_kind,
            "station_count": stations.filter(is_active=True).count(),
            "inactive_count": stations.filter(is_active=False).count(),
            "compounds": compounds,
            "community_count": permissions.communities_for_user(user).count(),
            "service_count": permissions.services_for_user(user).count(),
            "next_year": next_year,
            "next_year_known": year_is_known(next_year),
            "is_editor": _is_editor(user),
        },
    )


# ------------------------------------------------------------------------------------ stations


def _filtered_stations(request: HttpRequest) -> tuple[StationFilterForm, QuerySet[Station]]:
    form = StationFilterForm(request.GET, user=request.user)
    qs = permissions.stations_for_user(request.user).select_related(
        "category", "community", "subdistrict"
    )
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            qs = qs.filter(Q(name__icontains=d["q"]) | Q(code__icontains=imports.fold(d["q"])))
        if d["kind"]:
            qs = qs.filter(category__code=d["kind"])
        if community := limits.parse_id(d["community"]):
            qs = qs.filter(community_id=community)
        elif subdistrict := limits.parse_id(d["subdistrict"]):
            qs = qs.filter(subdistrict_id=subdistrict)
        if d["active"] in ("0", "1"):
            qs = qs.filter(is_active=d["active"] == "1")
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
    return render(
        request,
        "places/console/station_hours.html",
        {
            "console_nav": "stations",
            "page_title": _("Opening hours and services"),
            "station": station,
            "hours_form": form,
            "links": station.service_links.select_related(
                "service__category", "service__organisation"
            ),
            "link_form": _link_form_for(request, station),
            "is_editor": _is_editor(request.user),
        },
    )


@staff_required
@require_POST
def station_add_service(request: HttpRequest, pk: int) -> HttpResponse:
    station = permissions.get_station_for_user(request.user, pk, for_change=True)
    service = permissions.get_service_for_user(request.user, request.POST.get("service"))
    form = ScheduleFields(request.POST)
    if form.is_valid():
        try:
            services.add_service_at_station(
                actor=request.user,
                service=service,
                station=station,
                schedule=form.schedule(),
                request=request,
            )
        except LinliError as err:
            messages.error(request, str(err.message))
        else:
            messages.success(request, _("Service “%(name)s” added.") % {"name": service.name})
    else:
        messages.error(request, _("Please check the schedule."))
    return redirect(_back_to_station(request, station, "services"))


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


# ------------------------------------------------------------------------------------ compounds


@staff_required
def compound_list(request: HttpRequest) -> HttpResponse:
    qs = (
        permissions.compounds_for_user(request.user)
        .select_related("community__subdistrict")
        .annotate(gate_count=Count("gates"))
    )
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=imports.fold(q)))
    # A filter no row can match (a typo, a 20-digit id) shows nothing rather than failing.
    if community := _id_param(request, "community"):
        qs = qs.filter(community_id=community)
    elif subdistrict := _id_param(request, "subdistrict"):
        qs = qs.filter(community__subdistrict_id=subdistrict)
    context = {
        "console_nav": "compounds",
        "page_title": _("Compounds"),
        "q": q,
        "page": _page(request, qs.order_by("code")),
        "is_editor": _is_editor(request.user),
        "totals": qs.aggregate(households=Sum("households"), population=Sum("population")),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, "places/console/_compound_table.html", context)
    return render(request, "places/console/compound_list.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def compound_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_editor(request.user)
    compound = permissions.get_compound_for_user(request.user, pk) if pk is not None else None
    initial = CompoundForm.initial_for(compound) if compound else {}
    form = CompoundForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if compound is None:
                compound = services.create_compound(
                    actor=request.user, data=form.to_input(), request=request
                )
            else:
                services.update_compound(
                    actor=request.user, compound=compound, data=form.to_input(), request=request
                )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(request, _("Compound “%(name)s” saved.") % {"name": compound.name})
            return redirect("console:compounds")
    return render(
        request,
        "places/console/compound_form.html",
        {
            "console_nav": "compounds",
            "form": form,
            "compound": compound,
            "page_title": _("Edit compound") if compound else _("New compound"),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def compound_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request.user)
    compound = permissions.get_compound_for_user(request.user, pk)
    if request.method == "POST":
        try:
            services.delete_compound(actor=request.user, compound=compound, request=request)
        except LinliError as err:
            messages.error(request, str(err.message))
        else:
            messages.success(request, _("Compound “%(name)s” deleted.") % {"name": compound.name})
        return redirect("console:compounds")
    return render(
        request,
        "places/console/compound_delete.html",
        {
            "console_nav": "compounds",
            "page_title": _("Delete compound"),
            "compound": compound,
        },
    )


# ------------------------------------------------------------------------------------ services


@staff_required
def service_list(request: HttpRequest) -> HttpResponse:
    qs = permissions.services_for_user(request.user).select_related("category", "organisation")
    visible = permissions.stations_for_user(request.user)
    qs = qs.annotate(station_count=Count("at_stations", filter=Q(at_stations__station__in=visible)))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(category__name_zh__icontains=q)
            | Q(organisation__name__icontains=q)
        )
    if community := _id_param(request, "community"):
        qs = qs.filter(at_stations__station__community_id=community).distinct()
    elif subdistrict := _id_param(request, "subdistrict"):
        qs = qs.filter(at_stations__station__subdistrict_id=subdistrict).distinct()
    context = {
        "console_nav": "services",
        "page_title": _("Services"),
        "q": q,
        "page": _page(request, qs.order_by("name", "pk")),
        "is_editor": _is_editor(request.user),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, "places/console/_service_table.html", context)
    return render(request, "places/console/service_list.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def service_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_editor(request.user)
    service = permissions.get_service_for_user(request.user, pk) if pk is not None else None
    if service is not None and not services.can_change_service(request.user, service):
        messages.warning(
            request,
            _("This service is also offered outside your area; ask the district to change it."),
        )
    initial = ServiceForm.initial_for(service) if service else {"is_active": True}
    form = ServiceForm(
        request.POST or None, user=request.user, creating=service is None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            if service is None:
                service = services.create_service(
                    actor=request.user,
                    data=form.to_input(),
                    stations=form.station_links(),
                    request=request,
                )
            else:
                services.update_service(
                    actor=request.user, service=service, data=form.to_input(), request=request
                )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(request, _("Service “%(name)s” saved.") % {"name": service.name})
            return redirect("console:service_edit", pk=service.pk)
    links = []
    if service is not None:
        links = list(
            service.at_stations.filter(
                station__in=permissions.stations_for_user(request.user)
            ).select_related("station")
        )
    return render(
        request,
        "places/console/service_form.html",
        {
            "console_nav": "services",
            "form": form,
            "service": service,
            "links": links,
            "link_form": ServiceLinkForm(user=request.user) if service else None,
            "organisations": form.organisations,
            "page_title": _("Edit service") if service else _("New service"),
        },
    )


@staff_required
@require_POST
def service_link(request: HttpRequest, pk: int) -> HttpResponse:
    service = permissions.get_service_for_user(request.user, pk)
    form = ServiceLinkForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.add_service_at_station(
                actor=request.user,
                service=service,
                station=form.station_obj(),
                schedule=form.schedule(),
                request=request,
            )
        except LinliError as err:
            messages.error(request, str(err.message))
        else:
            messages.success(request, _("Schedule saved."))
    else:
        messages.error(request, _("Please check the station and the schedule."))
    return redirect("console:service_edit", pk=service.pk)


@staff_required
@require_POST
def service_unlink(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    service = permissions.get_service_for_user(request.user, pk)
    link = get_object_or_404(
        ServiceAtStation.objects.select_related("station", "service").filter(
            station__in=permissions.stations_for_user(request.user)
        ),
        pk=link_pk,
        service=service,
    )
    try:
        services.remove_service_at_station(actor=request.user, link=link, request=request)
    except LinliError as err:
        messages.error(request, str(err.message))
    return redirect("console:service_edit", pk=service.pk)


# ------------------------------------------------------------------------------------ Excel


def _kind(kind: str) -> SheetKind:
    try:
        return SheetKind(kind)
    except ValueError:
        raise Http404("No such sheet.") from None


@staff_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest, kind: str) -> HttpResponse:
    sheet_kind = _kind(kind)
    _require_editor(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = imports.import_sheet(
            actor=request.user,
            kind=sheet_kind,
            file=upload,
            filename=upload.name,
            dry_run=request.POST.get("action") == "check",
            request=request,
        )
        request.session[REPORT_SESSION_KEY] = {
            "kind": sheet_kind.value,
            "filename": upload.name,
            "problems": [p.as_dict() for p in result.problems[:2000]],
        }
        if result.committed:
            messages.success(
                request,
                _(
                    "Imported “%(file)s”: %(created)s new, %(updated)s "
                    "updated, %(unchanged)s unchanged."
                )
                % {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "file": upload.name,
                },
            )
            return redirect(_list_url(sheet_kind))
    return render(
        request,
        "places/console/import.html",
        {
            "console_nav": "imports",
            "page_title": _("Import and export"),
            "form": form,
            "kind": sheet_kind,
            "kinds": [(k, SHEET_TITLES[k]) for k in SheetKind],
            "result": result,
        },
    )


def _list_url(kind: SheetKind) -> str:
    return reverse(
        {
            SheetKind.STATIONS: "console:stations",
            SheetKind.COMPOUNDS: "console:compounds",
            SheetKind.SERVICES: "console:services",
        }[kind]
    )


@staff_required
def import_report(request: HttpRequest) -> HttpResponse:
    report = request.session.get(REPORT_SESSION_KEY)
    if not report:
        raise Http404("No import report.")
    data = imports.problems_workbook(report["problems"])
    stem = str(report.get("filename") or "import").rsplit(".", 1)[0]
    return _download(data, f"{stem}-导入问题.xlsx")


@staff_required
def template_download(request: HttpRequest, kind: str) -> HttpResponse:
    sheet_kind = _kind(kind)
    data = exports.template_workbook(sheet_kind, request.user)
    return _download(data, f"{SHEET_TITLES[sheet_kind]}-导入模板.xlsx")


@staff_required
def export_download(request: HttpRequest, kind: str) -> HttpResponse:
    sheet_kind = _kind(kind)
    queryset: QuerySet[Any] | None = None
    if sheet_kind is SheetKind.STATIONS:
        _form, queryset = _filtered_stations(request)
        ids = request.GET.getlist("ids")
        if ids:
            queryset = queryset.filter(pk__in=[pk for i in ids if (pk := limits.parse_id(i))])
    elif community := _id_param(request, "community"):
        queryset = (
            Compound.objects.filter(community_id=community)
            if sheet_kind is SheetKind.COMPOUNDS
            else Service.objects.filter(at_stations__station__community_id=community)
        )
    data = exports.export_workbook(sheet_kind, request.user, queryset, request=request)
    stamp = dt.datetime.now(tz=dt.UTC).astimezone(timezone.get_current_timezone())
    return _download(data, f"{SHEET_TITLES[sheet_kind]}-{stamp:%Y%m%d-%H%M}.xlsx")


# ------------------------------------------------------------------------ station upkeep
# 临时调整 / 闭馆 and 照片: pages beside the weekly hours, for editors in scope and the station's
# own keeper (permissions.get_station_for_user(..., for_change=True)).


@dataclass(frozen=True)
class HolidayRun:
    """Consecutive official days off (or adjusted working days) and what the station does."""

    first_day: dt.date
    last_day: dt.date
    name: str
    adjusted: bool  # 调休上班: a weekend day worked


def _holiday_runs(today: dt.date, *, days: int = 120) -> tuple[list[HolidayRun], bool]:
    """The official holidays and adjusted working days in the coming ``days``; and whether the
    calendar knows every one of those days."""
    runs: list[HolidayRun] = []
    known = True
    for i in range(days):
        day = today + dt.timedelta(days=i)
        kind = day_kind(day)
        if kind is DayKind.UNKNOWN:
            known = False
            continue
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
    return runs, known


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _exceptions_context(
    request: HttpRequest, station: Station, form: ExceptionForm, *, today: dt.date
) -> dict[str, Any]:
    periods = services.exception_periods(
        station, today=today, since=today - dt.timedelta(days=services.EXCEPTION_HISTORY_DAYS)
    )
    holidays, calendar_known = _holiday_runs(today)
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
        "calendar_known": calendar_known,
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


# ------------------------------------------------------------------------ photos


def _photos_context(request: HttpRequest, station: Station, form: PhotoForm) -> dict[str, Any]:
    photos = list(station.photos.order_by("sort_order", "pk"))
    return {
        "console_nav": "stations",
        "station_tab": "photos",
        "page_title": _("Photos"),
        "station": station,
        "form": form,
        "photos": photos,
        "max_count": services.PHOTO_MAX_COUNT,
        "is_editor": _is_editor(request.user),
    }


@staff_required
@require_http_methods(["GET", "POST"])
def station_photos(request: HttpRequest, pk: int) -> HttpResponse:
    """Thumbnails in the order residents see them, with the upload form."""
    station = permissions.get_station_for_user(request.user, pk, for_change=True)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_station_photo(
                actor=request.user,
                station=station,
                image=form.cleaned_data["image"],
                caption=form.cleaned_data["caption"],
                request=request,
            )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(request, _("Photo added; residents see it at once."))
            return redirect("console:station_photos", pk=station.pk)
    return render(
        request,
        "places/console/station_photos.html",
        _photos_context(request, station, form),
        status=400 if request.method == "POST" else 200,
    )


def _photo_for(request: HttpRequest, pk: int, photo_pk: int) -> StationPhoto:
    station = permissions.get_station_for_user(request.user, pk, for_change=True)
    return get_object_or_404(
        StationPhoto.objects.select_related("station"), pk=photo_pk, station=station
    )


@staff_required
@require_POST
def station_photo_caption(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    photo = _photo_for(request, pk, photo_pk)
    form = CaptionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Describe the photo in a few words; screen readers read it to blind residents."),
        )
        return redirect("console:station_photos", pk=pk)
    try:
        services.update_station_photo(
            actor=request.user, photo=photo, caption=form.cleaned_data["caption"], request=request
        )
    except LinliError as err:
        messages.error(request, str(err.message))
    else:
        messages.success(request, _("Caption saved."))
    return redirect("console:station_photos", pk=pk)


@staff_required
@require_POST
def station_photo_move(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    photo = _photo_for(request, pk, photo_pk)
    try:
        services.move_station_photo(
            actor=request.user, photo=photo, to=request.POST.get("to", ""), request=request
        )
    except LinliError as err:
        messages.error(request, str(err.message))
    else:
        if request.POST.get("to") == "first":
            messages.success(request, _("This photo is now the cover: residents see it first."))
    return redirect(reverse("console:station_photos", kwargs={"pk": pk}) + f"#photo-{photo.pk}")


@staff_required
@require_POST
def station_photo_delete(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    photo = _photo_for(request, pk, photo_pk)
    try:
        services.delete_station_photo(actor=request.user, photo=photo, request=request)
    except LinliError as err:
        messages.error(request, str(err.message))
    else:
        messages.success(request, _("Photo deleted."))
    return redirect("console:station_photos", pk=pk)


# ------------------------------------------------------------------------------- organisations
#
# 服务组织 are district-wide, so the list has no area tree: every staff member of the district
# sees every provider (to pick one for a service); only ``permissions.can_change_organisations``
# (district admins, subdistrict staff) gets the form, the merge and the delete.


@staff_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    qs = permissions.organisations_for_user(request.user).annotate(service_count=Count("services"))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__icontains=q))
    kind = request.GET.get("kind", "")
    if kind in Organisation.Kind.values:
        qs = qs.filter(kind=kind)
    context = {
        "console_nav": "organisations",
        "page_title": _("Service organisations"),
        "q": q,
        "kind": kind,
        "kinds": Organisation.Kind.choices,
        "page": _page(request, qs.order_by("name", "pk")),
        "can_edit": permissions.can_change_organisations(request.user),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, "places/console/_organisation_table.html", context)
    return render(request, "places/console/organisation_list.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def organisation_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create (editors only), or show an organisation: editable for editors, read-only else."""
    user = request.user
    can_edit = permissions.can_change_organisations(user)
    organisation = permissions.get_organisation_for_user(user, pk) if pk is not None else None
    if (organisation is None or request.method == "POST") and not can_edit:
        raise PermissionDenied
    initial = (
        OrganisationForm.initial_for(organisation)
        if organisation
        else {"kind": Organisation.Kind.SOCIAL}
    )
    form = OrganisationForm(request.POST or None, initial=initial, read_only=not can_edit)
    if request.method == "POST" and form.is_valid():
        try:
            if organisation is None:
                organisation = services.create_organisation(
                    actor=user, data=form.to_input(), request=request
                )
            else:
                organisation = services.update_organisation(
                    actor=user, organisation=organisation, data=form.to_input(), request=request
                )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(
                request, _("Organisation “%(name)s” saved.") % {"name": organisation.name}
            )
            return redirect("console:organisation_edit", pk=organisation.pk)
    provided: list[Service] = []
    total = 0
    if organisation is not None:
        total = organisation.services.count()
        provided = list(
            permissions.services_for_user(user)
            .filter(organisation=organisation)
            .select_related("category")
            .annotate(station_count=Count("at_stations"))
            .order_by("name", "pk")
        )
    return render(
        request,
        "places/console/organisation_form.html",
        {
            "console_nav": "organisations",
            "form": form,
            "organisation": organisation,
            "provided": provided,
            "hidden_count": total - len(provided),
            "can_edit": can_edit,
            "can_edit_services": _is_editor(user),
            "page_title": (
                (_("Edit organisation") if can_edit else _("Organisation"))
                if organisation
                else _("New organisation")
            ),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def organisation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm and delete; a provider of services is explained and pointed to the merge."""
    organisation = permissions.get_organisation_for_user(request.user, pk, for_change=True)
    service_count = organisation.services.count()
    if request.method == "POST" and not service_count:
        try:
            services.delete_organisation(
                actor=request.user, organisation=organisation, request=request
            )
        except LinliError as err:
            messages.error(request, str(err.message))
        else:
            messages.success(
                request, _("Organisation “%(name)s” deleted.") % {"name": organisation.name}
            )
            return redirect("console:organisations")
    return render(
        request,
        "places/console/organisation_delete.html",
        {
            "console_nav": "organisations",
            "organisation": organisation,
            "service_count": service_count,
            "page_title": _("Delete organisation"),
        },
        status=409 if request.method == "POST" and service_count else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def organisation_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Move every service of this organisation to another one and delete this one."""
    source = permissions.get_organisation_for_user(request.user, pk, for_change=True)
    form = OrganisationMergeForm(request.POST or None, user=request.user, source=source)
    if request.method == "POST" and form.is_valid():
        target = form.target_obj()
        try:
            moved = services.merge_organisations(
                actor=request.user, source=source, target=target, request=request
            )
        except LinliError as err:
            _form_error(form, err)
        else:
            messages.success(
                request,
                _("“%(source)s” merged into “%(target)s”: %(count)s service(s) moved.")
                % {"source": source.name, "target": target.name, "count": moved},
            )
            return redirect("console:organisation_edit", pk=target.pk)
    return render(
        request,
        "places/console/organisation_merge.html",
        {
            "console_nav": "organisations",
            "organisation": source,
            "form": form,
            "moving": list(source.services.select_related("category").order_by("name", "pk")),
            "page_title": _("Merge organisations"),
        },
    )


@staff_required
def organisation_export(request: HttpRequest) -> HttpResponse:
    """The organisations list as .xlsx, with the list's search and kind filter."""
    qs = Organisation.objects.all()
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__icontains=q))
    if request.GET.get("kind", "") in Organisation.Kind.values:
        qs = qs.filter(kind=request.GET["kind"])
    data = organisation_sheet.organisations_workbook(request.user, qs, request=request)
    stamp = dt.datetime.now(tz=dt.UTC).astimezone(timezone.get_current_timezone())
    return _download(data, f"{organisation_sheet.SHEET_TITLE}-{stamp:%Y%m%d-%H%M}.xlsx")
