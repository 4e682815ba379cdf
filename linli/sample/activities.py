"""A year of activity in the sample district: from a year before the day it is loaded to three
months after — trainings, culture, health days, deliberation and mediation, volunteer duty — with
sign-ups and check-ins, so the public figures read like the seed's ("12 safety trainings,
450+ person-times" in the first subdistrict).

Deterministic for a seed and a day. Rows are written in bulk, not one service call each: the
services write an audit entry per sign-up and check-in, and tens of thousands of invented audit
entries would bury the real ones. The activities themselves are created by
``services.create_activity`` as the community's staff would; the bulk rows copy what
``services._record_checkin`` copies (area, station, category, person key).

One step of ``linli load_sample`` (``linli.sample.load.STEPS``), after the accounts: the
activities are created as the sample's district administrator.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from linli.accounts.models import Role, User
from linli.activities import schedule, services
from linli.activities.models import Activity, CheckIn, SignUp
from linli.places.models import Community, District, Organisation, Station

if TYPE_CHECKING:
    from .load import Sample

SEED = 20261207
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "桂兰秀英建国志强玉珍淑芬德明春华丽娟海燕文涛红梅国庆凤英宝山金花永福桂芳俊杰雪梅"
SAFETY_TRAININGS = (
    ("消防安全培训", "灭火器、消火栓的使用与家庭火灾逃生。", "区消防救援大队"),
    ("应急救护培训", "心肺复苏与AED使用，现场实操。", "康安应急救护协会"),
    ("防汛避险应急演练", "暴雨天气的避险与转移。", "晨光救援队"),
    ("燃气安全进社区", "燃气泄漏的识别与处置。", "市燃气公司"),
    ("防范电信网络诈骗讲座", "识别常见骗局，守好养老钱。", "派出所社区民警"),
    ("电动自行车安全充电培训", "规范充电，远离楼道火灾。", "区消防救援大队"),
)
# (title, category, rrule, start hour, hours, capacity, audience, description)
REGULAR = (
    (
        "书法兴趣班",
        "culture",
        "FREQ=WEEKLY;BYDAY=TU",
        14,
        2,
        20,
        "elderly",
        "毛笔书法，笔墨纸砚站里备好。",
    ),
    (
        "义务理发日",
        "convenience",
        "FREQ=MONTHLY;BYDAY=1FR",
        9,
        2,
        30,
        "everyone",
        "志愿者义务理发，老人优先。",
    ),
    (
        "健康义诊",
        "health",
        "FREQ=MONTHLY;BYDAY=2WE",
        9,
        3,
        40,
        "elderly",
        "量血压、测血糖、用药咨询。",
    ),
    (
        "居民议事会",
        "deliberation",
        "FREQ=MONTHLY;BYDAY=-1TH",
        19,
        1,
        30,
        "everyone",
        "小区里的事，大家商量着办。",
    ),
    (
        "邻里调解日",
        "mediation",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
        15,
        2,
        0,
        "everyone",
        "人民调解员坐班，邻里纠纷现场调解。",
    ),
    (
        "城市共建日志愿服务",
        "volunteer",
        "FREQ=MONTHLY;BYDAY=-1SA",
        8,
        3,
        25,
        "volunteers",
        "环境整治、助老服务，服务时长计入志愿服务记录。",
    ),
)


@dataclass(frozen=True)
class SampleActivities:
    activities: int
    signups: int
    checkins: int


def load(sample: Sample) -> None:
    """The sample step: a year of activity in the sample district."""
    actor = User.objects.filter(district=sample.district, role=Role.DISTRICT_ADMIN).first()
    if actor is None:
        raise RuntimeError("The accounts step creates the district administrator first.")
    load_year(sample.district, actor=actor)


def delete(district: District) -> None:
    """Remove the district's activities and everything hanging on them."""
    CheckIn.objects.filter(district=district).delete()
    SignUp.objects.filter(district=district).delete()
    Activity.objects.filter(district=district).delete()


def load_year(district: District, *, actor: User, today: dt.date | None = None) -> SampleActivities:
    """Create the sample year of activity in ``district`` (replacing any there)."""
    rng = random.Random(SEED)
    today = today or timezone.localdate()
    first_day = today - dt.timedelta(days=365)
    last_day = today + dt.timedelta(days=92)
    now = timezone.now()
    people = _people(rng, 400)
    with transaction.atomic():
        delete(district)
        activities = _activities(district, actor, rng, first_day, last_day)
        signups, checkins = _attendance(activities, people, rng, first_day, last_day, now)
    return SampleActivities(len(activities), signups, checkins)


def _people(rng: random.Random, n: int) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < n:
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        phone = f"139{rng.randrange(10**8):08d}"
        if phone not in seen:
            seen.add(phone)
            out.append((name, phone))
    return out


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


# What each trainer is; the fire brigade is also one of the units on the co-construction duty
# roster (linli/sample/cobuild.py looks it up by name and needs it to be a unit).
ORGANISER_KINDS = {
    "区消防救援大队": Organisation.Kind.UNIT,
    "康安应急救护协会": Organisation.Kind.SOCIAL,
    "晨光救援队": Organisation.Kind.SOCIAL,
    "市燃气公司": Organisation.Kind.UNIT,
    "派出所社区民警": Organisation.Kind.GOVERNMENT,
}


