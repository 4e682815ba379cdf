"""The gap list as an Excel workbook (.xlsx) for district offices, and the premises template.

Headers are Chinese whatever the viewer's language: the sheet goes into the offices' own
reporting, which is in Chinese. Rows are exactly what the viewer may see (``queries.gaps``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from linli.planning.models import AnalysisRun, Gap
from linli.planning.premises import COLUMNS as PREMISE_COLUMNS
from linli.planning.premises import MAX_PREMISES
from linli.planning.queries import category_names, standard_label

SHEET_LANGUAGE = "zh-hans"


def gap_headers() -> list[str]:
    """Column headers of the gap sheet in the active language."""
    return [
        _("Gap number"),
        _("Compound code"),
        _("Compound"),
        _("Community"),
        _("Subdistrict"),
        _("Facility category"),
        _("Standard and level"),
        _("Required within (m)"),
        _("Walking distance (m)"),
        _("Shortfall (m)"),
        _("Population affected"),
        _("Households affected"),
        _("Nearest facility"),
        _("Status"),
        _("Note"),
        _("Source"),
    ]


def gaps_workbook(run: AnalysisRun, gaps: Iterable[Gap]) -> bytes:
    """An .xlsx with one row per gap, Chinese headers, frozen header row and filters."""
    with translation.override(SHEET_LANGUAGE):
        names = category_names()
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = _("Gap list")
        headers = gap_headers()
        ws.append(headers)
        unreachable = _("not reachable")
        count = 0
        for g in gaps:
            compound = g.compound
            ws.append(
                [
                    g.pk,
                    compound.code,
                    compound.name,
                    compound.community.name,
                    compound.community.subdistrict.name,
                    names.get(g.category, g.category),
                    standard_label(g.standard, g.level),
                    round(g.threshold_m),
                    round(g.meters) if g.meters is not None else unreachable,
                    round(g.shortfall_m) if g.shortfall_m is not None else unreachable,
                    g.population,
                    g.households,
                    g.station.name if g.station else "",
                    g.get_status_display(),
                    g.status_note,
                    g.source,
                ]
            )
            count += 1
        bold = Font(bold=True)
        fill = PatternFill("solid", fgColor="EEF1F4")
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        widths = [8, 12, 18, 14, 14, 20, 26, 12, 14, 12, 12, 12, 22, 10, 20, 60]
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
        info = wb.create_sheet(_("About"))
        info.append([_("District"), run.district.name])
        info.append([_("Analysis number"), run.pk])
        finished = run.finished_at.strftime("%Y-%m-%d %H:%M") if run.finished_at else ""
        info.append([_("Finished at"), finished])
        info.append([_("Walking speed (m/s)"), run.speed_m_s])
        info.append([_("Number of gaps"), count])
        info.column_dimensions["A"].width = 20
        info.column_dimensions["B"].width = 30
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def premises_template() -> bytes:
    """An empty premises sheet (编号/名称/经度/纬度) and a sheet explaining how to fill it in.

    The first sheet is the one ``premises.read_premises_file`` reads; the example lives on the
    instructions sheet so it is never uploaded by mistake.
    """
    with translation.override(SHEET_LANGUAGE):
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = _("Premises")
        ws.append([c.header for c in PREMISE_COLUMNS])
        bold = Font(bold=True)
        fill = PatternFill("solid", fgColor="EEF1F4")
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
        for letter, width in zip("ABCD", (14, 30, 14, 14), strict=True):
            ws.column_dimensions[letter].width = width
        ws.freeze_panes = "A2"
        help_sheet = wb.create_sheet(_("How to fill in"))
        help_sheet.append([_("Column"), _("What to write")])
        help_sheet.append(
            [PREMISE_COLUMNS[0].header, _("Your own ID of the premise; unique within the list.")]
        )
        help_sheet.append(
            [
                PREMISE_COLUMNS[1].header,
                _("What planners call the premise, e.g. the address and the room."),
            ]
        )
        help_sheet.append(
            [PREMISE_COLUMNS[2].header, _("Longitude in decimal degrees, e.g. 113.071234.")]
        )
        help_sheet.append(
            [PREMISE_COLUMNS[3].header, _("Latitude in decimal degrees, e.g. 36.180456.")]
        )
        help_sheet.append([])
        help_sheet.append(
            [
                _("Coordinates"),
                _(
                    "Coordinates copied from Gaode (高德) or Tencent maps are GCJ-02: choose "
                    "GCJ-02 when uploading. GPS, Tianditu and OpenStreetMap use WGS-84."
                ),
            ]
        )
        help_sheet.append(
            [
                _("Other columns"),
                _("Columns such as address, area or rent may stay; they are not read."),
            ]
        )
        help_sheet.append(
            [
                _("Size"),
                _("At most %(max)s premises in one list.") % {"max": MAX_PREMISES},
            ]
        )
        help_sheet.append([])
        help_sheet.append([_("Example")])
        help_sheet.append([c.header for c in PREMISE_COLUMNS])
        help_sheet.append(
            ["P001", _("Ground-floor shop, building 3, Xingfu Garden"), 113.0712, 36.1805]
        )
        for cell in help_sheet[1]:
            cell.font = bold
            cell.fill = fill
        help_sheet.column_dimensions["A"].width = 16
        help_sheet.column_dimensions["B"].width = 90
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
