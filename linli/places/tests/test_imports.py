"""Excel import: every kind of bad file gets a row/column report and changes nothing."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook

from linli.accounts.models import User
from linli.core.models import AuditEntry
from linli.places.exports import template_workbook
from linli.places.geo import wgs84_to_gcj02
from linli.places.imports import ImportResult, import_sheet, problems_workbook
from linli.places.models import Compound, Service, Station
from linli.places.sheets import SheetKind
from linli.places.tests.sheetfiles import STATION_HEADER, station_row, xlsx
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Messages are asserted in English (the msgids); the Chinese catalog is merged later."""
    with translation.override("en"):
        yield


def _import(
    actor: Any, file: io.BytesIO, kind: SheetKind = SheetKind.STATIONS, **kw: Any
) -> ImportResult:
    return import_sheet(actor=actor, kind=kind, file=file, filename="test.xlsx", **kw)


def _state() -> tuple[int, list[tuple[str, str]], int]:
    return (
        Station.objects.count(),
        sorted(Station.objects.values_list("code", "name")),
        AuditEntry.objects.count(),
    )


def _only(result: ImportResult) -> tuple[int | None, str, str]:
    assert len(result.problems) == 1, result.problems
    p = result.problems[0]
    return p.row, p.column, p.message


def test_a_good_file_imports_creates_and_updates(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    file = xlsx(
        STATION_HEADER,
        [
            station_row(),
            station_row("S001", "幸福苑幸福驿站（更名）"),
            [None] * len(STATION_HEADER),  # a fully empty row is ignored
        ],
    )
    result = _import(community_staff, file)

    assert result.ok, result.problems
    assert (result.created, result.updated) == (1, 1)
    new = Station.objects.get(code="XF-101")
    assert new.community == hierarchy.xingfu
    assert new.holiday_policy == Station.HolidayPolicy.CLOSED
    assert sorted(new.functions.values_list("code", flat=True)) == ["deliberation", "reading"]
    assert [(h.weekday, h.opens, h.closes) for h in new.opening_hours.all()][:2] == [
        (0, dt.time(8, 30), dt.time(12)),
        (0, dt.time(14), dt.time(18)),
    ]
    assert not new.opening_hours.filter(weekday__gte=5).exists()
    assert Station.objects.get(code="S001").name == "幸福苑幸福驿站（更名）"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.IMPORT)
    assert entry.changes == {"rows": 2, "created": 1, "updated": 1, "unchanged": 0}


def test_dry_run_reports_but_changes_nothing(hierarchy: Hierarchy, community_staff: User) -> None:
    before = _state()
    result = _import(community_staff, xlsx(STATION_HEADER, [station_row()]), dry_run=True)
    assert result.ok
    assert result.created == 1
    assert not result.committed
    assert _state() == before


def test_full_width_digits_are_converted(hierarchy: Hierarchy, community_staff: User) -> None:
    row = station_row(
        **{
            "经度*": "１１３．０７１２",
            "纬度*": "３６．１８１５",
            "站长手机": "１３９００００２２２２",
            "周一": "０８：３０－１８：００",
        }
    )
    result = _import(community_staff, xlsx(STATION_HEADER, [row]))
    assert result.ok, result.problems
    station = Station.objects.get(code="XF-101")
    assert (station.lon, station.lat) == (113.0712, 36.1815)
    assert station.contact_phone == "13900002222"


def test_gcj02_coordinates_are_converted(hierarchy: Hierarchy, community_staff: User) -> None:
    glon, glat = wgs84_to_gcj02(113.0712, 36.1815)
    row = station_row(**{"经度*": glon, "纬度*": glat, "坐标系": "GCJ-02（高德/腾讯）"})
    result = _import(community_staff, xlsx(STATION_HEADER, [row]))
    assert result.ok, result.problems
    station = Station.objects.get(code="XF-101")
    assert station.lon == pytest.approx(113.0712, abs=1e-7)
    assert station.lat == pytest.approx(36.1815, abs=1e-7)


