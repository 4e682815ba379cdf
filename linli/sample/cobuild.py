"""The sample district's co-construction days: units on duty rotations, two years of days with
rosters, a skipped turn, an approved swap, and a resources list in every subdistrict.

Written through ``linli.cobuild.services`` as the district administrator of the sample (the
accounts step creates them), so the audit log reads as if staff had entered it.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from linli.accounts.models import Role, User
from linli.cobuild import services
from linli.cobuild.models import CoBuildDay, DutyAssignment, DutyUnit, Project, Resource
from linli.places.models import District, Organisation, Station, Subdistrict

if TYPE_CHECKING:
    from linli.sample.load import Sample

UNITS = [
    "区税务局",
    "区人民医院",
    "区第一中学",
    "区供电公司",
    "区市场监督管理局",
    "区图书馆",
    "区司法局",
    "区住房和城乡建设局",
    "区妇幼保健院",
    "区实验小学",
    "区自来水公司",
    "区农商银行",
    "区人力资源和社会保障局",
    "区文化馆",
    "区中医院",
    "区消防救援大队",
    "区邮政分公司",
    "区燃气公司",
]
NEW_ORGANISATIONS = ["邻安物业服务有限公司", "邻里家政服务中心", "康宁养老服务中心"]
MEMBERS = ["张建华", "李秀英", "王志强", "刘丽娟", "陈国平", "杨海燕", "赵文博", "黄淑芬"]
OFFERS = [
    ("法律咨询", "skill", "legal", "人次", 6),
    ("义诊与健康讲座", "skill", "medical", "人次", 30),
    ("家电维修", "skill", "repair", "户", 8),
    ("青少年课业辅导", "skill", "teaching", "人", 12),
    ("心理疏导", "skill", "psychology", "人次", 5),
    ("会议室", "venue", "", "座", 40),
    ("慰问物资（米面油）", "materials", "", "份", 50),
    ("社区微改造资金", "funds", "", "元", 20000),
    ("志愿服务", "volunteer_hours", "", "小时", 60),
]
YEARS = (2025, 2026)


def load(sample: Sample) -> None:
    """The sample step: co-construction days, rosters and resources of the sample district."""
    load_cobuild_sample(sample.district)


def delete(district: District) -> None:
    """Remove the sample's co-construction rows (before the needs, places and areas go)."""
    Project.objects.filter(district=district).delete()
    Resource.objects.filter(district=district).delete()
    CoBuildDay.objects.filter(district=district).delete()
    DutyUnit.objects.filter(district=district).delete()


