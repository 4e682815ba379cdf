"""The one way Linli writes and reads .xlsx files: text stays text, and a file cannot be a bomb.

Writing (``write_cell``, ``append_row``, ``table_sheet``, ``workbook_bytes``)
    openpyxl stores any string starting with ``=`` as a live formula, so a station named
    ``=HYPERLINK("http://…","点此修复")`` would become a link in every export. Every value is
    written as a typed cell: numbers as numbers, text as a string cell never a formula; text a
    spreadsheet program would still read as a formula when it is copied or saved as CSV
    (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is prefixed with a single
    quote, as OWASP's "CSV injection" page recommends. ``restore_text`` undoes the prefix, and
    ``read_workbook`` applies it to every text cell, so a file Linli wrote imports back unchanged.
    ``workbook_bytes`` refuses to save a workbook with a formula cell: a feature cannot add one.

Reading (``read_workbook``)
    An .xlsx is a zip of XML. Before anything is unpacked, the archive's directory is checked:
    compressed size, total uncompressed size and each member's compression ratio. The members
    are then inflated with a running count (a directory can lie about sizes), the sheets are
    walked once in streaming mode (row and cell counts stop early), and only then is the
    workbook loaded for the caller. A hidden sheet with data, a formula in any cell and
    malformed XML are refused, each with the sheet, row and column. The caller gets an
    ordinary openpyxl ``Workbook`` whose cells are literal values.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# Characters that make a spreadsheet program evaluate a cell (OWASP: CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# Excel's own limit for one cell; a longer one was not written by a spreadsheet program.
MAX_CELL_CHARS = 32767
HEADER_FILL = PatternFill("solid", fgColor="EEF1F4")
HEADER_FONT = Font(bold=True)

# --------------------------------------------------------------------------------- writing


def neutralise(text: str) -> str:
    """``text`` with a leading single quote when a spreadsheet would evaluate it.

    A value that already starts with a quote followed by a trigger (or a second quote) is
    quoted too, so that ``restore_text(neutralise(t)) == t`` for every ``t``.
    """
    if text and (text[0] in FORMULA_TRIGGERS or restore_text(text) != text):
        return QUOTE + text
    return text


def restore_text(text: str) -> str:
    """Undo ``neutralise``: drop one leading quote that protects a trigger or another quote."""
    if len(text) >= 2 and text[0] == QUOTE and (text[1] in FORMULA_TRIGGERS or text[1] == QUOTE):
        return text[1:]
    return text


def _printable(text: str) -> str:
    # openpyxl refuses C0 control characters other than tab/newline/CR in a cell (they are not
    # allowed in XML 1.0); a name that carries one is shown with U+FFFD rather than failing.
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def safe_value(value: Any) -> Any:
    """``value`` as a cell may hold it: numbers, booleans, dates kept; anything else as text.

    Text is neutralised (no leading trigger character is left, so openpyxl cannot take it for a
    formula) and cleared of the control characters XML cannot carry.
    """
    if value is None or isinstance(value, (bool, int, float)) or hasattr(value, "isoformat"):
        return value
    # XML readers turn a carriage return into a line feed, so one written would not read back.
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _printable(neutralise(text))


def write_cell(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write ``value`` at (row, column) as data, never a formula (see ``safe_value``)."""
    cell = sheet.cell(row=row, column=column)
    assert isinstance(cell, Cell), "a merged cell is written through its top-left cell"
    cell.value = safe_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def append_row(sheet: Worksheet, values: Iterable[Any]) -> int:
    """Append ``values`` as the next row, as ``Worksheet.append`` does, through ``safe_value``."""
    sheet.append([safe_value(v) for v in values])
    return sheet.max_row


def style_header(sheet: Worksheet, row: int = 1) -> None:
    """Bold headers on a light fill, as every Linli sheet has them."""
    for cell in sheet[row]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)


def table_sheet(
    sheet: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    widths: Sequence[int] = (),
    text_columns: Iterable[int] = (),
    freeze: str | None = "A2",
    auto_filter: bool = False,
) -> int:
    """Fill ``sheet`` with a header row and ``rows``; returns the number of data rows.

    ``text_columns`` (1-based) get Excel's text format, so codes such as 140404001001 typed into
    the file later stay text too.
    """
    append_row(sheet, headers)
    style_header(sheet)
    count = 0
    for values in rows:
        append_row(sheet, values)
        count += 1
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for index in text_columns:
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].number_format = "@"
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.number_format = "@"
    if freeze:
        sheet.freeze_panes = freeze
    if auto_filter and headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    return count


