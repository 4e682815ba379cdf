"""A year of sample needs for the sample district: every state, ratings, follow-up calls, merged
duplicates and a few overdue — so the public pages, scorecards and rates show something true.

Everything goes through ``linli.needs.services`` with ``now`` set in the past, so the steps, the
deadlines and the audit entries are what real use would have written. Residents are fictional
(names from a short list, phone numbers 1990000xxxx that no carrier issues).

The ``needs`` step of ``linli load_sample`` (linli.sample.load.STEPS) calls ``load``; the staff
steps are taken by the sample's district administrator (the accounts step creates them).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.test import override_settings

from linli.accounts.models import Role, User
from linli.needs import services
from linli.needs.deadlines import BEIJING
from linli.needs.models import ApiClient, Category, Need, Rating, RoutingRule
from linli.places.models import Compound, District, Organisation

if TYPE_CHECKING:
    from linli.sample.load import Sample

SAMPLE_SEED = 13
FAMILY = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = [
    "秀英",
    "桂兰",
    "建国",
    "志强",
    "玉梅",
    "国华",
    "淑珍",
    "德明",
    "丽华",
    "文斌",
    "海燕",
    "春生",
]
# Per category: (what residents write, what staff publish, what the handler says when done).
TEXTS: dict[str, list[tuple[str, str, str]]] = {
    Category.SAFETY: [
        ("{b}号楼楼道的灯坏了，晚上老人下楼看不见", "{c}楼道照明维修", "已更换楼道灯"),
        ("小区东门的井盖松了，踩上去会晃", "{c}井盖加固", "已加固井盖并设警示"),
    ],
    Category.WATER_POWER: [
        ("{b}号楼今天早上开始停水，没有通知", "{c}停水", "管道抢修完毕，已恢复供水"),
        ("暖气片不热，家里只有十几度", "{c}供暖不热", "已排气调压，室温恢复"),
    ],
    Category.ENVIRONMENT: [
        ("{b}号楼门口的垃圾桶满了好几天没人清", "{c}垃圾清运", "已清运并增加清运频次"),
        ("楼道里堆满了杂物，有消防隐患", "{c}楼道杂物清理", "已清理楼道杂物"),
    ],
    Category.FACILITIES: [
        ("小区健身器材坏了一个，孩子玩很危险", "{c}健身器材维修", "已维修并检查其余器材"),
        ("{b}号楼单元门的门禁坏了", "{c}单元门禁维修", "门禁已修复"),
    ],
    Category.ELDERLY_CARE: [
        ("家里老人行动不便，希望有人帮忙买菜", "{c}老人助餐助购", "已安排志愿者每周两次助购"),
        ("想给独居的父亲申请助餐服务", "{c}独居老人助餐", "已纳入社区助餐名单"),
    ],
    Category.NEIGHBOURS: [
        ("楼上装修噪音太大，晚上十点还在施工", "{c}装修噪音", "已调解，约定施工时间"),
        ("邻居在楼道里养狗，气味很大", "{c}楼道养犬", "已上门沟通，问题解决"),
    ],
    Category.SERVICES: [
        ("希望驿站能开个智能手机使用课", "{c}老年人智能手机课", "已在驿站开课，每周三上午"),
        ("能不能在小区里办一次义诊", "{c}社区义诊", "已联系医院，下月第一个周六义诊"),
    ],
    Category.RENOVATION: [
        ("{b}号楼外墙皮脱落，下雨天漏水", "{c}外墙维修", "已纳入老旧小区改造，外墙已修缮"),
        ("希望给老楼加装电梯", "{c}老楼加装电梯", "已完成意见征集，进入审批"),
    ],
    Category.OTHER: [
        ("小区里的共享单车乱停乱放", "{c}共享单车停放", "已联系企业清理并划定停放区"),
    ],
}
WEIGHTS = {
    Category.SAFETY: 6,
    Category.WATER_POWER: 10,
    Category.ENVIRONMENT: 22,
    Category.FACILITIES: 18,
    Category.ELDERLY_CARE: 12,
    Category.NEIGHBOURS: 10,
    Category.SERVICES: 10,
    Category.RENOVATION: 6,
    Category.OTHER: 6,
}


@dataclass(frozen=True)
class SampleNeeds:
    needs: int
    residents: int


def load(sample: Sample) -> None:
    """The sample step: a year of needs in the sample district."""
    load_sample_needs(sample.district)


def delete(district: District) -> None:
    """Remove the sample's needs (before the accounts, places and areas go)."""
    Need.objects.filter(district=district).delete()
    RoutingRule.objects.filter(district=district).delete()
    ApiClient.objects.filter(district=district).delete()


