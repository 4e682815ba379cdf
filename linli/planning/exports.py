"""The gap list as an Excel workbook (.xlsx) for district offices, and the premises template.

Headers are Chinese whatever the viewer's language: the sheet goes into the offices' own
reporting, which is in Chinese. Rows are exactly what the viewer may see (``queries.gaps``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import translation
from django.utils.translation import gettext as _

from linli.core.spreadsheets import (
    append_row,
    new_workbook,
    style_header,
    table_sheet,
    workbook_bytes,
)
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
        wb, ws = new_workbook(_("Gap list"))
        headers = gap_headers()
        unreachable = _("not reachable")
        rows = (
            [
                g.pk,
                g.compound.code,
                g.compound.name,
                g.compound.community.name,
                g.compound.community.subdistrict.name,
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
            for g in gaps
        )
        count = table_sheet(
            ws,
            headers,
            rows,
            widths=[8, 12, 18, 14, 14, 20, 26, 12, 14, 12, 12, 12, 22, 10, 20, 60],
            auto_filter=True,
        )
        info = wb.create_sheet(_("About"))
        finished = run.finished_at.strftime("%Y-%m-%d %H:%M") if run.finished_at else ""
        for values in (
            [_("District"), run.district.name],
            [_("Analysis number"), run.pk],
            [_("Finished at"), finished],
            [_("Walking speed (m/s)"), run.speed_m_s],
            [_("Number of gaps"), count],
        ):
            append_row(info, values)
        info.column_dimensions["A"].width = 20
        info.column_dimensions["B"].width = 30
    return workbook_bytes(wb)


def premises_template() -> bytes:
    """An empty premises sheet (编号/名称/经度/纬度) and a sheet explaining how to fill it in.

    The first sheet is the one ``premises.read_premises_file`` reads; the example lives on the
    instructions sheet so it is never uploaded by mistake.
    """
    with translation.override(SHEET_LANGUAGE):
        wb, ws = new_workbook(_("Premises"))
        table_sheet(ws, [c.header for c in PREMISE_COLUMNS], [], widths=(14, 30, 14, 14))
        help_sheet = wb.create_sheet(_("How to fill in"))
        append_row(help_sheet, [_("Column"), _("What to write")])
        append_row(
            help_sheet,
            [PREMISE_COLUMNS[0].header, _("Your own ID of the premise; unique within the list.")],
        )
        append_row(
            help_sheet,
            [
                PREMISE_COLUMNS[1].header,
                _("What planners call the premise, e.g. the address and the room."),
            ],
        )
        append_row(
            help_sheet,
            [PREMISE_COLUMNS[2].header, _("Longitude in decimal degrees, e.g. 113.071234.")],
        )
        append_row(
            help_sheet,
            [PREMISE_COLUMNS[3].header, _("Latitude in decimal degrees, e.g. 36.180456.")],
        )
        append_row(help_sheet, [])
        append_row(
            help_sheet,
            [
                _("Coordinates"),
                _(
                    "Coordinates copied from Gaode (高德) or Tencent maps are GCJ-02: choose "
                    "GCJ-02 when uploading. GPS, Tianditu and OpenStreetMap use WGS-84."
                ),
            ],
        )
        append_row(
            help_sheet,
            [
                _("Other columns"),
                _("Columns such as address, area or rent may stay; they are not read."),
            ],
        )
        append_row(
            help_sheet,
            [
                _("Size"),
                _("At most %(max)s premises in one list.") % {"max": MAX_PREMISES},
            ],
        )
        append_row(help_sheet, [])
        append_row(help_sheet, [_("Example")])
        append_row(help_sheet, [c.header for c in PREMISE_COLUMNS])
        append_row(
            help_sheet,
            ["P001", _("Ground-floor shop, building 3, Xingfu Garden"), 113.0712, 36.1805],
        )
        style_header(help_sheet)
        help_sheet.column_dimensions["A"].width = 16
        help_sheet.column_dimensions["B"].width = 90
    return workbook_bytes(wb)
