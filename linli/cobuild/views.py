"""Console pages of the co-construction day: the calendar with its roster, and resources.

Thin views: authorise through ``linli.cobuild.permissions`` → validate a form → one service or
query call → respond. A refused form is shown again with its values and the message beside the
field; nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.accounts.models import AnyUser, User
from linli.accounts.scopes import signed_in_user
from linli.cobuild import (
    exports,
    forms,
    imports,
    permissions,
    project_sheets,
    queries,
    report,
    services,
)
from linli.cobuild.models import NEXT_STATE, Project, Resource
from linli.cobuild.services.days import policy_for
from linli.core import pdf
from linli.core.exceptions import LinliError
from linli.places.models import Organisation, Station
from linli.places.permissions import communities_for_user, stations_for_user

View = Callable[..., HttpResponseBase]


def staff_required(view: View) -> View:
    """Log in first, then refuse (403) anyone who is not staff."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        permissions.require_staff(request.user)
        return view(request, *args, **kwargs)

    return wrapped


def projects_reader_required(view: View) -> View:
    """Log in first, then refuse (403) anyone who is neither staff nor a unit's liaison (who
    claims projects for his unit)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not permissions.unit_liaison(request.user):
            permissions.require_staff(request.user)
        return view(request, *args, **kwargs)

    return wrapped


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or 0)
    except ValueError:
        year = 0
    return year if 2024 <= year <= 2100 else timezone.localdate().year


def _calendar_url(subdistrict_id: int, year: int) -> str:
    return f"{reverse('cobuild:calendar', args=[subdistrict_id])}?year={year}"


@require_GET
@staff_required
def index(request: HttpRequest) -> HttpResponse:
    """The subdistricts whose co-construction days the user reads; one goes straight there."""
    subdistricts = list(permissions.cobuild_subdistricts_for_user(request.user))
    if len(subdistricts) == 1:
        return redirect(_calendar_url(subdistricts[0].pk, _year(request)))
    return render(
        request,
        "cobuild/index.html",
        {
            "console_nav": "cobuild",
            "subdistricts": subdistricts,
            "year": _year(request),
            "page_title": _("Co-construction days"),
        },
    )


def _calendar_page(
    request: HttpRequest,
    subdistrict_id: Any,
    *,
    errors: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    subdistrict = permissions.get_subdistrict_for_user(user, subdistrict_id)
    year = _year(request)
    calendar = queries.calendar_for(user, subdistrict, year)
    manager = permissions.can_manage(user, subdistrict)
    policy = policy_for(subdistrict)
    all_duties = [duty for d in calendar.days for duty in d.duties]
    # A refusal is shown beside the form it came from (the day's move, the duty's swap).
    for roster_day in calendar.days:
        roster_day.error = (errors or {}).get(f"move-{roster_day.day.pk}", "")
        for duty in roster_day.duties:
            duty.swap_error = (errors or {}).get(f"swap-{duty.pk}", "")  # type: ignore[attr-defined]  # the template reads the error off the row
    today = timezone.localdate()
    return render(
        request,
        "cobuild/calendar.html",
        {
            "console_nav": "cobuild",
            "subdistrict": subdistrict,
            "subdistricts": permissions.cobuild_subdistricts_for_user(user),
            "year": year,
            "years": sorted({*range(2024, today.year + 3), year}),
            "calendar": calendar,
            "counts": queries.duty_counts(calendar),
            "manager": manager,
            "may_swap": permissions.can_request_swap(user, subdistrict),
            "policy": policy,
            # A refused rules form is shown with what was typed.
            "policy_form": forms.PolicyForm(request.POST)
            if errors and "policy" in errors
            else forms.PolicyForm(
                initial={
                    "holiday_rule": policy.holiday_rule,
                    "units_per_day": policy.units_per_day,
                    "remind_days_ahead": policy.remind_days_ahead,
                }
            ),
            "units": permissions.duty_units_for_user(user)
            .filter(subdistrict=subdistrict)
            .select_related("organisation", "community"),
            "available_units": Organisation.objects.filter(
                district_id=subdistrict.district_id, kind=Organisation.Kind.UNIT
            ).exclude(duty_units__subdistrict=subdistrict),
            "communities": communities_for_user(user).filter(subdistrict=subdistrict),
            "all_duties": all_duties,
            "today": today,
            "errors": errors or {},
            "posted": request.POST if errors else {},
            "page_title": _("Co-construction days · %(name)s") % {"name": subdistrict.name},
        },
        status=status,
    )


@require_GET
@staff_required
def calendar(request: HttpRequest, subdistrict_id: int) -> HttpResponse:
    """A subdistrict's year: days, why each falls where it does, the roster and skips."""
    return _calendar_page(request, subdistrict_id)


