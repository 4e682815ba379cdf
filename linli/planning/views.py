"""Console pages of planning: the district's analyses, a run's map, gaps, coverage and sites.

Thin views: authorise through ``linli.planning.permissions`` → validate → one service or query
call → respond. Anonymous users are sent to log in; logged-in users who are not planners get 403;
ids outside the user's district 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.core.exceptions import LinliError
from linli.places.models import District
from linli.planning import exports, permissions, premises, queries, services
from linli.planning.forms import StationRuleForm
from linli.planning.models import AnalysisRun, Gap, SitingRun
from linli.planning.premises import SHOWN_PROBLEMS, PremisesInvalid

# Session key of a refused siting's reason, shown once beside the siting form (run_detail).
SITING_ERROR_KEY = "planning_siting_error"

View = Callable[..., HttpResponseBase]


def planner_required(view: View) -> View:
    """Log in first, then refuse (403) anyone who is not a planner."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        permissions.require_planner(request.user)
        return view(request, *args, **kwargs)

    return wrapped


def _console_base() -> str:
    """The console layout once it exists, else a minimal stand-in with the same blocks."""
    try:
        get_template("console/base.html")
    except TemplateDoesNotExist:
        return "planning/_standalone_base.html"
    return "console/base.html"


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(
        request, template, {"console_base": _console_base(), "console_nav": "planning", **context}
    )


@require_GET
@planner_required
def index(request: HttpRequest) -> HttpResponse:
    """Planning home: the latest analysis of the user's district and a button to run one."""
    district = permissions.get_district_for_user(request.user, request.GET.get("district"))
    return _render(
        request,
        "planning/index.html",
        {
            "district": district,
            "districts": permissions.districts_for_user(request.user),
            "latest": queries.latest_run(district),
            "latest_done": queries.latest_done_run(district),
            "runs": queries.recent_runs(request.user, district),
            "can_run": permissions.can_run_analysis(request.user, district),
            "network_path": services.network_path(district),
        },
    )


@require_POST
@planner_required
def start_analysis(request: HttpRequest) -> HttpResponse:
    """Queue an analysis of the district (district administrators)."""
    district = permissions.get_district_for_user(request.user, request.POST.get("district"))
    try:
        speed = float(request.POST.get("speed", "1.0"))
    except ValueError:
        speed = -1.0
    try:
        run = services.start_analysis(actor=request.user, district=district, speed=speed)
    except LinliError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
        return redirect(f"{reverse('planning:index')}?district={district.pk}")
    messages.success(request, _("The analysis has been queued; this page updates by itself."))
    return redirect("planning:run", pk=run.pk)


