"""Open311 GeoReport v2 from the client's side: plain HTTP (urllib) against the live server,
JSON and XML, the spec's filters and error lists, API keys and no personal data.

Here rather than in linli/needs/tests: the live server needs a flushing (transactional) database,
which must not run among the unit tests that rely on the migrations' reference data.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from linli.needs import services
from linli.needs.models import Need
from linli.needs.tests.conftest import walk
from linli.places.reference import sync_reference_data


@pytest.fixture
def reference_data(transactional_db: Any) -> None:
    sync_reference_data()  # a transactional test starts from a flushed database


@pytest.fixture
def api(reference_data: None, live_server: Any, hierarchy: Any, district_admin: Any) -> Any:
    _client, key = services.issue_api_key(actor=district_admin, name="12345 热线")

    class Api:
        base = f"{live_server.url}/open311/v2/"
        api_key = key

        def call(self, path: str, data: dict[str, str] | None = None) -> tuple[int, bytes, str]:
            body = urllib.parse.urlencode(data).encode() if data is not None else None
            req = urllib.request.Request(self.base + path, data=body)
            try:
                with urllib.request.urlopen(req, timeout=20) as resp:
                    return resp.status, resp.read(), resp.headers["Content-Type"]
            except urllib.error.HTTPError as err:
                return err.code, err.read(), err.headers["Content-Type"]

        def json(self, path: str, data: dict[str, str] | None = None) -> tuple[int, Any]:
            status, body, ctype = self.call(path, data)
            assert ctype.startswith("application/json")
            return status, json.loads(body)

        def xml(self, path: str, data: dict[str, str] | None = None) -> tuple[int, ET.Element]:
            status, body, ctype = self.call(path, data)
            assert ctype.startswith("text/xml")
            assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
            return status, ET.fromstring(body)

    return Api()


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return sorted(int(r["service_request_id"]) for r in rows)


POST = {
    "service_code": "facilities",
    "lat": "36.1801",
    "long": "113.0702",
    "description": "3号楼旁边的路灯杆歪了",
    "first_name": "秀英",
    "last_name": "王",
    "phone": "13711112222",
    "attribute[scale]": "shared",
}


def test_services_in_both_formats(api: Any) -> None:
    status, services_json = api.json("services.json")
    assert status == 200
    assert {
        "service_code": "safety",
        "metadata": True,
        "type": "realtime",
    }.items() <= services_json[0].items()
    status, root = api.xml("services.xml")
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root] == [s["service_code"] for s in services_json]


def test_a_service_definition_lists_its_attributes(api: Any) -> None:
    status, definition = api.json("services/environment.json")
    assert status == 200
    assert definition["service_code"] == "environment"
    assert [a["code"] for a in definition["attributes"]] == ["scale", "anonymous"]
    status, root = api.xml("services/environment.xml")
    assert root.tag == "service_definition"
    values = root.findall("attributes/attribute/values/value/key")
    assert [v.text for v in values][:2] == ["personal", "shared"]
    status, errors = api.json("services/nothing.json")
    assert status == 404
    assert errors[0]["code"] == 404
    assert "nothing" in errors[0]["description"]


def test_post_needs_a_key_and_a_place_inside_the_district(api: Any) -> None:
    status, errors = api.json("requests.json", POST)
    assert status == 403
    assert errors[0]["code"] == 403
    status, errors = api.json("requests.json", {**POST, "api_key": "wrong"})
    assert status == 403
    status, root = api.xml(
        "requests.xml", {**POST, "api_key": api.api_key, "lat": "39.9", "long": "116.4"}
    )
    assert status == 400
    assert root.tag == "errors"
    assert root.findtext("error/code") == "400"
    assert not Need.objects.exists()


def test_a_client_posts_and_follows_its_request(api: Any, community_staff: Any) -> None:
    status, created = api.json("requests.json", {**POST, "api_key": api.api_key})
    assert status == 201
    request_id, token = created[0]["service_request_id"], created[0]["token"]
    need = Need.objects.get(pk=int(request_id))
    assert need.channel == "open311"
    assert need.contact_phone == "13711112222"
    status, found = api.json(f"tokens/{token}.json")
    assert found == [{"service_request_id": request_id, "token": token}]
    status, root = api.xml(f"tokens/{token}.xml")
    assert root.findtext("request/service_request_id") == request_id

    # Not public before staff accept it; the key that posted it sees it, with its own words.
    assert api.json(f"requests/{request_id}.json")[0] == 404
    status, own = api.json(f"requests/{request_id}.json?api_key={api.api_key}")
    assert own[0]["description"] == POST["description"]
    assert own[0]["status"] == "open"

    walk(need, community_staff, upto="resolve")
    status, public = api.json(f"requests/{request_id}.json")
    record = public[0]
    assert record["status"] == "closed"
    assert record["status_notes"] == "已清理"
    assert record["description"] == "清理垃圾桶"
    assert record["lat"] == 36.18
    assert record["long"] == 113.07
    status, root = api.xml(f"requests/{request_id}.xml")
    assert root.findtext("request/status") == "closed"
    text = json.dumps(public, ensure_ascii=False) + ET.tostring(root, encoding="unicode")
    for personal in ("13711112222", "秀英", "路灯杆歪了", "36.1801"):
        assert personal not in text


def test_requests_filters(api: Any, community_staff: Any, hierarchy: Any, resident: Any) -> None:
    needs = []
    for category in ("environment", "safety", "environment"):
        need = services.raise_need(
            actor=resident,
            district=hierarchy.district,
            category=category,
            description="x",
            compound=hierarchy.compound_xingfu,
        )
        needs.append(walk(need, community_staff, upto="accept"))
    walk(needs[2], community_staff, upto="resolve")
    assert ids(api.json("requests.json")[1]) == sorted(n.pk for n in needs)
    assert ids(api.json("requests.json?service_code=environment")[1]) == [needs[0].pk, needs[2].pk]
    assert ids(api.json("requests.json?status=closed")[1]) == [needs[2].pk]
    assert ids(api.json("requests.json?status=open&service_code=environment,safety")[1]) == [
        needs[0].pk,
        needs[1].pk,
    ]
    assert ids(api.json(f"requests.json?service_request_id={needs[1].pk},{needs[2].pk}")[1]) == [
        needs[1].pk,
        needs[2].pk,
    ]
    assert (
        api.json("requests.json?start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z")[1]
        == []
    )
    status, errors = api.json("requests.json?start_date=yesterday")
    assert status == 400
    assert "start_date" in errors[0]["description"]
    status, root = api.xml("requests.xml?status=closed")
    assert [r.findtext("service_request_id") for r in root] == [str(needs[2].pk)]
    status, errors = api.json("requests.json?jurisdiction_id=nowhere")
    assert status == 404


def test_a_request_placed_by_address_string_or_address_id(api: Any, hierarchy: Any) -> None:
    place = {k: v for k, v in POST.items() if k not in ("lat", "long")}
    status, created = api.json(
        "requests.json", {**place, "api_key": api.api_key, "address_string": "幸福苑3号楼东侧"}
    )
    assert status == 201
    need = Need.objects.get(pk=int(created[0]["service_request_id"]))
    assert need.compound == hierarchy.compound_xingfu
    assert need.lat is None

    status, created = api.json(
        "requests.json", {**place, "api_key": api.api_key, "address_id": "C001"}
    )
    assert status == 201
    status, root = api.xml(
        "requests.xml", {**place, "api_key": api.api_key, "address_string": "北京市天安门"}
    )
    assert status == 400
    assert "北京市天安门" in (root.findtext("error/description") or "")
    status, errors = api.json("requests.json", {**place, "api_key": api.api_key})
    assert status == 400
    assert "address_string" in errors[0]["description"]
    assert Need.objects.count() == 2


def test_media_url_is_the_photo_staff_published(
    api: Any, hierarchy: Any, resident: Any, community_staff: Any, settings: Any, tmp_path: Any
) -> None:
    import io

    from linli.needs.models import NeedPhoto
    from linli.needs.tests.images import jpeg_with_gps

    settings.MEDIA_ROOT = tmp_path / "media"
    need = services.raise_need(
        actor=resident,
        district=hierarchy.district,
        category="environment",
        description="垃圾堆",
        compound=hierarchy.compound_xingfu,
        photo_files=[("a.jpg", io.BytesIO(jpeg_with_gps()))],
    )
    walk(need, community_staff, upto="accept")
    status, rows = api.json(f"requests/{need.pk}.json")
    assert rows[0]["media_url"] == ""  # not reviewed yet: never public
    photo = NeedPhoto.objects.get(need=need)
    services.review_photo(actor=community_staff, photo_id=photo.pk, publish=True)
    status, rows = api.json(f"requests/{need.pk}.json")
    assert status == 200
    url = rows[0]["media_url"]
    assert url.startswith(api.base.split("/open311/")[0] + "/")
    assert url.endswith(photo.image.url)
    _status, root = api.xml(f"requests/{need.pk}.xml")
    assert root.findtext("request/media_url") == url
