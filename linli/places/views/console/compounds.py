"""Console pages for residential compounds (小区) and their gates."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from linli.core.exceptions import LinliError
from linli.places import imports, permissions, services
from linli.places.forms import (
    CompoundForm,
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
def compound_list(request: HttpRequest) -> HttpResponse:
    qs = (
        permissions.compounds_for_user(request.user)
        .select_related("community__subdistrict")
        .annotate(gate_count=Count("gates"))
    )
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=imports.fold(q)))
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