def test_gcj02_coordinates_marked_wgs84_get_a_hint(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    # Near the district's edge the ~600 m GCJ-02 shift moves a point outside the box.
    glon, glat = wgs84_to_gcj02(113.11, 36.20)
    result = _import(
        community_staff, xlsx(STATION_HEADER, [station_row(**{"经度*": glon, "纬度*": glat})])
    )
    if result.ok:  # still inside the box with its margin: nothing to hint about
        return
    row, column, message = _only(result)
    assert (row, column) == (2, "F 经度")
    assert "GCJ-02" in message


@pytest.mark.parametrize(
    ("header", "row", "expected_row", "expected_column", "words"),
    [
        # a missing column
        (
            [h for h in STATION_HEADER if h != "纬度*"],
            [v for h, v in zip(STATION_HEADER, station_row(), strict=True) if h != "纬度*"],
            1,
            "纬度",
            "missing",
        ),
        # a renamed column: reported as unknown (and the original as missing)
        (
            [("维度" if h == "纬度*" else h) for h in STATION_HEADER],
            station_row(),
            1,
            "G 维度",
            "Unknown column",
        ),
    ],
)
def test_header_problems(
    hierarchy: Hierarchy,
    community_staff: User,
    header: list[str],
    row: list[Any],
    expected_row: int,
    expected_column: str,
    words: str,
) -> None:
    before = _state()
    result = _import(community_staff, xlsx(header, [row]))
    assert not result.ok
    assert any(
        p.row == expected_row and p.column == expected_column and words in p.message
        for p in result.problems
    ), result.problems
    assert _state() == before


@pytest.mark.parametrize(
    ("over", "column", "words"),
    [
        ({"经度*": "东经113度"}, "F 经度", "Expected a number"),
        ({"周一": "早上八点"}, "M 周一", "Expected hours"),
        ({"在用": "也许"}, "U 在用", "Expected one of"),
        ({"站长手机": "1234"}, "J 站长手机", "11-digit"),
        ({"经度*": 121.47, "纬度*": 31.23}, "F 经度", "outside"),
        ({"经度*": 36.1815, "纬度*": 113.0712}, "F 经度", "swapped"),
        ({"类型*": "游泳馆"}, "C 类型", "Unknown kind"),
        ({"社区编码": "T999"}, "D 社区编码", "Unknown community"),
        ({"功能": "议事、唱歌"}, "K 功能", "Unknown item"),
        ({"社区编码": "T14040402001"}, "D 社区编码", "outside your area"),
        ({"坐标系": "BD-09"}, "H 坐标系", "GCJ-02"),
        ({"名称*": None}, "B 名称", "required"),
    ],
)
def test_cell_problems_name_row_and_column(
    hierarchy: Hierarchy, community_staff: User, over: dict[str, Any], column: str, words: str
) -> None:
    before = _state()
    file = xlsx(STATION_HEADER, [station_row("XF-100", "好的一行"), station_row(**over)])
    result = _import(community_staff, file)
    row, col, message = _only(result)
    assert (row, col) == (3, column)
    assert words in message
    assert _state() == before


def test_duplicates_in_the_file_and_across_scope(
    hierarchy: Hierarchy, community_staff: User
) -> None:
    before = _state()
    file = xlsx(
        STATION_HEADER,
        [
            station_row("XF-101"),
            station_row("xf-101", "重复"),
            station_row("S003", "别人的编码"),
        ],
    )
    result = _import(community_staff, file)
    assert [(p.row, p.column) for p in result.problems] == [(3, "A 编码"), (4, "A 编码")]
    assert "row 2" in result.problems[0].message
    assert "outside your area" in result.problems[1].message
    assert _state() == before
    assert Station.objects.get(code="S003").name == "西园幸福驿站"


def test_merged_cells_and_partial_rows(hierarchy: Hierarchy, community_staff: User) -> None:
    before = _state()
    file = xlsx(
        STATION_HEADER,
        [
            station_row("XF-101"),
            station_row("XF-102"),
            station_row("XF-103"),
            ["XF-104"] + [None] * (len(STATION_HEADER) - 1),
        ],
        merge="D2:D3",
    )
    result = _import(community_staff, file)
    merged = [p for p in result.problems if p.column == "D2:D3"]
    assert merged
    assert merged[0].row == 2
    assert "Merged" in merged[0].message
    partial = {p.column for p in result.problems if p.row == 5}
    assert {"B 名称", "C 类型", "F 经度", "G 纬度"} <= partial
    assert _state() == before


def test_not_an_excel_file(hierarchy: Hierarchy, community_staff: User) -> None:
    result = _import(community_staff, io.BytesIO(b"code,name\nS1,x\n"))
    assert not result.ok
    assert ".xlsx" in result.problems[0].message


def test_non_editors_cannot_import(
    hierarchy: Hierarchy, station_keeper: User, resident: User
) -> None:
    for user in (station_keeper, resident):
        result = _import(user, xlsx(STATION_HEADER, [station_row()]))
        assert not result.ok
    assert not Station.objects.filter(code="XF-101").exists()


def test_the_template_imports_back_as_empty(hierarchy: Hierarchy, community_staff: User) -> None:
    data = template_workbook(SheetKind.STATIONS, community_staff)
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["驿站设施", "填写说明", "代码表"]
    result = _import(community_staff, io.BytesIO(data))
    assert [p.message for p in result.problems] == ["The sheet has no rows to import."]


def test_problems_report_is_a_workbook(hierarchy: Hierarchy, community_staff: User) -> None:
    result = _import(community_staff, xlsx(STATION_HEADER, [station_row(**{"经度*": "x"})]))
    sheet = load_workbook(io.BytesIO(problems_workbook(result.problems))).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:2] == [2, "F 经度"]


