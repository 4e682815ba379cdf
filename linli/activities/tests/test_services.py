"""The services: what they record, what they refuse (and that a refusal changes nothing)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone
from freezegun import freeze_time

from linli.accounts.sms import ConsoleSender
from linli.activities import schedule, services
from linli.activities.exceptions import (
    AlreadyCheckedIn,
    AlreadySignedUp,
    CheckOutRefused,
    DoorCodeRefused,
    InvalidActivity,
    SignUpRefused,
)
from linli.activities.models import Activity, CheckIn, SignUp
from linli.core.models import AuditEntry

from .conftest import make_activity, resident_with, tomorrow_at

pytestmark = pytest.mark.django_db


def test_community_staff_create_an_activity_at_their_station(training: Any, hierarchy: Any) -> None:
    assert training.community == hierarchy.xingfu
    assert training.subdistrict == hierarchy.east
    assert AuditEntry.objects.filter(object_type="activities.activity", action="create").exists()


def test_it_refuses_an_activity_at_another_communitys_station(
    community_staff: Any, hierarchy: Any
) -> None:
    with pytest.raises(InvalidActivity) as err:
        make_activity(community_staff, station=hierarchy.station_xiyuan)
    assert err.value.details["field"] == "station"
    assert not Activity.objects.exists()


def test_it_refuses_an_end_before_the_start(community_staff: Any, hierarchy: Any) -> None:
    with pytest.raises(InvalidActivity) as err:
        make_activity(
            community_staff,
            station=hierarchy.station_xingfu,
            starts_at=tomorrow_at(11),
            ends_at=tomorrow_at(9),
        )
    assert err.value.details["field"] == "ends_at"


def test_it_refuses_a_rule_it_cannot_read(community_staff: Any, hierarchy: Any) -> None:
    with pytest.raises(InvalidActivity) as err:
        make_activity(community_staff, station=hierarchy.station_xingfu, rrule="FREQ=HOURLY")
    assert "FREQ=HOURLY" in str(err.value.message)


def test_a_weekly_activity_has_a_session_each_week(community_staff: Any, hierarchy: Any) -> None:
    activity = make_activity(
        community_staff, station=hierarchy.station_xingfu, rrule="FREQ=WEEKLY;COUNT=4"
    )
    now = timezone.now()
    starts = [
        o.start
        for o in schedule.occurrences(activity, after=now, until=now + dt.timedelta(days=60))
    ]
    assert len(starts) == 4
    assert starts[1] - starts[0] == dt.timedelta(days=7)
    assert timezone.localtime(starts[3]).hour == 9


def test_sign_up_past_capacity_goes_to_the_waiting_list(training: Any, hierarchy: Any) -> None:
    occ = training.starts_at
    a, b, c = (resident_with(f"1390000000{i}", hierarchy) for i in range(3))
    assert services.sign_up(actor=a, activity_id=training.pk, occurrence=occ).status == "confirmed"
    assert services.sign_up(actor=b, activity_id=training.pk, occurrence=occ).status == "confirmed"
    third = services.sign_up(actor=c, activity_id=training.pk, occurrence=occ)
    assert third.status == SignUp.Status.WAITING


def test_cancelling_frees_the_place_for_the_first_waiting_who_is_told(
    training: Any, hierarchy: Any
) -> None:
    occ = training.starts_at
    a, b, c, d = (resident_with(f"1390000000{i}", hierarchy) for i in range(4))
    first = services.sign_up(actor=a, activity_id=training.pk, occurrence=occ)
    services.sign_up(actor=b, activity_id=training.pk, occurrence=occ)
    waiting_first = services.sign_up(actor=c, activity_id=training.pk, occurrence=occ)
    waiting_second = services.sign_up(actor=d, activity_id=training.pk, occurrence=occ)

    services.cancel_signup(actor=a, signup_id=first.pk)

    waiting_first.refresh_from_db()
    waiting_second.refresh_from_db()
    assert waiting_first.status == SignUp.Status.CONFIRMED
    assert waiting_second.status == SignUp.Status.WAITING
    assert [phone for phone, _ in ConsoleSender.sent] == ["13900000002"]
    assert training.title in ConsoleSender.sent[0][1]


def test_a_second_sign_up_with_the_same_phone_is_refused(training: Any, resident: Any) -> None:
    services.sign_up(actor=resident, activity_id=training.pk, occurrence=training.starts_at)
    with pytest.raises(AlreadySignedUp):
        services.sign_up(actor=resident, activity_id=training.pk, occurrence=training.starts_at)
    assert SignUp.objects.count() == 1


def test_sign_up_for_a_time_without_a_session_is_refused(training: Any, resident: Any) -> None:
    with pytest.raises(SignUpRefused):
        services.sign_up(
            actor=resident,
            activity_id=training.pk,
            occurrence=training.starts_at + dt.timedelta(hours=1),
        )
    assert not SignUp.objects.exists()


def test_staff_sign_up_an_elderly_resident_by_name_and_phone(
    training: Any, community_staff: Any
) -> None:
    signup = services.register_on_behalf(
        actor=community_staff,
        activity_id=training.pk,
        occurrence=training.starts_at,
        name="张桂兰",
        phone="139 0000 7777",
    )
    assert signup.phone == "13900007777"
    assert signup.user is None
    assert signup.registered_by == community_staff
    entry = AuditEntry.objects.get(object_type="activities.signup")
    assert "13900007777" not in str(entry.changes)
    assert "张桂兰" not in entry.object_repr


def test_a_bad_phone_number_is_refused_by_name(training: Any, community_staff: Any) -> None:
    with pytest.raises(SignUpRefused) as err:
        services.register_on_behalf(
            actor=community_staff,
            activity_id=training.pk,
            occurrence=training.starts_at,
            name="张桂兰",
            phone="12345",
        )
    assert "12345" in str(err.value.message)
    assert err.value.details["field"] == "phone"
    assert not SignUp.objects.exists()


def test_another_communitys_staff_cannot_sign_people_up(
    training: Any, other_community_staff: Any
) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        services.register_on_behalf(
            actor=other_community_staff,
            activity_id=training.pk,
            occurrence=training.starts_at,
            name="张桂兰",
            phone="13900007777",
        )
    assert not SignUp.objects.exists()


# --------------------------------------------------------------------------------- check-in


def _at_session(activity: Activity) -> Any:
    return freeze_time(activity.starts_at + dt.timedelta(minutes=5))


def test_a_signed_up_resident_checks_in_with_the_door_code(training: Any, resident: Any) -> None:
    services.sign_up(actor=resident, activity_id=training.pk, occurrence=training.starts_at)
    with _at_session(training):
        code = services.door_code(training, training.starts_at)
        checkin = services.check_in_by_code(actor=resident, code=code)
    assert checkin.method == "qr"
    assert checkin.community_id == training.community_id
    assert checkin.person_key == "p13900001111"


def test_a_second_check_in_is_refused_and_counted_once(training: Any, resident: Any) -> None:
    services.sign_up(actor=resident, activity_id=training.pk, occurrence=training.starts_at)
    with _at_session(training):
        code = services.door_code(training, training.starts_at)
        services.check_in_by_code(actor=resident, code=code)
        with pytest.raises(AlreadyCheckedIn):
            services.check_in_by_code(actor=resident, code=code)
    assert CheckIn.objects.count() == 1


def test_a_stale_door_code_is_refused(training: Any, resident: Any) -> None:
    services.sign_up(actor=resident, activity_id=training.pk, occurrence=training.starts_at)
    with freeze_time(training.starts_at - dt.timedelta(minutes=30)):
        code = services.door_code(training, training.starts_at)
    with _at_session(training), pytest.raises(DoorCodeRefused) as err:
        services.check_in_by_code(actor=resident, code=code)
    assert err.value.code == "door_code_expired"
    assert not CheckIn.objects.exists()


def test_a_forged_door_code_is_refused(training: Any, resident: Any) -> None:
    services.sign_up(actor=resident, activity_id=training.pk, occurrence=training.starts_at)
    with _at_session(training):
        code = services.door_code(training, training.starts_at)
        forged = code[:-3] + ("aaa" if not code.endswith("aaa") else "bbb")
        with pytest.raises(DoorCodeRefused) as err:
            services.check_in_by_code(actor=resident, code=forged)
    assert err.value.code == "door_code_forged"
    assert not CheckIn.objects.exists()


def test_a_code_of_a_session_that_is_not_on_is_refused(training: Any, resident: Any) -> None:
    services.sign_up(actor=resident, activity_id=training.pk, occurrence=training.starts_at)
    with freeze_time(training.ends_at + dt.timedelta(minutes=1)):
        code = services.door_code(training, training.starts_at)
        with pytest.raises(DoorCodeRefused) as err:
            services.check_in_by_code(actor=resident, code=code)
    assert err.value.code == "door_code_not_now"


def test_someone_without_a_place_cannot_check_in(training: Any, hierarchy: Any) -> None:
    stranger = resident_with("13911112222", hierarchy)
    with _at_session(training):
        code = services.door_code(training, training.starts_at)
        with pytest.raises(DoorCodeRefused) as err:
            services.check_in_by_code(actor=stranger, code=code)
    assert err.value.code == "not_signed_up"


def test_a_tick_sent_twice_counts_once(
    training: Any, station_keeper: Any, community_staff: Any
) -> None:
    signup = services.register_on_behalf(
        actor=community_staff,
        activity_id=training.pk,
        occurrence=training.starts_at,
        name="张桂兰",
        phone="13900007777",
    )
    tick_id = uuid.uuid4()
    with _at_session(training):
        first = services.tick(actor=station_keeper, tick_id=tick_id, signup_id=signup.pk)
        again = services.tick(actor=station_keeper, tick_id=tick_id, signup_id=signup.pk)
        other_device = services.tick(
            actor=station_keeper, tick_id=uuid.uuid4(), signup_id=signup.pk
        )
    assert (first.status, again.status, other_device.status) == ("recorded", "duplicate", "already")
    assert CheckIn.objects.count() == 1


def test_another_communitys_keeper_cannot_tick(
    training: Any, other_community_staff: Any, community_staff: Any
) -> None:
    from django.http import Http404

    signup = services.register_on_behalf(
        actor=community_staff,
        activity_id=training.pk,
        occurrence=training.starts_at,
        name="张桂兰",
        phone="13900007777",
    )
    with pytest.raises(Http404):
        services.tick(actor=other_community_staff, tick_id=uuid.uuid4(), signup_id=signup.pk)
    assert not CheckIn.objects.exists()


def test_volunteer_duty_checks_out_with_hours(
    community_staff: Any, station_keeper: Any, hierarchy: Any
) -> None:
    duty = make_activity(community_staff, station=hierarchy.station_xingfu, category="volunteer")
    signup = services.register_on_behalf(
        actor=community_staff,
        activity_id=duty.pk,
        occurrence=duty.starts_at,
        name="李志强",
        phone="13900005555",
    )
    with freeze_time(duty.starts_at):
        result = services.tick(actor=station_keeper, tick_id=uuid.uuid4(), signup_id=signup.pk)
    assert result.checkin_id is not None
    with freeze_time(duty.starts_at + dt.timedelta(hours=2, minutes=10)):
        checkin = services.check_out(actor=station_keeper, checkin_id=result.checkin_id)
        with pytest.raises(CheckOutRefused):
            services.check_out(actor=station_keeper, checkin_id=result.checkin_id)
    assert checkin.hours == 2


def test_a_training_has_no_check_out(training: Any, resident: Any) -> None:
    services.sign_up(actor=resident, activity_id=training.pk, occurrence=training.starts_at)
    with _at_session(training):
        checkin = services.check_in_by_code(
            actor=resident, code=services.door_code(training, training.starts_at)
        )
        with pytest.raises(CheckOutRefused):
            services.check_out(actor=resident, checkin_id=checkin.pk)
    checkin.refresh_from_db()
    assert checkin.checked_out_at is None
