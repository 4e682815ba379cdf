"""``linli create_staff``: places the account correctly and refuses places that do not fit."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import override

from linli.accounts.models import Role, User
from linli.core.models import AuditEntry
from tests.personas import Hierarchy

STRONG = "qiang-mima-2026-linli"


def _create(*args: str) -> str:
    out = StringIO()
    with override("en"):  # the messages are matched in English below
        call_command("create_staff", *args, "--password", STRONG, stdout=out)
    return out.getvalue()


def test_it_creates_a_district_admin(hierarchy: Hierarchy) -> None:
    out = _create("--username", "admin1", "--role", "district_admin", "--district", "T140404")
    user = User.objects.get(username="admin1")
    assert user.role == Role.DISTRICT_ADMIN
    assert user.district == hierarchy.district
    assert user.check_password(STRONG)
    assert "Created admin1" in out
    assert AuditEntry.objects.filter(action="create", object_id=str(user.pk)).exists()


def test_a_station_fills_in_its_community_and_subdistrict(hierarchy: Hierarchy) -> None:
    _create(
        "--username",
        "keeper1",
        "--role",
        "station_keeper",
        "--district",
        "T140404",
        "--station",
        "S001",
    )
    user = User.objects.get(username="keeper1")
    assert user.station == hierarchy.station_xingfu
    assert user.community == hierarchy.xingfu
    assert user.subdistrict == hierarchy.east
    assert user.scope.station_id == hierarchy.station_xingfu.pk


def test_a_community_fills_in_its_subdistrict(hierarchy: Hierarchy) -> None:
    _create(
        "--username",
        "c1",
        "--role",
        "community_staff",
        "--district",
        "T140404",
        "--community",
        "T14040402001",
    )
    user = User.objects.get(username="c1")
    assert (user.community, user.subdistrict) == (hierarchy.xiyuan, hierarchy.west)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--role", "community_staff", "--district", "T140404"], "needs its place"),
        (["--role", "subdistrict_staff", "--district", "T140404"], "needs its place"),
        (["--role", "district_admin", "--district", "NOPE"], "no district"),
        (
            [
                "--role",
                "community_staff",
                "--district",
                "T140404",
                "--community",
                "T14040402001",
                "--subdistrict",
                "T14040401",
            ],
            "not in this subdistrict",
        ),
        (
            [
                "--role",
                "station_keeper",
                "--district",
                "T140404",
                "--station",
                "S001",
                "--community",
                "T14040401002",
            ],
            "not in this community",
        ),
        (
            ["--role", "community_staff", "--district", "T999999", "--community", "T14040401001"],
            "no district",
        ),
    ],
)
def test_it_refuses_places_that_do_not_fit(
    hierarchy: Hierarchy, args: list[str], problem: str
) -> None:
    with pytest.raises(CommandError, match=problem):
        _create("--username", "x1", *args)
    assert not User.objects.filter(username="x1").exists()


def test_it_refuses_a_weak_password(hierarchy: Hierarchy) -> None:
    with pytest.raises(CommandError):
        call_command(
            "create_staff",
            "--username",
            "weak",
            "--role",
            "district_admin",
            "--district",
            "T140404",
            "--password",
            "123456",
            stdout=StringIO(),
        )
    assert not User.objects.filter(username="weak").exists()


def test_it_refuses_an_existing_username(hierarchy: Hierarchy, district_admin: User) -> None:
    with pytest.raises(CommandError, match="already exists"):
        _create("--username", "district_admin", "--role", "district_admin", "--district", "T140404")


def test_it_refuses_the_resident_role(hierarchy: Hierarchy) -> None:
    with pytest.raises(CommandError):
        _create("--username", "r1", "--role", "resident", "--district", "T140404")


def test_the_password_may_come_from_the_environment(
    hierarchy: Hierarchy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_STAFF_PASSWORD", STRONG)
    call_command(
        "create_staff",
        "--username",
        "env1",
        "--role",
        "district_admin",
        "--district",
        "T140404",
        stdout=StringIO(),
    )
    assert User.objects.get(username="env1").check_password(STRONG)