def new_workbook(title: str) -> tuple[Workbook, Worksheet]:
    """A workbook whose first sheet is called ``title``."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    return workbook, sheet


class FormulaWritten(AssertionError):
    """A workbook about to be saved holds a formula cell: a programming error, not user input."""


def workbook_bytes(workbook: Workbook) -> bytes:
    """The .xlsx bytes of ``workbook``, after checking that no cell holds a formula."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    raise FormulaWritten(f"{sheet.title}!{cell.coordinate}")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class ReadLimits:
    """What one upload may cost; the defaults suit a few thousand rows of a Linli sheet."""

    max_bytes: int = 10 * 1024 * 1024  # the upload as sent
    max_uncompressed: int = 50 * 1024 * 1024  # all members together, inflated
    max_ratio: int = 100  # inflated / compressed, per member larger than ratio_floor
    ratio_floor: int = 1024 * 1024
    max_rows: int = 5000  # data rows of one sheet (the header row not counted)
    max_columns: int = 200
    max_cells: int = 200_000  # over all sheets: bounds the memory of the full load


@dataclass(frozen=True)
class SheetProblem:
    """Why a file is refused; ``row``/``column`` name the cell (``None`` for the whole file)."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""


@dataclass
class SpreadsheetRefused(Exception):
    """The file cannot be read safely; ``problems`` say why (at least one)."""

    problems: list[SheetProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(p.message for p in self.problems)


def _refuse(message: str, **where: Any) -> SpreadsheetRefused:
    return SpreadsheetRefused([SheetProblem(message, **where)])


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


def _inflate(data: bytes, limits: ReadLimits) -> dict[str, bytes]:
    """Check the archive's directory, then inflate its members with a running count.

    openpyxl is handed only bytes that were counted here, so a member whose header understates
    its size cannot inflate past the limit inside openpyxl.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _refuse(_("This is not an Excel .xlsx file; save it as .xlsx and retry.")) from None
    declared = sum(m.file_size for m in members)
    if declared > limits.max_uncompressed:
        raise _refuse(
            _(
                "The file unpacks to %(size)s MB, more than the %(max)s MB allowed; "
                "split it into smaller files."
            )
            % {"size": _megabytes(declared), "max": _megabytes(limits.max_uncompressed)}
        )
    for member in members:
        if member.file_size > limits.ratio_floor and member.file_size > limits.max_ratio * max(
            member.compress_size, 1
        ):
            raise _refuse(
                _(
                    "The part “%(name)s” of the file is compressed more than %(ratio)s times: "
                    "this is not an ordinary spreadsheet."
                )
                % {"name": member.filename, "ratio": limits.max_ratio}
            )
    total = 0
    inflated: dict[str, bytes] = {}
    try:
        for member in members:
            if member.is_dir():
                continue
            chunks = []
            with archive.open(member) as stream:
                while chunk := stream.read(1024 * 1024):
                    total += len(chunk)
                    if total > limits.max_uncompressed:
                        raise _refuse(
                            _(
                                "The file unpacks to more than %(max)s MB; "
                                "split it into smaller files."
                            )
                            % {"max": _megabytes(limits.max_uncompressed)}
                        )
                    chunks.append(chunk)
            inflated[member.filename] = b"".join(chunks)
    except SpreadsheetRefused:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        # A CRC mismatch, an unsupported compression or an encrypted member.
        raise _refuse(
            _("The file is damaged; open it in Excel, save it again and retry.")
        ) from None
    return inflated


def _load(data: bytes) -> Workbook:
    try:
        return load_workbook(io.BytesIO(data), data_only=False)
    except SpreadsheetRefused:
        raise
    except Exception as err:  # openpyxl raises anything from KeyError to ParseError on bad XML
        raise _refuse(
            _(
                "The file is damaged (%(reason)s); open it in Excel, save it again as .xlsx "
                "and retry."
            )
            % {"reason": type(err).__name__}
        ) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_error(err: Exception) -> SpreadsheetRefused:
    return _refuse(
        _("The file is damaged (%(reason)s); open it in Excel, save it again as .xlsx and retry.")
        % {"reason": f"{type(err).__name__}: {err}"[:120]}
    )


def _sheets(members: dict[str, bytes]) -> list[tuple[str, str, str]]:
    """(title, state, member name) of every worksheet, in the workbook's order."""
    try:
        book = ElementTree.fromstring(members["xl/workbook.xml"])
        rels = ElementTree.fromstring(members.get("xl/_rels/workbook.xml.rels", b"<r/>"))
    except KeyError:
        raise _refuse(_("This is not an Excel .xlsx file; save it as .xlsx and retry.")) from None
    except ElementTree.ParseError as err:
        raise _parse_error(err) from None
    targets = {
        rel.get("Id"): rel.get("Target", "") for rel in rels if _local(rel.tag) == "Relationship"
    }
    sheets = []
    for element in book.iter():
        if _local(element.tag) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rid, "")
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        sheets.append((element.get("name", ""), element.get("state", "visible"), path))
    return sheets


