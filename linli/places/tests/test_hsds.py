"""The public HSDS 3.0 API: envelope, schema, ids, what is public and what never is."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from linli.places.hsds import hsds_id, parse_hsds_id, rrule_schedule
from linli.places.models import District, Organisation, Service, ServiceCategory, Station
from tests.personas import Hierarchy

SCHEMA = json.loads(
    (Path(__file__).parent / "hsds_schema" / "service_at_location_list.json").read_text("utf-8")
)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TYPES: dict[str, Any] = {
    "string": str,
    "number": (int, float),
    "integer": int,
    "boolean": bool,
    "object": dict,
    "array": list,
}


def _save(queryset: Any, **values: Any) -> None:
    """Change rows one by one through save(), as the services do (moves the cache version)."""
    for obj in queryset:
        for field, value in values.items():
            setattr(obj, field, value)
        obj.save()


def validate(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """The JSON Schema keywords the HSDS files use (type, format, enum, properties, required,
    items); jsonschema is not a dependency and these few are all the HSDS schemas need."""
    errors: list[str] = []
    expected = schema.get("type")
    if expected:
        python_type = _TYPES[expected]
        if not isinstance(value, python_type) or (
            expected in {"number", "integer"} and isinstance(value, bool)
        ):
            return [f"{path}: expected {expected}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    fmt = schema.get("format")
    if fmt == "uuid" and not UUID.match(value):
        errors.append(f"{path}: {value!r} is not a uuid")
    if fmt in {"uri", "email"} and not value:
        errors.append(f"{path}: empty {fmt}")
    if isinstance(value, dict):
        errors += [f"{path}: missing {k}" for k in schema.get("required", []) if k not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                errors += validate(value[key], sub, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += validate(item, schema["items"], f"{path}[{i}]")
    return errors


SERVICE = SCHEMA["properties"]["service"]
LOCATION = SCHEMA["properties"]["location"]
ORGANIZATION = SERVICE["properties"]["organization"]


def _get(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


@pytest.mark.parametrize(
    ("url", "schema"),
    [
        ("/api/hsds/service_at_locations", SCHEMA),
        ("/api/hsds/services", SERVICE),
        ("/api/hsds/locations", LOCATION),
        ("/api/hsds/organizations", ORGANIZATION),
    ],
)
def test_list_items_validate_against_the_hsds_schema(
    client: Client, hierarchy: Hierarchy, url: str, schema: dict[str, Any]
) -> None:
    page = _get(client, url)
    assert set(page) == {
        "total_items",
        "total_pages",
        "page_number",
        "size",
        "first_page",
        "last_page",
        "empty",
        "contents",
    }
    assert page["contents"]
    for item in page["contents"]:
        assert validate(item, schema) == []


def test_details_validate_and_nest_their_parts(client: Client, hierarchy: Hierarchy) -> None:
    [sal] = _get(client, "/api/hsds/service_at_locations")["contents"]
    nested = _get(client, f"/api/hsds/service_at_locations/{sal['id']}")
    assert validate(nested, SCHEMA) == []
    [schedule] = nested["schedules"]
    assert schedule["freq"] == "MONTHLY"
    assert schedule["byday"] == "1FR"
    assert (schedule["opens_at"], schedule["closes_at"]) == ("09:00+08:00", "11:30+08:00")
    assert schedule["service_at_location_id"] == sal["id"]
    [address] = nested["location"]["addresses"]
    for field in (
        "id",
        "address_1",
        "city",
        "state_province",
        "postal_code",
        "country",
        "address_type",
    ):
        assert isinstance(address[field], str), field
    assert address["country"] == "CN"
    [phone] = nested["phones"]
    assert phone["number"] == "0355-1234567"
    assert UUID.match(phone["id"])

    service = _get(client, f"/api/hsds/services/{sal['service_id']}")
    assert validate(service, SERVICE) == []
    assert [s["id"] for s in service["service_at_locations"]] == [sal["id"]]
    location = _get(client, f"/api/hsds/locations/{sal['location_id']}")
    assert validate(location, LOCATION) == []
    [attribute] = location["attributes"]
    assert attribute["taxonomy_term"]["code"] == "happiness_station"
    assert attribute["link_id"] == location["id"]
    [weekly] = location["schedules"]
    assert weekly["freq"] == "WEEKLY"
    assert weekly["byday"] == "MO,TU,WE,TH,FR,SA,SU"
    organization = _get(client, f"/api/hsds/organizations/{service['organization_id']}")
    assert validate(organization, ORGANIZATION) == []
    assert [s["id"] for s in organization["services"]] == [service["id"]]


def test_the_envelope_pages(client: Client, hierarchy: Hierarchy) -> None:
    first = _get(client, "/api/hsds/locations?per_page=2")
    last = _get(client, "/api/hsds/locations?per_page=2&page=2")
    beyond = _get(client, "/api/hsds/locations?per_page=2&page=5")
    assert (first["total_items"], first["total_pages"], first["size"]) == (3, 2, 2)
    assert (first["first_page"], first["last_page"], first["empty"]) == (True, False, False)
    assert (last["size"], last["first_page"], last["last_page"]) == (1, False, True)
    assert beyond["empty"] is True
    assert beyond["contents"] == []


def test_the_keepers_mobile_and_name_are_never_published(
    client: Client, hierarchy: Hierarchy
) -> None:
    [sal] = _get(client, "/api/hsds/service_at_locations")["contents"]
    urls = [
        "/api/hsds/locations",
        "/api/hsds/service_at_locations",
        "/api/hsds/services",
        f"/api/hsds/service_at_locations/{sal['id']}",
        f"/api/hsds/services/{sal['service_id']}",
        f"/api/hsds/locations/{sal['location_id']}",
    ]
    for url in urls:
        content = client.get(url).content.decode()
        assert "13812345678" not in content, url
        assert "王建国" not in content, url


def test_only_active_stations_and_services_are_public(client: Client, hierarchy: Hierarchy) -> None:
    [sal] = _get(client, "/api/hsds/service_at_locations")["contents"]
    _save(Station.objects.filter(pk=hierarchy.station_heping.pk), is_active=False)
    assert _get(client, "/api/hsds/locations")["total_items"] == 2
    # 义务理发 was offered only at 和平: no active station, so no public service or provider.
    assert _get(client, "/api/hsds/services")["empty"] is True
    assert _get(client, "/api/hsds/organizations")["empty"] is True
    assert _get(client, "/api/hsds/service_at_locations")["empty"] is True
    for url in (
        f"/api/hsds/service_at_locations/{sal['id']}",
        f"/api/hsds/locations/{sal['location_id']}",
        f"/api/hsds/services/{sal['service_id']}",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_inactive_services_are_not_public(client: Client, hierarchy: Hierarchy) -> None:
    _save(Service.objects.all(), is_active=False)
    assert _get(client, "/api/hsds/services")["empty"] is True
    assert _get(client, "/api/hsds/service_at_locations")["empty"] is True


def test_an_organisation_without_public_services_is_not_published(
    client: Client, hierarchy: Hierarchy
) -> None:
    Organisation.objects.create(
        district=hierarchy.district, name="某报到单位", kind=Organisation.Kind.UNIT
    )
    names = [o["name"] for o in _get(client, "/api/hsds/organizations")["contents"]]
    assert names == ["仁爱社工服务中心"]


def test_filter_locations_by_kind(client: Client, hierarchy: Hierarchy) -> None:
    assert _get(client, "/api/hsds/locations?kind=happiness_station")["total_items"] == 3
    assert _get(client, "/api/hsds/locations?kind=kindergarten")["total_items"] == 0


def test_filter_by_district(client: Client, hierarchy: Hierarchy) -> None:
    other = District.objects.create(code="T999999", name="外区")
    assert _get(client, "/api/hsds/locations?district=NOPE")["total_items"] == 0
    assert (
        _get(client, f"/api/hsds/locations?district={hierarchy.district.code}")["total_items"] == 3
    )
    assert _get(client, f"/api/hsds/locations?district={other.code}")["total_items"] == 0


def test_search_uses_the_service_categorys_words(client: Client, hierarchy: Hierarchy) -> None:
    _save(ServiceCategory.objects.filter(code="haircut"), keywords="剪头 理发")
    assert _get(client, "/api/hsds/services?search=剪头")["total_items"] == 1
    assert _get(client, "/api/hsds/service_at_locations?search=剪头")["total_items"] == 1
    assert _get(client, "/api/hsds/services?search=心理")["total_items"] == 0


def test_services_by_organization(client: Client, hierarchy: Hierarchy) -> None:
    [org] = _get(client, "/api/hsds/organizations")["contents"]
    assert _get(client, f"/api/hsds/services?organization_id={org['id']}")["total_items"] == 1
    assert _get(client, "/api/hsds/services?organization_id=nonsense")["total_items"] == 0


def test_an_organization_carries_its_credit_code_as_an_identifier(
    client: Client, hierarchy: Hierarchy
) -> None:
    [org] = _get(client, "/api/hsds/organizations")["contents"]
    assert _get(client, f"/api/hsds/organizations/{org['id']}")["organization_identifiers"] == []
    _save(Organisation.objects.all(), credit_code="91110108MA01B2C3X4")
    detail = _get(client, f"/api/hsds/organizations/{org['id']}")
    [ident] = detail["organization_identifiers"]
    assert ident["identifier"] == "91110108MA01B2C3X4"
    assert ident["organization_id"] == org["id"]
    assert ident["identifier_type"].startswith("统一社会信用代码")
    assert parse_hsds_id(ident["id"], "organization_identifier") is not None


def test_ids_are_stable_typed_and_scoped_to_the_district(
    client: Client, hierarchy: Hierarchy
) -> None:
    station = hierarchy.station_xingfu
    before = hsds_id(hierarchy.district.code, "location", station.pk)
    _save(Station.objects.filter(pk=station.pk), name="改名后的驿站", code="S0X")
    assert hsds_id(hierarchy.district.code, "location", station.pk) == before
    assert uuid.UUID(before).version == 8
    parsed = parse_hsds_id(before, "location")
    assert parsed is not None
    assert parsed[1] == station.pk
    assert parse_hsds_id(before, "service") is None
    assert hsds_id("OTHER", "location", station.pk) != before
    assert client.get(f"/api/hsds/locations/{before}").json()["name"] == "改名后的驿站"
    # The same pk under another district's prefix, or as another kind, is not found.
    for wrong in (
        hsds_id("OTHER", "location", station.pk),
        hsds_id(hierarchy.district.code, "service", station.pk),
        str(uuid.uuid4()),
        "not-a-uuid",
    ):
        assert client.get(f"/api/hsds/locations/{wrong}").status_code == 404


def test_the_root_says_which_hsds_version(client: Client, db: Any) -> None:
    meta = _get(client, "/api/hsds/")
    assert meta["version"] == "3.0"
    assert meta["openapi_url"].endswith("/api/openapi.json")


def test_the_public_api_is_read_only(client: Client, hierarchy: Hierarchy) -> None:
    response = client.post("/api/hsds/services", {}, content_type="application/json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("rrule", "fields"),
    [
        ("FREQ=MONTHLY;BYDAY=1FR", {"freq": "MONTHLY", "byday": "1FR"}),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", {"freq": "WEEKLY", "interval": 2, "byday": "TU,TH"}),
        (
            "RRULE:FREQ=MONTHLY;BYMONTHDAY=15;COUNT=6",
            {"freq": "MONTHLY", "bymonthday": "15", "count": 6},
        ),
        (
            "DTSTART:20260105T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231T000000Z",
            {"freq": "WEEKLY", "byday": "MO", "dtstart": "2026-01-05", "until": "2026-12-31"},
        ),
        ("FREQ=DAILY", {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR,SA,SU"}),
        ("FREQ=YEARLY;BYMONTH=10", {"description": "FREQ=YEARLY;BYMONTH=10"}),
    ],
)
def test_rrules_become_hsds_schedule_fields(rrule: str, fields: dict[str, Any]) -> None:
    assert rrule_schedule(rrule) == fields


def test_closures_and_changed_hours_reach_the_schedules(
    client: Client, hierarchy: Hierarchy
) -> None:
    """The resident page shows a closure at once; the public API must say the same."""
    import datetime as dt

    from django.utils import timezone

    from linli.places.models import OpeningException

    station = hierarchy.station_heping
    day = timezone.localdate() + dt.timedelta(days=3)
    OpeningException.objects.create(station=station, date=day, closed=True, note="设备检修")
    OpeningException.objects.create(
        station=station,
        date=day + dt.timedelta(days=1),
        closed=False,
        opens=dt.time(14),
        closes=dt.time(17),
        note="上午培训",
    )
    OpeningException.objects.create(
        station=station, date=timezone.localdate() - dt.timedelta(days=2), note="已过去"
    )
    [sal] = _get(client, "/api/hsds/service_at_locations")["contents"]
    location = _get(client, f"/api/hsds/locations/{sal['location_id']}")
    assert validate(location, LOCATION) == []
    changes = [s for s in location["schedules"] if s.get("valid_from")]
    assert [(s["valid_from"], s["valid_to"]) for s in changes] == [
        (day.isoformat(), day.isoformat()),
        ((day + dt.timedelta(days=1)).isoformat(), (day + dt.timedelta(days=1)).isoformat()),
    ]
    closed, shorter = changes
    assert "opens_at" not in closed
    assert closed["description"] == "全天闭馆：设备检修"
    assert (shorter["opens_at"], shorter["closes_at"]) == ("14:00+08:00", "17:00+08:00")
    nested = _get(client, f"/api/hsds/service_at_locations/{sal['id']}")
    assert validate(nested, SCHEMA) == []
    assert len([s for s in nested["location"]["schedules"] if s.get("valid_from")]) == 2