# ---------------------------------------------------------------- compounds and services


COMPOUND_HEADER = ["编码*", "名称*", "社区编码*", "户数", "人口", "出入口", "坐标系"]


def test_compounds_import_with_gates(hierarchy: Hierarchy, community_staff: User) -> None:
    glon, glat = wgs84_to_gcj02(113.073, 36.183)
    file = xlsx(
        COMPOUND_HEADER,
        [
            [
                "C100",
                "和谐家园",
                "T14040401001",
                "３００",
                800,
                f"东门({glon:.7f}，{glat:.7f})",
                "高德",
            ],
            ["C001", "幸福苑", "T14040401001", 430, 1160, None, None],
        ],
        title="小区",
    )
    result = _import(community_staff, file, SheetKind.COMPOUNDS)
    assert result.ok, result.problems
    new = Compound.objects.get(code="C100")
    assert new.households == 300
    gate = new.gates.get()
    assert (gate.name, round(gate.lon, 6), round(gate.lat, 6)) == ("东门", 113.073, 36.183)
    old = Compound.objects.get(code="C001")
    assert old.households == 430
    assert old.gates.count() == 1  # empty gate cell keeps the gates


def test_compound_problems(hierarchy: Hierarchy, other_community_staff: User) -> None:
    file = xlsx(
        COMPOUND_HEADER,
        [
            ["C001", "抢注", "T14040402001", 1, 1, None, None],
            ["C200", "西园小区", "T14040402001", 1.5, 1, "大门(1,2)", None],
        ],
        title="小区",
    )
    result = _import(other_community_staff, file, SheetKind.COMPOUNDS)
    assert [(p.row, p.column) for p in result.problems] == [
        (2, "A 编码"),
        (3, "D 户数"),
        (3, "F 出入口"),
    ]
    assert Compound.objects.count() == 1


SERVICE_HEADER = [
    "服务名称*",
    "服务类别*",
    "提供机构",
    "驿站编码",
    "收费",
    "需预约",
    "周期规则",
    "开始时间",
    "结束时间",
]


def test_services_import_and_link_stations(hierarchy: Hierarchy, community_staff: User) -> None:
    file = xlsx(
        SERVICE_HEADER,
        [
            [
                "心理疏导",
                "心理咨询",
                "阳光心理服务社",
                "S001",
                "免费",
                "是",
                "FREQ=WEEKLY;BYDAY=WE",
                "14:00",
                dt.time(16, 0),
            ],
        ],
        title="服务项目",
    )
    result = _import(community_staff, file, SheetKind.SERVICES)
    assert result.ok, result.problems
    service = Service.objects.get(name="心理疏导")
    assert service.booking_required
    link = service.at_stations.get()
    assert (link.station.code, link.opens, link.closes) == ("S001", dt.time(14), dt.time(16))


def test_service_problems(hierarchy: Hierarchy, community_staff: User) -> None:
    file = xlsx(
        SERVICE_HEADER,
        [
            ["心理疏导", "算命", "", "S001", "免费", "否", "", None, None],
            ["棋牌", "书法棋牌", "", "S003", "免费", "否", "", None, None],
            ["读书会", "志愿服务", "", "S001", "免费", "否", "EVERY DAY", None, None],
            ["无站点", "志愿服务", "", None, "免费", "否", "", None, None],
        ],
        title="服务项目",
    )
    result = _import(community_staff, file, SheetKind.SERVICES)
    assert [(p.row, p.column) for p in result.problems] == [
        (2, "B 服务类别"),
        (3, "D 驿站编码"),
        (4, "G 周期规则"),
        (5, "D 驿站编码"),
    ]
    assert not Service.objects.exclude(name="义务理发").exists()
