"""Console pages for services (服务项目) and the stations offering them."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from linli.core.exceptions import LinliError
from linli.places import permissions, services
from linli.places.forms import (
    ServiceForm,
    ServiceLinkForm,
)
from linli.places.models import (
    Service,
    ServiceAtStation,
)
from linli.places.views.console._common import (
    _form_error,
    _id_param,
    _is_editor,
    _page,
    _require_editor,
    staff_required,
)


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
    link_form = ServiceLinkForm(user=request.user) if service else None
    return _service_page(request, service, form=form, link_form=link_form)


def _service_page(
    request: HttpRequest,
    service: Service | None,
    *,
    form: ServiceForm,
    link_form: ServiceLinkForm | None,
    status: int = 200,
) -> HttpResponse:
    """The service's page; a refused form is shown again with what was typed."""
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
            "link_form": link_form,
            "organisations": form.organisations,
            "page_title": _("Edit service") if service else _("New service"),
        },
        status=status,
    )


@staff_required
@require_POST
def service_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Offer the service at a station or change its schedule there; a refusal keeps what was
    typed, the error beside its field."""
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
            _form_error(form, err)
        else:
            messages.success(request, _("Schedule saved."))
            return redirect("console:service_edit", pk=service.pk)
    details = ServiceForm(
        user=request.user, creating=False, initial=ServiceForm.initial_for(service)
    )
    return _service_page(request, service, form=details, link_form=form, status=400)


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
