"""The sample district's people: demo staff accounts, one per role and scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.hashers import make_password

from linli.accounts.models import Role, User
from linli.places.models import Community, District, Station, Subdistrict

if TYPE_CHECKING:
    from .load import Sample

DEMO_PASSWORD = "linli-demo-2026"


def load(sample: Sample) -> None:
    """Create the demo staff accounts of the sample district."""
    district = sample.district
    subdistricts = {s.code: s for s in Subdistrict.objects.filter(district=district).order_by("pk")}
    communities = {c.code: c for c in Community.objects.filter(district=district).order_by("pk")}
    happiness = list(
        Station.objects.filter(district=district, category__code="happiness_station").order_by("pk")
    )
    _create_demo_users(district, subdistricts, communities, happiness)


def delete(district: District) -> None:
    """Remove the demo accounts scoped to the sample district."""
    User.objects.filter(district=district).delete()


DEMO_USERS = [
    # username, role, scope level, real name
    ("admin", "superuser", None, "系统管理员"),
    ("district", Role.DISTRICT_ADMIN, "district", "区级管理员"),
    ("subdistrict", Role.SUBDISTRICT_STAFF, "subdistrict", "街道工作人员"),
    ("community", Role.COMMUNITY_STAFF, "community", "社区工作人员"),
    ("community2", Role.COMMUNITY_STAFF, "community2", "另一社区工作人员"),
    ("keeper", Role.STATION_KEEPER, "station", "驿站站长"),
]


def _create_demo_users(
    district: District,
    subdistricts: dict[str, Subdistrict],
    communities: dict[str, Community],
    happiness: list[Station],
) -> None:
    first_community = next(iter(communities.values()))
    other_community = next(
        c for c in communities.values() if c.subdistrict_id != first_community.subdistrict_id
    )
    keeper_station = next(
        (s for s in happiness if s.community_id == first_community.pk), happiness[0]
    )
    # One argon2 hash (about a second each on a small machine) shared by all demo accounts.
    password_hash = make_password(DEMO_PASSWORD)
    for username, role, level, real_name in DEMO_USERS:
        User.objects.filter(username=username).delete()
        if role == "superuser":
            User.objects.create(
                username=username,
                password=password_hash,
                district=district,
                role=Role.DISTRICT_ADMIN,
                real_name=real_name,
                is_superuser=True,
                is_staff=True,
            )
            continue
        scope: dict[str, object] = {"district": district}
        if level == "subdistrict":
            scope["subdistrict"] = first_community.subdistrict
        elif level == "community":
            scope.update(subdistrict=first_community.subdistrict, community=first_community)
        elif level == "community2":
            scope.update(subdistrict=other_community.subdistrict, community=other_community)
        elif level == "station":
            scope.update(community=keeper_station.community, station=keeper_station)
        User.objects.create(
            username=username, password=password_hash, role=role, real_name=real_name, **scope
        )


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, password, what they see) for the README and ``make demo``'s banner."""
    from .load import SAMPLE_DISTRICT_CODE

    district = District.objects.filter(code=SAMPLE_DISTRICT_CODE).first()
    rows = []
    for username, _role, _level, real_name in DEMO_USERS:
        user = (
            User.objects.filter(username=username)
            .select_related("subdistrict", "community", "station")
            .first()
        )
        if user is None:
            continue
        where = user.station or user.community or user.subdistrict or district or ""
        rows.append((username, DEMO_PASSWORD, f"{real_name} · {where}"))
    rows.extend(_kiosk_logins())
    return rows


def _kiosk_logins() -> list[tuple[str, str, str]]:
    """The smart huts' demo logins (linli/sample/kiosks.py creates them with their data)."""
    from .kiosks import DEMO_LOGINS

    rows = []
    for username, note in DEMO_LOGINS:
        user = User.objects.filter(username=username).select_related("station", "community")
        found = user.first()
        if found is not None:
            where = found.station or found.community or ""
            rows.append((username, DEMO_PASSWORD, f"{found.real_name} · {where}{note}"))
    return rows
