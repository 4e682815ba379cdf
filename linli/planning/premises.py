"""Lists of available premises (可用场所) that planners offer as candidate sites for siting.

A planner who knows which rooms, shop fronts or plots are actually free uploads them (an Excel
sheet or a CSV file with the columns ``id``, ``name``, ``lon``, ``lat``; the template from
``exports.premises_template`` has them in Chinese with the English key in brackets), or sends
them as JSON rows through the API. The whole list is checked before anything is stored or
started: each problem is named by row, column and value, and any problem refuses the list, as the
places import does (``linli.places.imports``). Coordinates copied from 高德/腾讯 maps are GCJ-02;
the planner says so once for the whole list and we convert them to WGS-84 here
(``linli.places.geo``), because the engine's ``--gcj02`` switch would convert the district's own
compounds and stations as well.

Whether a premise lies near enough to a walkable street is not a property of the file but of
the analysed network; ``services.run_siting`` checks that and names the premises too far away.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from openpyxl.utils import get_column_letter

from linli.core import spreadsheets
from linli.core.exceptions import LinliError
from linli.places import imports
from linli.places.geo import (
    CoordinateSystem,
    Misplaced,
    misplacement,
    parse_coordinate_system,
    to_wgs84,
)
from linli.places.imports import cell_text, fold
from linli.places.models import District

MAX_PREMISES = 2000
MAX_BYTES = 2 * 1024 * 1024
# The file is checked against these before it is unpacked (linli.core.spreadsheets).
READ_LIMITS = spreadsheets.ReadLimits(max_bytes=MAX_BYTES, max_rows=MAX_PREMISES + 100)
MAX_CODE = 40
MAX_NAME = 100
# At most this many problems are listed to the planner; the count says how many there are.
SHOWN_PROBLEMS = 10


@dataclass(frozen=True)
class PremiseColumn:
    """One column of the premises sheet: its key, the header of the template and other spellings."""

    key: str
    header: str
    aliases: tuple[str, ...]


# The template's headers are "名称(name)" etc.; the reader accepts either half, so the English
# keys of the issue (id, name, lon, lat) and the Chinese words both work.
COLUMNS: tuple[PremiseColumn, ...] = (
    PremiseColumn("id", "编号(id)", ("id", "编号", "场所编号", "code")),
    PremiseColumn("name", "名称(name)", ("name", "名称", "场所名称")),
    PremiseColumn("lon", "经度(lon)", ("lon", "lng", "longitude", "经度")),
    PremiseColumn("lat", "纬度(lat)", ("lat", "latitude", "纬度")),
)
_BY_ALIAS = {alias: c.key for c in COLUMNS for alias in c.aliases}
_BRACKETED = re.compile(r"^(.*?)\((.*)\)$")


@dataclass(frozen=True)
class Premise:
    """候选场所 — one available premise, checked; ``lon``/``lat`` are WGS-84.

    ``row`` is the sheet's row number (header = 1), or the item's number (from 1) in a JSON list;
    ``entered_lon``/``entered_lat`` are the coordinates as written, before any GCJ-02 conversion.
    """

    row: int
    code: str
    name: str
    lon: float
    lat: float
    entered_lon: float
    entered_lat: float


class Problem(imports.Problem):
    """One reason the list cannot be used: the import's problem, said in one sentence."""

    def __str__(self) -> str:
        if self.row is None and not self.column:
            return self.message
        if self.row is None:
            return _("Column %(column)s: %(message)s") % {
                "column": self.column,
                "message": self.message,
            }
        if self.value:
            return _("Row %(row)s, column %(column)s, value “%(value)s”: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "value": self.value,
                "message": self.message,
            }
        return _("Row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class PremisesInvalid(LinliError):
    """The premises list has problems; nothing was stored or started."""

    code = "invalid_premises"
    status = 400

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0])
        if len(self.problems) == 1:
            message = _("The premises list cannot be used: %(problem)s") % {"problem": first}
        else:
            message = ngettext(
                "The premises list has %(count)s problem; the first: %(problem)s",
                "The premises list has %(count)s problems; the first: %(problem)s",
                len(self.problems),
            ) % {"count": len(self.problems), "problem": first}
        super().__init__(message, problems=[p.as_dict() for p in self.problems])


