"""The Excel sheet formats for stations, compounds and services (shared by imports and exports).

Headers are Chinese because the file is a working document of district staff; the importer also
accepts the English field name as a header so that a script can produce files. A trailing ``*``
marks a required column in the template and is ignored when reading. ``docs/import.md`` documents
every column; keep it in step with the lists below.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from linli.core import limits


class SheetKind(StrEnum):
    STATIONS = "stations"
    COMPOUNDS = "compounds"
    SERVICES = "services"


class CellType(StrEnum):
    TEXT = "text"
    CODE = "code"  # full-width characters folded, numbers written without ".0"
    NUMBER = "number"
    INTEGER = "integer"
    BOOL = "bool"
    LIST = "list"  # several values separated by 、,; (either width)
    HOURS = "hours"  # 08:30-12:00,14:00-18:00 or 休息
    TIME = "time"
    CHOICE = "choice"
    GATES = "gates"  # 南门(113.0701,36.1802)；北门(113.0712,36.1830)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: CellType
    help: str | Promise
    example: str
    required: bool = False
    width: int = 14
    # Accepted words → stored value, for CHOICE and BOOL columns.
    choices: tuple[tuple[str, str], ...] = ()
    # TEXT and CODE columns: the length the model and the API share (linli.core.limits); 0 = none.
    max_length: int = 0
    # TEXT columns that may hold line breaks (descriptions); all others must be one line.
    multiline: bool = False

    @property
    def template_header(self) -> str:
        return f"{self.header}*" if self.required else self.header


YES_NO = (
    ("是", "1"),
    ("否", "0"),
    ("y", "1"),
    ("n", "0"),
    ("yes", "1"),
    ("no", "0"),
    ("true", "1"),
    ("false", "0"),
    ("1", "1"),
    ("0", "0"),
    ("√", "1"),
    ("×", "0"),
)
CRS_CHOICES = (("WGS-84", "WGS-84"), ("GCJ-02（高德/腾讯）", "GCJ-02"))
HOLIDAY_CHOICES = (
    ("照常开放", "open"),
    ("节假日闭馆", "closed"),
    ("开放", "open"),
    ("闭馆", "closed"),
    ("open", "open"),
    ("closed", "closed"),
)
FEE_CHOICES = (
    ("免费", "free"),
    ("低偿", "low"),
    ("收费", "paid"),
    ("free", "free"),
    ("low", "low"),
    ("paid", "paid"),
)
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

_CRS_HELP = _(
    "WGS-84 (GPS, 天地图) or GCJ-02 (高德/腾讯 maps); GCJ-02 is converted on import. "
    "Empty means WGS-84."
)

STATION_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        "编码",
        CellType.CODE,
        _("Unique in the district; an existing code is updated."),
        "XF-001",
        required=True,
        width=12,
    ),
    Column(
        "name",
        "名称",
        CellType.TEXT,
        _("The name residents see."),
        "幸福苑幸福驿站",
        required=True,
        width=22,
    ),
    Column(
        "category",
        "类型",
        CellType.CODE,
        _("Kind from the code list (name or code), e.g. 幸福驿站."),
        "幸福驿站",
        required=True,
        width=14,
    ),
    Column(
        "community",
        "社区编码",
        CellType.CODE,
        _("Code of the community (see the code list). Empty for a subdistrict-level place."),
        "140404001001",
        width=16,
    ),
    Column(
        "subdistrict",
        "街道编码",
        CellType.CODE,
        _("Only for subdistrict-level places without a community."),
        "",
        width=12,
    ),
    Column("address", "地址", CellType.TEXT, _("Street address."), "幸福路12号", width=22),
    Column(
        "lon",
        "经度",
        CellType.NUMBER,
        _("Longitude in degrees, e.g. 113.0712."),
        "113.0712",
        required=True,
        width=12,
    ),
    Column(
        "lat",
        "纬度",
        CellType.NUMBER,
        _("Latitude in degrees, e.g. 36.1815."),
        "36.1815",
        required=True,
        width=12,
    ),
    Column("crs", "坐标系", CellType.CHOICE, _CRS_HELP, "WGS-84", width=18, choices=CRS_CHOICES),
    Column(
        "phone",
        "公开电话",
        CellType.TEXT,
        _("Phone number shown to residents."),
        "0355-1234567",
        width=14,
    ),
    Column(
        "contact_name",
        "站长姓名",
        CellType.TEXT,
        _("Keeper's name (personal data: shown only to staff who may change the station)."),
        "王建国",
        width=10,
    ),
    Column(
        "contact_phone",
        "站长手机",
        CellType.CODE,
        _("Keeper's mobile (personal data)."),
        "13812345678",
        width=14,
    ),
    Column(
        "functions",
        "功能",
        CellType.LIST,
        _("Any of 议事、调解、阅读、便民、活动, separated by 、"),
        "议事、调解、阅读",
        width=18,
    ),
    Column(
        "amenities",
        "便民设施",
        CellType.LIST,
        _("Amenities from the code list, separated by 、"),
        "饮水、手机充电、卫生间",
        width=22,
    ),
    *(
        Column(
            f"hours_{i}",
            day,
            CellType.HOURS,
            _(
                "Opening hours, e.g. 08:30-12:00,14:00-18:00; 休息 = closed. "
                "Leave all seven empty to keep the current hours."
            ),
            "08:30-18:00" if i < 5 else "09:00-17:00",
            width=13,
        )
        for i, day in enumerate(WEEKDAYS)
    ),
    Column(
        "holiday_policy",
        "节假日",
        CellType.CHOICE,
        _("照常开放 (keeps its weekly hours) or 节假日闭馆 (closed on public holidays)."),
        "照常开放",
        width=12,
        choices=HOLIDAY_CHOICES,
    ),
    Column(
        "is_active",
        "在用",
        CellType.BOOL,
        _("是 or 否; empty means 是."),
        "是",
        width=8,
        choices=YES_NO,
    ),
    Column("description", "简介", CellType.TEXT, _("A short description."), "", width=24),
)

COMPOUND_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        "编码",
        CellType.CODE,
        _("Unique in the district; an existing code is updated."),
        "C-001",
        required=True,
        width=12,
    ),
    Column(
        "name",
        "名称",
        CellType.TEXT,
        _("Name of the compound."),
        "幸福苑小区",
        required=True,
        width=20,
    ),
    Column(
        "community",
        "社区编码",
        CellType.CODE,
        _("Code of the community (see the code list)."),
        "140404001001",
        required=True,
        width=16,
    ),
    Column("grid", "网格编码", CellType.CODE, _("Code of the grid, if known."), "", width=12),
    Column(
        "households",
        "户数",
        CellType.INTEGER,
        _("Number of households (whole number)."),
        "420",
        width=10,
    ),
    Column(
        "population",
        "人口",
        CellType.INTEGER,
        _("Number of residents (whole number)."),
        "1150",
        width=10,
    ),
    Column("address", "地址", CellType.TEXT, _("Street address."), "幸福路12号", width=22),
    Column(
        "gates",
        "出入口",
        CellType.GATES,
        _(
            "Gates as name(longitude,latitude), several separated by ；"
            " — e.g. 南门(113.0701,36.1802)；北门(113.0712,36.1830). "
            "Empty keeps the current gates."
        ),
        "南门(113.0701,36.1802)；北门(113.0712,36.1830)",
        width=40,
    ),
    Column("crs", "坐标系", CellType.CHOICE, _CRS_HELP, "WGS-84", width=18, choices=CRS_CHOICES),
)

SERVICE_COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "服务名称",
        CellType.TEXT,
        _("Name of the service; with the provider it identifies the service."),
        "义务理发",
        required=True,
        width=18,
    ),
    Column(
        "category",
        "服务类别",
        CellType.CODE,
        _("Category from the code list (name or code)."),
        "理发",
        required=True,
        width=12,
    ),
    Column(
        "organisation",
        "提供机构",
        CellType.TEXT,
        _("Provider organisation; a new name creates the organisation."),
        "仁爱社工服务中心",
        width=20,
    ),
    Column(
        "stations",
        "驿站编码",
        CellType.LIST,
        _("Codes of the stations offering it, separated by 、 (required below district level)."),
        "XF-001、XF-002",
        width=18,
    ),
    Column(
        "fee",
        "收费",
        CellType.CHOICE,
        _("免费, 低偿 or 收费; empty means 免费."),
        "免费",
        width=8,
        choices=FEE_CHOICES,
    ),
    Column("fee_description", "收费说明", CellType.TEXT, _("Fee details."), "", width=16),
    Column(
        "booking_required",
        "需预约",
        CellType.BOOL,
        _("是 or 否; empty means 否."),
        "否",
        width=8,
        choices=YES_NO,
    ),
    Column(
        "rrule",
        "周期规则",
        CellType.CODE,
        _(
            "iCalendar RRULE, e.g. FREQ=MONTHLY;BYDAY=1FR (first Friday of the month); "
            "empty means whenever the station is open."
        ),
        "FREQ=MONTHLY;BYDAY=1FR",
        width=24,
    ),
    Column("opens", "开始时间", CellType.TIME, _("e.g. 09:00"), "09:00", width=10),
    Column("closes", "结束时间", CellType.TIME, _("e.g. 11:30"), "11:30", width=10),
    Column(
        "schedule_note",
        "时间说明",
        CellType.TEXT,
        _("Schedule as residents read it."),
        "每月第一个周五上午",
        width=20,
    ),
    Column(
        "is_active",
        "在提供",
        CellType.BOOL,
        _("是 or 否; empty means 是."),
        "是",
        width=8,
        choices=YES_NO,
    ),
    Column("description", "服务简介", CellType.TEXT, _("A short description."), "", width=24),
)


def _bounded(columns: tuple[Column, ...], lengths: dict[str, int]) -> tuple[Column, ...]:
    """The columns with the lengths of the fields they fill (a description may span lines)."""
    return tuple(
        replace(c, max_length=lengths[c.key], multiline=c.key == "description")
        if c.key in lengths
        else c
        for c in columns
    )


STATION_COLUMNS = _bounded(
    STATION_COLUMNS,
    {
        "code": limits.CODE,
        "name": limits.NAME,
        "category": limits.CODE,
        "community": limits.SHORT_CODE,
        "subdistrict": limits.SHORT_CODE,
        "address": limits.ADDRESS,
        "phone": limits.PHONE,
        "contact_name": limits.PERSON_NAME,
        "contact_phone": limits.PHONE,
        "description": limits.DESCRIPTION,
    },
)
COMPOUND_COLUMNS = _bounded(
    COMPOUND_COLUMNS,
    {
        "code": limits.SHORT_CODE,
        "name": limits.AREA_NAME,
        "community": limits.SHORT_CODE,
        "grid": limits.SHORT_CODE,
        "address": limits.ADDRESS,
    },
)
SERVICE_COLUMNS = _bounded(
    SERVICE_COLUMNS,
    {
        "name": limits.NAME,
        "category": limits.CODE,
        "organisation": limits.ORGANISATION_NAME,
        "fee_description": limits.NOTE,
        "rrule": limits.RRULE,
        "schedule_note": limits.NOTE,
        "description": limits.DESCRIPTION,
    },
)

COLUMNS: dict[SheetKind, tuple[Column, ...]] = {
    SheetKind.STATIONS: STATION_COLUMNS,
    SheetKind.COMPOUNDS: COMPOUND_COLUMNS,
    SheetKind.SERVICES: SERVICE_COLUMNS,
}
SHEET_TITLES: dict[SheetKind, str] = {
    SheetKind.STATIONS: "驿站设施",
    SheetKind.COMPOUNDS: "小区",
    SheetKind.SERVICES: "服务项目",
}
KIND_LABELS: dict[SheetKind, str | Promise] = {
    SheetKind.STATIONS: _("stations"),
    SheetKind.COMPOUNDS: _("compounds"),
    SheetKind.SERVICES: _("services"),
}
INSTRUCTIONS_TITLE = "填写说明"
CODES_TITLE = "代码表"
