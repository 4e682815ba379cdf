"""The sample district's places: compounds and their gates, stations with opening hours,
functions and amenities, organisations and the services they offer at the stations.

Everything the engine does not need is added here to what :mod:`linli.sample.district` drew.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from linli.places.models import (
    Amenity,
    Community,
    Compound,
    District,
    FacilityCategory,
    Gate,
    Grid,
    OpeningHours,
    Organisation,
    Service,
    ServiceAtStation,
    ServiceCategory,
    Station,
    StationFunction,
    Subdistrict,
)

if TYPE_CHECKING:
    from .load import Sample

T = dt.time

# Weekly hours by station kind: (weekdays, [(opens, closes), …], holiday policy).
HOURS: dict[str, tuple[range, list[tuple[dt.time, dt.time]], str]] = {
    "happiness_station": (range(7), [(T(8, 30), T(12, 0)), (T(14, 30), T(20, 0))], "open"),
    "smart_hut": (range(7), [(T(0, 0), T(0, 0))], "open"),  # 24 h lockers and kiosks
    "party_service_center": (range(5), [(T(9, 0), T(12, 0)), (T(13, 30), T(17, 30))], "closed"),
    "health_station": (range(6), [(T(8, 0), T(17, 30))], "closed"),
    "health_service_center": (range(7), [(T(8, 0), T(18, 0))], "open"),
    "elderly_day_care": (range(7), [(T(8, 0), T(18, 0))], "open"),
    "community_canteen": (range(7), [(T(11, 0), T(13, 0)), (T(17, 0), T(18, 30))], "open"),
    "market": (range(7), [(T(6, 0), T(20, 0))], "open"),
    "convenience_store": (range(7), [(T(7, 0), T(23, 0))], "open"),
    "kindergarten": (range(5), [(T(7, 30), T(17, 30))], "closed"),
    "primary_school": (range(5), [(T(7, 30), T(17, 30))], "closed"),
    "middle_school": (range(5), [(T(7, 0), T(18, 0))], "closed"),
}

# Services of the reference programme and who provides them.
PROVIDERS = [
    (
        "和煦社会工作服务中心",
        Organisation.Kind.SOCIAL,
        "专业社工机构，承接心理咨询、助老服务（示例）",
    ),
    ("康安应急救护协会", Organisation.Kind.PARTNER, "应急救护与安全培训（示例）"),
    ("晨光救援队", Organisation.Kind.PARTNER, "防灾减灾、应急救援培训（示例）"),
    ("夕阳红志愿服务队", Organisation.Kind.SOCIAL, "义务理发、便民维修（示例）"),
    ("悦康中医养生协会", Organisation.Kind.NEW_SOCIAL, "艾灸、刮痧等中医养生服务（示例）"),
    ("区司法局法律援助中心", Organisation.Kind.GOVERNMENT, "法律咨询、人民调解（示例）"),
]
# (category, name, provider index, fee, booking, rrule, opens, closes, station share)
SERVICES = [
    ("haircut", "义务理发", 3, "free", False, "FREQ=MONTHLY;BYDAY=1FR", T(9), T(11, 30), 3),
    ("counselling", "心理咨询", 0, "free", True, "FREQ=WEEKLY;BYDAY=WE", T(14, 30), T(17), 4),
    ("moxibustion", "艾灸理疗", 4, "low", True, "FREQ=WEEKLY;BYDAY=TU,TH", T(9), T(11), 4),
    ("guasha", "中医刮痧", 4, "low", False, "FREQ=WEEKLY;BYDAY=SA", T(9), T(11), 5),
    ("calligraphy_chess", "书法棋牌", 0, "free", False, "", None, None, 2),
    ("legal_aid", "法律咨询", 5, "free", False, "FREQ=MONTHLY;BYDAY=2TU", T(9), T(12), 4),
    ("safety_training", "应急救护培训", 1, "free", True, "FREQ=MONTHLY;BYDAY=3SA", T(9), T(11), 6),
    (
        "safety_training",
        "防灾减灾培训",
        2,
        "free",
        True,
        "FREQ=MONTHLY;BYDAY=-1SA",
        T(14, 30),
        T(16, 30),
        7,
    ),
    ("repair", "便民维修", 3, "free", False, "FREQ=WEEKLY;BYDAY=MO", T(9), T(11, 30), 3),
    ("health_check", "健康检测", 0, "free", False, "", None, None, 1),
]
SMART_HUT_SERVICES = [
    ("health_check", "体检一体机自助检测（21项）"),
    ("government_service", "政务服务自助终端"),
    ("parcel", "24小时智能快递柜"),
    ("medicine", "无人售药柜"),
]


def street_addresses(pbf: Path, points: Sequence[tuple[float, float]]) -> list[str]:
    """A plausible, distinct street address for each (lon, lat): the name of the street it
    stands on in the drawn network (``linli.circle`` snaps it) and a house number that grows
    along the street, odd numbers only, never twice the same (``长兴路37号``).

    A point on an unnamed path takes the nearest named street's name (within 300 m).
    """
    import numpy as np

    from linli.circle.graph import read_pbf
    from linli.circle.snap import snap_points

    graph = read_pbf(pbf)
    lon = np.asarray([p[0] for p in points], dtype=np.float64)
    lat = np.asarray([p[1] for p in points], dtype=np.float64)
    snapped = snap_points(graph, lon, lat, max_snap_m=300.0)
    named = np.flatnonzero(graph.edge_name >= 0)
    streets: list[str] = []
    for i in range(len(points)):
        name = graph.street_name(int(snapped.edge[i])) if snapped.ok[i] else ""
        if not name and named.shape[0]:
            # The nearest named street: the closest vertex of a named way.
            starts = graph.geom_offsets[named]
            d = (graph.geom_lon[starts] - lon[i]) ** 2 + (graph.geom_lat[starts] - lat[i]) ** 2
            name = graph.street_name(int(named[int(np.argmin(d))]))
        streets.append(name or "无名路")
    by_street: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(streets):
        by_street[name].append(i)
    addresses = [""] * len(points)
    for name, members in by_street.items():
        # Numbered from the street's west (or south) end, about one number per 10 m.
        members.sort(key=lambda i: (lon[i] + lat[i], i))
        origin = lon[members[0]] + lat[members[0]]
        number = -1
        for i in members:
            step = int((lon[i] + lat[i] - origin) * 111_000 / 10)
            number = max(number + 2, 2 * step + 1)
            addresses[i] = f"{name}{number}号"
    return addresses


def load(sample: Sample) -> None:
    """Create the compounds, gates, stations, organisations and services of the drawing."""
    district, g = sample.district, sample.drawing
    # One numbering for compounds and stations: no two places share an address.
    addresses = street_addresses(
        g.pbf_path, [c.gates[0] for c in g.compounds] + [(f.lon, f.lat) for f in g.facilities]
    )
    compound_addresses = addresses[: len(g.compounds)]
    station_addresses = addresses[len(g.compounds) :]
    subdistricts = {s.code: s for s in Subdistrict.objects.filter(district=district).order_by("pk")}
    communities = {
        c.code: c
        for c in Community.objects.filter(district=district)
        .select_related("subdistrict")
        .order_by("pk")
    }
    grids = {gr.code: gr for gr in Grid.objects.filter(district=district)}
    compounds: dict[str, Compound] = {}
    gates: list[Gate] = []
    for c, address in zip(g.compounds, compound_addresses, strict=True):
        compound = Compound.objects.create(
            district=district,
            community=communities[c.community_code],
            grid=grids.get(c.grid_code),
            code=c.id,
            name=c.name,
            households=c.households,
            population=c.population,
            address=address,
            outline={
                "type": "Polygon",
                "coordinates": [[*map(list, c.polygon), list(c.polygon[0])]],
            },
        )
        compounds[c.id] = compound
        for i, (lon, lat) in enumerate(c.gates):
            gates.append(
                Gate(district=district, compound=compound, name=f"{i + 1}号门", lon=lon, lat=lat)
            )
    Gate.objects.bulk_create(gates)

    categories = {c.code: c for c in FacilityCategory.objects.all()}
    functions = list(StationFunction.objects.order_by("sort_order"))
    amenities = list(Amenity.objects.order_by("sort_order"))
    stations: list[Station] = []
    for index, f in enumerate(g.facilities):
        community = communities.get(f.community_code)
        subdistrict = community.subdistrict if community else next(iter(subdistricts.values()))
        _weekdays, _intervals, policy = HOURS.get(f.category, (range(7), [], "open"))
        stations.append(
            Station(
                district=district,
                subdistrict=subdistrict,
                community=community,
                category=categories[f.category],
                code=f.id,
                name=f.name,
                lon=f.lon,
                lat=f.lat,
                address=station_addresses[index],
                phone=f"0355-{5200000 + index * 37 % 99999:07d}"[:12],
                contact_name=("王李张刘陈杨赵黄周吴"[index % 10] + "师傅"),
                contact_phone=f"139{(index * 7919) % 100000000:08d}",
                holiday_policy=policy,
                description=_describe(f.category),
            )
        )
    Station.objects.bulk_create(stations)
    stations = list(Station.objects.filter(district=district).select_related("category"))
    hours: list[OpeningHours] = []
    for station in stations:
        weekdays, intervals, _policy = HOURS.get(station.category.code, (range(0), [], "open"))
        hours.extend(
            OpeningHours(station=station, weekday=d, opens=o, closes=c)
            for d in weekdays
            for o, c in intervals
        )
    OpeningHours.objects.bulk_create(hours)

    happiness = [s for s in stations if s.category.code == "happiness_station"]
    for i, station in enumerate(happiness):
        # Every station has the convenience and activity functions; others rotate so that
        # searching "调解" or "阅读" finds some stations and not others.
        station.functions.set(
            [
                f
                for j, f in enumerate(functions)
                if f.code in {"convenience", "activity"} or (i + j) % 3 == 0
            ]
        )
        station.amenities.set([a for j, a in enumerate(amenities) if j < 3 or (i * 5 + j) % 4 == 0])
    for station in stations:
        if station.category.code == "smart_hut":
            station.amenities.set(
                [a for a in amenities if a.code in {"phone_charging", "aed", "drinking_water"}]
            )
        elif station.category.code == "party_service_center":
            station.functions.set(
                [
                    f
                    for f in functions
                    if f.code in {"deliberation", "mediation", "reading", "activity"}
                ]
            )

    providers = [
        Organisation.objects.create(district=district, name=n, kind=k, description=d)
        for n, k, d in PROVIDERS
    ]
    service_categories = {c.code: c for c in ServiceCategory.objects.all()}
    links: list[ServiceAtStation] = []
    for category, name, provider, fee, booking, rrule, opens, closes, share in SERVICES:
        service = Service.objects.create(
            district=district,
            organisation=providers[provider],
            category=service_categories[category],
            name=name,
            fee=fee,
            booking_required=booking,
            fee_description="成本价收费，老年人半价" if fee == "low" else "",
        )
        for i, station in enumerate(happiness):
            if i % share == 0 or (share > 1 and i % share == share - 1 and category == "haircut"):
                links.append(
                    ServiceAtStation(
                        district=district,
                        service=service,
                        station=station,
                        rrule=rrule,
                        opens=opens,
                        closes=closes,
                    )
                )
    for category, name in SMART_HUT_SERVICES:
        service = Service.objects.create(
            district=district,
            category=service_categories[category],
            name=name,
        )
        links.extend(
            ServiceAtStation(district=district, service=service, station=s)
            for s in stations
            if s.category.code == "smart_hut"
        )
    ServiceAtStation.objects.bulk_create(links)


def delete(district: District) -> None:
    """Remove the sample's places (before the district itself goes)."""
    Station.objects.filter(district=district).delete()
    Service.objects.filter(district=district).delete()
    Compound.objects.filter(district=district).delete()


def _describe(category: str) -> str:
    return {
        "happiness_station": (
            "小区里的幸福驿站：歇歇脚、喝口水、充充电，也能读书下棋、议事调解。（示例数据）"
        ),
        "smart_hut": "智慧小屋：体检一体机、政务服务终端、24小时快递柜、无人售药柜。（示例数据）",
        "party_service_center": "党群服务中心：党员活动、议事协商、便民服务。（示例数据）",
    }.get(category, "（示例数据）")
