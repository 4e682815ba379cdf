"""The service-hours certificate: registered under a serial number, drawn with the fields the
national rules ask for, only for the volunteer or by their community; someone else's is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import Role, User
from linli.activities import certificate
from linli.activities.models import ServiceRecord, VolunteerCertificate
from linli.areas.models import Community
from linli.core import pdf
from linli.core.exceptions import Forbidden, LinliError
from tests.pdfs import pages_text
from tests.personas import PASSWORD, Hierarchy, login

pytestmark = pytest.mark.django_db
needs_font = pytest.mark.skipif(not pdf.available(), reason="no CJK font")


@pytest.fixture
def volunteer(hierarchy: Hierarchy) -> User:
    user = User.objects.create_user(
        username="dangyuan",
        password=PASSWORD,
        role=Role.PARTY_MEMBER,
        real_name="赵红军",
        phone="13700001234",
        district=hierarchy.district,
        community=hierarchy.xingfu,
    )
    for days, hours, what, status in (
        (40, 3, "楼道清理", ServiceRecord.Status.CONFIRMED),
        (20, 2, "政策宣讲", ServiceRecord.Status.CONFIRMED),
        (2, 4, "还没确认的服务", ServiceRecord.Status.RECORDED),
    ):
        _record(user, hierarchy.xingfu, days, hours, what, status)
    return user


def _record(
    user: User, community: Community, days: int, hours: int, what: str, status: str
) -> ServiceRecord:
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=days)
    return ServiceRecord.objects.create(
        district=community.district,
        subdistrict=community.subdistrict,
        community=community,
        volunteer=user,
        started_at=start,
        ended_at=start + dt.timedelta(hours=hours),
        what=what,
        hours=Decimal(hours),
        status=status,
    )


def test_a_volunteer_gets_a_numbered_certificate_of_confirmed_hours(
    volunteer: User, hierarchy: Hierarchy
) -> None:
    issued = certificate.issue_certificate(
        actor=volunteer, volunteer=volunteer, community=hierarchy.xingfu
    )
    year = timezone.localdate().year
    assert issued.serial == f"ZYZM-{hierarchy.xingfu.code}-{year}-00001"
    assert (issued.hours, issued.duties) == (Decimal("5.00"), 2)
    # Asked again with nothing new: the same certificate, not a new number.
    again = certificate.issue_certificate(
        actor=volunteer, volunteer=volunteer, community=hierarchy.xingfu
    )
    assert again.pk == issued.pk
    _record(volunteer, hierarchy.xingfu, 1, 1, "助老服务", ServiceRecord.Status.CONFIRMED)
    newer = certificate.issue_certificate(
        actor=volunteer, volunteer=volunteer, community=hierarchy.xingfu
    )
    assert newer.serial.endswith("-00002")
    assert newer.hours == Decimal("6.00")


def test_a_certificate_for_someone_else_is_refused_and_nothing_is_recorded(
    volunteer: User, resident: User, other_community_staff: User, hierarchy: Hierarchy
) -> None:
    for actor in (resident, other_community_staff):
        with pytest.raises(Forbidden) as err:
            certificate.issue_certificate(
                actor=actor, volunteer=volunteer, community=hierarchy.xingfu
            )
        assert "志愿者本人" in str(err.value.message)
    assert not VolunteerCertificate.objects.exists()


def test_the_communitys_staff_may_issue_one_and_none_without_hours(
    volunteer: User, community_staff: User, other_community_staff: User, hierarchy: Hierarchy
) -> None:
    issued = certificate.issue_certificate(
        actor=community_staff, volunteer=volunteer, community=hierarchy.xingfu
    )
    assert issued.issued_by == community_staff
    with pytest.raises(LinliError) as err:
        certificate.issue_certificate(
            actor=volunteer, volunteer=volunteer, community=hierarchy.heping
        )
    assert hierarchy.heping.name in str(err.value.message)


@needs_font
def test_the_pdf_carries_the_fields_of_the_national_rules(
    volunteer: User, hierarchy: Hierarchy
) -> None:
    client = login(Client(), volunteer)
    reply = client.post(reverse("activities:certificate"), {"community": hierarchy.xingfu.pk})
    assert reply.status_code == 200
    assert reply["Content-Type"] == "application/pdf"
    (text,) = pages_text(reply.content)
    serial = VolunteerCertificate.objects.get().serial
    for expected in (
        "志愿服务记录证明",
        serial,
        "赵红军",
        "137****1234",
        certificate.volunteer_number(volunteer),
        "5.00",
        "楼道清理",
        "幸福里社区居民委员会",
        "负责人",
        "经办人",
        "出具日期",
    ):
        assert expected in text, expected
    assert "还没确认的服务" not in text


def test_the_pages_and_the_api_refuse_someone_elses_certificate(
    volunteer: User, resident: User, hierarchy: Hierarchy
) -> None:
    other = login(Client(), resident)
    reply = other.post(
        "/api/activities/duty/certificates",
        {"community_id": hierarchy.xingfu.pk, "volunteer_id": volunteer.pk},
        content_type="application/json",
    )
    assert reply.status_code == 403
    assert "志愿者本人" in reply.json()["message"]
    mine = login(Client(), volunteer)
    created = mine.post(
        "/api/activities/duty/certificates",
        {"community_id": hierarchy.xingfu.pk},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["hours"] == "5.00"
    assert other.get(f"/api/activities/duty/certificates/{pk}/pdf").status_code == 404
    assert VolunteerCertificate.objects.count() == 1
