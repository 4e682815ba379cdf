"""Siting among listed premises (可用场所): reading the list, running it, the page and the API."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from linli.accounts.models import User
from linli.core.models import AuditEntry
from linli.places.geo import wgs84_to_gcj02
from linli.places.models import District
from linli.planning import premises, services
from linli.planning.models import AnalysisRun, RunStatus, SitingCandidate, SitingRun
from linli.planning.premises import Premise, PremisesInvalid
from linli.planning.tests.urls import API_PREFIX
from tests.personas import Hierarchy

# Next to the gates of 幸福苑 (C001, 1150 people) and 西园小区 (C003, 1400 people), neither within
# 300 m of a kindergarten today, and a warehouse inside the district's box but 830 m from any
# street of the sample network.
XINGFU_SHOP = ("P01", "幸福苑3号楼底商", 113.0702, 36.1803)
XIYUAN_ROOM = ("P02", "西园小区闲置用房", 113.0610, 36.1911)
FAR_WAREHOUSE = ("P03", "城郊仓库", 113.099, 36.209)
HEADER = ["编号(id)", "名称(name)", "经度(lon)", "纬度(lat)"]


def xlsx(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header or HEADER)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], *, encoding: str = "utf-8") -> bytes:
    lines = [",".join(["id", "name", "lon", "lat"])]
    lines += [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


@pytest.fixture
def run(planned: Hierarchy, district_admin: User) -> AnalysisRun:
    return services.start_analysis(actor=district_admin, district=planned.district)


def _problems(exc: pytest.ExceptionInfo[PremisesInvalid]) -> list[str]:
    return [str(p) for p in exc.value.problems]


# --- reading and checking the list ---------------------------------------------------------------


def test_it_reads_an_excel_sheet_with_chinese_headers(hierarchy: Hierarchy) -> None:
    content = xlsx([list(XINGFU_SHOP), list(XIYUAN_ROOM)])

    rows = premises.read_premises_file(
        name="可用场所.xlsx", content=content, district=hierarchy.district
    )

    assert [(p.row, p.code, p.name) for p in rows] == [
        (2, "P01", "幸福苑3号楼底商"),
        (3, "P02", "西园小区闲置用房"),
    ]
    assert rows[0].lon == pytest.approx(113.0702)


def test_it_reads_a_gbk_csv_with_english_headers_and_ignores_other_columns(
    hierarchy: Hierarchy,
) -> None:
    content = "id,name,address,lon,lat\nP01,幸福苑底商,长治路1号,１１３.0702,36.1803\n".encode(
        "gb18030"
    )

    rows = premises.read_premises_file(
        name="premises.csv", content=content, district=hierarchy.district
    )

    assert [(p.code, p.name, p.lon) for p in rows] == [("P01", "幸福苑底商", 113.0702)]


def test_gcj02_coordinates_are_converted_to_wgs84(hierarchy: Hierarchy) -> None:
    glon, glat = wgs84_to_gcj02(113.0702, 36.1803)
    content = csv_bytes([["P01", "幸福苑底商", f"{glon:.8f}", f"{glat:.8f}"]])

    (premise,) = premises.read_premises_file(
        name="p.csv", content=content, district=hierarchy.district, coordinates="GCJ-02"
    )

    assert premise.lon == pytest.approx(113.0702, abs=1e-7)
    assert premise.lat == pytest.approx(36.1803, abs=1e-7)
    assert premise.entered_lon == pytest.approx(glon)


def test_a_bad_cell_is_named_by_row_column_and_value(hierarchy: Hierarchy) -> None:
    content = xlsx([list(XINGFU_SHOP), ["P02", "西园闲置用房", "东经113度", 36.19]])

    with pytest.raises(PremisesInvalid) as exc:
        premises.read_premises_file(name="p.xlsx", content=content, district=hierarchy.district)

    assert _problems(exc) == [
        "第 3 行，C 经度(lon) 列，值“东经113度”：应为十进制度数，例如 113.0712。"
    ]
    assert exc.value.code == "invalid_premises"
    assert "第 3 行" in str(exc.value.message)


def test_every_problem_of_the_list_is_reported(hierarchy: Hierarchy) -> None:
    content = xlsx(
        [
            ["P01", "", 113.07, 36.18],
            ["P01", "重复编号", 113.07, 36.18],
            ["P03", "经纬度颠倒", 36.18, 113.07],
            ["P04", "区外", 116.4, 39.9],
        ]
    )

    with pytest.raises(PremisesInvalid) as exc:
        premises.read_premises_file(name="p.xlsx", content=content, district=hierarchy.district)

    assert [(p.row, p.column, p.value) for p in exc.value.problems] == [
        (2, "B 名称(name)", ""),
        (3, "A 编号(id)", "P01"),
        (4, "C 经度(lon)", "36.18, 113.07"),
        (5, "C 经度(lon)", "116.4, 39.9"),
    ]
    assert "第 2 行" in exc.value.problems[1].message
    assert "填反" in exc.value.problems[2].message


def test_a_missing_column_and_a_wrong_file_type_are_refused(hierarchy: Hierarchy) -> None:
    with pytest.raises(PremisesInvalid) as exc:
        premises.read_premises_file(
            name="p.xlsx",
            content=xlsx([["P01", "底商", 113.07]], header=["编号", "名称", "经度"]),
            district=hierarchy.district,
        )
    assert _problems(exc) == ["第 1 行，纬度(lat) 列：缺少必填列（是否被改名或删除？）。"]

    with pytest.raises(PremisesInvalid) as exc:
        premises.read_premises_file(name="p.pdf", content=b"%PDF", district=hierarchy.district)
    assert "xlsx" in _problems(exc)[0]

    with pytest.raises(PremisesInvalid) as exc:
        premises.read_premises_file(
            name="p.xlsx", content=b"not a zip", district=hierarchy.district
        )
    assert "Excel" in _problems(exc)[0]

    with pytest.raises(PremisesInvalid):
        premises.read_premises_file(
            name="p.csv", content=csv_bytes([]), district=hierarchy.district
        )


def test_json_rows_are_checked_the_same_way(hierarchy: Hierarchy) -> None:
    district: District = hierarchy.district
    ok = premises.read_premises_rows(
        [{"id": 7, "name": "底商", "lon": "113.0702", "lat": 36.1803}], district=district
    )
    assert ok[0].code == "7"

    with pytest.raises(PremisesInvalid) as exc:
        premises.read_premises_rows(
            [{"id": "P1", "name": "底商", "lon": "x", "lat": 36.18}], district=district
        )
    assert _problems(exc) == ["第 1 行，lon 列，值“x”：应为十进制度数，例如 113.0712。"]


def test_the_template_has_the_columns_the_reader_expects(hierarchy: Hierarchy) -> None:
    from linli.planning.exports import premises_template

    wb = load_workbook(io.BytesIO(premises_template()))
    header = [c.value for c in wb.worksheets[0][1]]

    assert header == HEADER
    assert wb.worksheets[0].max_row == 1  # no example rows that could be uploaded by mistake
    ws = wb.worksheets[0]
    ws.append(list(XINGFU_SHOP))
    buffer = io.BytesIO()
    wb.save(buffer)
    rows = premises.read_premises_file(
        name="t.xlsx", content=buffer.getvalue(), district=hierarchy.district
    )
    assert rows[0].name == XINGFU_SHOP[1]


# --- running a siting over premises ---------------------------------------------------------


def _premises(*rows: tuple[str, str, float, float]) -> list[Premise]:
    return [
        Premise(row=i, code=c, name=n, lon=lon, lat=lat, entered_lon=lon, entered_lat=lat)
        for i, (c, n, lon, lat) in enumerate(rows, start=2)
    ]


def test_siting_among_premises_names_the_chosen_premise_and_the_one_too_far(
    run: AnalysisRun, district_admin: User
) -> None:
    siting = services.start_siting(
        actor=district_admin,
        run=run,
        category="kindergarten",
        k=1,
        radius=300,
        premises=_premises(XINGFU_SHOP, XIYUAN_ROOM, FAR_WAREHOUSE),
        premises_file="可用场所.xlsx",
        coordinate_system="WGS-84",
    )

    assert siting.status == RunStatus.DONE, siting.error
    (site,) = siting.result["sites"]
    assert (site["code"], site["name"]) == ("P02", "西园小区闲置用房")
    assert [c["code"] for c in site["compounds"]] == ["C003"]
    assert site["population"] == 1400
    report = siting.result["premises"]
    assert (report["total"], report["on_network"]) == (3, 2)
    assert [(f["code"], f["name"]) for f in report["too_far"]] == [("P03", "城郊仓库")]
    assert report["too_far"][0]["distance_m"] > 800
    stored = {c.code: c for c in SitingCandidate.objects.filter(siting=siting)}
    assert stored["P02"].rank == 1
    assert stored["P01"].rank is None
    assert stored["P01"].on_network is True
    assert stored["P03"].on_network is False
    entry = AuditEntry.objects.filter(object_id=str(siting.pk)).latest("pk")
    assert entry.changes["candidates"] == [None, 3]


def test_siting_fails_clearly_when_no_premise_is_near_a_street(
    run: AnalysisRun, district_admin: User
) -> None:
    siting = services.start_siting(
        actor=district_admin,
        run=run,
        category="kindergarten",
        k=1,
        radius=300,
        premises=_premises(FAR_WAREHOUSE),
    )

    assert siting.status == RunStatus.FAILED
    assert "城郊仓库" in siting.error
    assert SitingCandidate.objects.get(siting=siting).on_network is False


def test_siting_refuses_more_sites_than_premises(run: AnalysisRun, district_admin: User) -> None:
    with pytest.raises(services.PlanningError):
        services.start_siting(
            actor=district_admin,
            run=run,
            category="kindergarten",
            k=3,
            radius=300,
            premises=_premises(XINGFU_SHOP),
        )
    assert not SitingRun.objects.exists()
    assert not SitingCandidate.objects.exists()


# --- the console page ----------------------------------------------------------------------------


def _post(client: Client, run: AnalysisRun, **extra: Any) -> Any:
    data = {"category": "kindergarten", "k": "2", "radius": "300", **extra}
    return client.post(reverse("planning:start_siting", args=[run.pk]), data)


def _upload(content: bytes, name: str = "可用场所.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_the_district_admin_uploads_premises_and_sees_them_named(
    as_user: Any, run: AnalysisRun, district_admin: User
) -> None:
    client = as_user(district_admin)
    content = xlsx([list(XINGFU_SHOP), list(XIYUAN_ROOM), list(FAR_WAREHOUSE)])

    response = _post(client, run, source="premises", premises=_upload(content))
    page = client.get(reverse("planning:run", args=[run.pk])).content.decode()

    assert response.status_code == 302
    siting = SitingRun.objects.get()
    assert siting.status == RunStatus.DONE, siting.error
    assert siting.candidates_file == "可用场所.xlsx"
    assert siting.candidates.count() == 3
    assert "幸福苑3号楼底商" in page
    assert "西园小区闲置用房" in page
    assert "城郊仓库（编号 P03" in page
    assert "建议选址 1" in page
    # The next siting may reuse the list without uploading it again.
    assert 'value="previous"' in page


def test_a_bad_premises_file_is_reported_and_nothing_is_stored(
    as_user: Any, run: AnalysisRun, district_admin: User
) -> None:
    client = as_user(district_admin)
    content = xlsx([list(XINGFU_SHOP), ["P02", "西园闲置用房", "abc", 36.19]])

    response = _post(client, run, source="premises", premises=_upload(content))
    page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert "第 3 行，C 经度(lon) 列，值“abc”" in page
    assert 'id="ps-error"' in page
    assert 'value="premises" id="ps-source-premises" checked' in page
    assert not SitingRun.objects.exists()
    assert not SitingCandidate.objects.exists()


def test_choosing_premises_without_a_file_is_refused(
    as_user: Any, run: AnalysisRun, district_admin: User
) -> None:
    client = as_user(district_admin)

    response = _post(client, run, source="premises")
    page = client.get(response["Location"]).content.decode()

    assert "请选择要上传的场所清单文件" in page
    assert not SitingRun.objects.exists()


def test_a_rerun_reuses_the_previous_list(
    as_user: Any, run: AnalysisRun, district_admin: User
) -> None:
    client = as_user(district_admin)
    _post(client, run, premises=_upload(xlsx([list(XINGFU_SHOP), list(XIYUAN_ROOM)])))
    first = SitingRun.objects.get()

    response = _post(client, run, k="1", source="previous", previous=str(first.pk))

    assert response.status_code == 302
    second = SitingRun.objects.exclude(pk=first.pk).get()
    assert second.status == RunStatus.DONE, second.error
    assert [c.code for c in second.candidates.all()] == ["P01", "P02"]
    assert second.candidates_file == first.candidates_file
    assert second.result["sites"][0]["name"] == "西园小区闲置用房"


def test_a_gcj02_sheet_is_converted_before_siting(
    as_user: Any, run: AnalysisRun, district_admin: User
) -> None:
    glon, glat = wgs84_to_gcj02(XIYUAN_ROOM[2], XIYUAN_ROOM[3])
    content = csv_bytes([["P02", XIYUAN_ROOM[1], f"{glon:.8f}", f"{glat:.8f}"]])

    _post(
        as_user(district_admin),
        run,
        k="1",
        coordinates="GCJ-02",
        premises=_upload(content, "高德坐标.csv"),
    )

    siting = SitingRun.objects.get()
    premise = siting.candidates.get()
    assert siting.coordinate_system == "GCJ-02"
    assert premise.lon == pytest.approx(XIYUAN_ROOM[2], abs=1e-7)
    assert premise.entered_lon == pytest.approx(glon)
    assert siting.status == RunStatus.DONE, siting.error
    assert siting.result["sites"][0]["code"] == "P02"


def test_a_failed_siting_names_the_premises_too_far_from_a_street(
    as_user: Any, run: AnalysisRun, district_admin: User
) -> None:
    client = as_user(district_admin)

    _post(client, run, k="1", premises=_upload(xlsx([list(FAR_WAREHOUSE)])))
    page = client.get(reverse("planning:run", args=[run.pk])).content.decode()

    siting = SitingRun.objects.get()
    assert siting.status == RunStatus.FAILED
    assert siting.result["premises"]["too_far"][0]["code"] == "P03"
    assert "选址测算失败" in page or "pl-status-failed" in page
    assert "城郊仓库（编号 P03" in page


@pytest.mark.parametrize("persona", ["community_staff", "subdistrict_staff", "resident"])
def test_only_the_districts_admins_may_upload_premises(
    as_user: Any, run: AnalysisRun, persona: str, request: Any
) -> None:
    client = as_user(request.getfixturevalue(persona))

    response = _post(client, run, premises=_upload(xlsx([list(XINGFU_SHOP)])), k="1")

    assert response.status_code == 403
    assert not SitingRun.objects.exists()
    assert not SitingCandidate.objects.exists()


def test_another_districts_admin_cannot_see_the_run(
    as_user: Any, run: AnalysisRun, other_district_admin: User
) -> None:
    response = _post(
        as_user(other_district_admin), run, premises=_upload(xlsx([list(XINGFU_SHOP)])), k="1"
    )

    assert response.status_code == 404
    assert not SitingRun.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client: Client, run: AnalysisRun) -> None:
    response = _post(client, run, premises=_upload(xlsx([list(XINGFU_SHOP)])), k="1")
    template = client.get(reverse("planning:premises_template"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert template.status_code == 302
    assert not SitingRun.objects.exists()


def test_a_previous_list_of_another_district_is_not_found(
    as_user: Any, run: AnalysisRun, district_admin: User, other_district_admin: User
) -> None:
    other_district = other_district_admin.district
    assert other_district is not None
    other_run = AnalysisRun.objects.create(district=other_district, status=RunStatus.DONE)
    foreign = SitingRun.objects.create(
        run=other_run,
        district=other_run.district,
        category="kindergarten",
        k=1,
        radius_m=300,
        candidate_source="premises",
    )

    response = _post(as_user(district_admin), run, source="previous", previous=str(foreign.pk))

    assert response.status_code == 404
    assert SitingRun.objects.count() == 1


def test_planners_download_the_template_and_residents_may_not(
    as_user: Any, community_staff: User, resident: User
) -> None:
    response = as_user(community_staff).get(reverse("planning:premises_template"))
    refused = as_user(resident).get(reverse("planning:premises_template"))

    assert response.status_code == 200
    assert "premises-template.xlsx" in response["Content-Disposition"]
    assert refused.status_code == 403


# --- the API -------------------------------------------------------------------------------------

ROWS = [
    {"id": c, "name": n, "lon": lon, "lat": lat}
    for c, n, lon, lat in (XINGFU_SHOP, XIYUAN_ROOM, FAR_WAREHOUSE)
]


def _api_post(client: Client, run: AnalysisRun, **payload: Any) -> Any:
    body = {"category": "kindergarten", "k": 1, "radius_m": 300, **payload}
    return client.post(f"{API_PREFIX}/runs/{run.pk}/siting", body, content_type="application/json")


@pytest.mark.urls("linli.planning.tests.urls")
def test_the_api_takes_premises_as_json_rows(
    as_user: Any, run: AnalysisRun, district_admin: User
) -> None:
    client = as_user(district_admin)

    response = _api_post(client, run, candidates=ROWS)
    siting = client.get(f"{API_PREFIX}/sitings/{response.json()['id']}").json()

    assert response.status_code == 202
    assert siting["status"] == "done"
    assert siting["candidate_source"] == "premises"
    assert siting["result"]["sites"][0]["name"] == "西园小区闲置用房"
    assert [c["on_network"] for c in siting["candidates"]] == [True, True, False]
    assert siting["result"]["premises"]["too_far"][0]["name"] == "城郊仓库"


@pytest.mark.urls("linli.planning.tests.urls")
def test_the_api_refuses_bad_rows_with_every_problem(
    as_user: Any, run: AnalysisRun, district_admin: User
) -> None:
    rows = [*ROWS[:2], {"id": "P09", "name": "", "lon": "abc", "lat": 36.19}]

    response = _api_post(as_user(district_admin), run, candidates=rows)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_premises"
    assert [(p["row"], p["column"], p["value"]) for p in body["problems"]] == [
        (3, "name", ""),
        (3, "lon", "abc"),
    ]
    assert not SitingRun.objects.exists()
    assert not SitingCandidate.objects.exists()


@pytest.mark.urls("linli.planning.tests.urls")
def test_the_api_refuses_premises_from_anyone_but_the_districts_admins(
    client: Client,
    as_user: Any,
    run: AnalysisRun,
    community_staff: User,
    resident: User,
    other_district_admin: User,
) -> None:
    assert _api_post(client, run, candidates=ROWS).status_code == 401
    assert _api_post(as_user(resident), run, candidates=ROWS).status_code == 403
    assert _api_post(as_user(community_staff), run, candidates=ROWS).status_code == 403
    assert _api_post(as_user(other_district_admin), run, candidates=ROWS).status_code == 404
    assert not SitingRun.objects.exists()
    assert not SitingCandidate.objects.exists()
