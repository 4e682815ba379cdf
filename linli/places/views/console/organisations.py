"""Console pages for organisations (服务组织)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from linli.core.exceptions import LinliError
from linli.places import organisation_sheet, permissions, services
from linli.places.forms import (
    OrganisationForm,
    OrganisationMergeForm,
)
from linli.places.models import (
    Organisation,
    Service,
)
from linli.places.views.console._common import (
    _download,
    _form_error,
    _is_editor,
    _page,
    staff_required,
)

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
