"""Photos residents attach to needs: checked from their content, never from the name.

``clean_photo`` opens the bytes with Pillow, refuses what is not a JPEG, PNG or WebP image (a
renamed text file, a truncated file, a decompression bomb), turns the picture upright by its EXIF
orientation and encodes it again as JPEG — which drops every EXIF tag, GPS position included —
and makes a thumbnail. Nothing of the uploaded file is stored as sent.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from linli.core.exceptions import LinliError

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
THUMB_SIDE = 320
MAX_PHOTOS = 4
FORMATS = {"JPEG", "PNG", "WEBP"}


@dataclass(frozen=True)
class CleanPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int


def _encode(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def clean_photo(file: IO[bytes] | Any, *, name: str) -> CleanPhoto:
    """The photo re-encoded without metadata, plus a thumbnail; refuses anything else."""
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise LinliError(
            _("The photo “%(name)s” is larger than %(mb)s MB. Please send a smaller one.")
            % {"name": name, "mb": MAX_BYTES // (1024 * 1024)},
            code="photo_too_large",
            field="photos",
        )
    refused = LinliError(
        _("“%(name)s” is not a photo we can read. Please send a JPEG, PNG or WebP picture.")
        % {"name": name},
        code="photo_invalid",
        field="photos",
    )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise refused
            if probe.width * probe.height > MAX_PIXELS:
                raise refused
            probe.verify()
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()
            upright = ImageOps.exif_transpose(picture)
            rgb = upright.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused from None
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    width, height = rgb.size
    image = _encode(rgb)
    thumb = rgb.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return CleanPhoto(image=image, thumbnail=_encode(thumb), width=width, height=height)