def _column_key(header: str) -> str | None:
    text = fold(header).lower().replace(" ", "")
    if text in _BY_ALIAS:
        return _BY_ALIAS[text]
    if match := _BRACKETED.match(text):
        for part in match.groups():
            if part.strip() in _BY_ALIAS:
                return _BY_ALIAS[part.strip()]
    return None


def _coordinate_system(text: str) -> CoordinateSystem:
    system = parse_coordinate_system(text)
    if system is None:
        raise PremisesInvalid(
            [
                Problem(
                    None,
                    "",
                    text,
                    _("Unknown coordinate system “%(value)s”: choose WGS-84 or GCJ-02.")
                    % {"value": text},
                )
            ]
        )
    return system


# --- reading a file ----------------------------------------------------------------------------


def _file_problem(message: str | Promise) -> PremisesInvalid:
    return PremisesInvalid([Problem(None, "", "", str(message))])


def _xlsx_rows(content: bytes) -> list[list[str]]:
    try:
        workbook = spreadsheets.read_workbook(content, limits=READ_LIMITS)
    except spreadsheets.SpreadsheetRefused as refused:
        raise PremisesInvalid(
            [Problem(p.row, p.column, p.value, p.message) for p in refused.problems]
        ) from None
    sheet = workbook.worksheets[0]
    return [[cell_text(c) for c in values] for values in sheet.iter_rows(values_only=True)]


def _csv_rows(content: bytes) -> list[list[str]]:
    # Excel on Chinese Windows saves "CSV" in GB18030 (GBK); everything else is UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    raise _file_problem(gettext_lazy("The CSV file is neither UTF-8 nor GBK text."))


def read_premises_file(
    *, name: str, content: bytes, district: District, coordinates: str = "WGS-84"
) -> list[Premise]:
    """Read and check an uploaded premises list (.xlsx or .csv) for ``district``.

    Raises ``PremisesInvalid`` listing every problem found (row, column, value and cause).
    """
    system = _coordinate_system(coordinates)
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix not in {"xlsx", "csv"}:
        raise _file_problem(
            gettext_lazy("Upload the premises list as an Excel (.xlsx) or CSV (.csv) file.")
        )
    if len(content) > MAX_BYTES:
        raise _file_problem(
            gettext_lazy("The file is larger than %(mb)s MB; split the list.") % {"mb": 2}
        )
    if not content.strip():
        raise _file_problem(gettext_lazy("The file is empty."))
    table = _xlsx_rows(content) if suffix == "xlsx" else _csv_rows(content)
    if not table:
        raise _file_problem(gettext_lazy("The file is empty."))
    header, body = table[0], table[1:]
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    problems: list[Problem] = []
    for index, text in enumerate(header, start=1):
        key = _column_key(text) if text else None
        if key is None:
            continue  # other columns (address, area, rent …) are the planner's own notes
        label = f"{get_column_letter(index)} {text}"
        if key in positions:
            problems.append(
                Problem(None, label, "", _("The column appears twice; keep one of them."))
            )
            continue
        positions[key] = index - 1
        labels[key] = label
    for column in COLUMNS:
        if column.key not in positions:
            problems.append(
                Problem(
                    1,
                    column.header,
                    "",
                    _("The required column is missing (was it renamed or deleted?)."),
                )
            )
    if problems:
        raise PremisesInvalid(problems)
    rows = (
        (
            number,
            {key: (cells[pos] if pos < len(cells) else "") for key, pos in positions.items()},
        )
        for number, cells in enumerate(body, start=2)
        if any(c.strip() for c in cells)
    )
    return _check(rows, labels=labels, district=district, system=system)


def read_premises_rows(
    items: Sequence[Mapping[str, Any]], *, district: District, coordinates: str = "WGS-84"
) -> list[Premise]:
    """Check premises sent as JSON rows (``{id, name, lon, lat}``); rows are numbered from 1."""
    system = _coordinate_system(coordinates)
    rows = (
        (number, {c.key: cell_text(item.get(c.key)) for c in COLUMNS})
        for number, item in enumerate(items, start=1)
    )
    return _check(rows, labels={c.key: c.key for c in COLUMNS}, district=district, system=system)


