"""Excel templates and exports for stations, compounds and services.

An export is the template with rows: the same columns, instructions and code lists, so a file
exported, corrected and imported again round-trips. Exports contain only records in the user's
scope (``linli.places.permissions``); the keeper's name and mobile are written only for stations
the user may change, masked (王**, 138****5678) otherwise — a station keeper exporting the
community list sees their colleagues' contacts masked. Every export is recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from linli.accounts.models import AnyUser
from linli.core import audit
from linli.core.masking import mask_name, mask_phone
from linli.core.models import AuditEntry
from linli.core.spreadsheets import workbook_bytes, write_cell
from linli.places import permissions
from linli.places.geo import CoordinateSystem
from linli.places.models import (
    Amenity,
    Compound,
    FacilityCategory,
    Service,
    ServiceAtStation,
    ServiceCategory,
    Station,
    StationFunction,
)
from linli.places.sheets import (
    CODES_TITLE,
    COLUMNS,
    INSTRUCTIONS_TITLE,
    SHEET_TITLES,
    WEEKDAYS,
    CellType,
    Column,
    SheetKind,
)

TEMPLATE_ROWS = 1000  # data validation reaches this far down the data sheet
_HEADER_FILL = PatternFill("solid", fgColor="EEF1F4")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE8E6")
_THIN = Side(style="thin", color="C8CED6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _style_header(sheet: Worksheet, columns: Sequence[Column]) -> None:
    for index, column in enumerate(columns, start=1):
        cell = write_cell(sheet, 1, index, column.template_header)
        cell.font = Font(bold=True, color="8E1B21" if column.required else "1F2328")
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
        if column.kind in (
            CellType.CODE,
            CellType.LIST,
            CellType.HOURS,
            CellType.TIME,
            CellType.TEXT,
            CellType.GATES,
        ):
            # Text format keeps codes such as 140404001001 and times such as 08:30 as typed.
            sheet.column_dimensions[get_column_letter(index)].number_format = "@"
    sheet.freeze_panes = "B2"
    sheet.row_dimensions[1].height = 22


def _codes_sheet(workbook: Workbook, actor: AnyUser) -> dict[str, str]:
    """Write the code lists; returns a validation formula per column key."""
    sheet = workbook.create_sheet(CODES_TITLE)
    lists: list[tuple[str, str, list[tuple[str, ...]]]] = [
        ("category", "类型", [(c.name_zh, c.code) for c in FacilityCategory.objects.all()]),
        (
            "community",
            "社区",
            [
                (c.code, c.name, c.subdistrict.name)
                for c in permissions.communities_for_user(actor).select_related("subdistrict")
            ],
        ),
        (
            "subdistrict",
            "街道",
            [(s.code, s.name) for s in permissions.subdistricts_for_user(actor)],
        ),
        ("functions", "功能", [(f.name_zh, f.code) for f in StationFunction.objects.all()]),
        ("amenities", "便民设施", [(a.name_zh, a.code) for a in Amenity.objects.all()]),
        (
            "service_category",
            "服务类别",
            [(c.name_zh, c.code) for c in ServiceCategory.objects.all()],
        ),
    ]
    formulas: dict[str, str] = {}
    column = 1
    for key, title, rows in lists:
        width = max((len(r) for r in rows), default=2)
        heading = write_cell(sheet, 1, column, title)
        heading.font = Font(bold=True)
        heading.fill = _HEADER_FILL
        for offset, values in enumerate(rows, start=2):
            for i, value in enumerate(values):
                write_cell(sheet, offset, column + i, value).number_format = "@"
        letter = get_column_letter(column)
        if rows:
            formulas[key] = f"'{CODES_TITLE}'!${letter}$2:${letter}${len(rows) + 1}"
        for i in range(width):
            sheet.column_dimensions[get_column_letter(column + i)].width = 16
        column += width + 1
    return formulas


def _instructions_sheet(workbook: Workbook, kind: SheetKind, actor: AnyUser) -> None:
    sheet = workbook.create_sheet(INSTRUCTIONS_TITLE)
    columns = COLUMNS[kind]
    write_cell(
        sheet, 1, 1, _("How to fill in the sheet “%(sheet)s”") % {"sheet": SHEET_TITLES[kind]}
    )
    sheet["A1"].font = Font(bold=True, size=13)
    notes = [
        _("Columns marked * are required. Do not rename, merge or reorder header cells."),
        _("One record per row; empty rows are ignored. Do not merge cells."),
        _(
            "A row whose code already exists in your area updates that record; a new code "
            "creates one."
        ),
        _(
            "The import is all or nothing: any problem is reported by row and column, and "
            "nothing is imported until the file is fixed."
        ),
        _("Codes are listed in the sheet “%(sheet)s”.") % {"sheet": CODES_TITLE},
    ]
    for offset, note in enumerate(notes, start=2):
        write_cell(sheet, offset, 1, f"• {note}")
    start = len(notes) + 3
    for index, heading in enumerate(
        [_("Column"), _("Field"), _("Required"), _("How to fill in"), _("Example")], start=1
    ):
        cell = write_cell(sheet, start, index, heading)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for offset, column in enumerate(columns, start=start + 1):
        write_cell(sheet, offset, 1, column.header)
        write_cell(sheet, offset, 2, column.key)
        write_cell(sheet, offset, 3, _("yes") if column.required else "")
        write_cell(sheet, offset, 4, str(column.help)).alignment = Alignment(
            wrap_text=True, vertical="top"
        )
        write_cell(sheet, offset, 5, column.example)
    sample = start + len(columns) + 2
    write_cell(
        sheet, sample, 1, _("Sample row (copy to the data sheet, do not import this sheet):")
    ).font = Font(bold=True)
    # The sample names one of the user's own communities, so that copying it really works.
    community = permissions.communities_for_user(actor).first()
    for index, column in enumerate(columns, start=1):
        header = write_cell(sheet, sample + 1, index, column.template_header)
        header.font = Font(bold=True)
        header.fill = _HEADER_FILL
        example = community.code if column.key == "community" and community else column.example
        write_cell(sheet, sample + 2, index, example).number_format = "@"
    for letter, width in zip("ABCDE", (12, 16, 8, 70, 30), strict=True):
        sheet.column_dimensions[letter].width = width


def _validations(sheet: Worksheet, columns: Sequence[Column], formulas: dict[str, str]) -> None:
    for index, column in enumerate(columns, start=1):
        formula = None
        if column.kind in (CellType.CHOICE, CellType.BOOL):
            shown = list(
                dict.fromkeys(
                    next(w for w, v in column.choices if v == value) for _w, value in column.choices
                )
            )
            formula = '"' + ",".join(shown) + '"'
        elif column.key == "category":
            formula = formulas.get("service_category" if "服务" in column.header else "category")
        elif column.key in ("community", "subdistrict"):
            formula = formulas.get(column.key)
        if not formula:
            continue
        # Code lists also accept codes, so a warning (not a stop) lets staff type either.
        validation = DataValidation(
            type="list",
            formula1=formula,
            allow_blank=True,
            errorStyle="warning" if column.kind is CellType.CODE else "stop",
        )
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)


def _workbook(kind: SheetKind, actor: AnyUser, rows: Iterable[Sequence[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET_TITLES[kind]
    columns = COLUMNS[kind]
    _style_header(sheet, columns)
    for offset, values in enumerate(rows, start=2):
        for index, value in enumerate(values, start=1):
            write_cell(sheet, offset, index, value)
    _instructions_sheet(workbook, kind, actor)
    formulas = _codes_sheet(workbook, actor)
    _validations(sheet, columns, formulas)
    return workbook_bytes(workbook)


def template_workbook(kind: SheetKind, actor: AnyUser) -> bytes:
    """An empty sheet with instructions, code lists of the user's scope and a sample row."""
    return _workbook(kind, actor, [])


