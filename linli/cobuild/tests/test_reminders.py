"""Reminders ahead of each co-construction day: who is texted, when, once, and what staff see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from linli.accounts.models import Role, User
from linli.accounts.sms import ConsoleSender
from linli.cobuild import services
from linli.cobuild.models import CoBuildDay, DayReminder, DutyAssignment
from linli.cobuild.services.days import policy_for
from linli.cobuild.services.reminders import send_day_reminders
from linli.cobuild.tests.conftest import TODAY, Rotation
from linli.core.exceptions import LinliError

pytestmark = pytest.mark.django_db

Outbox = list[tuple[str, str]]
JANUARY_DAY = dt.date(2026, 1, 9)  # the first working Friday of 2026 (1 Jan is a holiday week)


@pytest.fixture(autouse=True)
def outbox() -> Iterator[list[tuple[str, str]]]:
    ConsoleSender.sent.clear()
    yield ConsoleSender.sent
    ConsoleSender.sent.clear()


def _person(rotation: Rotation, username: str, role: Role, phone: str, **kw: Any) -> User:
    return User.objects.create_user(
        username=username,
        role=role,
        real_name=username,
        phone=phone,
        district=rotation.hierarchy.district,
        **kw,
    )


@pytest.fixture
def people(rostered: Rotation) -> dict[str, Any]:
    """A liaison of January's east unit on duty, a party member in each subdistrict."""
    h = rostered.hierarchy
    january = rostered.days[0]
    duty = DutyAssignment.objects.filter(day=january).select_related("unit__organisation").get()
    liaison = _person(
        rostered,
        "王联络",
        Role.UNIT_LIAISON,
        "13800000001",
        organisation=duty.unit.organisation,
        community=h.xingfu,
    )
    member = _person(rostered, "李党员", Role.PARTY_MEMBER, "13800000002", community=h.heping)
    west_member = _person(rostered, "赵党员", Role.PARTY_MEMBER, "13800000003", community=h.xiyuan)
    no_phone = _person(rostered, "钱党员", Role.PARTY_MEMBER, "", community=h.xingfu)
    return {
        "january": january,
        "unit": duty.unit.organisation,
        "liaison": liaison,
        "member": member,
        "west_member": west_member,
        "no_phone": no_phone,
    }


def test_nothing_is_sent_before_the_window_opens(people: dict[str, Any], outbox: Outbox) -> None:
    assert people["january"].date == JANUARY_DAY
    assert send_day_reminders(today=JANUARY_DAY - dt.timedelta(days=4)) == []
    assert outbox == []


def test_the_unit_on_duty_and_the_reported_party_members_are_texted_once(
    people: dict[str, Any], outbox: Outbox
) -> None:
    today = JANUARY_DAY - dt.timedelta(days=3)  # the default: three days ahead
    rows = send_day_reminders(today=today)
    east_texts = {phone: message for phone, message in outbox if phone != "13800000003"}
    assert set(east_texts) == {"13800000001", "13800000002"}
    assert people["unit"].name in east_texts["13800000001"]
    assert "2026-01-09" in east_texts["13800000001"]
    assert "值" in east_texts["13800000001"] or "duty" in east_texts["13800000001"]
    # The west subdistrict's day is the same date: its member hears of his own subdistrict's.
    west = [m for p, m in outbox if p == "13800000003"]
    assert len(west) == 1
    assert people["january"].subdistrict.name not in west[0]
    # The member without a mobile is not texted, nor recorded as reminded.
    assert not DayReminder.objects.filter(user=people["no_phone"]).exists()
    assert {r.kind for r in rows if r.day == people["january"]} == {"duty", "member"}
    stored = DayReminder.objects.get(user=people["liaison"])
    assert stored.phone_masked == "138****0001"
    assert stored.status == DayReminder.Status.SENT

    # A second run, even on the next day, sends nothing new.
    sent = len(outbox)
    assert send_day_reminders(today=today) == []
    assert send_day_reminders(today=today + dt.timedelta(days=1)) == []
    assert len(outbox) == sent
    assert DayReminder.objects.filter(day=people["january"]).count() == 2


def test_a_day_moved_after_the_reminders_is_announced_again(
    people: dict[str, Any], outbox: Outbox, district_admin: User
) -> None:
    january = people["january"]
    send_day_reminders(today=JANUARY_DAY - dt.timedelta(days=2))
    services.move_day(
        actor=district_admin,
        day=january,
        date=dt.date(2026, 1, 10),
        reason="场地改期",
        today=TODAY,
    )
    outbox.clear()
    rows = send_day_reminders(today=JANUARY_DAY - dt.timedelta(days=1))
    assert {r.date for r in rows} == {dt.date(2026, 1, 10)}
    assert any("2026-01-10" in m for p, m in outbox if p == "13800000002")


def test_a_unit_on_duty_without_a_liaisons_mobile_is_recorded_unreachable(
    people: dict[str, Any], outbox: Outbox
) -> None:
    people["liaison"].phone = ""
    people["liaison"].save()
    send_day_reminders(today=JANUARY_DAY)
    row = DayReminder.objects.get(day=people["january"], kind=DayReminder.Kind.DUTY)
    assert (row.status, row.name, row.organisation) == (
        DayReminder.Status.UNREACHABLE,
        people["unit"].name,
        people["unit"],
    )
    assert send_day_reminders(today=JANUARY_DAY) == []  # recorded once, too


