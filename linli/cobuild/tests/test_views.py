"""Console pages: the roster page's scope, refusals beside the form, resources import/export."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time
from openpyxl import Workbook, load_workbook

from linli.accounts.models import User
from linli.cobuild import services
from linli.cobuild.models import CoBuildDay, DutyAssignment, Resource
from linli.cobuild.sheets import COLUMNS
from linli.cobuild.tests.conftest import YEAR, Rotation, resource_input
from linli.places.models import Organisation
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


def test_the_roster_page_shows_who_is_on_duty_and_why_a_unit_was_skipped(
    rotation: Rotation, as_user: Any, district_admin: User, community_staff: User
) -> None:
    with freeze_time("2026-01-01 10:00:00+08:00"):
        services.declare_unavailable(
            actor=district_admin, unit=rotation.units[0], day=rotation.days[0], reason="外出培训"
        )
        services.generate_roster(
            actor=district_admin,
            subdistrict=rotation.hierarchy.east,
            year=YEAR,
            today=__import__("datetime").date(2026, 1, 1),
        )
    url = f"/console/cobuild/subdistricts/{rotation.hierarchy.east.pk}/?year={YEAR}"
    page = as_user(community_staff).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "区税务局：已声明无法值班（外出培训）" in text
    assert "2026-05-08" in text  # Labour Day's first Friday moved


def test_the_roster_page_is_hidden_from_another_subdistrict(
    rotation: Rotation, as_user: Any, other_community_staff: User, resident: User
) -> None:
    url = f"/console/cobuild/subdistricts/{rotation.hierarchy.east.pk}/?year={YEAR}"
    assert as_user(other_community_staff).get(url).status_code == 404
    assert as_user(resident).get(url).status_code == 403


def test_an_unknown_year_is_flagged_on_the_page(
    hierarchy: Hierarchy, as_user: Any, subdistrict_staff: User
) -> None:
    client = as_user(subdistrict_staff)
    response = client.post(
        f"/console/cobuild/subdistricts/{hierarchy.east.pk}/plan/", {"year": "2099"}
    )
    assert response.status_code == 302
    page = client.get(f"/console/cobuild/subdistricts/{hierarchy.east.pk}/?year=2099")
    assert page.context["calendar"].year_known is False
    assert page.context["calendar"].unconfirmed == 12


@freeze_time("2026-01-01 10:00:00+08:00")
def test_a_refused_move_keeps_what_was_typed_beside_the_form(
    rotation: Rotation, as_user: Any, subdistrict_staff: User
) -> None:
    march = rotation.days[2]
    response = as_user(subdistrict_staff).post(
        f"/console/cobuild/days/{march.pk}/move/?year={YEAR}",
        {"date": "2026-04-03", "reason": "区运动会"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "区运动会" in text
    assert "2026-04-03" in text
    march.refresh_from_db()
    assert march.date.isoformat() == "2026-03-06"


@freeze_time("2026-01-01 10:00:00+08:00")
def test_a_swap_with_another_subdistrict_is_refused_on_the_page(
    rotation: Rotation, as_user: Any, district_admin: User
) -> None:
    for sub in (rotation.hierarchy.east, rotation.hierarchy.west):
        services.generate_roster(
            actor=district_admin,
            subdistrict=sub,
            year=YEAR,
            today=__import__("datetime").date(2026, 1, 1),
        )
    east = DutyAssignment.objects.get(day=rotation.days[0])
    west = DutyAssignment.objects.get(day=rotation.west_days[1])
    response = as_user(district_admin).post(
        f"/console/cobuild/subdistricts/{rotation.hierarchy.east.pk}/swaps/?year={YEAR}",
        {"duty": east.pk, "other": west.pk, "reason": "年会"},
    )
    assert response.status_code == 400
    assert "区图书馆" in response.content.decode()
    east.refresh_from_db()
    assert east.origin == DutyAssignment.Origin.ROTATION


def test_resources_page_lists_only_the_users_area(
    hierarchy: Hierarchy, as_user: Any, community_staff: User, other_community_staff: User
) -> None:
    services.create_resource(
        actor=community_staff, district=hierarchy.district, data=resource_input()
    )
    assert (
        "法律咨询" in as_user(community_staff).get("/console/cobuild/resources/").content.decode()
    )
    page = as_user(other_community_staff).get("/console/cobuild/resources/")
    assert "法律咨询" not in page.content.decode()
    rid = Resource.objects.get().pk
    assert (
        as_user(other_community_staff).get(f"/console/cobuild/resources/{rid}/").status_code == 404
    )


def test_a_refused_resource_form_keeps_its_values(
    hierarchy: Hierarchy, as_user: Any, community_staff: User
) -> None:
    response = as_user(community_staff).post(
        "/console/cobuild/resources/new/",
        {
            "title": "理发",
            "category": "skill",
            "skill": "other",
            "provider_kind": "party_member",
            "provider_name": "张三",
            "quantity": "2",
            "area": "T14040401/T14040401001",
            "station": "S001",
            "windows": "2026-01-09 09:00-12:00\n2026-01-09 11:00-13:00",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "理发" in text
    assert "2026-01-09 11:00-13:00" in text
    assert response.context["form"].errors["windows"]
    assert not Resource.objects.exists()


def _sheet(rows: list[list[Any]]) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.append([c.header for c in COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("r.xlsx", out.getvalue())


def test_an_import_with_one_bad_row_imports_nothing_and_names_the_row(
    hierarchy: Hierarchy, as_user: Any, community_staff: User
) -> None:
    good = [
        "法律咨询",
        "技能",
        "法律咨询",
        "T14040401",
        "T14040401001",
        "党员",
        "",
        "李明华",
        4,
        "人次",
        "S001",
        "",
        None,
        None,
        "2026-01-09 09:00-12:00",
        "",
    ]
    bad = list(good)
    bad[1] = "飞机"
    response = as_user(community_staff).post(
        "/console/cobuild/resources/import/", {"file": _sheet([good, bad])}
    )
    assert response.status_code == 400
    problems = response.context["report"].problems
    assert [(p.row, p.column) for p in problems] == [(3, "类别")]
    assert not Resource.objects.exists()
    # A row outside the user's community is refused by the service, named by row.
    other = list(good)
    other[4] = "T14040401002"
    response = as_user(community_staff).post(
        "/console/cobuild/resources/import/", {"file": _sheet([good, other])}
    )
    assert [p.row for p in response.context["report"].problems] == [3]
    assert not Resource.objects.exists()
    response = as_user(community_staff).post(
        "/console/cobuild/resources/import/", {"file": _sheet([good])}
    )
    assert response.status_code == 200
    assert Resource.objects.count() == 1


def test_the_export_stays_in_scope_and_never_writes_a_formula(
    hierarchy: Hierarchy, as_user: Any, community_staff: User, other_community_staff: User
) -> None:
    services.create_resource(
        actor=community_staff,
        district=hierarchy.district,
        data=resource_input(title='=HYPERLINK("http://x")'),
    )
    mine = load_workbook(
        io.BytesIO(as_user(community_staff).get("/console/cobuild/resources/export.xlsx").content)
    )
    cell = mine.worksheets[0].cell(row=2, column=1)
    assert str(cell.value).startswith("'=")
    assert cell.data_type == "s"
    theirs = load_workbook(
        io.BytesIO(
            as_user(other_community_staff).get("/console/cobuild/resources/export.xlsx").content
        )
    )
    assert theirs.worksheets[0].max_row == 1


def test_the_cli_prints_a_subdistricts_stored_days(
    rotation: Rotation, capsys: Any, subdistrict_staff: User
) -> None:
    from linli.cobuild.cli import run

    march = rotation.days[2]
    CoBuildDay.objects.filter(pk=march.pk).update(date="2026-03-13", reason="moved_by_staff")
    assert run(["days", "--year", "2026", "--subdistrict", "T14040401"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 12
    assert lines[2] == "2026-03-13"
    assert lines[4] == "2026-05-08"
    assert run(["days", "--year", "2026", "--subdistrict", "NOPE"]) == 2
    assert Organisation.objects.exists()
