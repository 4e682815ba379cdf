"""Console pages: who may open what, and that the forms reach the services."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from linli.accounts.models import User
from linli.core.models import AuditEntry
from linli.places.models import Compound, Service, ServiceAtStation, Station
from linli.places.tests.sheetfiles import STATION_HEADER, station_row, xlsx
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def _station_urls(pk: int) -> list[str]:
    return [
        reverse("console:station_edit", args=[pk]),
        reverse("console:station_hours", args=[pk]),
        reverse("console:station_delete", args=[pk]),
    ]


def _form(station: Station, **over: Any) -> dict[str, Any]:
    data = {
        "code": station.code,
        "name": station.name,
        "category": station.category.code,
        "community": station.community.code if station.community else "",
        "subdistrict": "",
        "address": station.address,
        "lon": station.lon,
        "lat": station.lat,
        "crs": "WGS-84",
        "phone": station.phone,
        "contact_name": station.contact_name,
        "contact_phone": station.contact_phone,
        "holiday_policy": station.holiday_policy,
        "is_active": "on",
        "description": "",
    }
    data.update(over)
    return data


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    "name", ["console:home", "console:stations", "console:compounds", "console:services"]
)
def test_anonymous_is_sent_to_login(client: Client, hierarchy: Hierarchy, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_resident_is_sent_to_login(as_user: Any, resident: User, hierarchy: Hierarchy) -> None:
    client = as_user(resident)
    for url in [reverse("console:home"), *_station_urls(hierarchy.station_xingfu.pk)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))


def test_other_communitys_staff_gets_404_on_station_pages(
    as_user: Any, other_community_staff: User, hierarchy: Hierarchy
) -> None:
    client = as_user(other_community_staff)
    station = hierarchy.station_xingfu
    for url in _station_urls(station.pk):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("console:station_edit", args=[station.pk]), _form(station, name="被改了")
    )
    assert response.status_code == 404
    response = client.post(
        reverse("console:station_bulk_delete"), {"ids": [station.pk], "confirm": "1"}
    )
    assert response.status_code == 404
    station.refresh_from_db()
    assert station.name == "幸福苑幸福驿站"
    assert station.is_active
    assert not AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).exists()


@pytest.mark.parametrize("pk", ["999999", "0"])
def test_guessed_ids_are_404(
    as_user: Any, community_staff: User, hierarchy: Hierarchy, pk: str
) -> None:
    client = as_user(community_staff)
    assert client.get(f"/console/stations/{pk}/").status_code == 404
    assert client.get(f"/console/compounds/{pk}/").status_code == 404
    assert client.get(f"/console/services/{pk}/").status_code == 404


def test_other_district_admin_sees_nothing(
    as_user: Any, other_district_admin: User, hierarchy: Hierarchy
) -> None:
    client = as_user(other_district_admin)
    assert (
        client.get(reverse("console:station_edit", args=[hierarchy.station_xiyuan.pk])).status_code
        == 404
    )
    response = client.get(reverse("console:stations"))
    assert response.status_code == 200
    assert "西园幸福驿站" not in response.content.decode()


def test_other_communitys_compound_and_service_are_404(
    as_user: Any, other_community_staff: User, hierarchy: Hierarchy
) -> None:
    client = as_user(other_community_staff)
    compound = hierarchy.compound_xingfu
    assert client.get(reverse("console:compound_edit", args=[compound.pk])).status_code == 404
    assert client.post(reverse("console:compound_delete", args=[compound.pk])).status_code == 404
    assert Compound.objects.filter(pk=compound.pk).exists()
    haircut = Service.objects.get(name="义务理发")  # only at 和平 (S002)
    assert client.get(reverse("console:service_edit", args=[haircut.pk])).status_code == 404


def test_list_shows_only_the_scope(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    response = as_user(community_staff).get(reverse("console:stations"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "幸福苑幸福驿站" in body
    assert "和平里幸福驿站" not in body
    assert "西园幸福驿站" not in body
    assert "西园社区" not in body  # the tree shows only the user's scope


def test_district_admin_sees_all_and_filters_by_tree(
    as_user: Any, district_admin: User, hierarchy: Hierarchy
) -> None:
    client = as_user(district_admin)
    body = client.get(reverse("console:stations")).content.decode()
    for name in ("幸福苑幸福驿站", "和平里幸福驿站", "西园幸福驿站", "西园社区", "东关街道"):
        assert name in body
    response = client.get(
        reverse("console:stations"),
        {"community": hierarchy.xiyuan.pk},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    partial = response.content.decode()
    assert "<html" not in partial
    assert "西园幸福驿站" in partial
    assert "和平里幸福驿站" not in partial


def test_keeper_edits_only_hours_and_services(
    as_user: Any, station_keeper: User, hierarchy: Hierarchy
) -> None:
    client = as_user(station_keeper)
    station = hierarchy.station_xingfu
    response = client.get(reverse("console:station_edit", args=[station.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:station_hours", args=[station.pk])
    assert client.get(reverse("console:station_new")).status_code == 403
    assert client.get(reverse("console:station_delete", args=[station.pk])).status_code == 403
    assert (
        client.get(reverse("console:station_hours", args=[hierarchy.station_heping.pk])).status_code
        == 404
    )
    response = client.post(
        reverse("console:station_hours", args=[station.pk]),
        {
            "day_0": "09:00-12:00",
            "day_1": "０９：００－１７：００",
            "holiday_policy": "closed",
        },
    )
    assert response.status_code == 302
    station.refresh_from_db()
    assert station.holiday_policy == "closed"
    assert station.opening_hours.count() == 2


# ------------------------------------------------------------------------------ writes


def test_create_edit_and_delete_a_station(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    client = as_user(community_staff)
    template = hierarchy.station_xingfu
    response = client.post(
        reverse("console:station_new"),
        _form(
            template,
            code="XF-200",
            name="新驿站",
            functions=["reading"],
            amenities=["toilet"],
        ),
    )
    assert response.status_code == 302
    station = Station.objects.get(code="XF-200")
    assert list(station.functions.values_list("code", flat=True)) == ["reading"]

    response = client.post(
        reverse("console:station_edit", args=[station.pk]), _form(station, name="新驿站（改）")
    )
    assert response.status_code == 302
    station.refresh_from_db()
    assert station.name == "新驿站（改）"

    response = client.post(
        reverse("console:station_bulk_delete"), {"ids": [station.pk], "confirm": "1"}
    )
    assert response.status_code == 302
    station.refresh_from_db()
    assert not station.is_active
    assert list(
        AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN)
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["create", "update", "delete"]


def test_form_shows_service_refusals(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    client = as_user(community_staff)
    response = client.post(
        reverse("console:station_new"), _form(hierarchy.station_xingfu, code="S003", name="抢注")
    )
    assert response.status_code == 200
    assert "已被" in response.content.decode()  # 编码“S003”已被…使用 (zh-Hans is the default)
    response = client.post(
        reverse("console:station_new"),
        _form(hierarchy.station_xingfu, code="S900", community="T14040402001"),
    )
    assert response.status_code == 200  # not one of the form's choices
    assert not Station.objects.filter(code__in=["S900"]).exists()


def test_services_at_a_station(as_user: Any, community_staff: User, hierarchy: Hierarchy) -> None:
    client = as_user(community_staff)
    station = hierarchy.station_xingfu
    response = client.post(
        reverse("console:service_new"),
        {
            "name": "读书会",
            "category": "volunteering",
            "organisation": "",
            "fee": "free",
            "is_active": "on",
            "stations": [station.pk],
            "rrule": "FREQ=WEEKLY;BYDAY=SA",
        },
    )
    assert response.status_code == 302
    link = ServiceAtStation.objects.get(service__name="读书会")
    assert link.station == station
    response = client.post(reverse("console:station_remove_service", args=[station.pk, link.pk]))
    assert response.status_code == 302
    assert not ServiceAtStation.objects.filter(pk=link.pk).exists()
    other = ServiceAtStation.objects.get(station=hierarchy.station_heping)
    response = client.post(reverse("console:station_remove_service", args=[station.pk, other.pk]))
    assert response.status_code == 404
    assert ServiceAtStation.objects.filter(pk=other.pk).exists()


def test_compound_form(as_user: Any, community_staff: User, hierarchy: Hierarchy) -> None:
    client = as_user(community_staff)
    response = client.post(
        reverse("console:compound_new"),
        {
            "code": "C300",
            "name": "和谐家园",
            "community": "T14040401001",
            "households": 10,
            "population": 30,
            "address": "",
            "gates": "东门 113.073,36.183\n西门 113.071 36.182",
            "crs": "WGS-84",
        },
    )
    assert response.status_code == 302
    assert Compound.objects.get(code="C300").gates.count() == 2


# ------------------------------------------------------------------------------ Excel


def test_import_page_reports_problems_and_imports_nothing(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    client = as_user(community_staff)
    file = xlsx(STATION_HEADER, [station_row(**{"经度*": "abc"})])
    file.name = "stations.xlsx"
    response = client.post(
        reverse("console:import", args=["stations"]), {"file": file, "action": "import"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "F 经度" in body
    assert "应填写数字" in body
    assert not Station.objects.filter(code="XF-101").exists()
    report = client.get(reverse("console:import_report"))
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert sheet is not None
    assert sheet["B2"].value == "F 经度"


def test_import_page_imports_a_good_file(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    client = as_user(community_staff)
    file = xlsx(STATION_HEADER, [station_row()])
    file.name = "stations.xlsx"
    response = client.post(
        reverse("console:import", args=["stations"]), {"file": file, "action": "import"}
    )
    assert response.status_code == 302
    assert Station.objects.filter(code="XF-101").exists()


def test_keeper_may_not_import(as_user: Any, station_keeper: User, hierarchy: Hierarchy) -> None:
    response = as_user(station_keeper).get(reverse("console:import", args=["stations"]))
    assert response.status_code == 403


def test_template_and_export_downloads(
    as_user: Any, community_staff: User, hierarchy: Hierarchy
) -> None:
    client = as_user(community_staff)
    for kind in ("stations", "compounds", "services"):
        response = client.get(reverse("console:template", args=[kind]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    response = client.get(reverse("console:export", args=["stations"]))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    codes = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]]
    assert codes == ["S001"]
    assert client.get("/console/template/nonsense.xlsx").status_code == 404


def test_home_warns_about_unknown_holiday_year(
    as_user: Any, district_admin: User, hierarchy: Hierarchy, monkeypatch: Any
) -> None:
    hierarchy.district.is_sample = True
    hierarchy.district.save()
    monkeypatch.setattr("linli.places.views.console.home.year_is_known", lambda year: False)
    body = as_user(district_admin).get(reverse("console:home")).content.decode()
    assert "法定节假日安排" in body
    assert "示例数据" in body


def test_the_console_and_the_api_find_the_same_stations(
    as_user: Any, district_admin: User, hierarchy: Hierarchy
) -> None:
    """One search: name, code (also typed full-width) and address, on the page and in the API."""
    Station.objects.filter(code="S002").update(address="解放路12号")
    client = as_user(district_admin)

    def console(text: str) -> list[str]:
        response = client.get(
            reverse("console:stations"),
            {"q": text},
            headers={"HX-Request": "true", "HX-Target": "results"},
        )
        body = response.content.decode()
        return [code for code in ("S001", "S002", "S003") if f">{code}<" in body]

    def api(text: str) -> list[str]:
        response = client.get("/api/places/stations", {"q": text})
        assert response.status_code == 200, response.content
        return [s["code"] for s in response.json()["items"]]

    for text, expected in (("解放路", ["S002"]), ("Ｓ００３", ["S003"]), ("幸福苑", ["S001"])):
        assert console(text) == expected, text
        assert api(text) == expected, text


# --- the schedule builder, and a refused schedule keeps what was typed -------------------------


def test_the_schedule_builder_writes_the_rule(
    as_user: Any, district_admin: Any, hierarchy: Any
) -> None:
    client = as_user(district_admin)
    station = hierarchy.station_xingfu
    link = ServiceAtStation.objects.get(station=hierarchy.station_heping)
    response = client.post(
        reverse("console:station_add_service", args=[station.pk]),
        {
            "service": link.service_id,
            "repeat": "monthly",
            "nth": "1",
            "month_weekday": "FR",
            "opens": "09:00",
            "closes": "11:30",
        },
    )
    assert response.status_code == 302
    added = ServiceAtStation.objects.get(station=station, service=link.service)
    assert added.rrule == "FREQ=MONTHLY;BYDAY=1FR"
    page = client.get(reverse("console:station_hours", args=[station.pk])).content.decode()
    assert "每月第一个星期五" in page
    response = client.post(
        reverse("console:service_link", args=[link.service_id]),
        {"station": station.pk, "repeat": "weekly", "weekdays": ["TU", "TH"]},
    )
    assert response.status_code == 302
    added.refresh_from_db()
    assert added.rrule == "FREQ=WEEKLY;BYDAY=TU,TH"


def test_a_refused_schedule_keeps_what_was_typed_beside_the_field(
    as_user: Any, district_admin: Any, hierarchy: Any
) -> None:
    client = as_user(district_admin)
    station = hierarchy.station_xingfu
    link = ServiceAtStation.objects.get(station=hierarchy.station_heping)
    typed = {
        "service": link.service_id,
        "repeat": "weekly",
        "opens": "09:00",
        "closes": "11:30",
        "schedule_note": "每周一次，请带身份证",
    }
    response = client.post(reverse("console:station_add_service", args=[station.pk]), typed)
    assert response.status_code == 400
    page = response.content.decode()
    assert "请至少选择一个星期几。" in page
    assert 'value="每周一次，请带身份证"' in page
    assert 'value="09:00"' in page
    assert not ServiceAtStation.objects.filter(station=station, service=link.service).exists()
    response = client.post(
        reverse("console:station_add_service", args=[station.pk]),
        {**typed, "repeat": "custom", "rrule": "EVERY TUESDAY"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "“EVERY TUESDAY”不是有效的周期规则（RRULE）。" in page
    assert 'value="EVERY TUESDAY"' in page


def _service_page_queries(client: Client, service: Service) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("console:service_edit", args=[service.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["district_admin", "subdistrict_staff"])
def test_the_service_page_costs_the_same_queries_however_many_stations(
    as_user: Any, hierarchy: Hierarchy, persona: str, request: Any
) -> None:
    """The station choices are one query, not a permission check per station (#16: the page
    took seconds on the sample district's 1,240 stations)."""
    client = as_user(request.getfixturevalue(persona))
    service = Service.objects.get(name="义务理发")
    service_station = service.at_stations.first()
    assert service_station is not None
    station = service_station.station
    before = _service_page_queries(client, service)

    for i in range(20):
        Station.objects.create(
            district=station.district,
            subdistrict=station.subdistrict,
            community=station.community,
            category=station.category,
            code=f"X{i:03d}",
            name=f"新驿站{i}",
            lon=station.lon,
            lat=station.lat,
        )

    assert _service_page_queries(client, service) == before
