"""Browser journey: a community worker announces a closure and adds a photo; residents see both.

The live server does not serve MEDIA_URL (Django serves it only with DEBUG; nginx does in
production, docs/deploy.md), so the browser's requests for uploaded photos are answered from the
test's MEDIA_ROOT by Playwright itself.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from linli.accounts.models import User
from linli.places.models import OpeningException, StationPhoto
from linli.places.reference import sync_reference_data
from tests.e2e.conftest import axe_violations, screenshot
from tests.personas import PASSWORD, Hierarchy

Image = pytest.importorskip("PIL.Image")


@pytest.fixture
def reference(transactional_db: Any) -> None:
    """Reference lists again: a transactional test flushes what the data migration loaded."""
    sync_reference_data()


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def serve_media(page: Any, root: Path) -> None:
    """Answer /media/… from ``root``, as nginx would."""

    def handle(route: Any) -> None:
        name = route.request.url.split("/media/", 1)[1]
        path = root / name
        if path.is_file():
            route.fulfill(status=200, body=path.read_bytes(), content_type="image/jpeg")
        else:
            route.fulfill(status=404, body=b"")

    page.route("**/media/**", handle)


def log_in(page: Any, username: str, password: str) -> None:
    """Log in with Enter in the password field (the login page also has a language button)."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


def next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


def _entrance_photo(tmp_path: Path) -> Path:
    """A small picture of a door, as a JPEG file a worker would pick from the phone's album."""
    image = Image.new("RGB", (800, 520), (236, 230, 218))
    for x in range(300, 500):
        for y in range(160, 520):
            image.putpixel((x, y), (150, 40, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    path = tmp_path / "驿站门口.jpg"
    path.write_bytes(buffer.getvalue())
    return path


def _activity_room_photo(tmp_path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (60, 120, 170)).save(buffer, format="PNG")
    path = tmp_path / "活动室.png"
    path.write_bytes(buffer.getvalue())
    return path


def test_a_community_worker_closes_a_station_and_adds_a_photo(
    reference: None,
    hierarchy: Hierarchy,
    community_staff: User,
    desktop_page: Any,
    page: Any,
    media: Path,
    tmp_path: Path,
) -> None:
    station = hierarchy.station_xingfu
    monday = next_monday(timezone.localdate())
    photo_file = _entrance_photo(tmp_path)
    console = desktop_page
    serve_media(console, media)

    log_in(console, community_staff.username, PASSWORD)
    console.wait_for_url("**/console/")
    console.goto("/console/stations/")
    console.get_by_role("link", name=station.name).first.click()
    console.wait_for_url(f"**/console/stations/{station.pk}/")
    console.get_by_role("link", name="临时调整/闭馆").click()
    console.wait_for_url(f"**/console/stations/{station.pk}/exceptions/")

    # A reversed period is refused with a message next to the field.
    console.fill("input[name=first_day]", monday.isoformat())
    console.fill("input[name=last_day]", (monday - dt.timedelta(days=1)).isoformat())
    console.fill("input[name=note]", "设备检修，暂停开放")
    console.get_by_role("button", name="保存并发布").click()
    assert "截止日期不能早于开始日期" in console.locator(".field-error").first.inner_text()
    assert not OpeningException.objects.exists()

    console.fill("input[name=last_day]", "")
    console.get_by_label("全天闭馆").check()
    console.get_by_role("button", name="保存并发布").click()
    console.wait_for_url(f"**/console/stations/{station.pk}/exceptions/")
    assert "已保存" in console.locator(".messages").inner_text()
    assert "设备检修，暂停开放" in console.locator("#upcoming").inner_text()
    screenshot(console, "console-station-exceptions")
    assert axe_violations(console) == []

    console.get_by_role("link", name="照片", exact=True).click()
    console.wait_for_url(f"**/console/stations/{station.pk}/photos/")
    console.set_input_files("input[name=image]", str(photo_file))
    console.get_by_role("button", name="上传").click()
    # The caption is required: it is the photo's alt text.
    assert "这个字段是必填项" in console.locator(".field-error").first.inner_text()
    console.set_input_files("input[name=image]", str(photo_file))
    console.fill("#id_caption", "驿站入口")
    console.get_by_role("button", name="上传").click()
    console.wait_for_url(f"**/console/stations/{station.pk}/photos/")
    thumb = console.locator(".photo-thumb").first
    thumb.wait_for()
    assert console.evaluate("img => img.naturalWidth", thumb.element_handle()) > 0
    assert "封面照片" in console.locator(".photo-list").inner_text()
    console.set_input_files("input[name=image]", str(_activity_room_photo(tmp_path)))
    console.fill("#id_caption", "活动室")
    with console.expect_navigation():
        console.get_by_role("button", name="上传").click()
    with console.expect_navigation():
        console.locator(".photo-item").nth(1).get_by_role("button", name="设为封面").click()
    assert "活动室" in console.locator(".photo-item.is-cover").inner_html()
    screenshot(console, "console-station-photos")
    assert axe_violations(console) == []
    assert OpeningException.objects.get(station=station).date == monday
    assert list(
        StationPhoto.objects.filter(station=station)
        .order_by("sort_order")
        .values_list("caption", flat=True)
    ) == ["活动室", "驿站入口"]

    # A resident on a phone sees the closure and the photo at once.
    serve_media(page, media)
    page.goto(f"/stations/{station.pk}/")
    # Within the week shown it is a row of the table; later, a line under "changes to the hours".
    hours = page.locator("section[aria-labelledby=hours-title]").inner_text()
    assert "设备检修，暂停开放" in hours
    assert f"{monday.month}月{monday.day}日" in hours
    photo = page.get_by_role("img", name="驿站入口")
    photo.scroll_into_view_if_needed()
    assert page.evaluate("img => img.naturalWidth", photo.element_handle()) > 0
    screenshot(page, "resident-station-closure-and-photo")
    assert axe_violations(page) == []
