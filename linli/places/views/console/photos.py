"""Console pages for station photos (照片)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from linli.core.exceptions import LinliError
from linli.places import permissions, services
from linli.places.forms import (
    CaptionForm,
    PhotoForm,
)
from linli.places.models import (
    Station,
    StationPhoto,
)
from linli.places.views.console._common import _form_error, _is_editor, staff_required


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
