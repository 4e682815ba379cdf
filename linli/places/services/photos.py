"""Station photos (照片)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import AnyUser
from linli.core.audited import CREATE, DELETE, UPDATE, Change, audited_change
from linli.core.exceptions import Conflict, NotFound
from linli.places.models import (
    Station,
    StationPhoto,
)
from linli.places.services.stations import _locked_station
from linli.places.services.validators import _invalid

# --------------------------------------------------------------------------------------------
# Station photos (照片)
#
# The model has no cover flag: the resident page shows photos in ``sort_order`` and the first one
# leads, so "set as cover" moves a photo to the front. Every photo needs a caption: it is the
# image's alt text on the resident page, read out by screen readers.

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_COUNT = 12
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_FORMATS = {"jpeg": "jpg", "png": "png", "webp": "webp"}


def _sniff_image(head: bytes) -> str | None:
    """The format named by the file's first bytes (JPEG, PNG or WebP), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def check_photo(upload: Any) -> str:
    """Refuse anything but a readable JPEG, PNG or WebP of at most 5 MB; return its format.

    The first bytes must say JPEG/PNG/WebP whatever the file is called, and Pillow (what Django's
    ImageField uses) must open and verify it, so a truncated or disguised file is refused.
    """
    not_image = _invalid(
        _("This file is not a JPEG, PNG or WebP photo. Please choose a photo file."),
        code="invalid_image",
        field_name="image",
    )
    size = getattr(upload, "size", None) or 0
    if size > PHOTO_MAX_BYTES:
        raise _invalid(
            _("The photo is %(size)s MB; at most %(limit)s MB is allowed.")
            % {"size": f"{size / 1024 / 1024:.1f}", "limit": PHOTO_MAX_BYTES // 1024 // 1024},
            code="too_large",
            field_name="image",
        )
    if size == 0:
        raise not_image
    upload.seek(0)
    kind = _sniff_image(upload.read(16))
    upload.seek(0)
    if kind is None:
        raise not_image
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(upload) as image:
            if (image.format or "").lower() != kind:
                raise not_image
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise _invalid(
                    _("The photo has too many pixels; please upload a smaller one."),
                    code="too_large",
                    field_name="image",
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_image from None
    finally:
        upload.seek(0)
    return kind


def _locked_photo(actor: AnyUser, photo: StationPhoto) -> StationPhoto:
    """The photo, read under its station's row lock; ``.station`` is the locked station."""
    station = _locked_station(actor, photo.station)
    locked = StationPhoto.objects.filter(pk=photo.pk, station=station).first()
    if locked is None:
        raise NotFound(_("No such photo."), code="not_found")
    locked.station = station
    return locked


def _renumber(photos: Sequence[StationPhoto]) -> None:
    """Save sort_order 1..n one by one (receivers fire); only rows that changed are written."""
    for order, photo in enumerate(photos, start=1):
        if photo.sort_order != order:
            photo.sort_order = order
            photo.save(update_fields=["sort_order"])


def _photo_caption(caption: str) -> str:
    """The caption trimmed, or refused: it is the photo's alt text, so it is required."""
    caption = caption.strip()
    if not caption:
        raise _invalid(
            _("Describe the photo in a few words; screen readers read it to blind residents."),
            code="required",
            field_name="caption",
        )
    if len(caption) > 120:
        raise _invalid(
            _("The caption may be at most 120 characters."), code="too_long", field_name="caption"
        )
    return caption


def _photo_change(
    actor: AnyUser, photo: StationPhoto, action: str, request: HttpRequest | None
) -> AbstractContextManager[Change[StationPhoto]]:
    """An audited change to one photo, read under its station's lock."""

    return audited_change(
        actor=actor, action=action, lock=lambda: _locked_photo(actor, photo), request=request
    )


def add_station_photo(
    *,
    actor: AnyUser,
    station: Station,
    image: Any,
    caption: str,
    request: HttpRequest | None = None,
) -> StationPhoto:
    """Add a photo at the end of the station's photos; its caption is required (alt text)."""
    caption = _photo_caption(caption)
    kind = check_photo(image)
    stored = ""
    try:
        with audited_change(
            actor=actor,
            action=CREATE,
            lock=lambda: _locked_station(actor, station),
            request=request,
        ) as change:
            locked = change.obj
            photos = list(StationPhoto.objects.filter(station=locked).order_by("sort_order", "pk"))
            if len(photos) >= PHOTO_MAX_COUNT:
                raise Conflict(
                    _("A station may have at most %(count)s photos; delete one first.")
                    % {"count": PHOTO_MAX_COUNT},
                    code="too_many_photos",
                    field="image",
                )
            _renumber(photos)
            photo = StationPhoto(station=locked, caption=caption, sort_order=len(photos) + 1)
            # The stored name is ours (station code + format), never the uploader's file name.
            photo.image.save(f"{locked.code}.{PHOTO_FORMATS[kind]}", image, save=False)
            stored = str(photo.image.name)
            photo.save()
            change.subject = photo
            change.district_id = locked.district_id
            change.changes = {"station": locked.code, "caption": [None, caption], "image": stored}
    except BaseException:
        # The file was written before the rows; a rolled-back photo leaves no file behind.
        if stored:
            StationPhoto.image.field.storage.delete(stored)
        raise
    return photo


def update_station_photo(
    *, actor: AnyUser, photo: StationPhoto, caption: str, request: HttpRequest | None = None
) -> StationPhoto:
    """Change a photo's caption (its alt text)."""
    caption = _photo_caption(caption)
    with _photo_change(actor, photo, UPDATE, request) as change:
        locked = change.obj
        change.district_id = locked.station.district_id
        change.changes = {}
        if locked.caption != caption:
            before = locked.caption
            locked.caption = caption
            locked.save(update_fields=["caption"])
            change.changes = {"station": locked.station.code, "caption": [before, caption]}
    return change.obj


def move_station_photo(
    *, actor: AnyUser, photo: StationPhoto, to: str, request: HttpRequest | None = None
) -> StationPhoto:
    """Move a photo one place ``"up"`` or ``"down"``, or to the front (``"first"``, the cover)."""
    if to not in ("up", "down", "first"):
        raise _invalid(_("Unknown move."), code="invalid", field_name="to")
    with _photo_change(actor, photo, UPDATE, request) as change:
        station = change.obj.station
        photos = list(StationPhoto.objects.filter(station=station).order_by("sort_order", "pk"))
        at = next(i for i, p in enumerate(photos) if p.pk == change.obj.pk)
        before = [p.pk for p in photos]
        moving = photos.pop(at)
        where = {"first": 0, "up": max(at - 1, 0), "down": min(at + 1, len(photos))}[to]
        photos.insert(where, moving)
        change.subject = moving
        change.district_id = station.district_id
        change.changes = {}
        if [p.pk for p in photos] != before:
            _renumber(photos)
            change.changes = {"station": station.code, "position": [at + 1, where + 1]}
    return moving


def delete_station_photo(
    *, actor: AnyUser, photo: StationPhoto, request: HttpRequest | None = None
) -> None:
    """Remove a photo; its file is deleted once the transaction has committed."""
    with transaction.atomic():
        with _photo_change(actor, photo, DELETE, request) as change:
            locked = change.obj
            station = locked.station
            name = locked.image.name
            storage = locked.image.storage
            change.district_id = station.district_id
            change.changes = {
                "station": station.code,
                "caption": [locked.caption, None],
                "image": name,
            }
            change.delete = True
        _renumber(list(StationPhoto.objects.filter(station=station).order_by("sort_order", "pk")))
        transaction.on_commit(lambda: storage.delete(name) if name else None)