@require_GET
@planner_required
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status box, polled by htmx while the run is queued or running."""
    run = permissions.get_run_for_user(request.user, pk)
    response = render(request, "planning/_run_status.html", {"run": run, "polling": True})
    if not run.is_active and request.headers.get("HX-Request") and request.GET.get("was_active"):
        # The run just finished: reload the page so the map and tables appear.
        response["HX-Refresh"] = "true"
    return response


@require_GET
@planner_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One analysis: summary, map, coverage, gap list and proposed sites."""
    run = permissions.get_run_for_user(request.user, pk)
    user = request.user
    siting_error = request.session.pop(SITING_ERROR_KEY, None)
    context: dict[str, Any] = {
        "siting_error": siting_error if siting_error and siting_error["run"] == run.pk else None,
        "run": run,
        "district": run.district,
        "can_run": permissions.can_run_analysis(user, run.district),
        "whole_district": permissions.sees_whole_district(user),
        "five_minutes_m": round(run.speed_m_s * 300),
    }
    if run.is_done:
        names = queries.category_names()
        categories = [(c, names.get(c, c)) for c in run.summary.get("categories", [])]
        categories.sort(key=lambda item: item[1])
        area, lines = queries.coverage_lines(user, run, request.GET.get("area", ""))
        filters = queries.GapFilters.from_params(request.GET)
        sitings = list(permissions.sitings_for_user(user, run)[:5])
        latest_siting = sitings[0] if sitings else None
        premises_list = queries.siting_premises(latest_siting) if latest_siting else []
        reusable = (
            queries.latest_premises_siting(user, run.district) if context["can_run"] else None
        )
        context.update(
            {
                "categories": categories,
                "default_category": _default_category(categories),
                "coverage_areas": queries.coverage_areas(user, run),
                "coverage_area": area,
                "coverage_lines": lines,
                "chart": queries.chart_data(lines),
                "filters": filters,
                "gap_page": queries.gap_page(user, run, filters, request.GET.get("page")),
                "gap_choices": queries.gap_filter_choices(user, run),
                "category_names": names,
                "totals": queries.scope_totals(user, run),
                "sitings": sitings,
                "latest_siting": latest_siting,
                "latest_siting_name": names.get(latest_siting.category, latest_siting.category)
                if latest_siting
                else "",
                "latest_sites": queries.siting_explanation(user, latest_siting)
                if latest_siting
                else [],
                "latest_premises": premises_list,
                "latest_far": queries.premises_too_far(premises_list),
                "reusable_premises": reusable,
                "source_choice": _source_choice(context["siting_error"], reusable, latest_siting),
                "max_premises": premises.MAX_PREMISES,
                "snap_limit_m": int(services.SNAP_LIMIT_M),
                "map_config": {
                    "data": reverse("planning:map_data", args=[run.pk]),
                    "centre": [run.district.centre_lon, run.district.centre_lat],
                    "isochrones": reverse("planning:isochrones", args=[run.pk]),
                    "network": _network_url(run.district),
                    "tiles": settings.LINLI_TILE_URL,
                    "attribution": settings.LINLI_TILE_ATTRIBUTION,
                    "sites": [
                        {
                            "rank": s["rank"],
                            "lon": s["lon"],
                            "lat": s["lat"],
                            "population": s.get("population", 0),
                            "name": s.get("name") or "、".join(s.get("streets", [])),
                        }
                        for s in (latest_siting.result.get("sites", []) if latest_siting else [])
                    ],
                    "siting_category": latest_siting.category if latest_siting else "",
                },
            }
        )
    return _render(request, "planning/run.html", context)


def _source_choice(
    error: dict[str, Any] | None, reusable: SitingRun | None, latest: SitingRun | None
) -> str:
    """Which candidate option the siting form preselects.

    After a refused request, the one the planner chose; after a siting over premises, the same
    list again (the next try most likely varies the number of sites or the distance).
    """
    if error and error.get("source") == "premises":
        return "premises"
    if error and error.get("source") == "previous" and reusable is not None:
        return "previous"
    if reusable is not None and latest is not None and latest.uses_premises:
        return "previous"
    return "junctions"


def _default_category(categories: list[tuple[str, str]]) -> str:
    """The map first shows 幸福驿站 walking times, the programme's own stations."""
    codes = [code for code, _name in categories]
    if "happiness_station" in codes:
        return "happiness_station"
    return codes[0] if codes else ""


def _network_url(district: District) -> str:
    """The district's street network as GeoJSON (linli.places.network_layer), or "" without one.

    The URL carries the file's digest so browsers may cache it; ``file_digest`` is memoised.
    """
    try:
        from linli.places.network_layer import file_digest
        from linli.places.network_layer import network_path as layer_path
    except ImportError:  # pragma: no cover - the map works without the street layer
        return ""
    path = layer_path(district.network_file)
    if path is None:
        return ""
    return reverse("resident:network", kwargs={"code": district.code, "digest": file_digest(path)})


@require_GET
@planner_required
def gap_table(request: HttpRequest, pk: int) -> HttpResponse:
    """The gap list alone (htmx swaps it in when filters, sorting or the page change)."""
    run = permissions.get_run_for_user(request.user, pk)
    if not run.is_done:
        raise Http404("The analysis has no results.")
    filters = queries.GapFilters.from_params(request.GET)
    return render(
        request,
        "planning/_gap_table.html",
        {
            "run": run,
            "filters": filters,
            "gap_page": queries.gap_page(request.user, run, filters, request.GET.get("page")),
            "category_names": queries.category_names(),
        },
    )