def load_cobuild_sample(district: District) -> int:
    """Create the co-construction sample of ``district`` (idempotent); returns duties written."""
    actor = User.objects.filter(
        district=district, role=Role.DISTRICT_ADMIN, is_superuser=False
    ).first()
    if actor is None or DutyUnit.objects.filter(district=district).exists():
        return 0
    rng = random.Random(14)
    written = 0
    with transaction.atomic():
        organisations = [
            Organisation.objects.get_or_create(
                district=district, name=name, defaults={"kind": Organisation.Kind.UNIT}
            )[0]
            for name in UNITS
        ]
        for name in NEW_ORGANISATIONS:
            Organisation.objects.get_or_create(
                district=district, name=name, defaults={"kind": Organisation.Kind.NEW_ECONOMIC}
            )
        subdistricts = list(district.subdistricts.order_by("code"))
        per = max(1, len(organisations) // max(len(subdistricts), 1))
        for index, subdistrict in enumerate(subdistricts):
            mine = organisations[index * per : (index + 1) * per] or organisations[:3]
            units = [
                services.add_duty_unit(actor=actor, subdistrict=subdistrict, organisation=org)
                for org in mine
            ]
            for year in YEARS:
                days = services.plan_days(actor=actor, subdistrict=subdistrict, year=year)
                if year == YEARS[0] and len(units) > 1:
                    services.declare_unavailable(
                        actor=actor,
                        unit=units[2 % len(units)],
                        day=days[2],
                        reason="单位集中开展年度培训",
                    )
                written += services.generate_roster(
                    actor=actor, subdistrict=subdistrict, year=year, today=dt.date(year, 1, 1)
                )
            _sample_swap(actor, subdistrict.pk)
            _sample_resources(actor, district, subdistrict, rng)
        _sample_projects(actor, district)
    return written


def _sample_swap(actor: User, subdistrict_id: int) -> None:
    duties = list(
        DutyAssignment.objects.filter(day__subdistrict_id=subdistrict_id, day__year=YEARS[1])
        .select_related("day", "unit__organisation")
        .order_by("day__date")[6:8]
    )
    if len(duties) == 2 and duties[0].unit_id != duties[1].unit_id:
        today = duties[0].day.date - dt.timedelta(days=30)
        swap = services.request_swap(
            actor=actor, duty=duties[0], other=duties[1], reason="单位当日承接上级检查", today=today
        )
        services.approve_swap(actor=actor, swap=swap, today=today)


def _sample_resources(
    actor: User, district: District, subdistrict: Subdistrict, rng: random.Random
) -> None:
    stations = list(
        Station.objects.filter(subdistrict=subdistrict, community__isnull=False, is_active=True)
        .select_related("community")
        .order_by("code")[:6]
    )
    units = list(DutyUnit.objects.filter(subdistrict=subdistrict).select_related("organisation"))
    days = list(CoBuildDay.objects.filter(subdistrict=subdistrict, year=YEARS[1]).order_by("date"))
    for k, station in enumerate(stations):
        title, category, skill, unit_word, quantity = OFFERS[(k + rng.randrange(3)) % len(OFFERS)]
        kind = "unit" if k % 3 != 2 else "party_member"
        windows = tuple(
            services.WindowInput(
                timezone.make_aware(dt.datetime.combine(day.date, dt.time(9, 0))),
                timezone.make_aware(dt.datetime.combine(day.date, dt.time(12, 0))),
            )
            for day in days[::3]
        )
        services.create_resource(
            actor=actor,
            district=district,
            data=services.ResourceInput(
                title=title,
                category=category,
                skill=skill,
                subdistrict_code=station.subdistrict.code,
                community_code=station.community.code if station.community else "",
                provider_kind=kind,
                organisation_name=units[k % len(units)].organisation.name
                if kind == "unit" and units
                else "",
                provider_name=MEMBERS[k % len(MEMBERS)] if kind != "unit" or not units else "",
                quantity=quantity,
                quantity_unit=unit_word,
                station_code=station.code,
                windows=windows,
                description="城市共建日现场提供",
            ),
        )


def _sample_projects(actor: User, district: District) -> None:
    """Needs on the needs list become projects, one in each state of the list."""
    from linli.needs.queries import open_needs_for_cobuild

    units = list(Organisation.objects.filter(district=district, kind=Organisation.Kind.UNIT))
    needs = list(open_needs_for_cobuild(district.pk).select_related("subdistrict", "community"))
    notes = ["单位已联系社区", "现场施工", "完工，等待验收", "验收通过，请居民评价"]
    if not needs:
        return
    # One project in each of the six states, cycling through the needs on the list.
    for index in range(max(6, min(len(needs), 12))):
        need = needs[index % len(needs)]
        project = services.create_project(
            actor=actor, need=need, title=(need.public_summary or "共建项目")[:120]
        )
        steps = index % 6
        if steps >= 1 and units:
            services.claim_project(
                actor=actor, project=project, organisation=units[index % len(units)]
            )
        for step in range(2, steps + 1):
            services.advance_project(
                actor=actor,
                project=project,
                note=notes[min(step - 2, len(notes) - 1)],
                evaluation="satisfied" if step == 5 else "",
            )
