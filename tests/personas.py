"""Shared fixtures: a small two-subdistrict district and the personas who use it.

Layered like pretix's API conftest: ``district`` → ``hierarchy`` → stations → users. Tests ask for
the persona they need (``community_staff``, ``other_community_staff`` …) and a logged-in client.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from linli.accounts.models import Role, User
from linli.places.models import (
    Amenity,
    Community,
    Compound,
    District,
    FacilityCategory,
    Gate,
    OpeningHours,
    Organisation,
    Service,
    ServiceAtStation,
    ServiceCategory,
    Station,
    StationFunction,
    Subdistrict,
)

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings: Any) -> None:
    """Tests use a fast hasher and run background tasks immediately."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.LINLI_SMS_SENDER = "linli.accounts.sms.ConsoleSender"
    # Every request asks for the data version, as if each were served by another worker.
    settings.LINLI_DATA_VERSION_SECONDS = 0.0


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Every test starts in the default language (zh-Hans), whatever the one before it did.

    A request with an English cookie leaves English active in the thread (LocaleMiddleware
    activates, nothing deactivates), and code called outside a request would inherit it.
    """
    with translation.override(django_settings.LANGUAGE_CODE):
        yield


@dataclass
class Hierarchy:
    district: District
    east: Subdistrict
    west: Subdistrict
    xingfu: Community  # in east
    heping: Community  # in east
    xiyuan: Community  # in west
    station_xingfu: Station
    station_heping: Station
    station_xiyuan: Station
    compound_xingfu: Compound


def _station(
    district: District,
    community: Community,
    code: str,
    name: str,
    lon: float,
    lat: float,
    category: str = "happiness_station",
) -> Station:
    station = Station.objects.create(
        district=district,
        subdistrict=community.subdistrict,
        community=community,
        category=FacilityCategory.objects.get(code=category),
        code=code,
        name=name,
        lon=lon,
        lat=lat,
        address=f"{community.name}{name}",
        phone="0355-1234567",
        contact_name="王建国",
        contact_phone="13812345678",
    )
    for weekday in range(7):
        OpeningHours.objects.create(
            station=station, weekday=weekday, opens=dt.time(8, 30), closes=dt.time(18, 0)
        )
    return station


@pytest.fixture
def district(db: Any) -> District:
    return District.objects.create(
        code="T140404",
        name="测试区",
        centre_lon=113.075,
        centre_lat=36.185,
        min_lon=113.05,
        min_lat=36.16,
        max_lon=113.10,
        max_lat=36.21,
    )


@pytest.fixture
def hierarchy(district: District) -> Hierarchy:
    east = Subdistrict.objects.create(district=district, code="T14040401", name="东关街道")
    west = Subdistrict.objects.create(district=district, code="T14040402", name="西街街道")
    xingfu = Community.objects.create(
        district=district, subdistrict=east, code="T14040401001", name="幸福里社区"
    )
    heping = Community.objects.create(
        district=district, subdistrict=east, code="T14040401002", name="和平社区"
    )
    xiyuan = Community.objects.create(
        district=district, subdistrict=west, code="T14040402001", name="西园社区"
    )
    compound = Compound.objects.create(
        district=district,
        community=xingfu,
        code="C001",
        name="幸福苑",
        households=420,
        population=1150,
    )
    Gate.objects.create(district=district, compound=compound, name="南门", lon=113.070, lat=36.180)
    s1 = _station(district, xingfu, "S001", "幸福苑幸福驿站", 113.071, 36.181)
    s2 = _station(district, heping, "S002", "和平里幸福驿站", 113.080, 36.185)
    s3 = _station(district, xiyuan, "S003", "西园幸福驿站", 113.060, 36.190)
    s1.functions.set(StationFunction.objects.filter(code__in=["mediation", "reading"]))
    s1.amenities.set(Amenity.objects.filter(code__in=["drinking_water", "phone_charging"]))
    org = Organisation.objects.create(
        district=district, name="仁爱社工服务中心", kind=Organisation.Kind.SOCIAL
    )
    haircut = Service.objects.create(
        district=district,
        organisation=org,
        category=ServiceCategory.objects.get(code="haircut"),
        name="义务理发",
        fee=Service.Fee.FREE,
    )
    ServiceAtStation.objects.create(
        district=district,
        service=haircut,
        station=s2,
        rrule="FREQ=MONTHLY;BYDAY=1FR",
        opens=dt.time(9, 0),
        closes=dt.time(11, 30),
    )
    return Hierarchy(district, east, west, xingfu, heping, xiyuan, s1, s2, s3, compound)


def _user(username: str, role: Role, **scope: Any) -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, role=role, real_name=username, **scope
    )


@pytest.fixture
def district_admin(hierarchy: Hierarchy) -> User:
    return _user("district_admin", Role.DISTRICT_ADMIN, district=hierarchy.district)


@pytest.fixture
def subdistrict_staff(hierarchy: Hierarchy) -> User:
    return _user(
        "east_staff",
        Role.SUBDISTRICT_STAFF,
        district=hierarchy.district,
        subdistrict=hierarchy.east,
    )


@pytest.fixture
def community_staff(hierarchy: Hierarchy) -> User:
    return _user(
        "xingfu_staff",
        Role.COMMUNITY_STAFF,
        district=hierarchy.district,
        subdistrict=hierarchy.east,
        community=hierarchy.xingfu,
    )


@pytest.fixture
def other_community_staff(hierarchy: Hierarchy) -> User:
    return _user(
        "xiyuan_staff",
        Role.COMMUNITY_STAFF,
        district=hierarchy.district,
        subdistrict=hierarchy.west,
        community=hierarchy.xiyuan,
    )


@pytest.fixture
def station_keeper(hierarchy: Hierarchy) -> User:
    return _user(
        "xingfu_keeper",
        Role.STATION_KEEPER,
        district=hierarchy.district,
        community=hierarchy.xingfu,
        station=hierarchy.station_xingfu,
    )


@pytest.fixture
def unit_liaison(hierarchy: Hierarchy) -> User:
    return _user(
        "unit_liaison", Role.UNIT_LIAISON, district=hierarchy.district, community=hierarchy.xingfu
    )


@pytest.fixture
def resident(hierarchy: Hierarchy) -> User:
    user = _user("13900001111", Role.RESIDENT, district=hierarchy.district)
    user.phone = "13900001111"
    user.save(update_fields=["phone"])
    return user


@pytest.fixture
def other_district_admin(db: Any) -> User:
    other = District.objects.create(code="T999999", name="外区")
    return _user("other_admin", Role.DISTRICT_ADMIN, district=other)


def login(client: Client, user: User) -> Client:
    client.force_login(user, backend="linli.accounts.backends.LockoutModelBackend")
    return client


@pytest.fixture
def as_user(client: Client) -> Any:
    """``as_user(persona)`` returns the test client logged in as that persona."""

    def _as(user: User) -> Client:
        return login(client, user)

    return _as


@pytest.fixture
def smart_hut(hierarchy: Hierarchy) -> Station:
    """A 智慧小屋 in 幸福里社区 (a station of kind smart_hut), open round the clock."""
    return _station(
        hierarchy.district,
        hierarchy.xingfu,
        "H001",
        "幸福里智慧小屋",
        113.072,
        36.182,
        category="smart_hut",
    )


@pytest.fixture
def hut_keeper(hierarchy: Hierarchy, smart_hut: Station) -> User:
    """The keeper of the smart hut (a station keeper whose station is the hut)."""
    user = _user(
        "hut_keeper",
        Role.STATION_KEEPER,
        district=hierarchy.district,
        community=hierarchy.xingfu,
        station=smart_hut,
    )
    user.phone = "13700002222"
    user.save(update_fields=["phone"])
    return user


@pytest.fixture
def family_doctor(hierarchy: Hierarchy) -> User:
    """A family doctor (家庭医生) of 幸福里社区: reads its consenting residents' health readings."""
    return _user(
        "xingfu_doctor",
        Role.FAMILY_DOCTOR,
        district=hierarchy.district,
        subdistrict=hierarchy.east,
        community=hierarchy.xingfu,
    )


@pytest.fixture
def other_family_doctor(hierarchy: Hierarchy) -> User:
    """A family doctor of 西园社区 (another community)."""
    return _user(
        "xiyuan_doctor",
        Role.FAMILY_DOCTOR,
        district=hierarchy.district,
        subdistrict=hierarchy.west,
        community=hierarchy.xiyuan,
    )