def sample_residents(district: District, *, count: int = 60) -> list[User]:
    """Fictional residents of the sample district (phone numbers 1990000xxxx)."""
    rng = random.Random(SAMPLE_SEED)
    password = make_password(None)  # residents log in with a phone code, never a password
    people = []
    for i in range(count):
        phone = f"1990000{i:04d}"
        user, _created = User.objects.get_or_create(
            username=f"sample-resident-{i:04d}",
            defaults={
                "role": Role.RESIDENT,
                "district": district,
                "phone": phone,
                "real_name": rng.choice(FAMILY) + rng.choice(GIVEN),
                "password": password,
            },
        )
        people.append(user)
    return people


def load_sample_needs(
    district: District, *, count: int = 150, now: dt.datetime | None = None
) -> SampleNeeds:
    """A year of needs up to ``now`` (default: today at 09:00 Beijing time). Safe to run again:
    the district's existing needs are deleted first."""
    rng = random.Random(SAMPLE_SEED)
    now = now or dt.datetime.now(BEIJING).replace(hour=9, minute=0, second=0, microsecond=0)
    residents = sample_residents(district)
    compounds = list(Compound.objects.filter(district=district).select_related("community"))
    units = list(Organisation.objects.filter(district=district).order_by("pk")[:6])
    if not compounds:
        return SampleNeeds(0, len(residents))
    # Sample residents raise many needs over a year; the daily limit is for real people.
    with transaction.atomic(), override_settings(LINLI_NEEDS_PER_DAY=10**9):
        Need.objects.filter(district=district).delete()
        RoutingRule.objects.filter(district=district).delete()
        for category, unit in zip((Category.WATER_POWER, Category.RENOVATION), units, strict=False):
            RoutingRule.objects.create(district=district, category=category, organisation=unit)
        # Staff steps are taken by the sample's district administrator (the accounts step);
        # without one (a test district), by an administrator who cannot log in.
        admin = User.objects.filter(
            district=district, role=Role.DISTRICT_ADMIN, is_superuser=False
        ).first() or User.objects.create(
            username=f"sample-needs-admin-{district.pk}",
            role=Role.DISTRICT_ADMIN,
            district=district,
            real_name="示例区需求办",
            password=make_password(None),
        )
        categories = list(WEIGHTS)
        weights = [WEIGHTS[c] for c in categories]
        made: list[Need] = []
        for _i in range(count):
            # One in eight is from the last few days, so the demo has needs waiting for staff.
            recent = rng.random() < 0.125
            age = dt.timedelta(minutes=rng.randint(0, (2 if recent else 365) * 24 * 60))
            t = now - age
            category = rng.choices(categories, weights)[0]
            compound = rng.choice(compounds)
            building = rng.randint(1, 18)
            raw, summary, done = rng.choice(TEXTS[category])
            resident = rng.choice(residents)
            need = services.raise_need(
                actor=resident,
                district=district,
                category=category,
                description=raw.format(b=building),
                compound=compound,
                scale=rng.choice(["personal", "shared", "shared"]),
                anonymous=rng.random() < 0.15,
                contact_preference=rng.choice(["phone", "phone", "sms", "none"]),
                now=t,
            )
            made.append(need)
            _advance(
                need,
                rng=rng,
                admin=admin,
                resident=resident,
                t=t,
                now=now,
                summary=summary.format(c=compound.name, b=building),
                done=done,
                units=units,
            )
        # A few duplicates: a later need of the same category and compound merged into an
        # earlier open one, so its resident follows the earlier one.
        open_by_key: dict[tuple[str, int | None], Need] = {}
        merged = 0
        for need in sorted(made, key=lambda n: n.submitted_at):
            need.refresh_from_db()
            key = (need.category, need.compound_id)
            mergeable = need.status in ("submitted", "accepted") and key in open_by_key
            if mergeable and merged < max(1, count // 30) and rng.random() < 0.5:
                target = open_by_key[key]
                target.refresh_from_db()
                if target.status not in ("merged", "declined") and target.pk != need.pk:
                    services.merge_needs(
                        actor=admin, need_id=need.pk, into_id=target.pk, now=need.submitted_at
                    )
                    merged += 1
                    continue
            open_by_key.setdefault(key, need)
        services.sweep_deadlines(now=now)
        # Staff have read most comments: nine in ten are published, the rest kept private.
        for rating in Rating.objects.filter(need__district=district).exclude(comment=""):
            services.moderate_comment(actor=admin, rating_id=rating.pk, publish=rng.random() < 0.9)
    return SampleNeeds(len(made), len(residents))


def _advance(
    need: Need,
    *,
    rng: random.Random,
    admin: User,
    resident: User,
    t: dt.datetime,
    now: dt.datetime,
    summary: str,
    done: str,
    units: list[Organisation],
) -> None:
    """Walk a sample need as far as its age makes plausible."""
    age_days = (now - t).days
    hour = dt.timedelta(hours=1)
    if age_days < 1 and rng.random() < 0.8:
        return  # very new: still waiting to be accepted
    if rng.random() < 0.03:
        services.decline_need(
            actor=admin,
            need_id=need.pk,
            now=t + hour,
            public_note="不属于社区办理范围，已告知居民向物业反映",
        )
        return
    services.accept_need(
        actor=admin, need_id=need.pk, public_summary=summary, now=t + hour, public_note="已受理"
    )
    if age_days < 2 and rng.random() < 0.6:
        return  # accepted, waiting to be dispatched
    unit = None
    if units and rng.random() < 0.3:
        unit = rng.choice(units).pk
    hard = need.category in ("renovation", "facilities", "services")
    if need.scale == "shared" and hard and rng.random() < 0.4:
        services.put_on_needs_list(
            actor=admin,
            need_id=need.pk,
            now=t + hour,
            public_note="社区难以独自解决，已列入共建日需求清单",
        )
    services.dispatch_need(actor=admin, need_id=need.pk, organisation_id=unit, now=t + 2 * hour)
    services.start_need(actor=admin, need_id=need.pk, now=t + 3 * hour)
    need.refresh_from_db()
    # Most are resolved before the deadline, some late, a few still open (overdue if old).
    span = (need.due_at - t) if need.due_at else dt.timedelta(days=9)
    roll = rng.random()
    if roll < 0.06:
        return  # still being handled; overdue once the deadline has passed
    factor = rng.uniform(0.1, 0.9) if roll < 0.85 else rng.uniform(1.05, 2.0)
    resolved_at = t + 3 * hour + span * factor
    if resolved_at >= now:
        return
    services.resolve_need(actor=admin, need_id=need.pk, public_note=done, now=resolved_at)
    if rng.random() < 0.7:
        services.log_follow_up(
            actor=admin,
            need_id=need.pk,
            now=resolved_at + dt.timedelta(days=1),
            outcome=rng.choice(["reached", "reached", "reached", "no_answer"]),
            note="居民表示问题已解决",
        )
    if rng.random() < 0.75:
        level = rng.choices(["satisfied", "fairly", "dissatisfied"], [70, 22, 8])[0]
        comments = {
            "satisfied": "处理很及时，谢谢社区",
            "fairly": "解决了，就是慢了点",
            "dissatisfied": "问题还在",
        }
        services.rate_need(
            actor=resident,
            need_id=need.pk,
            level=level,
            comment=comments[level] if rng.random() < 0.5 else "",
            reopen=level == "dissatisfied" and rng.random() < 0.5,
            now=resolved_at + dt.timedelta(days=2),
        )
