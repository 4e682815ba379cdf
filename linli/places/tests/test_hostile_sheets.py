"""Spreadsheets under attack: exports never carry a live formula, hostile imports are refused."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from linli.places.exports import export_workbook
from linli.places.imports import ImportResult, import_sheet, problems_workbook
from linli.places.models import Organisation, Station
from linli.places.organisation_sheet import organisations_workbook
from linli.places.sheets import SheetKind
from linli.places.tests.sheetfiles import STATION_HEADER, station_row, xlsx

pytestmark = pytest.mark.django_db

FORMULAS = ["=1+1", "=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example/","点此修复")']


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def _no_formula(data: bytes) -> list[Any]:
    """Every cell of every sheet; fails on a formula cell."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name
    cells = [
        cell
        for sheet in load_workbook(io.BytesIO(data)).worksheets
        for row in sheet.iter_rows()
        for cell in row
    ]
    assert all(c.data_type != "f" for c in cells)
    return [c.value for c in cells]


def _import(actor: Any, file: io.BytesIO) -> ImportResult:
    return import_sheet(actor=actor, kind=SheetKind.STATIONS, file=file, filename="t.xlsx")


def test_a_station_named_as_a_formula_is_exported_as_text(
    hierarchy: Any, district_admin: Any
) -> None:
    for i, name in enumerate(FORMULAS):
        Station.objects.filter(code=f"S00{i + 1}").update(name=name, description="@SUM(1)")
    values = _no_formula(export_workbook(SheetKind.STATIONS, district_admin))
    assert "'=1+1" in values
    assert "'@SUM(1)" in values


def test_the_export_imports_back_with_the_names_unchanged(
    hierarchy: Any, district_admin: Any
) -> None:
    Station.objects.filter(code="S001").update(name="=1+1", address="-3 号楼")
    data = export_workbook(SheetKind.STATIONS, district_admin)
    result = _import(district_admin, io.BytesIO(data))
    assert result.ok, result.problems
    station = Station.objects.get(code="S001")
    assert (station.name, station.address) == ("=1+1", "-3 号楼")


def test_an_organisation_named_as_a_formula_is_exported_as_text(
    hierarchy: Any, district_admin: Any
) -> None:
    Organisation.objects.update(name=FORMULAS[1], description=FORMULAS[2])
    values = _no_formula(organisations_workbook(district_admin))
    assert "'" + FORMULAS[1] in values


def test_the_problem_report_echoes_a_formula_as_text() -> None:
    values = _no_formula(
        problems_workbook([{"row": 2, "column": "B", "value": FORMULAS[2], "message": "bad"}])
    )
    assert "'" + FORMULAS[2] in values


def test_a_bomb_of_a_description_is_refused_and_nothing_changes(
    hierarchy: Any, community_staff: Any
) -> None:
    plain = xlsx([*STATION_HEADER, "简介"], [[*station_row(), "x" * 1000]])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(plain) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for name in src.namelist():
            content = src.read(name)
            dst.writestr(name, content.replace(b"x" * 1000, b"x" * (60 * 1024 * 1024)))
    out.seek(0)
    before = Station.objects.count()
    result = _import(community_staff, out)
    assert not result.ok
    assert "unpacks to 60 MB" in result.problems[0].message
    assert Station.objects.count() == before


def test_a_description_longer_than_the_field_is_refused_with_its_cell(
    hierarchy: Any, community_staff: Any
) -> None:
    result = _import(
        community_staff, xlsx([*STATION_HEADER, "简介"], [[*station_row(), "长" * 2001]])
    )
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (2, "V 简介", "At most 2000 characters (this has 2001).")
    ]


def test_a_hidden_data_sheet_behind_a_decoy_is_refused(
    hierarchy: Any, community_staff: Any
) -> None:
    workbook = Workbook()
    decoy = workbook.worksheets[0]
    decoy.title = "封面"
    decoy["A1"] = "请查收"
    data = workbook.create_sheet("驿站设施")
    data.append(STATION_HEADER)
    data.append(station_row())
    data.sheet_state = "hidden"
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    result = _import(community_staff, out)
    assert not result.ok
    assert result.problems[0].column == "驿站设施!A"
    assert not Station.objects.filter(code="XF-101").exists()


def test_a_formula_in_an_optional_column_is_refused_not_read_as_empty(
    hierarchy: Any, community_staff: Any
) -> None:
    row = station_row(**{"地址": '=HYPERLINK("http://evil.example/","点此修复")'})
    result = _import(community_staff, xlsx(STATION_HEADER, [row]))
    assert [(p.row, p.column) for p in result.problems] == [(2, "驿站设施!E")]
    assert "formula" in result.problems[0].message
    assert not Station.objects.filter(code="XF-101").exists()


@pytest.mark.parametrize(
    "name", ["幸福\n驿站", "幸福\t驿站", "站\u2066驿\u2069", "站\u202egpj.exe"]
)
def test_a_name_with_an_invisible_character_is_refused(
    hierarchy: Any, community_staff: Any, name: str
) -> None:
    result = _import(community_staff, xlsx(STATION_HEADER, [station_row("XF-101", name)]))
    assert [(p.row, p.column) for p in result.problems] == [(2, "B 名称")]
    assert "one line without invisible characters" in result.problems[0].message
    assert not Station.objects.filter(code="XF-101").exists()


def test_a_ten_thousand_character_name_on_an_existing_code_is_a_message(
    hierarchy: Any, community_staff: Any
) -> None:
    result = _import(community_staff, xlsx(STATION_HEADER, [station_row("S001", "名" * 10_000)]))
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (2, "B 名称", "At most 120 characters (this has 10000).")
    ]
    assert Station.objects.get(code="S001").name != "名" * 10_000


def test_malformed_xml_is_a_message(hierarchy: Any, community_staff: Any) -> None:
    good = xlsx(STATION_HEADER, [station_row()])
    out = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            content = src.read(name)
            if name.startswith("xl/worksheets/"):
                content = content[:-40]
            dst.writestr(name, content)
    out.seek(0)
    result = _import(community_staff, out)
    assert result.problems[0].message.startswith("The file is damaged")