def test_the_subdistrict_chooses_how_many_days_ahead_or_none(
    people: dict[str, Any], outbox: Outbox, subdistrict_staff: User
) -> None:
    east = people["january"].subdistrict
    services.set_policy(
        actor=subdistrict_staff,
        subdistrict=east,
        holiday_rule="first_working_friday",
        units_per_day=1,
        remind_days_ahead=7,
    )
    send_day_reminders(today=JANUARY_DAY - dt.timedelta(days=7))
    assert {p for p, _m in outbox} == {"13800000001", "13800000002"}  # west waits: 3 days
    services.set_policy(
        actor=subdistrict_staff,
        subdistrict=east,
        holiday_rule="first_working_friday",
        units_per_day=1,
        remind_days_ahead=0,
    )
    DayReminder.objects.all().delete()
    outbox.clear()
    send_day_reminders(today=JANUARY_DAY)
    assert {p for p, _m in outbox} == {"13800000003"}


def test_a_lead_time_out_of_range_is_refused_and_changes_nothing(
    people: dict[str, Any], subdistrict_staff: User
) -> None:
    east = people["january"].subdistrict
    with pytest.raises(LinliError) as refused:
        services.set_policy(
            actor=subdistrict_staff,
            subdistrict=east,
            holiday_rule="keep",
            units_per_day=2,
            remind_days_ahead=30,
        )
    assert refused.value.code == "invalid_remind_days_ahead"
    assert policy_for(east).holiday_rule == "first_working_friday"


def test_an_unconfirmed_day_is_not_announced(
    rotation: Rotation, district_admin: User, outbox: Outbox
) -> None:
    h = rotation.hierarchy
    _person(rotation, "孙党员", Role.PARTY_MEMBER, "13800000009", community=h.xingfu)
    days = services.plan_days(actor=district_admin, subdistrict=h.east, year=2099)
    first = days[0]
    assert send_day_reminders(today=first.date) == []
    services.confirm_day(actor=district_admin, day=first)
    assert len(send_day_reminders(today=first.date)) == 1


def test_a_failing_text_keeps_no_row_and_is_tried_again(
    people: dict[str, Any], outbox: Outbox
) -> None:
    class Broken:
        def send(self, *, phone: str, message: str) -> None:
            raise OSError("gateway down")

    rows = send_day_reminders(today=JANUARY_DAY, sender=Broken())
    # Only the west unit nobody can text is recorded (it has no liaison); no text counts as sent.
    assert [(r.name, r.status) for r in rows] == [("区图书馆", DayReminder.Status.UNREACHABLE)]
    assert not DayReminder.objects.filter(status=DayReminder.Status.SENT).exists()
    send_day_reminders(today=JANUARY_DAY)
    assert {"13800000001", "13800000002"} <= {p for p, _m in outbox}


def test_the_command_enqueues_the_task_which_the_worker_runs(
    people: dict[str, Any], outbox: Outbox, capsys: Any
) -> None:
    with freeze_time(dt.datetime(2026, 1, 8, 1, 0, tzinfo=dt.UTC)):
        call_command("cobuild_remind")  # the tests' task backend runs it at once
        assert "enqueued" in capsys.readouterr().out
        assert {"13800000001", "13800000002", "13800000003"} == {p for p, _m in outbox}
        call_command("cobuild_remind", "--now")
        assert "0 reminder(s)" in capsys.readouterr().out


def test_staff_see_who_was_reminded_and_other_readers_see_member_names_masked(
    people: dict[str, Any], as_user: Any, subdistrict_staff: User, community_staff: User
) -> None:
    send_day_reminders(today=JANUARY_DAY)
    january: CoBuildDay = people["january"]
    url = f"/console/cobuild/subdistricts/{january.subdistrict_id}/?year=2026"
    page = as_user(subdistrict_staff).get(url).content.decode()
    assert "李党员" in page
    assert "138****0002" in page
    assert people["unit"].name in page
    assert "13800000002" not in page
    page = as_user(community_staff).get(url).content.decode()
    assert "李党员" not in page
    assert "李**" in page


def test_the_rules_form_saves_the_lead_time_and_keeps_a_refused_value(
    people: dict[str, Any], as_user: Any, subdistrict_staff: User
) -> None:
    east = people["january"].subdistrict
    client = as_user(subdistrict_staff)
    url = f"/console/cobuild/subdistricts/{east.pk}/policy/?year=2026"
    data = {"holiday_rule": "keep", "units_per_day": "1", "remind_days_ahead": "5"}
    assert client.post(url, data).status_code == 302
    assert policy_for(east).remind_days_ahead == 5
    response = client.post(url, {**data, "remind_days_ahead": "99"})
    assert response.status_code == 400
    assert 'value="99"' in response.content.decode()
    assert policy_for(east).remind_days_ahead == 5


def test_the_calendar_api_lists_the_reminders_masked(
    people: dict[str, Any], as_user: Any, community_staff: User, other_community_staff: User
) -> None:
    send_day_reminders(today=JANUARY_DAY)
    east = people["january"].subdistrict
    url = f"/api/cobuild/calendar?subdistrict_id={east.pk}&year=2026"
    days = as_user(community_staff).get(url).json()["days"]
    reminders = days[0]["reminders"]
    assert {(r["kind"], r["name"], r["phone"], r["status"]) for r in reminders} == {
        ("duty", people["unit"].name, "138****0001", "sent"),
        ("member", "李**", "138****0002", "sent"),
    }
    assert all(d["reminders"] == [] for d in days[1:])
    assert as_user(other_community_staff).get(url).status_code == 404
