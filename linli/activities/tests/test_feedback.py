"""Quarterly feedback: one workbook and one PDF for every unit and member of the user's area, with
the quarter's duties and hours; a subdistrict's staff get only their subdistrict."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.accounts.models import Role, User
from linli.activities import duty, feedback
from linli.activities.models import Registration, ServiceRecord
from linli.areas.models import Community
from linli.core import pdf
from linli.core.exceptions import Forbidden
from linli.places.models import Organisation
from tests.pdfs import pages_text
from tests.personas import PASSWORD, Hierarchy, login

pytestmark = pytest.mark.django_db
QUARTER = feedback.Quarter(2026, 3)


def _at(day: int, month: int, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour))


def _member(name: str, username: str, community: Community, phone: str) -> User:
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=Role.PARTY_MEMBER,
        real_name=name,
        phone=phone,
        district=community.district,
        community=community,
    )


def _approved(actor: User, community: Community, staff: User, **extra: str) -> Registration:
    registration = duty.submit_registration(
        actor=actor,
        data=duty.RegistrationInput(
            community=community,
            party_organisation=extra.get("party", "市税务局机关党委"),
            liaison_name="联络人",
            liaison_phone="13700001234",
            employer=extra.get("employer", "市税务局"),
        ),
    )
    return duty.approve_registration(actor=staff, registration_id=registration.pk)


def _record(
    volunteer: User, community: Community, start: dt.datetime, hours: int, what: str, **kw: object
) -> ServiceRecord:
    return ServiceRecord.objects.create(
        district=community.district,
        subdistrict=community.subdistrict,
        community=community,
        volunteer=volunteer,
        started_at=start,
        ended_at=start + dt.timedelta(hours=hours),
        what=what,
        hours=Decimal(hours),
        **kw,
    )


@pytest.fixture
def letters_data(
    hierarchy: Hierarchy,
    community_staff: User,
    other_community_staff: User,
    unit_liaison: User,
) -> dict[str, object]:
    """In 东关街道 (幸福里): a member with two duties in Q3 and one in Q4, and a unit with one;
    in 西街街道 (西园): another member."""
    zhao = _member("赵红军", "zhao", hierarchy.xingfu, "13700001234")
    _approved(zhao, hierarchy.xingfu, community_staff)
    unit = Organisation.objects.create(
        district=hierarchy.district, name="市供电公司东关营业所", kind=Organisation.Kind.UNIT
    )
    unit_liaison.organisation = unit
    unit_liaison.save(update_fields=["organisation"])
    _approved(unit_liaison, hierarchy.xingfu, community_staff, party="东关营业所党支部")
    confirmed = ServiceRecord.Status.CONFIRMED
    _record(zhao, hierarchy.xingfu, _at(9, 7, 9), 3, "楼道清理", status=confirmed)
    _record(zhao, hierarchy.xingfu, _at(20, 9, 14), 2, "政策宣讲")
    _record(zhao, hierarchy.xingfu, _at(1, 10, 9), 4, "下季度的服务", status=confirmed)
    _record(
        unit_liaison,
        hierarchy.xingfu,
        _at(12, 8, 9),
        5,
        "用电安全检查",
        unit=unit,
        status=confirmed,
    )
    qian = _member("钱立新", "qian", hierarchy.xiyuan, "13700005678")
    _approved(qian, hierarchy.xiyuan, other_community_staff, party="西街某局党委")
    _record(qian, hierarchy.xiyuan, _at(9, 7, 9), 6, "西园的服务", status=confirmed)
    return {"zhao": zhao, "unit": unit}


def test_the_quarters_letters_hold_its_duties_and_hours(
    letters_data: dict[str, object], subdistrict_staff: User
) -> None:
    letters = feedback.feedback_for(subdistrict_staff, QUARTER)
    by_name = {f.registration.reporter_name: f for f in letters}
    assert set(by_name) == {"赵红军", "市供电公司东关营业所"}  # not 西街街道's member
    member = by_name["赵红军"]
    assert [d.what for d in member.duties] == ["楼道清理", "政策宣讲"]
    assert (member.confirmed_hours, member.pending_hours) == (Decimal(3), Decimal(2))
    assert member.cumulative_hours == Decimal("7.00")  # every confirmed hour, any quarter
    assert member.recipient == "市税务局机关党委"
    unit = by_name["市供电公司东关营业所"]
    assert (unit.recipient, unit.confirmed_hours) == ("东关营业所党支部", Decimal(5))


def test_only_editors_get_feedback(letters_data: dict[str, object], station_keeper: User) -> None:
    with pytest.raises(Forbidden):
        feedback.feedback_for(station_keeper, QUARTER)


def test_a_quarter_that_does_not_exist_is_refused() -> None:
    assert feedback.Quarter.parse("2026", "4") == feedback.Quarter(2026, 4)
    with pytest.raises(duty.DutyRefused) as err:
        feedback.Quarter.parse("2026", "5")
    assert "2026 Q5" in str(err.value.message)
    assert feedback.Quarter(2026, 4).bounds()[1].date() == dt.date(2027, 1, 1)


def test_the_workbook_has_chinese_headers_a_row_per_letter_and_every_duty(
    letters_data: dict[str, object], subdistrict_staff: User
) -> None:
    client = login(Client(), subdistrict_staff)
    url = reverse("activities_console:feedback")
    reply = client.get(url, {"year": "2026", "quarter": "3", "format": "xlsx"})
    assert reply.status_code == 200
    assert reply["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "2026Q3" in reply["Content-Disposition"]
    book = load_workbook(io.BytesIO(reply.content))
    summary, duties = book.worksheets
    rows = list(summary.iter_rows(values_only=True))
    assert rows[0][:5] == ("街道", "社区", "类型", "报到单位或党员", "反馈接收党组织")
    assert sorted(str(r[3]) for r in rows[1:]) == ["市供电公司东关营业所", "赵红军"]
    done = sorted(str(r[5]) for r in duties.iter_rows(min_row=2, values_only=True))
    assert done == sorted(["楼道清理", "用电安全检查", "政策宣讲"])
    assert "西园的服务" not in str(list(duties.iter_rows(values_only=True)))


@pytest.mark.skipif(not pdf.available(), reason="no CJK font (make test installs fonts-noto-cjk)")
def test_the_pdf_has_one_letter_per_page_in_chinese(
    letters_data: dict[str, object], subdistrict_staff: User
) -> None:
    client = login(Client(), subdistrict_staff)
    url = reverse("activities_console:feedback")
    reply = client.get(url, {"year": "2026", "quarter": "3", "format": "pdf"})
    assert reply["Content-Type"] == "application/pdf"
    pages = pages_text(reply.content)
    assert len(pages) == 2
    member_page = next(p for p in pages if "赵红军" in p)
    for expected in ("致市税务局机关党委", "楼道清理", "政策宣讲", "幸福里社区"):
        assert expected in member_page
    assert "下季度的服务" not in member_page
    assert "西园" not in "".join(pages)


def test_a_community_staff_member_gets_only_their_community_and_a_keeper_nothing(
    letters_data: dict[str, object], other_community_staff: User, station_keeper: User
) -> None:
    url = reverse("activities_console:feedback")
    params = {"year": "2026", "quarter": "3", "format": "xlsx"}
    book = load_workbook(
        io.BytesIO(login(Client(), other_community_staff).get(url, params).content)
    )
    assert [r[3] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == ["钱立新"]
    assert login(Client(), station_keeper).get(url, params).status_code == 403


def test_a_bad_quarter_keeps_the_form_and_says_why(subdistrict_staff: User) -> None:
    reply = login(Client(), subdistrict_staff).get(
        reverse("activities_console:feedback"), {"year": "20x6", "quarter": "3", "format": "pdf"}
    )
    assert reply.status_code == 200
    assert reply["Content-Type"].startswith("text/html")
    assert 'value="20x6"' in reply.content.decode()