def _refused(request: HttpRequest, subdistrict_id: int, key: str, exc: Any) -> HttpResponse:
    """Show the calendar again with the refusal beside the form ``key`` (values kept)."""
    message = exc.message if isinstance(exc, LinliError) else exc
    return _calendar_page(request, subdistrict_id, errors={key: str(message)}, status=400)


@require_POST
@staff_required
def plan(request: HttpRequest, subdistrict_id: int) -> HttpResponse:
    """Plan (or re-place) the year's days by the subdistrict's rule."""
    subdistrict = permissions.get_subdistrict_for_user(request.user, subdistrict_id)
    year = _year(request)
    try:
        services.plan_days(actor=request.user, subdistrict=subdistrict, year=year, request=request)
    except LinliError as exc:
        return _refused(request, subdistrict_id, "plan", exc)
    messages.success(
        request, _("The co-construction days of %(year)s are planned.") % {"year": year}
    )
    return redirect(_calendar_url(subdistrict.pk, year))


@require_POST
@staff_required
def set_policy(request: HttpRequest, subdistrict_id: int) -> HttpResponse:
    """Change the holiday rule, the units on duty each day and the reminders' lead time."""
    subdistrict = permissions.get_subdistrict_for_user(request.user, subdistrict_id)
    form = forms.PolicyForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            subdistrict_id,
            "policy",
            " ".join(str(e) for errs in form.errors.values() for e in errs),
        )
    try:
        services.set_policy(
            actor=request.user, subdistrict=subdistrict, request=request, **form.cleaned_data
        )
    except LinliError as exc:
        return _refused(request, subdistrict_id, "policy", exc)
    messages.success(request, _("The rules are saved; plan the year again to apply them."))
    return redirect(_calendar_url(subdistrict.pk, _year(request)))


@require_POST
@staff_required
def move_day(request: HttpRequest, day_id: int) -> HttpResponse:
    """Move one day to another date of its month, with a reason."""
    day = permissions.get_day_for_user(request.user, day_id)
    key = f"move-{day.pk}"
    form = forms.MoveDayForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            day.subdistrict_id,
            key,
            " ".join(str(e) for errs in form.errors.values() for e in errs),
        )
    try:
        services.move_day(
            actor=request.user,
            day=day,
            today=timezone.localdate(),
            request=request,
            **form.cleaned_data,
        )
    except LinliError as exc:
        return _refused(request, day.subdistrict_id, key, exc)
    messages.success(
        request, _("The day is moved to %(date)s.") % {"date": form.cleaned_data["date"]}
    )
    return redirect(_calendar_url(day.subdistrict_id, day.year))


@require_GET
@staff_required
def day_report(request: HttpRequest, day_id: int, fmt: str) -> HttpResponse:
    """The day's report (xlsx or PDF) as the user may read it: their area's part of the day."""
    day = permissions.get_day_for_user(request.user, day_id)
    built = report.build(request.user, day)
    if fmt == "pdf":
        try:
            return report.pdf_response(built)
        except pdf.FontMissing as exc:
            messages.error(request, str(exc))
            return redirect(_calendar_url(day.subdistrict_id, day.year))
    return report.xlsx_response(built)


@require_POST
@staff_required
def confirm_day(request: HttpRequest, day_id: int) -> HttpResponse:
    """Confirm a day of a year whose holidays the calendar library does not know."""
    day = permissions.get_day_for_user(request.user, day_id)
    try:
        services.confirm_day(actor=request.user, day=day, request=request)
    except LinliError as exc:
        return _refused(request, day.subdistrict_id, f"move-{day.pk}", exc)
    return redirect(_calendar_url(day.subdistrict_id, day.year))