@require_GET
@planner_required
def map_data(request: HttpRequest, pk: int) -> JsonResponse:
    """Compounds with minutes per category, and stations, for the run's map (within scope)."""
    run = permissions.get_run_for_user(request.user, pk)
    if not run.is_done:
        raise Http404("The analysis has no results.")
    return JsonResponse(
        queries.map_payload(request.user, run),
        json_dumps_params={
            "ensure_ascii": False,
            "separators": (",", ":"),
        },
    )


def _run_file(run: AnalysisRun, name: str) -> Any:
    path = run.run_dir / name
    if not run.is_done or not path.is_file():
        raise Http404("The file is not available.")
    return path.open("rb")


@require_GET
@planner_required
def isochrones(request: HttpRequest, pk: int) -> FileResponse:
    """The stations' 5/10/15-minute isochrones (GeoJSON); stations are public places."""
    run = permissions.get_run_for_user(request.user, pk)
    return FileResponse(_run_file(run, "isochrones.geojson"), content_type="application/geo+json")


@require_GET
@planner_required
def map_html(request: HttpRequest, pk: int) -> FileResponse:
    """The engine's offline map page, for district-wide viewers (it shows every compound)."""
    run = permissions.get_run_for_user(request.user, pk)
    if not permissions.sees_whole_district(request.user):
        raise PermissionDenied
    services.record_export(actor=request.user, run=run, rows=0, what="map.html")
    return FileResponse(
        _run_file(run, "map.html"),
        as_attachment=True,
        filename=f"living-circle-{run.district.code}-{run.pk}.html",
        content_type="text/html; charset=utf-8",
    )


@require_GET
@planner_required
def gaps_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The (filtered) gap list as .xlsx with Chinese headers."""
    run = permissions.get_run_for_user(request.user, pk)
    if not run.is_done:
        raise Http404("The analysis has no results.")
    filters = queries.GapFilters.from_params(request.GET)
    rows = list(
        queries.gaps(request.user, run, filters).select_related("compound__community__subdistrict")
    )
    content = exports.gaps_workbook(run, rows)
    services.record_export(actor=request.user, run=run, rows=len(rows), what="gaps.xlsx")
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="gaps-{run.district.code}-{run.pk}.xlsx"'
    )
    return response


@require_POST
@planner_required
def gap_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept, dismiss or reopen one gap; htmx gets the updated row back."""
    gap = permissions.get_gap_for_user(request.user, pk, for_change=True)
    try:
        gap = services.set_gap_status(
            actor=request.user,
            gap=gap,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        )
    except LinliError as exc:
        if request.headers.get("HX-Request"):
            return HttpResponse(str(exc.message), status=exc.status)
        messages.error(request, str(exc.message))
        return redirect("planning:run", pk=gap.run_id)
    if request.headers.get("HX-Request"):
        gap = Gap.objects.select_related("compound__community", "station").get(pk=gap.pk)
        return render(
            request,
            "planning/_gap_row.html",
            {
                "gap": gap,
                "category_names": queries.category_names(),
                "run": gap.run,
            },
        )
    return redirect(f"{reverse('planning:run', args=[gap.run_id])}#gaps")


