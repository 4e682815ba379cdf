"""Photos are checked from their content; EXIF (GPS included) never reaches storage."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from linli.core.exceptions import LinliError
from linli.needs import photos
from linli.needs.tests.images import jpeg_with_gps, png


def test_a_photo_is_stored_without_exif_and_gps() -> None:
    raw = jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the upload had GPS
    clean = photos.clean_photo(io.BytesIO(raw), name="p.jpg")
    stored = Image.open(io.BytesIO(clean.image))
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert b"PhoneMaker" not in clean.image
    thumb = Image.open(io.BytesIO(clean.thumbnail))
    assert max(thumb.size) <= photos.THUMB_SIDE


def test_a_png_is_accepted_and_re_encoded() -> None:
    clean = photos.clean_photo(io.BytesIO(png()), name="p.png")
    assert Image.open(io.BytesIO(clean.image)).format == "JPEG"


def test_a_text_file_named_like_a_photo_is_refused_by_its_content() -> None:
    with pytest.raises(LinliError) as err:
        photos.clean_photo(io.BytesIO(b"<?php echo 1; ?>" * 10), name="evil.jpg")
    assert err.value.code == "photo_invalid"
    assert "evil.jpg" in str(err.value.message)


def test_an_oversized_file_is_refused_with_its_name() -> None:
    big = io.BytesIO(b"\xff" * (photos.MAX_BYTES + 10))
    with pytest.raises(LinliError) as err:
        photos.clean_photo(big, name="huge.jpg")
    assert err.value.code == "photo_too_large"
    assert "huge.jpg" in str(err.value.message)


def test_a_truncated_jpeg_is_refused() -> None:
    raw = jpeg_with_gps((400, 300))
    with pytest.raises(LinliError):
        photos.clean_photo(io.BytesIO(raw[: len(raw) // 3]), name="cut.jpg")
