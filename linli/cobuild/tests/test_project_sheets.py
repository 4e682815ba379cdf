"""Excel: the projects list out and in (all rows or none), the needs list out — within scope."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from linli.accounts.models import User
from linli.cobuild import services
from linli.cobuild.models import Project
from linli.needs.models import Need
from linli.places.models import Community, Organisation
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


def _need(hierarchy: Hierarchy, community: Community, summary: str, **kw: Any) -> Need:
    values: dict[str, Any] = {
        "district": hierarchy.district,
        "subdistrict": community.subdistrict,
        "community": community,
        "category": "facilities",
        "urgency": "general",
        "scale": "shared",
        "on_needs_list": True,
        "status": "accepted",
        "description": "楼道灯坏了一个月",
        "public_summary": summary,
        "contact_name": "张三丰",
        "contact_phone": "13912345678",
        "submitted_at": timezone.now(),
    }
    values.update(kw)
    return Need.objects.create(**values)


def _sheet(rows: list[list[Any]]) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("projects.xlsx", out.getvalue())


def _rows(content: bytes) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture
def unit(hierarchy: Hierarchy) -> Organisation:
    return Organisation.objects.create(district=hierarchy.district, name="区供电公司", kind="unit")


def test_an_import_creates_and_claims_projects_for_needs_on_the_list(
    hierarchy: Hierarchy, community_staff: User, unit: Organisation, as_user: Any
) -> None:
    lamp = _need(hierarchy, hierarchy.xingfu, "楼道灯维修")
    bench = _need(hierarchy, hierarchy.xingfu, "小广场座椅")
    upload = _sheet(
        [
            ["项目名称", "需求编号", "认领单位"],
            ["楼道灯维修", lamp.pk, "区供电公司"],
            ["座椅更换", bench.pk, ""],
        ]
    )
    response = as_user(community_staff).post("/console/cobuild/projects/import/", {"file": upload})
    assert response.status_code == 200
    assert response.context["report"].created == 2
    projects = {p.title: p for p in Project.objects.all()}
    assert projects["楼道灯维修"].state == "claimed"
    assert projects["楼道灯维修"].claimed_by == unit
    assert projects["座椅更换"].state == "open"


def test_one_bad_row_imports_nothing_and_each_problem_names_its_row(
    hierarchy: Hierarchy, community_staff: User, unit: Organisation, as_user: Any
) -> None:
    lamp = _need(hierarchy, hierarchy.xingfu, "楼道灯维修")
    elsewhere = _need(hierarchy, hierarchy.xiyuan, "西苑路灯")
    closed = services.create_project(actor=community_staff, need=lamp, title="旧项目")
    Project.objects.filter(pk=closed.pk).update(state=Project.State.CLOSED)
    upload = _sheet(
        [
            ["项目编号", "项目名称", "需求编号", "认领单位"],
            ["", "楼道灯维修", lamp.pk, "区供电公司"],
            ["", "西苑路灯", elsewhere.pk, ""],
            ["", "", lamp.pk, "不存在的单位"],
            [closed.pk, "旧项目", lamp.pk, "区供电公司"],
        ]
    )
    client = as_user(community_staff)
    response = client.post("/console/cobuild/projects/import/", {"file": upload})
    assert response.status_code == 400
    problems = [(p.row, p.column) for p in response.context["report"].problems]
    assert (3, "需求编号") in problems  # another community's need
    assert (4, "项目名称") in problems
    assert (4, "认领单位") in problems
    assert Project.objects.count() == 1
    page = response.content.decode()
    assert "不存在的单位" in page

    # With the bad rows gone, the claim on the closed project is refused by the service.
    upload = _sheet(
        [
            ["项目编号", "项目名称", "需求编号", "认领单位"],
            ["", "楼道灯维修", lamp.pk, "区供电公司"],
            [closed.pk, "旧项目", lamp.pk, "区供电公司"],
        ]
    )
    response = client.post("/console/cobuild/projects/import/", {"file": upload})
    assert response.status_code == 400
    assert [p.row for p in response.context["report"].problems] == [3]
    assert Project.objects.count() == 1
    assert Project.objects.get().claimed_by is None


def test_the_export_stays_in_scope_and_imports_back_unchanged(
    hierarchy: Hierarchy,
    community_staff: User,
    other_community_staff: User,
    unit: Organisation,
    as_user: Any,
) -> None:
    mine = services.create_project(
        actor=community_staff,
        need=_need(hierarchy, hierarchy.xingfu, "=HYPERLINK(1)"),
        title="=1+1 楼道灯",
    )
    services.claim_project(actor=community_staff, project=mine, organisation=unit)
    services.create_project(
        actor=other_community_staff,
        need=_need(hierarchy, hierarchy.xiyuan, "西苑路灯"),
        title="西苑路灯",
    )
    client = as_user(community_staff)
    content = client.get("/console/cobuild/projects/export.xlsx").content
    rows = _rows(content)
    assert rows[0][:3] == ("项目编号", "项目名称", "需求编号")
    assert [r[1] for r in rows[1:]] == ["'=1+1 楼道灯"]  # text, never a formula
    assert rows[1][7] == "区供电公司"
    response = client.post(
        "/console/cobuild/projects/import/",
        {"file": SimpleUploadedFile("p.xlsx", content)},
    )
    assert response.status_code == 200, response.context["report"].problems
    assert Project.objects.count() == 2


def test_the_needs_list_export_is_the_users_area_without_personal_data(
    hierarchy: Hierarchy, community_staff: User, as_user: Any
) -> None:
    _need(hierarchy, hierarchy.xingfu, "楼道灯维修")
    _need(hierarchy, hierarchy.xiyuan, "西苑路灯")
    _need(hierarchy, hierarchy.xingfu, "不在清单上", on_needs_list=False)
    response = as_user(community_staff).get("/console/cobuild/projects/needs-list.xlsx")
    rows = _rows(response.content)
    assert [r[2] for r in rows[1:]] == ["楼道灯维修"]
    flat = " ".join(str(v) for r in rows for v in r)
    assert "张三丰" not in flat
    assert "13912345678" not in flat


def test_residents_and_liaisons_get_no_sheet(
    resident: User, unit_liaison: User, as_user: Any
) -> None:
    for user in (resident, unit_liaison):
        client = as_user(user)
        assert client.get("/console/cobuild/projects/export.xlsx").status_code == 403
        assert client.get("/console/cobuild/projects/needs-list.xlsx").status_code == 403
        assert client.post("/console/cobuild/projects/import/").status_code == 403


def test_a_file_that_is_not_a_workbook_is_refused_with_a_message(
    community_staff: User, as_user: Any
) -> None:
    response = as_user(community_staff).post(
        "/console/cobuild/projects/import/",
        {"file": SimpleUploadedFile("x.xlsx", b"not a zip")},
    )
    assert response.status_code == 400
    assert response.context["report"].problems