@require_POST
@staff_required
def add_unit(request: HttpRequest, subdistrict_id: int) -> HttpResponse:
    """Put a reporting unit on the rotation."""
    subdistrict = permissions.get_subdistrict_for_user(request.user, subdistrict_id)
    organisation = Organisation.objects.filter(
        district_id=subdistrict.district_id, pk=permissions.as_pk(request.POST.get("organisation"))
    ).first()
    community_pk = request.POST.get("community") or None
    community = (
        communities_for_user(request.user).filter(pk=permissions.as_pk(community_pk)).first()
        if community_pk
        else None
    )
    try:
        if organisation is None:
            raise LinliError(_("Choose a reporting unit."), code="required")
        services.add_duty_unit(
            actor=request.user,
            subdistrict=subdistrict,
            organisation=organisation,
            community=community,
            request=request,
        )
    except LinliError as exc:
        return _refused(request, subdistrict_id, "unit", exc)
    return redirect(_calendar_url(subdistrict.pk, _year(request)) + "#units")


@require_POST
@staff_required
def declare_unavailable(request: HttpRequest, subdistrict_id: int) -> HttpResponse:
    """Record that a unit cannot serve on a day."""
    subdistrict = permissions.get_subdistrict_for_user(request.user, subdistrict_id)
    form = forms.UnavailableForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            subdistrict_id,
            "away",
            " ".join(str(e) for errs in form.errors.values() for e in errs),
        )
    unit = permissions.get_duty_unit_for_user(request.user, form.cleaned_data["unit"])
    day = permissions.get_day_for_user(request.user, form.cleaned_data["day"])
    try:
        services.declare_unavailable(
            actor=request.user,
            unit=unit,
            day=day,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except LinliError as exc:
        return _refused(request, subdistrict_id, "away", exc)
    messages.success(request, _("Noted. Compute the roster again to pass the unit over."))
    return redirect(_calendar_url(subdistrict.pk, day.year) + "#units")


@require_POST
@staff_required
def generate(request: HttpRequest, subdistrict_id: int) -> HttpResponse:
    """Compute the roster of the year's days from today on."""
    subdistrict = permissions.get_subdistrict_for_user(request.user, subdistrict_id)
    year = _year(request)
    try:
        n = services.generate_roster(
            actor=request.user,
            subdistrict=subdistrict,
            year=year,
            today=timezone.localdate(),
            request=request,
        )
    except LinliError as exc:
        return _refused(request, subdistrict_id, "roster", exc)
    messages.success(request, _("The roster is computed: %(n)s duties.") % {"n": n})
    return redirect(_calendar_url(subdistrict.pk, year))


@require_POST
@staff_required
def request_swap(request: HttpRequest, subdistrict_id: int) -> HttpResponse:
    """Ask the subdistrict to exchange two duties."""
    form = forms.SwapForm(request.POST)
    key = f"swap-{request.POST.get('duty', '')}"
    if not form.is_valid():
        return _refused(
            request,
            subdistrict_id,
            key,
            " ".join(str(e) for errs in form.errors.values() for e in errs),
        )
    duty = permissions.get_duty_for_user(request.user, form.cleaned_data["duty"])
    other = permissions.get_duty_for_user(request.user, form.cleaned_data["other"])
    try:
        services.request_swap(
            actor=request.user,
            duty=duty,
            other=other,
            reason=form.cleaned_data["reason"],
            today=timezone.localdate(),
            request=request,
        )
    except LinliError as exc:
        return _refused(request, subdistrict_id, key, exc)
    messages.success(request, _("The swap is asked for; the subdistrict will decide."))
    return redirect(_calendar_url(duty.day.subdistrict_id, duty.day.year))


@require_POST
@staff_required
def decide_swap(request: HttpRequest, swap_id: int) -> HttpResponse:
    """Approve or refuse a pending swap."""
    swap = permissions.get_swap_for_user(request.user, swap_id, for_change=True)
    year = swap.duty.day.year
    try:
        if request.POST.get("decision") == "approve":
            services.approve_swap(
                actor=signed_in_user(request),
                swap=swap,
                today=timezone.localdate(),
                request=request,
            )
            messages.success(request, _("The swap is approved; the roster shows it."))
        else:
            services.refuse_swap(actor=signed_in_user(request), swap=swap, request=request)
            messages.success(request, _("The swap is refused."))
    except LinliError as exc:
        return _refused(request, swap.subdistrict_id, "swaps", exc)
    return redirect(_calendar_url(swap.subdistrict_id, year))


# ------------------------------------------------------------------------------------ resources


@require_GET
@staff_required
def resource_list(request: HttpRequest) -> HttpResponse:
    """The resources list of the user's area, filterable by category."""
    user = request.user
    category = request.GET.get("category", "")
    if category not in Resource.Category.values:
        category = ""
    q = request.GET.get("q", "")[:60]
    page = Paginator(queries.resources(user, category=category, q=q), 50).get_page(
        request.GET.get("page")
    )
    rows = [(r, queries.provider_shown(user, r)) for r in page.object_list]
    return render(
        request,
        "cobuild/resource_list.html",
        {
            "console_nav": "cobuild_resources",
            "page_title": _("Resources list"),
            "page": page,
            "rows": rows,
            "category": category,
            "q": q,
            "categories": Resource.Category.choices,
            "can_add": _areas(user) != [],
        },
    )


def _areas(user: AnyUser) -> list[tuple[str, str]]:
    """The areas ``user`` may file resources in, as ``subdistrict[/community]`` choices."""
    choices: list[tuple[str, str]] = []
    for sub in permissions.cobuild_subdistricts_for_user(user):
        if permissions.can_create_resource_in(user, sub, None):
            choices.append((sub.code, _("%(name)s (whole subdistrict)") % {"name": sub.name}))
        for community in communities_for_user(user).filter(subdistrict=sub):
            if permissions.can_create_resource_in(user, sub, community):
                choices.append((f"{sub.code}/{community.code}", f"{sub.name} · {community.name}"))
    return choices


def _resource_form(user: User, *args: Any, **kwargs: Any) -> forms.ResourceForm:
    district_id = user.scope.district_id
    organisations = Organisation.objects.filter(
        kind__in=[
            Organisation.Kind.UNIT,
            Organisation.Kind.NEW_ECONOMIC,
            Organisation.Kind.NEW_SOCIAL,
        ]
    )
    if district_id is not None:
        organisations = organisations.filter(district_id=district_id)
    stations: list[Station] = list(stations_for_user(user).filter(is_active=True)[:500])
    return forms.ResourceForm(
        *args,
        areas=_areas(user),
        stations=[(s.code, f"{s.name} ({s.code})") for s in stations],
        organisations=list(organisations),
        **kwargs,
    )


_FIELD_OF = {"subdistrict": "area", "community": "area"}


@require_http_methods(["GET", "POST"])
@staff_required
def resource_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """File a resource, or change one."""
    user = signed_in_user(request)
    resource = permissions.get_resource_for_user(user, pk) if pk else None
    can_edit = resource is None or permissions.can_change_resource(user, resource)
    if request.method == "POST":
        if not can_edit:
            permissions.get_resource_for_user(user, pk, for_change=True)
        form = _resource_form(user, request.POST)
        if form.is_valid():
            try:
                if resource is None:
                    from linli.places.services import resolve_district

                    resource = services.create_resource(
                        actor=user,
                        district=resolve_district(user),
                        data=form.to_input(),
                        request=request,
                    )
                else:
                    services.update_resource(
                        actor=user, resource=resource, data=form.to_input(), request=request
                    )
            except LinliError as exc:
                field = str(exc.details.get("field", ""))
                field = _FIELD_OF.get(field, field)
                form.add_error(field if field in form.fields else None, str(exc.message))
            else:
                messages.success(
                    request, _("The resource “%(title)s” is saved.") % {"title": resource.title}
                )
                return redirect("cobuild:resources")
        status = 400
    else:
        initial: dict[str, Any] = {}
        if resource is not None:
            initial = {
                "title": resource.title,
                "category": resource.category,
                "skill": resource.skill,
                "provider_kind": resource.provider_kind,
                "organisation": resource.organisation.name if resource.organisation else "",
                "provider_name": queries.provider_shown(user, resource),
                "quantity": resource.quantity,
                "quantity_unit": resource.quantity_unit,
                "area": resource.subdistrict.code
                + (f"/{resource.community.code}" if resource.community else ""),
                "station": resource.station.code if resource.station else "",
                "address": resource.address,
                "lon": resource.lon,
                "lat": resource.lat,
                "windows": forms.format_windows(resource),
                "description": resource.description,
            }
        form = _resource_form(user, initial=initial)
        status = 200
    return render(
        request,
        "cobuild/resource_form.html",
        {
            "console_nav": "cobuild_resources",
            "form": form,
            "resource": resource,
            "can_edit": can_edit,
            "page_title": resource.title if resource else _("New resource"),
        },
        status=status,
    )


@require_POST
@staff_required
def resource_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a resource from the list."""
    resource = permissions.get_resource_for_user(request.user, pk, for_change=True)
    services.deactivate_resource(actor=request.user, resource=resource, request=request)
    messages.success(
        request, _("The resource “%(title)s” is withdrawn.") % {"title": resource.title}
    )
    return redirect("cobuild:resources")


@require_GET
@staff_required
def resource_export(request: HttpRequest) -> HttpResponse:
    """The resources list as an Excel file (what the user sees, nothing more)."""
    return exports.resources_response(
        request.user, queries.resources(request.user), request=request
    )


@require_http_methods(["GET", "POST"])
@staff_required
def resource_import(request: HttpRequest) -> HttpResponse:
    """Import resources from Excel: all rows or none, every problem named by row and column."""
    report = None
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        report = imports.import_resources(
            actor=request.user,
            upload=upload,
            dry_run=request.POST.get("dry_run") == "1",
            request=request,
        )
        status = 200 if report.ok else 400
    return render(
        request,
        "cobuild/resource_import.html",
        {
            "console_nav": "cobuild_resources",
            "report": report,
            "page_title": _("Import resources from Excel"),
        },
        status=status,
    )


@require_GET
@staff_required
def resource_template(request: HttpRequest) -> HttpResponse:
    """An empty import sheet with its header and an example row."""
    return exports.template_response()


# ------------------------------------------------------------------------------------- projects


@require_GET
@projects_reader_required
def project_list(request: HttpRequest) -> HttpResponse:
    """The projects list of the user's area, by state."""
    state = request.GET.get("state", "")
    if state not in Project.State.values:
        state = ""
    projects = permissions.projects_for_user(request.user).select_related(
        "claimed_by", "community", "subdistrict", "resource"
    )
    if state:
        projects = projects.filter(state=state)
    page = Paginator(projects, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "cobuild/project_list.html",
        {
            "console_nav": "cobuild_projects",
            "page_title": _("Projects list"),
            "page": page,
            "state": state,
            "states": Project.State.choices,
            "staff": permissions.is_staff(request.user),
        },
    )


@require_GET
@staff_required
def project_export(request: HttpRequest) -> HttpResponse:
    """The projects list of the user's area (the chosen state only) as Excel."""
    state = request.GET.get("state", "")
    projects = permissions.projects_for_user(request.user)
    if state in Project.State.values:
        projects = projects.filter(state=state)
    return project_sheets.projects_response(request.user, projects, request=request)


@require_GET
@staff_required
def needs_list_export(request: HttpRequest) -> HttpResponse:
    """The needs list (需求清单) of the user's area as Excel, without personal data."""
    return project_sheets.needs_list_response(signed_in_user(request), request=request)


@require_http_methods(["GET", "POST"])
@staff_required
def project_import(request: HttpRequest) -> HttpResponse:
    """Import projects from Excel: all rows or none, every problem named by row and column."""
    report = None
    status = 200
    if request.method == "POST":
        report = project_sheets.import_projects(
            actor=signed_in_user(request),
            upload=request.FILES.get("file"),
            dry_run=request.POST.get("dry_run") == "1",
            request=request,
        )
        status = 200 if report.ok else 400
    return render(
        request,
        "cobuild/project_import.html",
        {
            "console_nav": "cobuild_projects",
            "report": report,
            "page_title": _("Import projects from Excel"),
        },
        status=status,
    )


@require_GET
@staff_required
def project_template(request: HttpRequest) -> HttpResponse:
    """An empty projects sheet with its header and an example row."""
    return project_sheets.template_response()


@require_http_methods(["GET", "POST"])
@projects_reader_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One project: its need, resource, timeline; claim it or move it on."""
    user = signed_in_user(request)
    project = permissions.get_project_for_user(user, pk)
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "claim":
                organisation = Organisation.objects.filter(
                    district_id=project.district_id,
                    pk=permissions.as_pk(request.POST.get("organisation")),
                ).first()
                if organisation is None:
                    raise LinliError(_("Choose the unit that claims it."), code="required")
                services.claim_project(
                    actor=user, project=project, organisation=organisation, request=request
                )
            else:
                services.advance_project(
                    actor=user,
                    project=project,
                    note=request.POST.get("note", "")[:500],
                    evaluation=request.POST.get("evaluation", ""),
                    request=request,
                )
        except LinliError as exc:
            error = str(exc.message)
            status = exc.status
        else:
            messages.success(
                request,
                _("The project is now “%(state)s”.")
                % {
                    "state": Project.State(
                        Project.objects.values_list("state", flat=True).get(pk=project.pk)
                    ).label
                },
            )
            return redirect("cobuild:project", pk=project.pk)
    project.refresh_from_db()
    return render(
        request,
        "cobuild/project_detail.html",
        {
            "console_nav": "cobuild_projects",
            "page_title": project.title,
            "project": project,
            "entries": project.entries.select_related("actor"),
            "can_change": permissions.can_change_project(user, project),
            # A liaison claims for his own unit only; staff for any unit of the district.
            "can_claim": permissions.unit_liaison(user)
            or permissions.can_create_resource_in(user, project.subdistrict, project.community),
            "units": Organisation.objects.filter(
                district_id=project.district_id,
                kind__in=permissions.CLAIMING_KINDS,
                **({"pk": user.organisation_id} if permissions.unit_liaison(user) else {}),
            ),
            "next_state": NEXT_STATE.get(project.state),
            "error": error,
            "posted": request.POST if error else {},
            "evaluations": services.EVALUATION_CHOICES,
        },
        status=status,
    )


def _open_needs(user: User) -> Any:
    """Open shared needs in the user's area that may become projects (needs.queries)."""
    from linli.needs.queries import open_needs_for_cobuild

    district_id = user.scope.district_id
    if district_id is None:
        return []
    return open_needs_for_cobuild(district_id).filter(permissions.area_q(user))


@require_http_methods(["GET", "POST"])
@staff_required
def project_new(request: HttpRequest) -> HttpResponse:
    """Put an open need on the projects list (待认领), with a resource if one fits."""
    user = signed_in_user(request)
    needs = list(_open_needs(user)[:500])
    resources = list(queries.resources(user)[:500])
    error = ""
    if request.method == "POST":
        need = next((n for n in needs if str(n.pk) == request.POST.get("need")), None)
        resource = next((r for r in resources if str(r.pk) == request.POST.get("resource")), None)
        try:
            if need is None:
                raise LinliError(_("Choose an open need of your area."), code="required")
            project = services.create_project(
                actor=user,
                need=need,
                resource=resource,
                title=request.POST.get("title", "")[:200],
                request=request,
            )
        except LinliError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("The project is on the list, waiting to be claimed."))
            return redirect("cobuild:project", pk=project.pk)
    return render(
        request,
        "cobuild/project_form.html",
        {
            "console_nav": "cobuild_projects",
            "page_title": _("Put a need on the projects list"),
            "needs": needs,
            "resources": resources,
            "error": error,
            "posted": request.POST if error else {},
        },
        status=400 if error else 200,
    )


@require_GET
@staff_required
def project_proposals(request: HttpRequest) -> HttpResponse:
    """The matcher's proposals for the user's area; staff put the ones they agree with on the
    projects list themselves."""
    from linli.cobuild.proposals import propose
    from linli.places.services import resolve_district

    district = resolve_district(request.user)
    result = propose(signed_in_user(request), district, now=timezone.now())
    return render(
        request,
        "cobuild/project_proposals.html",
        {
            "console_nav": "cobuild_projects",
            "page_title": _("Proposed matches"),
            "result": result,
        },
    )