# --- checking rows -----------------------------------------------------------------------------


def _check(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    labels: Mapping[str, str],
    district: District,
    system: CoordinateSystem,
) -> list[Premise]:
    problems: list[Problem] = []
    premises: list[Premise] = []
    seen: dict[str, int] = {}

    def problem(row: int, key: str, value: str, message: str) -> None:
        problems.append(Problem(row, labels.get(key, key), value, message))

    count = 0
    for number, cells in rows:
        count += 1
        if count > MAX_PREMISES:
            problems.append(
                Problem(
                    None,
                    "",
                    "",
                    _("The list has more than %(max)s premises; split it.") % {"max": MAX_PREMISES},
                )
            )
            break
        code = fold(cells.get("id", ""))
        name = cells.get("name", "").strip()
        ok = True
        if not code:
            problem(number, "id", "", _("This column is required but empty."))
            ok = False
        elif len(code) > MAX_CODE:
            problem(number, "id", code, _("At most %(max)s characters.") % {"max": MAX_CODE})
            ok = False
        elif code.casefold() in seen:
            problem(
                number,
                "id",
                code,
                _("Duplicate: the same ID is already in row %(row)s.")
                % {"row": seen[code.casefold()]},
            )
            ok = False
        else:
            seen[code.casefold()] = number
        if not name:
            problem(number, "name", "", _("This column is required but empty."))
            ok = False
        elif len(name) > MAX_NAME:
            problem(number, "name", name, _("At most %(max)s characters.") % {"max": MAX_NAME})
            ok = False
        position = _position(number, cells, district, system, problem)
        if ok and position is not None:
            (lon, lat), (entered_lon, entered_lat) = position
            premises.append(Premise(number, code, name, lon, lat, entered_lon, entered_lat))
    if count == 0 and not problems:
        problems.append(Problem(None, "", "", _("The list has no premises.")))
    if problems:
        raise PremisesInvalid(problems)
    return premises


def _number(number: int, key: str, text: str, problem: Any) -> float | None:
    folded = fold(text)
    if not folded:
        problem(number, key, "", _("This column is required but empty."))
        return None
    try:
        value = float(folded)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        problem(number, key, text, _("Expected a number in decimal degrees, for example 113.0712."))
        return None
    return value


def _position(
    number: int,
    cells: Mapping[str, str],
    district: District,
    system: CoordinateSystem,
    problem: Any,
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """WGS-84 and entered coordinates, or None after reporting why the point cannot be used."""
    lon = _number(number, "lon", cells.get("lon", ""), problem)
    lat = _number(number, "lat", cells.get("lat", ""), problem)
    if lon is None or lat is None:
        return None
    value = f"{cells.get('lon', '')}, {cells.get('lat', '')}"
    in_range = -180 <= lon <= 180 and -90 <= lat <= 90
    if in_range:
        wlon, wlat = to_wgs84(lon, lat, system)
        if district.contains(wlon, wlat):
            return (wlon, wlat), (lon, lat)
    # Swapped columns are the commonest slip; say so before any range or district message.
    why = misplacement(district.contains, lon, lat, system)
    if why is Misplaced.SWAPPED:
        message = _("Longitude and latitude seem to be swapped.")
    elif not -180 <= lon <= 180:
        problem(
            number,
            "lon",
            cells.get("lon", ""),
            _("Expected a value between %(low)s and %(high)s.") % {"low": -180, "high": 180},
        )
        return None
    elif not -90 <= lat <= 90:
        problem(
            number,
            "lat",
            cells.get("lat", ""),
            _("Expected a value between %(low)s and %(high)s.") % {"low": -90, "high": 90},
        )
        return None
    elif why is Misplaced.GCJ02:
        message = _(
            "The point lies outside the district; are these GCJ-02 (高德/腾讯) coordinates? "
            "Then choose GCJ-02 when uploading."
        )
    else:
        message = _("The point lies outside %(district)s.") % {"district": district.name}
    problem(number, "lon", value, message)
    return None