def _hours_text(station: Station, weekday: int) -> str:
    intervals = [h for h in station.opening_hours.all() if h.weekday == weekday]
    if not intervals:
        return "休息"
    return ",".join(f"{h.opens:%H:%M}-{clock(h.closes)}" for h in intervals)


def clock(t: dt.time) -> str:
    """A closing time; midnight is written 24:00 so the interval reads forwards."""
    return "24:00" if t == dt.time(0, 0) else f"{t:%H:%M}"


def may_see_personal(actor: AnyUser, station: Station) -> bool:
    """Whether the keeper's contact is shown unmasked: only to who may change the station.

    Equivalent to ``permissions.can_change_station`` for a station already taken from
    ``permissions.stations_for_user``, without one query per row.
    """
    return bool(
        actor.is_authenticated
        and (
            actor.is_superuser
            or actor.role in permissions.EDITOR_ROLES
            or actor.station_id == station.pk
        )
    )


def station_rows(actor: AnyUser, stations: QuerySet[Station]) -> Iterable[list[Any]]:
    for s in stations.select_related("category", "community", "subdistrict").prefetch_related(
        "functions", "amenities", "opening_hours"
    ):
        personal = may_see_personal(actor, s)
        yield [
            s.code,
            s.name,
            s.category.name_zh,
            s.community.code if s.community else "",
            "" if s.community else s.subdistrict.code,
            s.address,
            round(s.lon, 7),
            round(s.lat, 7),
            CoordinateSystem.WGS84.value,
            s.phone,
            s.contact_name if personal else mask_name(s.contact_name),
            s.contact_phone if personal else mask_phone(s.contact_phone),
            "、".join(f.name_zh for f in s.functions.all()),
            "、".join(a.name_zh for a in s.amenities.all()),
            *(_hours_text(s, day) for day in range(len(WEEKDAYS))),
            "节假日闭馆" if s.holiday_policy == Station.HolidayPolicy.CLOSED else "照常开放",
            "是" if s.is_active else "否",
            s.description,
        ]