def _scan(members: dict[str, bytes], limits: ReadLimits) -> None:
    """Stream over every sheet's XML once: hidden data, formulas, rows, columns, cells.

    Done on the XML itself, not through openpyxl: its read-only mode scans a whole sheet for a
    <dimension> element before yielding the first row, and its normal mode builds an object per
    cell, so neither may see a file before its rows and cells are counted.
    """
    problems: list[SheetProblem] = []
    cells = 0
    long_strings: set[int] = set()
    if "xl/sharedStrings.xml" in members:
        try:
            index = 0
            for _event, element in ElementTree.iterparse(
                io.BytesIO(members["xl/sharedStrings.xml"])
            ):
                if _local(element.tag) == "si":
                    if len("".join(element.itertext())) > MAX_CELL_CHARS:
                        long_strings.add(index)
                    index += 1
                    element.clear()
        except ElementTree.ParseError as err:
            raise _parse_error(err) from None
    for title, state, path in _sheets(members):
        if path not in members:
            continue
        hidden = state != "visible"
        row_number = 0
        try:
            for _event, element in ElementTree.iterparse(io.BytesIO(members[path])):
                tag = _local(element.tag)
                if tag == "row":
                    row_number = int(element.get("r") or row_number + 1)
                    element.clear()
                    continue
                if tag != "c":
                    continue
                cells += 1
                if cells > limits.max_cells:
                    raise _refuse(
                        _("The file has more than %(n)s cells; split it.") % {"n": limits.max_cells}
                    )
                children = {_local(child.tag): child for child in element}
                if not children:
                    continue  # a formatted empty cell
                reference = element.get("r", "")
                column = reference.rstrip("0123456789")
                row = row_number + 1 if not reference else int(reference[len(column) :] or 0)
                where: dict[str, Any] = {"sheet": title, "row": row, "column": column}
                if row > limits.max_rows + 1:
                    raise _refuse(
                        _("The sheet “%(sheet)s” has more than %(n)s rows; split the file.")
                        % {"sheet": title, "n": limits.max_rows},
                        sheet=title,
                    )
                if column and column_index_from_string(column) > limits.max_columns:
                    raise _refuse(
                        _("The sheet “%(sheet)s” has more than %(n)s columns.")
                        % {"sheet": title, "n": limits.max_columns},
                        **where,
                    )
                if hidden:
                    problems.append(
                        SheetProblem(
                            _(
                                "The sheet “%(sheet)s” is hidden but holds data: unhide it and "
                                "delete it or move its rows to the data sheet."
                            )
                            % {"sheet": title},
                            **where,
                        )
                    )
                    break
                if "f" in children:
                    problems.append(
                        SheetProblem(
                            _(
                                "Cell %(cell)s holds a formula; Linli imports values only. "
                                "Replace it with its value (Paste Special → Values)."
                            )
                            % {"cell": reference},
                            value=("=" + (children["f"].text or ""))[:100],
                            **where,
                        )
                    )
                value = children.get("v")
                too_long = (
                    element.get("t") == "s"
                    and value is not None
                    and (value.text or "").strip().isdigit()
                    and int((value.text or "").strip()) in long_strings
                ) or len("".join(element.itertext())) > MAX_CELL_CHARS
                if too_long:
                    problems.append(
                        SheetProblem(
                            _(
                                "Cell %(cell)s holds more than %(max)s characters, more than "
                                "a spreadsheet cell can."
                            )
                            % {"cell": reference, "max": MAX_CELL_CHARS},
                            **where,
                        )
                    )
                if len(problems) >= 100:
                    raise SpreadsheetRefused(problems)
        except ElementTree.ParseError as err:
            raise _parse_error(err) from None
        except ValueError as err:  # a row or cell reference that is not one
            raise _parse_error(err) from None
    if problems:
        raise SpreadsheetRefused(problems)


def read_workbook(data: bytes, *, limits: ReadLimits | None = None) -> Workbook:
    """An uploaded .xlsx as an openpyxl workbook of literal values, or ``SpreadsheetRefused``.

    Text cells come back as the user wrote them in Linli (``restore_text``), so an exported
    ``'=1+1`` is ``=1+1`` again.
    """
    limits = limits or ReadLimits()
    if len(data) > limits.max_bytes:
        raise _refuse(
            _("The file is larger than %(max)s MB.") % {"max": _megabytes(limits.max_bytes)}
        )
    members = _inflate(data, limits)
    _scan(members, limits)
    repacked = io.BytesIO()
    with zipfile.ZipFile(repacked, "w", zipfile.ZIP_STORED) as out:
        for name, content in members.items():
            out.writestr(name, content)
    workbook = _load(repacked.getvalue())
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = restore_text(cell.value)
                    cell.data_type = "s"
    return workbook


def read_upload(file: Any, *, limits: ReadLimits | None = None) -> Workbook:
    """``read_workbook`` for an uploaded file object, reading at most one byte past the limit."""
    limits = limits or ReadLimits()
    return read_workbook(file.read(limits.max_bytes + 1), limits=limits)


__all__ = [
    "FORMULA_TRIGGERS",
    "FormulaWritten",
    "ReadLimits",
    "SheetProblem",
    "SpreadsheetRefused",
    "append_row",
    "neutralise",
    "new_workbook",
    "read_upload",
    "read_workbook",
    "restore_text",
    "safe_value",
    "style_header",
    "table_sheet",
    "workbook_bytes",
    "write_cell",
]
