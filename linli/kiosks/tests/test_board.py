"""The e-newspaper board's feed: staff publish, the board fetches (signed), the hut page says
when it last did."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.models import User
from linli.core.models import AuditEntry
from linli.kiosks import board, services, signing
from linli.kiosks.models import BoardPost, Device, DeviceKind, DeviceStatus, Section
from linli.places.models import Station
from tests.personas import login

FEED = "/api/kiosks/device/feed"


@pytest.fixture
def newspaper(smart_hut: Station) -> Device:
    return Device.objects.create(
        district_id=smart_hut.district_id,
        station=smart_hut,
        section=Section.READING,
        kind=DeviceKind.E_NEWSPAPER,
        code="H001-EN",
        name="电子阅报栏",
        status=DeviceStatus.ONLINE,
        status_since=timezone.now(),
    )


@pytest.fixture
def board_key(newspaper: Device, district_admin: User) -> services.IssuedKey:
    return services.issue_device_key(actor=district_admin, device=newspaper)


def _fetch(client: Client, key: services.IssuedKey, *, secret: str | None = None) -> Any:
    headers = signing.signed_headers(
        key_id=key.key.key_id,
        secret=secret or key.secret,
        method="GET",
        path=FEED,
        body=b"",
        timestamp=int(timezone.now().timestamp()),
        nonce=secrets.token_urlsafe(12),
    )
    return client.get(FEED, headers=headers)


def _api(user: User) -> Client:
    return login(Client(), user)


def _publish(user: User, **fields: Any) -> Any:
    payload = {"kind": "notice", "title": "停水通知", "body": "周三 9:00—12:00 停水。", **fields}
    return _api(user).post("/api/kiosks/board-posts", payload, content_type="application/json")


def test_the_board_fetches_what_staff_published_and_the_fetch_is_recorded(
    client: Client,
    board_key: services.IssuedKey,
    newspaper: Device,
    hut_keeper: User,
    district_admin: User,
    smart_hut: Station,
) -> None:
    assert _publish(hut_keeper, hut_id=smart_hut.pk).status_code == 201
    warning = _publish(district_admin, kind="warning", title="寒潮预警", body="注意保暖。")
    assert warning.status_code == 201, warning.content
    response = _fetch(client, board_key)
    assert response.status_code == 200, response.content
    feed = response.json()
    assert [p["title"] for p in feed["posts"]] == ["寒潮预警", "停水通知"]  # warnings first
    fetched = Device.objects.get(pk=newspaper.pk).feed_fetched_at
    assert fetched is not None
    assert timezone.now() - fetched < dt.timedelta(seconds=5)
    page = login(Client(), hut_keeper).get(f"/console/kiosks/huts/{smart_hut.pk}/")
    assert "最近一次获取内容" in page.content.decode()


def test_the_feed_leaves_out_withdrawn_expired_and_other_huts_posts(
    client: Client,
    board_key: services.IssuedKey,
    hut_keeper: User,
    community_staff: User,
    other_community_staff: User,
    smart_hut: Station,
) -> None:
    withdrawn = _publish(hut_keeper, hut_id=smart_hut.pk, title="旧通知").json()
    _api(hut_keeper).post(f"/api/kiosks/board-posts/{withdrawn['id']}/withdraw")
    soon = timezone.now() + dt.timedelta(seconds=1)
    post = board.publish_post(
        actor=community_staff, hut=None, kind="notice", title="快过期", body="x", expires_at=soon
    )
    BoardPost.objects.filter(pk=post.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    _publish(other_community_staff, title="西园社区的通知")  # another community's huts
    _publish(community_staff, title="幸福里社区的通知")
    titles = [p["title"] for p in _fetch(client, board_key).json()["posts"]]
    assert titles == ["幸福里社区的通知"]


def test_only_boards_fetch_the_feed_and_only_signed(
    client: Client, board_key: services.IssuedKey, device_key: services.IssuedKey
) -> None:
    assert _fetch(client, board_key, secret="0" * 64).status_code == 401
    refused = _fetch(client, device_key)  # the health kiosk
    assert refused.status_code == 400
    assert refused.json()["code"] == "not_a_board"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "advert"}, "kind"),
        ({"title": "   "}, "title"),
        ({"body": "  "}, "body"),
        ({"expires_at": "2020-01-01T00:00:00+08:00"}, "expires_at"),
    ],
)
def test_a_bad_post_is_refused_naming_the_field_and_nothing_is_published(
    hut_keeper: User, smart_hut: Station, fields: dict[str, Any], field: str
) -> None:
    response = _publish(hut_keeper, hut_id=smart_hut.pk, **fields)
    assert response.status_code in (400, 422)
    assert field in response.content.decode()
    assert not BoardPost.objects.exists()


def test_publishing_outside_ones_scope_is_refused_and_logged_only_when_done(
    smart_hut: Station, other_community_staff: User, hut_keeper: User, station_keeper: User
) -> None:
    assert _publish(other_community_staff, hut_id=smart_hut.pk).status_code == 404
    assert _publish(station_keeper, hut_id=smart_hut.pk).status_code == 404
    assert _publish(hut_keeper).status_code == 403  # keepers publish to their hut only
    assert not BoardPost.objects.exists()
    created = _publish(hut_keeper, hut_id=smart_hut.pk).json()
    assert AuditEntry.objects.filter(
        object_type="kiosks.boardpost", object_id=str(created["id"])
    ).exists()


def test_another_community_cannot_withdraw_or_see_the_post(
    smart_hut: Station, hut_keeper: User, other_community_staff: User
) -> None:
    created = _publish(hut_keeper, hut_id=smart_hut.pk).json()
    client = _api(other_community_staff)
    assert client.post(f"/api/kiosks/board-posts/{created['id']}/withdraw").status_code == 404
    assert client.get("/api/kiosks/board-posts").json() == []
    assert BoardPost.objects.get(pk=created["id"]).withdrawn_at is None


def test_the_keeper_publishes_on_the_hut_page_and_a_refusal_keeps_his_text(
    smart_hut: Station, hut_keeper: User, newspaper: Device
) -> None:
    client = login(Client(), hut_keeper)
    url = f"/console/kiosks/huts/{smart_hut.pk}/"
    refused = client.post(url, {"kind": "notice", "title": "", "body": "明天上午停电检修。"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "请填写标题" in page
    assert "明天上午停电检修。" in page
    done = client.post(url, {"kind": "notice", "title": "停电通知", "body": "明天上午停电检修。"})
    assert done.status_code == 302
    assert "停电通知" in client.get(url).content.decode()


def test_a_body_that_is_not_an_object_is_a_422(hut_keeper: User) -> None:
    response = _api(hut_keeper).post(
        "/api/kiosks/board-posts", json.dumps([1, 2]), content_type="application/json"
    )
    assert response.status_code == 422