def compound_rows(compounds: QuerySet[Compound]) -> Iterable[list[Any]]:
    for c in compounds.select_related("community", "grid").prefetch_related("gates"):
        yield [
            c.code,
            c.name,
            c.community.code,
            c.grid.code if c.grid else "",
            c.households,
            c.population,
            c.address,
            "；".join(f"{g.name}({g.lon:.7f},{g.lat:.7f})" for g in c.gates.all()),
            CoordinateSystem.WGS84.value,
        ]


def service_rows(actor: AnyUser, services: QuerySet[Service]) -> Iterable[list[Any]]:
    visible = permissions.stations_for_user(actor)
    links = ServiceAtStation.objects.filter(station__in=visible).select_related("station")
    fees = {"free": "免费", "low": "低偿", "paid": "收费"}
    for s in services.select_related("category", "organisation").prefetch_related(
        Prefetch("at_stations", queryset=links, to_attr="visible_links")
    ):
        own: list[ServiceAtStation] = s.visible_links
        first = own[0] if own else None
        yield [
            s.name,
            s.category.name_zh,
            s.organisation.name if s.organisation else "",
            "、".join(link.station.code for link in own),
            fees.get(s.fee, s.fee),
            s.fee_description,
            "是" if s.booking_required else "否",
            first.rrule if first else "",
            f"{first.opens:%H:%M}" if first and first.opens else "",
            f"{first.closes:%H:%M}" if first and first.closes else "",
            first.schedule_note if first else "",
            "是" if s.is_active else "否",
            s.description,
        ]


def export_workbook(
    kind: SheetKind,
    actor: AnyUser,
    queryset: QuerySet[Any] | None = None,
    *,
    request: HttpRequest | None = None,
) -> bytes:
    """The records of ``kind`` the user may see (narrowed by ``queryset``), as .xlsx."""
    rows: Iterable[Sequence[Any]]
    if kind is SheetKind.STATIONS:
        stations = permissions.stations_for_user(actor)
        if queryset is not None:
            stations = stations.filter(pk__in=queryset.values("pk"))
        rows = list(station_rows(actor, stations))
    elif kind is SheetKind.COMPOUNDS:
        compounds = permissions.compounds_for_user(actor)
        if queryset is not None:
            compounds = compounds.filter(pk__in=queryset.values("pk"))
        rows = list(compound_rows(compounds))
    else:
        services = permissions.services_for_user(actor)
        if queryset is not None:
            services = services.filter(pk__in=queryset.values("pk"))
        rows = list(service_rows(actor, services))
    audit.record(
        actor=actor,
        action=AuditEntry.Action.EXPORT,
        object_type=f"places.{kind.value}",
        object_repr=SHEET_TITLES[kind],
        request=request,
        changes={"rows": len(rows)},
    )
    return _workbook(kind, actor, rows)