@require_POST
@planner_required
def start_siting(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a siting for the run (district administrators).

    Candidates are street junctions, an uploaded premises list (a file implies it), or the
    list of an earlier siting of the district ("previous"). The list is checked first; a bad
    list is reported row by row and nothing is stored or started.
    """
    run = permissions.get_run_for_user(request.user, pk)
    permissions.require_siting(request.user, run.district)
    back = redirect(f"{reverse('planning:run', args=[run.pk])}#siting")
    try:
        k = int(request.POST.get("k", ""))
        radius = float(request.POST.get("radius", ""))
    except ValueError:
        k, radius = -1, -1.0
    try:
        candidates = _siting_candidates(request, run)
        services.start_siting(
            actor=request.user,
            run=run,
            category=request.POST.get("category", ""),
            k=k,
            radius=radius,
            **candidates,
        )
    except LinliError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        _keep_siting_error(request, run, exc)
    return back


def _keep_siting_error(request: HttpRequest, run: AnalysisRun, exc: LinliError) -> None:
    """Keep why a siting was refused for the run page, which shows it beside the form.

    Not a console message: those appear at the top of the page, out of sight of a planner who
    is sent back to the form at the bottom (``#siting``).
    """
    problems = exc.problems if isinstance(exc, PremisesInvalid) else []
    hidden = len(problems) - SHOWN_PROBLEMS
    source = "premises" if request.FILES.get("premises") else request.POST.get("source", "")
    request.session[SITING_ERROR_KEY] = {
        "run": run.pk,
        "source": source,
        "message": str(exc.message),
        "problems": [str(p) for p in problems[1:SHOWN_PROBLEMS]],
        "more": ngettext("… and %(count)s more problem.", "… and %(count)s more problems.", hidden)
        % {"count": hidden}
        if hidden > 0
        else "",
    }


def _siting_candidates(request: HttpRequest, run: AnalysisRun) -> dict[str, Any]:
    """The candidate options of the siting form as ``services.start_siting`` keywords."""
    upload = request.FILES.get("premises")
    source = request.POST.get("source", "junctions")
    coordinates = request.POST.get("coordinates", "WGS-84")
    if upload is not None:
        return {
            "premises": premises.read_premises_file(
                name=upload.name or "",
                content=upload.read(premises.MAX_BYTES + 1),
                district=run.district,
                coordinates=coordinates,
            ),
            "premises_file": upload.name or "",
            "coordinate_system": coordinates,
        }
    if source == "premises":
        raise services.PlanningError(
            _("Choose the premises file to upload, or choose street junctions."),
            code="no_premises_file",
        )
    if source == "previous":
        previous = permissions.get_siting_for_user(request.user, request.POST.get("previous"))
        if previous.district_id != run.district_id or not previous.uses_premises:
            raise Http404("No such premises list.")
        return {
            "premises": queries.premises_of(previous),
            "premises_file": previous.candidates_file,
            "coordinate_system": previous.coordinate_system,
        }
    return {}


@require_GET
@planner_required
def premises_template(request: HttpRequest) -> HttpResponse:
    """The empty premises sheet (编号/名称/经度/纬度) with instructions, for siting uploads."""
    response = HttpResponse(
        exports.premises_template(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="premises-template.xlsx"'
    return response


@require_GET
@planner_required
def siting_status(request: HttpRequest, pk: int) -> HttpResponse:
    """A siting's status, polled while it runs; reloads the page when it is done."""
    siting: SitingRun = permissions.get_siting_for_user(request.user, pk)
    response = render(request, "planning/_siting_status.html", {"siting": siting})
    if not siting.is_active and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@require_http_methods(["GET", "POST"])
@planner_required
def station_rules(request: HttpRequest) -> HttpResponse:
    """The district's own rules for the station kinds (district staff); a refused form keeps
    what was typed, with each error beside its field."""
    params = request.POST if request.method == "POST" else request.GET
    district = permissions.get_district_for_user(request.user, params.get("district"))
    permissions.require_station_rules(request.user, district)
    views = queries.station_rules(district)
    data = request.POST if request.method == "POST" else None
    forms = [StationRuleForm(data, view=view) for view in views]
    error = ""
    valid = [form.is_valid() for form in forms]  # every form, so each shows its own errors
    if data is not None and all(valid):
        try:
            services.update_station_rules(
                actor=request.user,
                district=district,
                rules=[form.as_input() for form in forms],
                request=request,
            )
        except LinliError as exc:
            error = str(exc.message)
        else:
            messages.success(
                request,
                _("The district's station rules are saved; they apply from the next analysis."),
            )
            return redirect(f"{reverse('planning:station_rules')}?district={district.pk}")
    return _render(
        request,
        "planning/station_rules.html",
        {
            "district": district,
            "forms": forms,
            "error": error,
            "national_rules": queries.national_rules(),
            "category_names": queries.category_names(),
            "latest": queries.latest_run(district),
            "network_path": services.network_path(district),
        },
    )
