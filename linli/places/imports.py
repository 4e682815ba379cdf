"""Excel import of stations, compounds and services: all or nothing, with a report.

The whole file is checked before anything is written: the header (missing or renamed columns),
merged cells, each cell's type (full-width digits are folded to ASCII first), codes against the
reference lists, coordinates against the district (GCJ-02 converted first), duplicates within the
file and keys that would collide with a record outside the user's scope. Any problem — each named
by row, column and cause — means nothing is imported. A clean file is then written row by row
through ``linli.places.services`` inside one transaction, so the same permission checks and audit
entries apply as in the console; an error raised there still rolls everything back.

``dry_run`` runs the whole import and rolls it back, so staff can preview what would change.
The columns are defined in ``linli.places.sheets``; ``docs/import.md`` explains them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

from django.db import transaction
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from linli.accounts.models import AnyUser
from linli.core import audit, limits, spreadsheets
from linli.core.exceptions import LinliError
from linli.core.models import AuditEntry
from linli.places import permissions, services
from linli.places.geo import (
    CoordinateSystem,
    Misplaced,
    misplacement,
    parse_coordinate_system,
    to_wgs84,
)
from linli.places.models import (
    Amenity,
    Community,
    Compound,
    District,
    FacilityCategory,
    Grid,
    Service,
    ServiceCategory,
    Station,
    StationFunction,
    Subdistrict,
)
from linli.places.sheets import (
    CODES_TITLE,
    COLUMNS,
    INSTRUCTIONS_TITLE,
    SHEET_TITLES,
    CellType,
    Column,
    SheetKind,
)

MAX_ROWS = 5000
MAX_BYTES = 10 * 1024 * 1024
READ_LIMITS = spreadsheets.ReadLimits(max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
MOBILE = re.compile(r"^1\d{10}$")
_TIME = re.compile(r"^(\d{1,2})[:：.](\d{2})$")
_RANGE = re.compile(r"^(\d{1,2}[:：]\d{2})\s*[-~—–至到]\s*(\d{1,2}[:：]\d{2})$")
_GATE = re.compile(r"^(.*?)\s*[(（]\s*([-+]?\d+(?:\.\d+)?)\s*[,，]\s*([-+]?\d+(?:\.\d+)?)\s*[)）]$")
_LIST_SPLIT = re.compile(r"[、,，;；/\s]+")
_HOURS_SPLIT = re.compile(r"[,，;；、\s]+")
_CLOSED_WORDS = {"休息", "闭馆", "关闭", "不开放", "closed"}


@dataclass(frozen=True)
class Problem:
    """One reason the file cannot be imported; ``row`` is the sheet's row number (header = 1)."""

    row: int | None
    column: str
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class ImportResult:
    kind: SheetKind
    filename: str = ""
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def committed(self) -> bool:
        return self.ok and not self.dry_run


class _Rollback(Exception):
    """Raised inside the import transaction to undo a dry run or a failed write."""


def fold(text: str) -> str:
    """Full-width digits, letters and punctuation to ASCII (NFKC), trimmed.

    Applied to codes, numbers and times only: names keep their full-width brackets.
    """
    return unicodedata.normalize("NFKC", text).strip()


def cell_text(value: Any) -> str:
    """A cell as the text a person sees in Excel (whole numbers without ".0", 是/否, times)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value).replace("\u3000", " ").strip()


class CellError(ValueError):
    """A cell (or form field) value that cannot be read; the message says what was expected."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _number(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = fold(cell_text(value)).replace(",", "").rstrip("°")
        try:
            number = float(text)
        except ValueError:
            raise CellError(_("Expected a number.")) from None
    if not math.isfinite(number):
        raise CellError(_("Expected a number."))
    return number


def _integer(value: Any) -> int:
    number = _number(value)
    if not number.is_integer():
        raise CellError(_("Expected a whole number."))
    if number < 0:
        raise CellError(_("Expected a number that is not negative."))
    return int(number)


