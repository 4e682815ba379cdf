"""Resident pages for needs: raise one, follow its progress, rate it; and the public timeline.

Thin: the resident's own needs come from ``permissions.my_needs``; every change is one call into
``linli.needs.services``; a refusal keeps what the resident typed and shows the message beside
the field it names.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from linli.accounts.scopes import signed_in_user
from linli.core.exceptions import LinliError
from linli.needs import permissions, queries, services
from linli.needs.forms import NeedForm, RatingForm
from linli.needs.models import DONE_STATUSES, Need, Status
from linli.needs.paging import CappedPaginator
from linli.places.models import Compound, District


def district_for(request: HttpRequest) -> District | None:
    user = request.user
    if user.is_authenticated and user.district_id:
        return District.objects.filter(pk=user.district_id).first()
    return District.objects.order_by("pk").first()


def resident_required[V: Callable[..., HttpResponse]](view: V) -> V:
    """Residents log in with their phone; anyone else is sent there first."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:phone_login')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]  # wraps keeps V's signature


def form_error(form: Any, err: LinliError) -> None:
    """Show a service refusal next to the field it names, or above the form."""
    name = str(err.details.get("field", ""))
    if name in ("lat", "lon"):
        name = "compound"
    form.add_error(name if name in form.fields else None, str(err.message))


@resident_required
def my_needs(request: HttpRequest) -> HttpResponse:
    needs = permissions.my_needs(request.user).select_related("community", "compound")
    return render(
        request,
        "needs/resident/my_needs.html",
        {"needs": needs[:100], "district": district_for(request)},
    )


@resident_required
def need_new(request: HttpRequest) -> HttpResponse:
    district = district_for(request)
    if district is None:
        raise Http404("No district.")
    compounds = Compound.objects.filter(district=district).order_by("name")
    form = NeedForm(request.POST or None, request.FILES or None, compounds=compounds)
    status = 200
    similar: list[Need] = []
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            if data["compound"] is not None and not request.POST.get("confirm_new"):
                similar = list(
                    queries.similar_open_needs(
                        district_id=district.pk,
                        category=data["category"],
                        compound_id=data["compound"].pk,
                    )
                )
            if similar:
                return render(
                    request,
                    "needs/resident/need_form.html",
                    {"form": form, "district": district, "similar": similar},
                )
            try:
                need = services.raise_need(
                    actor=request.user,
                    district=district,
                    category=data["category"],
                    description=data["description"],
                    compound=data["compound"],
                    lon=data["lon"],
                    lat=data["lat"],
                    scale=data["scale"],
                    anonymous=data["anonymous"],
                    contact_preference=data["contact_preference"],
                    photo_files=[(f.name or "", f) for f in request.FILES.getlist("photos")],
                    request=request,
                )
            except LinliError as err:
                form_error(form, err)
            else:
                messages.success(
                    request,
                    _("Thank you. Your need number is %(ref)s; you can follow it here.")
                    % {"ref": need.reference},
                )
                return redirect("needs:mine_detail", pk=need.pk)
        status = 400
    return render(
        request,
        "needs/resident/need_form.html",
        {"form": form, "district": district},
        status=status,
    )


@resident_required
def my_need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need = permissions.get_my_need(request.user, pk)
    form = RatingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.rate_need(
                    actor=signed_in_user(request),
                    need_id=need.pk,
                    level=form.cleaned_data["level"],
                    comment=form.cleaned_data["comment"],
                    reopen=form.cleaned_data["reopen"],
                    request=request,
                )
            except LinliError as err:
                form_error(form, err)
            else:
                messages.success(request, _("Thank you for your rating."))
                return redirect("needs:mine_detail", pk=need.pk)
        status = 400
    return render(
        request,
        "needs/resident/need_detail.html",
        {
            "need": need,
            "steps": queries.public_steps(need),
            "form": form,
            "can_rate": need.status in (Status.RESOLVED, Status.FOLLOWED_UP),
            "district": district_for(request),
            "photos": need.photos.all(),
        },
        status=status,
    )


@resident_required
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    """ "+1": the resident's need is the same as this one; they follow it instead."""
    if request.method != "POST":
        return redirect("needs:new")
    try:
        need = services.follow_need(actor=signed_in_user(request), need_id=pk)
    except LinliError as err:
        messages.error(request, str(err.message))
        return redirect("needs:new")
    messages.success(
        request,
        _("You follow need %(ref)s now; you will see its progress under “My needs”.")
        % {"ref": need.reference},
    )
    return redirect("needs:mine")


# ------------------------------------------------------------------------------------ public


def public_timeline(request: HttpRequest) -> HttpResponse:
    """三公开: the service process — what residents asked for and what became of it."""
    district = district_for(request)
    if district is None:
        raise Http404("No district.")
    rows = queries.public_timeline(district.pk).values(*queries.PUBLIC_FIELDS)
    page = CappedPaginator(rows, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "needs/resident/public_timeline.html",
        {
            "page": page,
            "rows": [queries.public_row(r) for r in page.object_list],
            "district": district,
            "done_statuses": DONE_STATUSES,
        },
    )


def public_need(request: HttpRequest, pk: int) -> HttpResponse:
    district = district_for(request)
    try:
        need = (
            Need.objects.public()
            .select_related("community", "compound")
            .get(pk=permissions.as_pk(pk), district=district)
        )
    except Need.DoesNotExist:
        raise Http404("No such need.") from None
    return render(
        request,
        "needs/resident/public_need.html",
        {
            "need": need,
            "steps": queries.public_steps(need),
            "district": district,
            # Only photos staff have looked at and published (services.review_photo).
            "photos": need.photos.filter(approved=True, reviewed_at__isnull=False),
        },
    )
