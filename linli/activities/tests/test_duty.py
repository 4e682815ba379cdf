"""双报到 and the service record: approval with a receipt, return with a reason, hours that may
not overlap, stars from confirmed hours, and the scope refusals by page and API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import Role, User
from linli.activities import duty
from linli.activities.models import Registration, ServiceRecord, StarTier, stars_for
from linli.places.models import Organisation
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def party_member(hierarchy: Any) -> User:
    return User.objects.create_user(
        username="dangyuan",
        password=PASSWORD,
        role=Role.PARTY_MEMBER,
        real_name="赵红军",
        phone="13700001234",
        district=hierarchy.district,
        community=hierarchy.xingfu,
    )


@pytest.fixture
def liaison(hierarchy: Any, unit_liaison: User) -> User:
    unit = Organisation.objects.create(
        district=hierarchy.district, name="市供电公司东关营业所", kind=Organisation.Kind.UNIT
    )
    unit_liaison.organisation = unit
    unit_liaison.save(update_fields=["organisation"])
    return unit_liaison


def _member_registration(member: User, hierarchy: Any) -> Registration:
    return duty.submit_registration(
        actor=member,
        data=duty.RegistrationInput(
            community=hierarchy.xingfu,
            party_organisation="市供电公司党委",
            liaison_name="赵红军",
            liaison_phone="13700001234",
            employer="市供电公司",
            skills="电工",
        ),
    )


def _hours_ago(hours: float) -> dt.datetime:
    return timezone.now().replace(microsecond=0) - dt.timedelta(hours=hours)


def test_a_member_reports_and_community_staff_approve_with_a_receipt(
    party_member: User, community_staff: User, hierarchy: Any
) -> None:
    registration = _member_registration(party_member, hierarchy)
    assert registration.status == Registration.Status.PENDING
    approved = duty.approve_registration(actor=community_staff, registration_id=registration.pk)
    year = timezone.localtime().year
    assert approved.receipt_number == f"SBD-{hierarchy.xingfu.code}-{year}-0001"
    assert party_member.party_member.employer == "市供电公司"


def test_a_unit_reports_and_is_returned_with_a_reason(
    liaison: User, community_staff: User, hierarchy: Any
) -> None:
    registration = duty.submit_registration(
        actor=liaison,
        data=duty.RegistrationInput(
            community=hierarchy.xingfu,
            party_organisation="东关营业所党支部",
            liaison_name="钱立新",
            liaison_phone="13600001111",
            offers="用电安全检查；志愿者10人",
        ),
    )
    with pytest.raises(duty.DutyRefused) as err:
        duty.return_registration(actor=community_staff, registration_id=registration.pk, reason=" ")
    assert err.value.details["field"] == "reason"
    returned = duty.return_registration(
        actor=community_staff, registration_id=registration.pk, reason="请补充党组织联系人"
    )
    assert returned.status == Registration.Status.RETURNED
    assert returned.receipt_number == ""


def test_another_communitys_staff_cannot_see_or_decide(
    party_member: User, other_community_staff: User, hierarchy: Any
) -> None:
    registration = _member_registration(party_member, hierarchy)
    with pytest.raises(Http404):
        duty.approve_registration(actor=other_community_staff, registration_id=registration.pk)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.PENDING
    assert not duty.registrations_for_user(other_community_staff).exists()


def test_hours_exclude_travel_and_overlapping_hours_are_refused(
    party_member: User, hierarchy: Any
) -> None:
    first = duty.log_service(
        actor=party_member,
        community=hierarchy.xingfu,
        started_at=_hours_ago(5),
        ended_at=_hours_ago(2),
        travel_minutes=40,
        what="楼道清理",
    )
    assert first.hours == Decimal("3.00")
    with pytest.raises(duty.OverlappingService) as err:
        duty.log_service(
            actor=party_member,
            community=hierarchy.xingfu,
            started_at=_hours_ago(3),
            ended_at=_hours_ago(1),
            what="助老服务",
        )
    assert "楼道清理" in str(err.value.message)
    assert ServiceRecord.objects.count() == 1
    # Back to back is fine.
    duty.log_service(
        actor=party_member,
        community=hierarchy.xingfu,
        started_at=_hours_ago(2),
        ended_at=_hours_ago(1),
        what="助老服务",
    )
    assert ServiceRecord.objects.count() == 2


def test_stars_come_from_confirmed_hours_and_tiers_are_configurable(
    party_member: User, community_staff: User, hierarchy: Any
) -> None:
    assert [stars_for(Decimal(h), (100, 300, 600, 1000, 1500)) for h in (99, 100, 1500)] == [
        0,
        1,
        5,
    ]
    record = duty.log_service(
        actor=party_member,
        community=hierarchy.xingfu,
        started_at=_hours_ago(9),
        ended_at=_hours_ago(1),
        what="城市共建日",
    )
    assert duty.standing(party_member).stars == 0
    assert duty.standing(party_member).pending_hours == Decimal("8.00")
    duty.confirm_service(actor=community_staff, record_id=record.pk)
    for stars, hours in enumerate((5, 50, 100, 200, 300), start=1):
        StarTier.objects.create(district=hierarchy.district, stars=stars, min_hours=hours)
    standing = duty.standing(party_member)
    assert (standing.hours, standing.stars, standing.next_at) == (Decimal("8.00"), 1, 50)


def test_a_volunteer_asks_for_a_correction_of_their_own_record_only(
    party_member: User, resident: User, hierarchy: Any
) -> None:
    record = duty.log_service(
        actor=party_member,
        community=hierarchy.xingfu,
        started_at=_hours_ago(4),
        ended_at=_hours_ago(3),
        what="义诊引导",
    )
    with pytest.raises(Http404):
        duty.request_correction(actor=resident, record_id=record.pk, text="改成两小时")
    duty.request_correction(actor=party_member, record_id=record.pk, text="应为两小时")
    record.refresh_from_db()
    assert record.correction_request == "应为两小时"


def test_the_service_page_shows_hours_and_refuses_overlap_keeping_the_input(
    as_user: Any, party_member: User, hierarchy: Any
) -> None:
    client = as_user(party_member)
    url = reverse("activities:my_service")
    fmt = "%Y-%m-%dT%H:%M"
    body = {
        "community": hierarchy.xingfu.pk,
        "started_at": timezone.localtime(_hours_ago(5)).strftime(fmt),
        "ended_at": timezone.localtime(_hours_ago(3)).strftime(fmt),
        "travel_minutes": 30,
        "what": "垃圾分类宣传",
    }
    assert client.post(url, body).status_code == 302
    again = client.post(url, {**body, "what": "重复的时段"})
    assert again.status_code == 200
    html = again.content.decode()
    assert "重复的时段" in html
    assert "垃圾分类宣传" in html
    assert ServiceRecord.objects.count() == 1


def test_console_pages_are_scoped(
    as_user: Any,
    party_member: User,
    community_staff: User,
    other_community_staff: User,
    hierarchy: Any,
) -> None:
    registration = _member_registration(party_member, hierarchy)
    record = duty.log_service(
        actor=party_member,
        community=hierarchy.xingfu,
        started_at=_hours_ago(4),
        ended_at=_hours_ago(3),
        what="义诊引导",
    )
    theirs = as_user(other_community_staff)
    assert "赵红军" not in theirs.get(reverse("activities_console:registrations")).content.decode()
    assert "义诊引导" not in theirs.get(reverse("activities_console:records")).content.decode()
    decide = theirs.post(
        reverse("activities_console:decide", args=[registration.pk]), {"decision": "approve"}
    )
    assert decide.status_code == 404
    assert theirs.post(reverse("activities_console:confirm", args=[record.pk])).status_code == 404
    mine = as_user(community_staff)
    assert "义诊引导" in mine.get(reverse("activities_console:records")).content.decode()
    assert mine.post(reverse("activities_console:confirm", args=[record.pk])).status_code == 302
    record.refresh_from_db()
    assert record.status == ServiceRecord.Status.CONFIRMED


def test_a_receipt_is_only_the_reporters(
    as_user: Any, party_member: User, community_staff: User, resident: User, hierarchy: Any
) -> None:
    registration = _member_registration(party_member, hierarchy)
    duty.approve_registration(actor=community_staff, registration_id=registration.pk)
    url = reverse("activities:receipt", args=[registration.pk])
    assert registration.community.name in as_user(party_member).get(url).content.decode()
    assert as_user(resident).get(url).status_code == 404