def _time(value: Any) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, float) and 0 <= value < 1:  # an Excel time is a fraction of a day
        minutes = round(value * 24 * 60)
        return dt.time(minutes // 60, minutes % 60)
    return _parse_time(fold(cell_text(value)))


def _parse_time(text: str) -> dt.time:
    match = _TIME.match(text)
    if not match:
        raise CellError(_("Expected a time such as 08:30."))
    hour, minute = int(match[1]), int(match[2])
    if hour == 24 and minute == 0:
        return dt.time(0, 0)
    if hour > 23 or minute > 59:
        raise CellError(_("Expected a time such as 08:30."))
    return dt.time(hour, minute)


def parse_hours(text: str) -> list[tuple[dt.time, dt.time]]:
    text = fold(text)
    if text.lower() in _CLOSED_WORDS:
        return []
    intervals = []
    for part in _HOURS_SPLIT.split(text):
        if not part:
            continue
        match = _RANGE.match(part)
        if not match:
            raise CellError(_("Expected hours such as 08:30-12:00,14:00-18:00 or 休息."))
        opens, closes = _parse_time(match[1]), _parse_time(match[2])
        if not (closes > opens or closes == dt.time(0, 0)):
            raise CellError(_("Closing time must be after opening time."))
        intervals.append((opens, closes))
    return intervals


def _items(text: str) -> list[str]:
    return [item for item in _LIST_SPLIT.split(fold(text)) if item]


def _gates(text: str) -> list[tuple[str, float, float]]:
    gates = []
    for part in re.split(r"[;；\n]+", text):
        part = part.strip()
        if not part:
            continue
        match = _GATE.match(fold(part))
        if not match:
            raise CellError(
                _("Expected gates such as 南门(113.0701,36.1802)；北门(113.0712,36.1830).")
            )
        name = match[1].strip()
        trouble = limits.text_problem(name, max_length=limits.AREA_NAME)
        if trouble:
            raise CellError(trouble)
        gates.append((name, float(match[2]), float(match[3])))
    return gates


def _choice(column: Column, text: str) -> str:
    if column.key == "crs":
        system = parse_coordinate_system(text)
        if system is None:
            raise CellError(_("Expected WGS-84 or GCJ-02 (高德/腾讯)."))
        return system.value
    folded = fold(text).lower()
    for word, value in column.choices:
        if fold(word).lower() == folded:
            return value
    shown = "、".join(dict.fromkeys(w for w, _v in column.choices if not w.isascii()))
    raise CellError(_("Expected one of: %(choices)s.") % {"choices": shown})


_PARSERS: dict[CellType, Callable[[Column, Any], Any]] = {
    CellType.TEXT: lambda c, v: cell_text(v),
    CellType.CODE: lambda c, v: fold(cell_text(v)),
    CellType.NUMBER: lambda c, v: _number(v),
    CellType.INTEGER: lambda c, v: _integer(v),
    CellType.BOOL: lambda c, v: _choice(c, cell_text(v)) == "1",
    CellType.CHOICE: lambda c, v: _choice(c, cell_text(v)),
    CellType.LIST: lambda c, v: _items(cell_text(v)),
    CellType.HOURS: lambda c, v: parse_hours(cell_text(v)),
    CellType.TIME: lambda c, v: _time(v),
    CellType.GATES: lambda c, v: _gates(cell_text(v)),
}


@dataclass
class _Row:
    number: int
    values: dict[str, Any]  # parsed, only for non-empty cells
    raw: dict[str, str]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


class _Reader:
    """Reads one sheet into parsed rows, collecting problems instead of stopping at the first."""

    def __init__(self, kind: SheetKind) -> None:
        self.kind = kind
        self.columns = COLUMNS[kind]
        self.by_key = {c.key: c for c in self.columns}
        self.problems: list[Problem] = []
        self.positions: dict[str, int] = {}  # column key → 1-based sheet column

    def label(self, key: str) -> str:
        """'G 经度': the column letter and header, as a person finds it in Excel."""
        column = self.by_key.get(key)
        if column is None:
            return ""
        position = self.positions.get(key)
        return f"{get_column_letter(position)} {column.header}" if position else column.header

    def problem(self, row: int | None, key: str, value: str, message: str | Promise) -> None:
        self.problems.append(Problem(row, self.label(key) if key else "", value, str(message)))

    def read(self, sheet: Worksheet) -> Iterator[_Row]:
        if not self._header(sheet):
            return
        merged_rows = self._merged(sheet)
        if sheet.max_row > MAX_ROWS + 1:
            self.problem(
                None,
                "",
                "",
                _("The sheet has more than %(n)s rows; split the file.") % {"n": MAX_ROWS},
            )
            return
        for number, cells in enumerate(
            sheet.iter_rows(min_row=2, max_row=sheet.max_row, values_only=True), start=2
        ):
            raw = {
                key: cell_text(cells[pos - 1]) if pos - 1 < len(cells) else ""
                for key, pos in self.positions.items()
            }
            if not any(raw.values()) and not any(cell_text(v) for v in cells):
                continue  # a fully empty row is ignored
            if number in merged_rows:
                continue  # already reported as a merged cell
            row = _Row(number, {}, raw)
            for key, pos in self.positions.items():
                column = self.by_key[key]
                value = cells[pos - 1] if pos - 1 < len(cells) else None
                if not raw[key]:
                    if column.required:
                        self.problem(number, key, "", _("This column is required but empty."))
                    continue
                if column.max_length:
                    trouble = limits.text_problem(
                        raw[key], max_length=column.max_length, multiline=column.multiline
                    )
                    if trouble:
                        self.problem(number, key, raw[key][:100], trouble)
                        continue
                try:
                    row.values[key] = _PARSERS[column.kind](column, value)
                except CellError as err:
                    self.problem(number, key, raw[key][:100], err.message)
            yield row

    def _header(self, sheet: Worksheet) -> bool:
        accepted = {}
        for column in self.columns:
            for name in (column.header, column.template_header, column.key):
                accepted[fold(name).lower()] = column.key
        first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        ok = True
        for index, value in enumerate(first, start=1):
            text = fold(cell_text(value)).rstrip("*").strip()
            if not text:
                continue
            key = accepted.get(text.lower())
            if key is None:
                self.problems.append(
                    Problem(
                        1,
                        f"{get_column_letter(index)} {text}",
                        text,
                        _("Unknown column “%(name)s”: use the column names of the template.")
                        % {"name": text},
                    )
                )
                ok = False
            elif key in self.positions:
                self.problems.append(
                    Problem(
                        1,
                        f"{get_column_letter(index)} {text}",
                        text,
                        _("The column “%(name)s” appears twice.") % {"name": text},
                    )
                )
                ok = False
            else:
                self.positions[key] = index
        for column in self.columns:
            if column.required and column.key not in self.positions:
                self.problems.append(
                    Problem(
                        1,
                        column.header,
                        "",
                        _("The required column “%(name)s” is missing (was it renamed or deleted?).")
                        % {"name": column.header},
                    )
                )
                ok = False
        return ok

    def _merged(self, sheet: Worksheet) -> set[int]:
        rows: set[int] = set()
        for merged in sheet.merged_cells.ranges:
            self.problems.append(
                Problem(
                    merged.min_row,
                    str(merged.coord),
                    "",
                    _("Merged cells %(range)s: unmerge them and fill in every row.")
                    % {"range": merged.coord},
                )
            )
            rows.update(range(merged.min_row, merged.max_row + 1))
        return rows


def _lookup(items: Iterable[Any], *names: str) -> dict[str, Any]:
    """A dictionary from each item's code and names (folded, lower-case) to the item."""
    table: dict[str, Any] = {}
    for item in items:
        for name in names:
            value = getattr(item, name, "")
            if value:
                table.setdefault(fold(str(value)).lower(), item)
    return table


class _Context:
    """Reference data and the user's rights, loaded once per import."""

    def __init__(self, actor: AnyUser, district: District) -> None:
        self.actor = actor
        self.district = district
        communities = list(
            Community.objects.filter(district=district).select_related("subdistrict")
        )
        self.communities = _lookup(communities, "code", "name")
        self.subdistricts = _lookup(Subdistrict.objects.filter(district=district), "code", "name")
        self._allowed: dict[tuple[int | None, int], bool] = {}

    def may_place(self, community: Community | None, subdistrict: Subdistrict) -> bool:
        key = (community.pk if community else None, subdistrict.pk)
        if key not in self._allowed:
            self._allowed[key] = permissions.can_create_in(self.actor, community, subdistrict)
        return self._allowed[key]


def _position(
    reader: _Reader, row: _Row, district: District, lon: float, lat: float, *, key: str = "lon"
) -> tuple[float, float] | None:
    system = CoordinateSystem(row.get("crs", CoordinateSystem.WGS84.value))
    wlon, wlat = to_wgs84(lon, lat, system)
    if district.contains(wlon, wlat):
        return wlon, wlat
    value = f"{lon}, {lat}"
    why = misplacement(district.contains, lon, lat, system)
    if why is Misplaced.SWAPPED:
        message = _("Longitude and latitude seem to be swapped.")
    elif why is Misplaced.GCJ02:
        message = _(
            "The point lies outside the district; are these GCJ-02 (高德/腾讯) "
            "coordinates? Then write GCJ-02 in the 坐标系 column."
        )
    else:
        message = _("The point lies outside %(district)s.") % {"district": district.name}
    reader.problem(row.number, key, value, message)
    return None


def _place(
    reader: _Reader, ctx: _Context, row: _Row, *, community_required: bool
) -> tuple[Community | None, Subdistrict | None]:
    """Resolve the row's community (or subdistrict) and check the user may place records there."""
    code = row.get("community", "")
    community: Community | None = None
    subdistrict: Subdistrict | None = None
    if code:
        community = ctx.communities.get(code.lower())
        if community is None:
            reader.problem(
                row.number,
                "community",
                code,
                _("Unknown community code “%(code)s”.") % {"code": code},
            )
            return None, None
        subdistrict = community.subdistrict
    elif community_required:
        reader.problem(row.number, "community", "", _("This column is required but empty."))
        return None, None
    else:
        sub_code = row.get("subdistrict", "")
        subdistrict = ctx.subdistricts.get(sub_code.lower()) if sub_code else None
        if subdistrict is None:
            reader.problem(
                row.number,
                "community" if not sub_code else "subdistrict",
                sub_code,
                _("Give a community code, or a subdistrict code for a subdistrict-level place."),
            )
            return None, None
    if not ctx.may_place(community, subdistrict):
        reader.problem(
            row.number,
            "community",
            code or subdistrict.code,
            _("“%(place)s” is outside your area; you may not import records there.")
            % {"place": community.name if community else subdistrict.name},
        )
        return None, None
    return community, subdistrict


def _duplicate(reader: _Reader, seen: dict[str, int], key: str, row: _Row, value: str) -> bool:
    folded = value.lower()
    if folded in seen:
        reader.problem(
            row.number,
            key,
            value,
            _("Duplicate: the same value is already in row %(row)s.") % {"row": seen[folded]},
        )
        return True
    seen[folded] = row.number
    return False


# ---------------------------------------------------------------------------------- stations


@dataclass
class _Planned:
    row: int
    # Writes the row; True when it created a record, False when it updated one, None when the
    # row matched the record already.
    apply: Callable[[], bool | None]


def _plan_stations(
    reader: _Reader, ctx: _Context, rows: list[_Row], request: HttpRequest | None
) -> list[_Planned]:
    actor, district = ctx.actor, ctx.district
    categories = _lookup(FacilityCategory.objects.all(), "code", "name_zh", "name_en")
    functions = _lookup(StationFunction.objects.all(), "code", "name_zh", "name_en")
    amenities = _lookup(Amenity.objects.all(), "code", "name_zh", "name_en")
    existing = {
        s.code.lower(): s
        for s in Station.objects.filter(district=district)
        .select_related("category", "community", "subdistrict", "compound")
        .prefetch_related("functions", "amenities", "opening_hours")
    }
    visible = set(permissions.stations_for_user(actor).values_list("pk", flat=True))
    hours_present = any(f"hours_{i}" in reader.positions for i in range(7))
    seen: dict[str, int] = {}
    plans: list[_Planned] = []
    for row in rows:
        before = len(reader.problems)
        code = row.get("code", "")
        if code and _duplicate(reader, seen, "code", row, code):
            continue
        current = existing.get(code.lower()) if code else None
        if current is not None and current.pk not in visible:
            reader.problem(
                row.number,
                "code",
                code,
                _("The code “%(code)s” is already used by a place outside your area.")
                % {"code": code},
            )
            continue
        category = None
        if row.get("category"):
            category = categories.get(row.get("category").lower())
            if category is None:
                reader.problem(
                    row.number,
                    "category",
                    row.get("category"),
                    _("Unknown kind “%(code)s”.") % {"code": row.get("category")},
                )
        community, subdistrict = _place(reader, ctx, row, community_required=False)

        def codes(key: str, table: dict[str, Any], row: _Row = row) -> list[str]:
            found = []
            for item in row.get(key, []):
                match = table.get(item.lower())
                if match is None:
                    reader.problem(
                        row.number, key, item, _("Unknown item “%(item)s”.") % {"item": item}
                    )
                else:
                    found.append(match.code)
            return found

        function_codes = codes("functions", functions)
        amenity_codes = codes("amenities", amenities)
        position = None
        if "lon" in row.values and "lat" in row.values:
            position = _position(reader, row, district, row.get("lon"), row.get("lat"))
        mobile = row.get("contact_phone", "")
        if mobile and not MOBILE.match(mobile):
            reader.problem(
                row.number, "contact_phone", mobile, _("Expected an 11-digit mobile number.")
            )
        if len(reader.problems) > before or category is None or position is None:
            continue
        assert subdistrict is not None
        base = _station_input(current) if current is not None else None
        data = services.StationInput(
            code=code,
            name=row.get("name"),
            category=category.code,
            community=community.code if community else "",
            subdistrict="" if community else subdistrict.code,
            lon=position[0],
            lat=position[1],
            compound=base.compound if base and current and current.community == community else "",
            **{
                key: row.values.get(key, getattr(base, key) if base else "")
                for key in ("address", "description", "phone", "contact_name", "contact_phone")
            },
            functions=function_codes
            if "functions" in reader.positions
            else (base.functions if base else ()),
            amenities=amenity_codes
            if "amenities" in reader.positions
            else (base.amenities if base else ()),
            holiday_policy=row.get(
                "holiday_policy", base.holiday_policy if base else Station.HolidayPolicy.OPEN
            ),
            is_active=row.get("is_active", True),
        )
        hours = None
        if hours_present and any(row.raw.get(f"hours_{i}") for i in range(7)):
            hours = [
                services.HoursInput(weekday=i, opens=o, closes=c)
                for i in range(7)
                for o, c in row.get(f"hours_{i}", [])
            ]
        if current is not None and _station_unchanged(current, data, hours):
            plans.append(_Planned(row.number, _unchanged))
            continue
        if current is not None and hours is not None and _same_hours(current, hours):
            hours = None  # only the details changed; leave the hours (and their audit) alone
        plans.append(_Planned(row.number, _station_writer(actor, current, data, hours, request)))
    return plans


def _unchanged() -> bool | None:
    return None


def _station_unchanged(
    station: Station, data: services.StationInput, hours: list[services.HoursInput] | None
) -> bool:
    """Whether a row would change nothing (re-importing an export should be quick and quiet)."""

    def comparable(d: services.StationInput) -> services.StationInput:
        # Exports write coordinates to 7 decimals (~1 cm); compare at that precision.
        return replace(
            d,
            functions=tuple(sorted(d.functions)),
            amenities=tuple(sorted(d.amenities)),
            lon=round(d.lon, 7),
            lat=round(d.lat, 7),
        )

    if comparable(_station_input(station)) != comparable(data):
        return False
    return hours is None or _same_hours(station, hours)


def _same_hours(station: Station, hours: list[services.HoursInput]) -> bool:
    now = sorted((h.weekday, h.opens, h.closes) for h in station.opening_hours.all())
    return now == sorted((h.weekday, h.opens, h.closes) for h in hours)


def _station_input(station: Station) -> services.StationInput:
    return services.StationInput(
        code=station.code,
        name=station.name,
        category=station.category.code,
        community=station.community.code if station.community else "",
        subdistrict="" if station.community else station.subdistrict.code,
        lon=station.lon,
        lat=station.lat,
        address=station.address,
        description=station.description,
        phone=station.phone,
        contact_name=station.contact_name,
        contact_phone=station.contact_phone,
        functions=tuple(f.code for f in station.functions.all()),
        amenities=tuple(a.code for a in station.amenities.all()),
        compound=station.compound.code if station.compound else "",
        holiday_policy=station.holiday_policy,
        is_active=station.is_active,
    )


def _station_writer(
    actor: AnyUser,
    current: Station | None,
    data: services.StationInput,
    hours: list[services.HoursInput] | None,
    request: HttpRequest | None,
) -> Callable[[], bool]:
    def write() -> bool:
        if current is None:
            station = services.create_station(actor=actor, data=data, request=request)
        else:
            station = services.update_station(
                actor=actor, station=current, data=data, request=request
            )
        if hours is not None:
            services.set_opening_hours(actor=actor, station=station, hours=hours, request=request)
        return current is None

    return write


# ---------------------------------------------------------------------------------- compounds


def _plan_compounds(
    reader: _Reader, ctx: _Context, rows: list[_Row], request: HttpRequest | None
) -> list[_Planned]:
    actor, district = ctx.actor, ctx.district
    existing = {c.code.lower(): c for c in Compound.objects.filter(district=district)}
    visible = set(permissions.compounds_for_user(actor).values_list("pk", flat=True))
    grids = _lookup(Grid.objects.filter(district=district), "code")
    seen: dict[str, int] = {}
    plans: list[_Planned] = []
    for row in rows:
        before = len(reader.problems)
        code = row.get("code", "")
        if code and _duplicate(reader, seen, "code", row, code):
            continue
        current = existing.get(code.lower()) if code else None
        if current is not None and current.pk not in visible:
            reader.problem(
                row.number,
                "code",
                code,
                _("The code “%(code)s” is already used by a place outside your area.")
                % {"code": code},
            )
            continue
        community, _sub = _place(reader, ctx, row, community_required=True)
        grid_code = row.get("grid", "")
        if grid_code and (
            grids.get(grid_code.lower()) is None
            or community is None
            or grids[grid_code.lower()].community_id != community.pk
        ):
            reader.problem(
                row.number,
                "grid",
                grid_code,
                _("Unknown grid code “%(code)s” in this community.") % {"code": grid_code},
            )
        gates = []
        for name, lon, lat in row.get("gates", []):
            position = _position(reader, row, district, lon, lat, key="gates")
            if position:
                gates.append(services.GateInput(name=name, lon=position[0], lat=position[1]))
        if len(reader.problems) > before or community is None:
            continue
        if not row.get("gates") and current is not None:
            gates = [
                services.GateInput(name=g.name, lon=g.lon, lat=g.lat) for g in current.gates.all()
            ]
        data = services.CompoundInput(
            code=code,
            name=row.get("name"),
            community=community.code,
            grid=grid_code,
            households=row.get("households", current.households if current else 0),
            population=row.get("population", current.population if current else 0),
            address=row.get("address", current.address if current else ""),
            gates=gates,
        )

        def write(current: Compound | None = current, data: services.CompoundInput = data) -> bool:
            if current is None:
                services.create_compound(actor=actor, data=data, request=request)
                return True
            services.update_compound(actor=actor, compound=current, data=data, request=request)
            return False

        plans.append(_Planned(row.number, write))
    return plans


# ---------------------------------------------------------------------------------- services


def _plan_services(
    reader: _Reader, ctx: _Context, rows: list[_Row], request: HttpRequest | None
) -> list[_Planned]:
    actor, district = ctx.actor, ctx.district
    categories = _lookup(ServiceCategory.objects.all(), "code", "name_zh", "name_en")
    stations = {
        s.code.lower(): s for s in permissions.stations_for_user(actor).filter(district=district)
    }
    visible = set(permissions.services_for_user(actor).values_list("pk", flat=True))
    in_district: dict[tuple[str, str], list[Service]] = {}
    for service in Service.objects.filter(district=district).select_related("organisation"):
        key = (
            service.name.lower(),
            service.organisation.name.lower() if service.organisation else "",
        )
        in_district.setdefault(key, []).append(service)
    scope = actor.scope if actor.is_authenticated else None
    below_district = scope is not None and (
        scope.community_id is not None or scope.subdistrict_id is not None
    )
    seen: dict[str, int] = {}
    plans: list[_Planned] = []
    for row in rows:
        before = len(reader.problems)
        name = row.get("name", "")
        provider = row.get("organisation", "")
        if name and _duplicate(reader, seen, "name", row, f"{name} / {provider}"):
            continue
        matches = in_district.get((name.lower(), provider.lower()), [])
        current = matches[0] if len(matches) == 1 else None
        if len(matches) > 1:
            reader.problem(
                row.number,
                "name",
                name,
                _("Several services have this name and provider; change them in the console."),
            )
        elif current is not None and (
            current.pk not in visible or not services.can_change_service(actor, current)
        ):
            reader.problem(
                row.number,
                "name",
                name,
                _("This service is also offered outside your area; ask the district to change it."),
            )
        category = None
        if row.get("category"):
            category = categories.get(row.get("category").lower())
            if category is None:
                reader.problem(
                    row.number,
                    "category",
                    row.get("category"),
                    _("Unknown service category “%(code)s”.") % {"code": row.get("category")},
                )
        targets = []
        for code in row.get("stations", []):
            station = stations.get(code.lower())
            if station is None:
                reader.problem(
                    row.number,
                    "stations",
                    code,
                    _("Unknown station code “%(code)s” in your area.") % {"code": code},
                )
            else:
                targets.append(station)
        if below_district and not row.get("stations") and current is None:
            reader.problem(
                row.number,
                "stations",
                "",
                _("Choose at least one station that offers this service."),
            )
        schedule = services.ScheduleInput(
            rrule=row.get("rrule", ""),
            opens=row.get("opens"),
            closes=row.get("closes"),
            note=row.get("schedule_note", ""),
        )
        try:
            services.check_schedule(schedule)
        except LinliError as err:
            reader.problem(
                row.number, _field_key(err, default="rrule"), schedule.rrule, str(err.message)
            )
        if len(reader.problems) > before or category is None:
            continue
        data = services.ServiceInput(
            name=name,
            category=category.code,
            organisation=provider,
            description=row.get("description", current.description if current else ""),
            fee=row.get("fee", current.fee if current else Service.Fee.FREE),
            fee_description=row.get("fee_description", current.fee_description if current else ""),
            booking_required=row.get("booking_required", False),
            is_active=row.get("is_active", True),
        )

        def write(
            current: Service | None = current,
            data: services.ServiceInput = data,
            targets: list[Station] = targets,
            schedule: services.ScheduleInput = schedule,
        ) -> bool:
            if current is None:
                services.create_service(
                    actor=actor,
                    data=data,
                    stations=[(s, schedule) for s in targets],
                    request=request,
                )
                return True
            service = services.update_service(
                actor=actor, service=current, data=data, request=request
            )
            for station in targets:
                services.add_service_at_station(
                    actor=actor,
                    service=service,
                    station=station,
                    schedule=schedule,
                    request=request,
                )
            return False

        plans.append(_Planned(row.number, write))
    return plans


_PLANNERS = {
    SheetKind.STATIONS: _plan_stations,
    SheetKind.COMPOUNDS: _plan_compounds,
    SheetKind.SERVICES: _plan_services,
}
# Service errors name a field; the report names the sheet column it came from.
_FIELD_TO_KEY = {"hours": "hours_0", "holiday_policy": "holiday_policy", "stations": "stations"}


def _field_key(err: LinliError, *, default: str) -> str:
    name = str(err.details.get("field", "")) or default
    return _FIELD_TO_KEY.get(name, name)


def sheet_problems(refused: spreadsheets.SpreadsheetRefused) -> list[Problem]:
    """The reader's refusals as report lines ("Sheet!B7" in the column when a cell is named)."""
    return [
        Problem(
            p.row,
            f"{p.sheet}!{p.column}" if p.sheet and p.column else p.column,
            p.value,
            p.message,
        )
        for p in refused.problems
    ]


def _sheet(workbook: Any, kind: SheetKind) -> Worksheet | None:
    if SHEET_TITLES[kind] in workbook.sheetnames:
        sheet: Worksheet = workbook[SHEET_TITLES[kind]]
        return sheet
    for candidate in workbook.worksheets:
        if candidate.title not in (INSTRUCTIONS_TITLE, CODES_TITLE):
            return candidate  # type: ignore[no-any-return]  # openpyxl types worksheets loosely
    return None


def import_sheet(
    *,
    actor: AnyUser,
    kind: SheetKind,
    file: BinaryIO,
    filename: str = "",
    dry_run: bool = False,
    request: HttpRequest | None = None,
) -> ImportResult:
    """Check an uploaded .xlsx and, when it has no problem, import all of it in one transaction."""
    result = ImportResult(kind=kind, filename=filename, dry_run=dry_run)
    if not (
        actor is not None
        and actor.is_authenticated
        and actor.is_staff_role
        and (actor.is_superuser or actor.role in permissions.EDITOR_ROLES)
    ):
        result.problems.append(Problem(None, "", "", _("You may not import records.")))
        return result
    try:
        workbook = spreadsheets.read_upload(file, limits=READ_LIMITS)
    except spreadsheets.SpreadsheetRefused as refused:
        result.problems.extend(sheet_problems(refused))
        return result
    sheet = _sheet(workbook, kind)
    if sheet is None:
        result.problems.append(Problem(None, "", "", _("The file has no data sheet.")))
        return result
    try:
        district = services.resolve_district(actor)
    except LinliError as err:
        result.problems.append(Problem(None, "", "", str(err.message)))
        return result
    reader = _Reader(kind)
    rows = list(reader.read(sheet))
    result.rows = len(rows)
    ctx = _Context(actor, district)
    plans = _PLANNERS[kind](reader, ctx, rows, request) if rows or not reader.problems else []
    if not rows and not reader.problems:
        reader.problem(None, "", "", _("The sheet has no rows to import."))
    result.problems = sorted(reader.problems, key=lambda p: (p.row or 0, p.column))
    if result.problems:
        return result
    try:
        with transaction.atomic():
            for plan in plans:
                try:
                    created = plan.apply()
                except LinliError as err:
                    reader.problem(plan.row, _field_key(err, default=""), "", str(err.message))
                    continue
                if created is None:
                    result.unchanged += 1
                elif created:
                    result.created += 1
                else:
                    result.updated += 1
            if reader.problems:
                raise _Rollback
            audit.record(
                actor=actor,
                action=AuditEntry.Action.IMPORT,
                district_id=district.pk,
                object_type=f"places.{kind.value}",
                object_repr=filename[:200],
                request=request,
                changes={
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if reader.problems:
        result.problems = sorted(reader.problems, key=lambda p: (p.row or 0, p.column))
        result.created = result.updated = result.unchanged = 0
    return result


def problems_workbook(result_problems: Iterable[Problem | dict[str, Any]]) -> bytes:
    """The report as a small .xlsx staff can keep next to the file they are fixing.

    The value column echoes what the uploaded file held, so it goes through the shared writer:
    a cell ``=HYPERLINK(…)`` comes back as text, never as a live formula.
    """
    rows = []
    for problem in result_problems:
        p = problem.as_dict() if isinstance(problem, Problem) else problem
        rows.append([p["row"] or "", p["column"], p["value"], p["message"]])
    workbook, sheet = spreadsheets.new_workbook("导入问题")
    spreadsheets.table_sheet(
        sheet,
        [_("Row"), _("Column"), _("Value"), _("Problem")],
        rows,
        widths=(8, 16, 24, 70),
        freeze=None,
    )
    return spreadsheets.workbook_bytes(workbook)


__all__ = ["ImportResult", "Problem", "fold", "import_sheet", "problems_workbook"]
