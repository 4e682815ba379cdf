"""照片 in the console: upload, caption, order, cover, delete; and who may."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from linli.accounts.models import User
from linli.core import audit
from linli.core.exceptions import LinliError
from linli.core.models import AuditEntry
from linli.places import services
from linli.places.models import Station, StationPhoto
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def _english_pages(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _image(fmt: str = "PNG", *, name: str = "photo.png", size: tuple[int, int] = (64, 48)) -> Any:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def _url(station: Station) -> str:
    return reverse("console:station_photos", args=[station.pk])


def _photo(station: Station, caption: str, order: int) -> StationPhoto:
    photo = StationPhoto(station=station, caption=caption, sort_order=order)
    photo.image.save(f"{station.code}.png", _image(), save=True)
    return photo


def _order(station: Station) -> list[str]:
    return list(station.photos.order_by("sort_order", "pk").values_list("caption", flat=True))


# ------------------------------------------------------------------------------ upload


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "a.png"), ("JPEG", "b.jpg"), ("WEBP", "c.webp")])
def test_community_staff_uploads_a_photo(
    as_user: Any, community_staff: User, hierarchy: Hierarchy, media: Path, fmt: str, name: str
) -> None:
    station = hierarchy.station_xingfu
    response = as_user(community_staff).post(
        _url(station), {"image": _image(fmt, name=name), "caption": "驿站阅读角"}
    )

    assert response.status_code == 302
    photo = StationPhoto.objects.get(station=station)
    assert photo.caption == "驿站阅读角"
    name = str(photo.image.name)
    assert (media / name).exists()
    assert name.startswith("stations/")
    assert station.code in name
    entry = AuditEntry.objects.get(object_type="places.stationphoto")
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.district_id == hierarchy.district.pk


def test_the_resident_page_shows_the_photo_with_its_caption_as_alt(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    as_user(community_staff).post(_url(station), {"image": _image(), "caption": "驿站入口"})

    text = Client().get(reverse("resident:station", args=[station.pk])).content.decode()

    photo = StationPhoto.objects.get()
    assert photo.image.url in text
    assert 'alt="驿站入口"' in text


def test_the_console_shows_thumbnails(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    photo = _photo(hierarchy.station_xingfu, "驿站入口", 1)
    text = as_user(community_staff).get(_url(hierarchy.station_xingfu)).content.decode()
    assert f'src="{photo.image.url}"' in text
    assert "Cover photo" in text


@pytest.mark.parametrize(
    ("upload", "caption", "field", "message"),
    [
        (lambda: _image(), "", "caption", "This field is required."),
        (
            lambda: SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>" * 10, "image/jpeg"),
            "照片",
            "image",
            "not a JPEG, PNG or WebP photo",
        ),
        (
            lambda: SimpleUploadedFile("scan.gif", b"GIF89a" + b"\0" * 100, "image/gif"),
            "照片",
            "image",
            "not a JPEG, PNG or WebP photo",
        ),
        (
            # PNG's first bytes, then nothing an image reader can use.
            lambda: SimpleUploadedFile("broken.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 200),
            "照片",
            "image",
            "not a JPEG, PNG or WebP photo",
        ),
        (
            lambda: SimpleUploadedFile(
                "huge.jpg", b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024 + 10), "image/jpeg"
            ),
            "照片",
            "image",
            "at most 5 MB",
        ),
    ],
)
def test_it_refuses_a_bad_upload_with_a_clear_message(
    as_user: Any,
    community_staff: User,
    hierarchy: Hierarchy,
    media: Path,
    upload: Any,
    caption: str,
    field: str,
    message: str,
) -> None:
    response = as_user(community_staff).post(
        _url(hierarchy.station_xingfu), {"image": upload(), "caption": caption}
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert not StationPhoto.objects.exists()
    assert not any(p.is_file() for p in media.rglob("*"))


def test_a_file_with_photo_bytes_in_front_but_no_image_behind_is_refused() -> None:
    """The first bytes alone do not decide: Pillow must read the image behind them."""
    png = SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 50)
    with pytest.raises(LinliError):
        services.check_photo(png)
    webp = SimpleUploadedFile("x.webp", b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 50)
    with pytest.raises(LinliError):
        services.check_photo(webp)


def test_a_station_has_at_most_twelve_photos(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    for i in range(services.PHOTO_MAX_COUNT):
        _photo(station, f"照片{i}", i + 1)
    response = as_user(community_staff).post(_url(station), {"image": _image(), "caption": "多"})
    assert response.status_code == 400
    assert station.photos.count() == services.PHOTO_MAX_COUNT


# ------------------------------------------------------------------------------ order, caption


def test_photos_move_up_down_and_to_the_cover(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    a, b, c = (_photo(station, name, i) for i, name in enumerate("ABC", start=1))
    client = as_user(community_staff)

    def move(photo: StationPhoto, to: str) -> int:
        url = reverse("console:station_photo_move", args=[station.pk, photo.pk])
        return int(client.post(url, {"to": to}).status_code)

    assert move(c, "up") == 302
    assert _order(station) == ["A", "C", "B"]
    assert move(b, "first") == 302
    assert _order(station) == ["B", "A", "C"]
    assert move(b, "down") == 302
    assert _order(station) == ["A", "B", "C"]
    assert move(c, "down") == 302  # already last: nothing changes
    assert _order(station) == ["A", "B", "C"]
    assert move(a, "sideways") == 302
    assert _order(station) == ["A", "B", "C"]
    assert AuditEntry.objects.filter(object_type="places.stationphoto").count() == 3


def test_the_cover_leads_on_the_resident_page(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    _photo(station, "活动室", 1)
    entrance = _photo(station, "驿站入口", 2)
    url = reverse("console:station_photo_move", args=[station.pk, entrance.pk])
    as_user(community_staff).post(url, {"to": "first"})

    text = Client().get(reverse("resident:station", args=[station.pk])).content.decode()
    assert text.index('alt="驿站入口"') < text.index('alt="活动室"')


def test_a_caption_can_be_changed_but_not_emptied(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    photo = _photo(station, "旧说明", 1)
    url = reverse("console:station_photo_caption", args=[station.pk, photo.pk])
    client = as_user(community_staff)

    assert client.post(url, {"caption": "新说明"}).status_code == 302
    assert StationPhoto.objects.get().caption == "新说明"
    assert client.post(url, {"caption": "  "}).status_code == 302
    assert StationPhoto.objects.get().caption == "新说明"


def test_deleting_removes_the_photo_and_its_file(
    as_user: Any,
    community_staff: User,
    hierarchy: Hierarchy,
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    station = hierarchy.station_xingfu
    first = _photo(station, "A", 1)
    second = _photo(station, "B", 2)
    path = media / str(first.image.name)
    url = reverse("console:station_photo_delete", args=[station.pk, first.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(community_staff).post(url)

    assert response.status_code == 302
    assert list(StationPhoto.objects.values_list("pk", "sort_order")) == [(second.pk, 1)]
    assert not path.exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DELETE).count() == 1


# ------------------------------------------------------------------------------ who may


def test_a_keeper_adds_photos_to_their_own_station(
    as_user: Any, station_keeper: User, hierarchy: Hierarchy
) -> None:
    response = as_user(station_keeper).post(
        _url(hierarchy.station_xingfu), {"image": _image(), "caption": "门口"}
    )
    assert response.status_code == 302
    assert StationPhoto.objects.filter(station=hierarchy.station_xingfu).count() == 1


def test_a_keeper_cannot_touch_another_station(
    as_user: Any, station_keeper: User, hierarchy: Hierarchy
) -> None:
    other = hierarchy.station_heping
    photo = _photo(other, "和平", 1)
    client = as_user(station_keeper)
    assert client.get(_url(other)).status_code == 404
    assert client.post(_url(other), {"image": _image(), "caption": "x"}).status_code == 404
    delete = reverse("console:station_photo_delete", args=[other.pk, photo.pk])
    assert client.post(delete).status_code == 404
    assert StationPhoto.objects.filter(station=other).count() == 1


def test_it_refuses_another_communitys_staff(
    as_user: Any, other_community_staff: User, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    a = _photo(station, "A", 1)
    b = _photo(station, "B", 2)
    client = as_user(other_community_staff)

    assert client.get(_url(station)).status_code == 404
    assert client.post(_url(station), {"image": _image(), "caption": "x"}).status_code == 404
    move = reverse("console:station_photo_move", args=[station.pk, b.pk])
    assert client.post(move, {"to": "first"}).status_code == 404
    caption = reverse("console:station_photo_caption", args=[station.pk, a.pk])
    assert client.post(caption, {"caption": "改"}).status_code == 404
    delete = reverse("console:station_photo_delete", args=[station.pk, a.pk])
    assert client.post(delete).status_code == 404
    assert _order(station) == ["A", "B"]


def test_a_photo_of_another_station_is_not_found_under_mine(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    theirs = _photo(hierarchy.station_xiyuan, "西园", 1)
    mine = hierarchy.station_xingfu
    delete = reverse("console:station_photo_delete", args=[mine.pk, theirs.pk])
    assert as_user(community_staff).post(delete).status_code == 404
    assert StationPhoto.objects.filter(pk=theirs.pk).exists()


def test_it_refuses_another_districts_admin(
    as_user: Any, other_district_admin: User, hierarchy: Hierarchy
) -> None:
    response = as_user(other_district_admin).post(
        _url(hierarchy.station_xingfu), {"image": _image(), "caption": "x"}
    )
    assert response.status_code == 404
    assert not StationPhoto.objects.exists()


def test_a_resident_is_sent_to_the_staff_login(
    as_user: Any, resident: User, hierarchy: Hierarchy
) -> None:
    """As on every console page: the staff login page says who may sign in there."""
    response = as_user(resident).post(
        _url(hierarchy.station_xingfu), {"image": _image(), "caption": "x"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not StationPhoto.objects.exists()


def test_anonymous_is_sent_to_login(client: Client, hierarchy: Hierarchy) -> None:
    response = client.post(_url(hierarchy.station_xingfu), {"image": _image(), "caption": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not StationPhoto.objects.exists()


def test_the_service_refuses_another_communitys_staff_directly(
    other_community_staff: User, hierarchy: Hierarchy
) -> None:
    photo = _photo(hierarchy.station_xingfu, "A", 1)
    with pytest.raises(LinliError):
        services.delete_station_photo(actor=other_community_staff, photo=photo)
    assert StationPhoto.objects.filter(pk=photo.pk).exists()


def test_a_failed_save_leaves_no_file_behind(
    community_staff: User, hierarchy: Hierarchy, media: Path, monkeypatch: Any
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        services.add_station_photo(
            actor=community_staff, station=hierarchy.station_xingfu, image=_image(), caption="门口"
        )
    assert not StationPhoto.objects.exists()
    assert not any(p.is_file() for p in media.rglob("*"))
