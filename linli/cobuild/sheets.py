"""The columns of the resources sheet, shared by the export, the template and the import."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from linli.cobuild.models import Resource


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header the sheet carries (the import also accepts ``english``)
    english: str
    width: int
    help: Promise


COLUMNS: tuple[Column, ...] = (
    Column("title", "资源名称", "Title", 24, _("What is offered (required).")),
    Column(
        "category",
        "类别",
        "Category",
        12,
        _("venue, skill, funds, materials or volunteer_hours, or the Chinese word."),
    ),
    Column(
        "skill",
        "技能",
        "Skill",
        12,
        _("legal, medical, repair, teaching … or the Chinese word; may be empty."),
    ),
    Column(
        "subdistrict", "街道代码", "Subdistrict code", 14, _("The subdistrict's code (required).")
    ),
    Column(
        "community",
        "社区代码",
        "Community code",
        16,
        _("The community's code; empty for the whole subdistrict."),
    ),
    Column("provider_kind", "提供方类型", "Offered by", 14, _("单位, 党员 or 两新组织.")),
    Column(
        "organisation",
        "单位/组织名称",
        "Organisation",
        22,
        _("The unit's or organisation's name as in the directory."),
    ),
    Column("provider_name", "党员姓名", "Party member", 12, _("The party member's name.")),
    Column("quantity", "数量", "Quantity", 8, _("A whole number from 1.")),
    Column("quantity_unit", "计量单位", "Counted in", 10, _("Seats, person-times, yuan, hours …")),
    Column(
        "station",
        "驿站代码",
        "Station code",
        12,
        _("Where it is offered; or give the coordinates."),
    ),
    Column("address", "地址", "Address", 24, _("Free text.")),
    Column("lon", "经度", "Longitude", 12, _("WGS-84 degrees.")),
    Column("lat", "纬度", "Latitude", 12, _("WGS-84 degrees.")),
    Column(
        "windows",
        "可用时间",
        "Available",
        30,
        _("One window a line or separated by ；, e.g. 2026-01-09 09:00-12:00."),
    ),
    Column("description", "说明", "Description", 30, _("Free text.")),
)

SHEET_TITLE = "资源清单"

CATEGORY_WORDS: dict[str, str] = {
    "场地": Resource.Category.VENUE,
    "技能": Resource.Category.SKILL,
    "资金": Resource.Category.FUNDS,
    "物资": Resource.Category.MATERIALS,
    "志愿服务时长": Resource.Category.VOLUNTEER_HOURS,
    "志愿时长": Resource.Category.VOLUNTEER_HOURS,
}
SKILL_WORDS: dict[str, str] = {
    "法律": Resource.Skill.LEGAL,
    "法律咨询": Resource.Skill.LEGAL,
    "医疗": Resource.Skill.MEDICAL,
    "义诊": Resource.Skill.MEDICAL,
    "维修": Resource.Skill.REPAIR,
    "教学": Resource.Skill.TEACHING,
    "辅导": Resource.Skill.TEACHING,
    "心理": Resource.Skill.PSYCHOLOGY,
    "心理咨询": Resource.Skill.PSYCHOLOGY,
    "文体": Resource.Skill.CULTURE,
    "照护": Resource.Skill.CARE,
    "其他": Resource.Skill.OTHER,
}
PROVIDER_WORDS: dict[str, str] = {
    "单位": Resource.ProviderKind.UNIT,
    "报到单位": Resource.ProviderKind.UNIT,
    "党员": Resource.ProviderKind.PARTY_MEMBER,
    "在职党员": Resource.ProviderKind.PARTY_MEMBER,
    "两新组织": Resource.ProviderKind.NEW_ORGANISATION,
}
CATEGORY_LABEL: dict[str, str] = {v: k for k, v in CATEGORY_WORDS.items() if k != "志愿时长"}
SKILL_LABEL: dict[str, str] = {
    Resource.Skill.LEGAL: "法律咨询",
    Resource.Skill.MEDICAL: "医疗",
    Resource.Skill.REPAIR: "维修",
    Resource.Skill.TEACHING: "教学",
    Resource.Skill.PSYCHOLOGY: "心理咨询",
    Resource.Skill.CULTURE: "文体",
    Resource.Skill.CARE: "照护",
    Resource.Skill.OTHER: "其他",
}
PROVIDER_LABEL: dict[str, str] = {
    Resource.ProviderKind.UNIT: "单位",
    Resource.ProviderKind.PARTY_MEMBER: "党员",
    Resource.ProviderKind.NEW_ORGANISATION: "两新组织",
}
