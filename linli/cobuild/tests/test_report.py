"""The day's report: duties, activities with persons / person-times / hours, projects — in xlsx
and in a PDF with Chinese text, each reader getting their own area's part."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from linli.accounts.models import User
from linli.activities import services as activities
from linli.activities.models import Activity, CheckIn
from linli.cobuild import services
from linli.cobuild.models import DutyAssignment, Project, ProjectEntry
from linli.cobuild.tests.conftest import Rotation
from linli.needs.models import Need
from linli.places.models import Organisation
from tests.pdfs import pages_text, save_pages

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 1, 9)


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(DAY, dt.time(hour, minute)))


def make_activity(actor: User, *, title: str, station: Any) -> Activity:
    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    starts = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)
    data = activities.ActivityInput(
        title=title,
        category="training",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        station=station,
    )
    return activities.create_activity(actor=actor, data=data)


def _checkin(activity: Activity, key: str, start: int, end: int | None) -> CheckIn:
    return CheckIn.objects.create(
        district_id=activity.district_id,
        subdistrict_id=activity.subdistrict_id,
        community_id=activity.community_id,
        station_id=activity.station_id,
        category=activity.category,
        activity=activity,
        occurrence=_at(9),
        person_key=key,
        name="张三",
        phone="13900000000",
        method="list",
        checked_in_at=_at(start),
        checked_out_at=_at(end) if end else None,
    )


@pytest.fixture
def day_with_work(rostered: Rotation, community_staff: User, other_community_staff: User) -> Any:
    h = rostered.hierarchy
    january = rostered.days[0]
    assert january.date == DAY
    clinic = make_activity(community_staff, title="义诊进社区", station=h.station_xingfu)
    _checkin(clinic, "p1", 9, 11)
    _checkin(clinic, "p2", 9, 10)
    _checkin(clinic, "p3", 9, None)  # never checked out: counted, no hours
    west = make_activity(other_community_staff, title="西园调解", station=h.station_xiyuan)
    _checkin(west, "p9", 9, 12)  # another subdistrict: not in the east's report
    need = Need.objects.create(
        district=h.district,
        subdistrict=h.east,
        community=h.xingfu,
        category="facilities",
        urgency="general",
        on_needs_list=True,
        status="accepted",
        description="楼道灯",
        public_summary="楼道灯维修",
        submitted_at=timezone.now(),
    )
    project = services.create_project(actor=community_staff, need=need, title="楼道灯维修")
    unit = Organisation.objects.create(district=h.district, name="区自来水公司", kind="unit")
    services.claim_project(actor=community_staff, project=project, organisation=unit)
    ProjectEntry.objects.filter(project=project).update(at=_at(10))
    return january


def test_the_report_counts_the_subdistricts_day(
    day_with_work: Any, subdistrict_staff: User
) -> None:
    from linli.cobuild import report

    built = report.build(subdistrict_staff, day_with_work)
    duty = DutyAssignment.objects.get(day=day_with_work)
    assert built.on_duty == [duty.unit.organisation.name]
    assert [(a.title, a.persons, a.person_times, a.hours) for a in built.activities] == [
        ("义诊进社区", 3, 3, Decimal(3))
    ]
    assert (built.persons, built.person_times, built.hours) == (3, 3, Decimal(3))
    assert [(p.title, p.unit, p.state) for p in built.projects] == [
        ("楼道灯维修", "区自来水公司", str(Project.State.CLAIMED.label))
    ]
    assert "待认领 → 已认领" in built.projects[0].steps


def test_the_xlsx_and_the_pdf_carry_the_day_in_chinese(
    day_with_work: Any, subdistrict_staff: User, as_user: Any
) -> None:
    client = as_user(subdistrict_staff)
    base = f"/console/cobuild/days/{day_with_work.pk}/report"
    response = client.get(f"{base}.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert summary["人次"] == 3
    assert "义诊进社区" in [r[0] for r in book.worksheets[2].iter_rows(values_only=True)]
    response = client.get(f"{base}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(pages_text(response.content))
    assert "东关街道" in text
    assert "城市共建日" in text
    assert "义诊进社区" in text
    assert "楼道灯维修" in text
    assert "张三" not in text  # counts only, no names
    save_pages(response.content, "cobuild-day-report")


def test_another_subdistricts_staff_get_no_report_and_a_community_gets_its_part(
    day_with_work: Any, other_community_staff: User, resident: User, as_user: Any
) -> None:
    url = f"/console/cobuild/days/{day_with_work.pk}/report.xlsx"
    assert as_user(other_community_staff).get(url).status_code == 404
    assert as_user(resident).get(url).status_code == 403