def _organisation(district: District, name: str) -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        district=district,
        name=name,
        defaults={"kind": ORGANISER_KINDS.get(name, Organisation.Kind.PARTNER)},
    )
    return org


def _activities(
    district: District, actor: User, rng: random.Random, first: dt.date, last: dt.date
) -> list[Activity]:
    stations = list(
        Station.objects.filter(
            district=district, is_active=True, category__code="happiness_station"
        ).exclude(community=None)
    )
    by_community: dict[int, Station] = {}
    for station in stations:
        by_community.setdefault(station.community_id or 0, station)
    communities = list(Community.objects.filter(pk__in=by_community).select_related("subdistrict"))
    first_sub = [c for c in communities if c.subdistrict_id == communities[0].subdistrict_id]
    created: list[Activity] = []
    for index, community in enumerate(communities):
        station = by_community[community.pk]
        # The regular programme: each community runs most of it, from the first day on.
        for title, category, rule, hour, hours, capacity, audience, text in REGULAR:
            if rng.random() < 0.2 and category not in {"volunteer", "deliberation"}:
                continue
            start_day = first + dt.timedelta(days=rng.randrange(0, 7))
            created.append(
                services.create_activity(
                    actor=actor,
                    data=services.ActivityInput(
                        title=title,
                        category=category,
                        station=station,
                        starts_at=_at(start_day, hour),
                        ends_at=_at(start_day, hour + hours),
                        rrule=f"{rule};UNTIL={last:%Y%m%d}T235959",
                        capacity=capacity,
                        audience=audience,
                        description=text,
                        signup_required=category != "mediation",
                    ),
                )
            )
        # Safety trainings: the first subdistrict's communities hold 12 over the past year.
        if community in first_sub:
            position = first_sub.index(community)
            count = 12 // len(first_sub) + (1 if position < 12 % len(first_sub) else 0)
        else:
            count = 2
        for k in range(count):
            title, text, organiser = SAFETY_TRAININGS[(index + k) % len(SAFETY_TRAININGS)]
            day = first + dt.timedelta(days=20 + (k * 300) // count + rng.randrange(0, 20))
            created.append(
                services.create_activity(
                    actor=actor,
                    data=services.ActivityInput(
                        title=title,
                        category="training",
                        station=station,
                        starts_at=_at(day, 9),
                        ends_at=_at(day, 11),
                        capacity=50,
                        description=text,
                        organiser=_organisation(district, organiser),
                    ),
                )
            )
        # And one coming up, for the resident pages.
        title, text, organiser = SAFETY_TRAININGS[index % len(SAFETY_TRAININGS)]
        day = timezone.localdate() + dt.timedelta(days=3 + index % 5)
        created.append(
            services.create_activity(
                actor=actor,
                data=services.ActivityInput(
                    title=title,
                    category="training",
                    station=station,
                    starts_at=_at(day, 15),
                    ends_at=_at(day, 17),
                    capacity=40,
                    description=text,
                    organiser=_organisation(district, organiser),
                ),
            )
        )
    return created


def _attendance(
    activities: list[Activity],
    people: list[tuple[str, str]],
    rng: random.Random,
    first: dt.date,
    last: dt.date,
    now: dt.datetime,
) -> tuple[int, int]:
    signups: list[SignUp] = []
    checkins: list[CheckIn] = []
    begin = _at(first, 0)
    end = _at(last, 23)
    for activity in activities:
        # Each community draws on its own neighbours, so the same people come back.
        offset = (activity.community_id or 0) * 37 % len(people)
        pool = people[offset:] + people[:offset]
        pool = pool[:80]
        for occ in schedule.occurrences(activity, after=begin, until=end, limit=200):
            past = occ.end <= now
            limit = activity.capacity or 30
            if activity.category == "training" and not activity.rrule:
                want = rng.randint(38, min(50, limit))
            else:
                want = (
                    rng.randint(limit // 3, limit * 2 // 3) if past else rng.randint(0, limit // 3)
                )
            chosen = rng.sample(pool, min(want, len(pool)))
            for name, phone in chosen:
                signup = SignUp(
                    district_id=activity.district_id,
                    activity=activity,
                    occurrence=occ.start,
                    name=name,
                    phone=phone,
                    status=SignUp.Status.CONFIRMED,
                    created_at=occ.start - dt.timedelta(days=rng.randint(1, 6)),
                )
                signup.confirmed_at = signup.created_at
                signups.append(signup)
                if past and rng.random() < 0.88:
                    arrived = occ.start + dt.timedelta(minutes=rng.randint(-15, 10))
                    checkins.append(
                        CheckIn(
                            district_id=activity.district_id,
                            subdistrict_id=activity.subdistrict_id,
                            community_id=activity.community_id,
                            station_id=activity.station_id,
                            category=activity.category,
                            activity=activity,
                            occurrence=occ.start,
                            signup=signup,
                            person_key=services.person_key(phone=phone),
                            name=name,
                            phone=phone,
                            method=rng.choice((CheckIn.Method.QR, CheckIn.Method.LIST)),
                            checked_in_at=arrived,
                            checked_out_at=occ.end if activity.counts_hours else None,
                        )
                    )
    SignUp.objects.bulk_create(signups, batch_size=2000)
    CheckIn.objects.bulk_create(checkins, batch_size=2000)
    return len(signups), len(checkins)
