"""The shared .xlsx writer and reader: text stays text; a hostile file is refused early."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from linli.core import spreadsheets as sp

HOSTILE = [
    "=1+1",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/","点此修复")',
    "+86 355 1234567",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",
    "''",
]


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def _xlsx(build: Any) -> bytes:
    workbook = Workbook()
    build(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")
        )


def _refusal(data: bytes, **limits: Any) -> sp.SheetProblem:
    with pytest.raises(sp.SpreadsheetRefused) as caught:
        sp.read_workbook(data, limits=sp.ReadLimits(**limits))
    return caught.value.problems[0]


# --- writing -------------------------------------------------------------------------------


def test_user_text_is_never_written_as_a_formula() -> None:
    workbook, sheet = sp.new_workbook("t")
    sp.table_sheet(sheet, ["name"], [[v] for v in HOSTILE])
    data = sp.workbook_bytes(workbook)

    assert "<f>" not in _sheet_xml(data)
    cells = [row[0] for row in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in cells)
    # What a spreadsheet program would evaluate is quoted, as OWASP recommends.
    assert all(not str(c.value).startswith(sp.FORMULA_TRIGGERS) for c in cells)
    assert cells[0].value == "'=1+1"


def test_what_linli_writes_it_reads_back_unchanged() -> None:
    workbook, sheet = sp.new_workbook("t")
    sp.table_sheet(sheet, ["name", "n"], [[v, 3] for v in HOSTILE])
    back = sp.read_workbook(sp.workbook_bytes(workbook))
    # XML has no carriage return of its own: the writer stores it as the line feed it reads as.
    assert [list(r) for r in back.worksheets[0].iter_rows(min_row=2, values_only=True)] == [
        [v.replace("\r", "\n"), 3] for v in HOSTILE
    ]


@given(st.text())
def test_neutralise_is_undone_by_restore(text: str) -> None:
    safe = sp.neutralise(text)
    assert sp.restore_text(safe) == text
    assert not safe.startswith(sp.FORMULA_TRIGGERS)


def test_a_control_character_does_not_break_an_export() -> None:
    workbook, sheet = sp.new_workbook("t")
    sp.append_row(sheet, ["a\x00b\x1bc"])
    assert (
        load_workbook(io.BytesIO(sp.workbook_bytes(workbook))).worksheets[0]["A1"].value
        == "a\ufffdb\ufffdc"
    )


def test_a_formula_cannot_be_saved_by_mistake() -> None:
    workbook, sheet = sp.new_workbook("t")
    sheet["A1"] = "=1+1"  # not through the writer
    with pytest.raises(sp.FormulaWritten):
        sp.workbook_bytes(workbook)


# --- reading -------------------------------------------------------------------------------


def _bomb(cell_chars: int) -> bytes:
    plain = _xlsx(lambda wb: wb.worksheets[0].__setitem__("A1", "x" * 1000))
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for name in src.namelist():
            content = src.read(name)
            if name.startswith("xl/worksheets/"):
                content = content.replace(b"x" * 1000, b"x" * cell_chars)
            dst.writestr(name, content)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    data = _bomb(60 * 1024 * 1024)
    assert len(data) < 100_000
    problem = _refusal(data)
    assert "unpacks to 60 MB, more than the 50 MB allowed" in problem.message


def test_a_file_compressed_beyond_the_ratio_is_refused() -> None:
    problem = _refusal(_bomb(20 * 1024 * 1024))
    assert "compressed more than 100 times" in problem.message


def test_a_file_over_the_size_limit_is_refused() -> None:
    assert "larger than 1 MB" in _refusal(b"x" * (1024 * 1024 + 1), max_bytes=1024 * 1024).message


def test_too_many_rows_are_refused_without_reading_them_all() -> None:
    # Past row 6000 the XML is broken: a reader that went on would call the file damaged.
    def build(wb: Workbook) -> None:
        wb.worksheets[0].title = "data"
        wb.worksheets[0]["A1"] = 0

    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 6001))
    rows += "<row><c><v>broken"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_xlsx(build))) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            content = src.read(name)
            if name.startswith("xl/worksheets/"):
                start, end = content.index(b"<sheetData>"), content.index(b"</sheetData>")
                content = content[: start + 11] + rows.encode() + content[end:]
            dst.writestr(name, content)
    problem = _refusal(out.getvalue(), max_rows=5000)
    assert problem.message == "The sheet “data” has more than 5000 rows; split the file."


def test_a_hidden_data_sheet_behind_a_visible_decoy_is_refused() -> None:
    def build(wb: Workbook) -> None:
        wb.worksheets[0].title = "说明"
        wb.worksheets[0]["A1"] = "nothing to see"
        hidden = wb.create_sheet("驿站设施")
        hidden["A1"] = "编码"
        hidden.sheet_state = "hidden"

    problem = _refusal(_xlsx(build))
    assert (problem.sheet, problem.row, problem.column) == ("驿站设施", 1, "A")
    assert "hidden" in problem.message


@pytest.mark.parametrize("formula", ["=1+1", '=HYPERLINK("http://x","fix")'])
def test_a_formula_in_any_cell_is_refused_with_its_cell(formula: str) -> None:
    def build(wb: Workbook) -> None:
        wb.worksheets[0]["A1"] = "编码"
        wb.worksheets[0]["F7"] = formula

    problem = _refusal(_xlsx(build))
    assert (problem.row, problem.column) == (7, "F")
    assert problem.message.startswith("Cell F7 holds a formula")


def test_malformed_xml_is_a_clear_refusal() -> None:
    good = _xlsx(lambda wb: wb.worksheets[0].__setitem__("A1", "x"))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            content = src.read(name)
            if name.startswith("xl/worksheets/"):
                content = content.replace(b"</sheetData>", b"<row><c><v>1</sheetData>")
            dst.writestr(name, content)
    assert _refusal(out.getvalue()).message.startswith("The file is damaged")


@pytest.mark.parametrize("data", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_something_else_is_not_an_excel_file(data: bytes) -> None:
    assert "not an Excel .xlsx file" in _refusal(data).message
