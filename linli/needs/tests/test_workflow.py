"""The request loop: 受理 → 派单 → 办理 → 办结 → 回访 → 评价, its side branches and refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from linli.core.exceptions import Conflict, LinliError
from linli.core.models import AuditEntry
from linli.needs import services
from linli.needs.models import FollowUp, Need, NeedStep, Rating, Status
from linli.needs.tests.conftest import T0, walk

pytestmark = pytest.mark.django_db


def test_a_residents_need_is_routed_to_the_community_of_its_compound(
    need: Need, hierarchy: Any
) -> None:
    assert need.community == hierarchy.xingfu
    assert need.subdistrict == hierarchy.east
    assert need.status == Status.SUBMITTED
    assert need.urgency == "general"
    assert need.due_at is not None
    assert need.due_at.date() == dt.date(2026, 3, 11)
    assert need.contact_phone == "13900001111"
    assert list(need.steps.values_list("action", flat=True)) == ["submit"]
    assert AuditEntry.objects.filter(object_type="needs.need", object_id=str(need.pk)).exists()


def test_a_pin_is_routed_to_the_compound_of_the_nearest_gate(hierarchy: Any, resident: Any) -> None:
    need = services.raise_need(
        actor=resident,
        district=hierarchy.district,
        category="safety",
        description="路灯不亮",
        lon=113.0702,
        lat=36.1801,
        now=T0,
    )
    assert need.compound == hierarchy.compound_xingfu
    assert need.urgency == "urgent"
    assert need.due_at == T0 + dt.timedelta(hours=2)


def test_a_pin_outside_the_district_is_refused_and_nothing_is_saved(
    hierarchy: Any, resident: Any
) -> None:
    with pytest.raises(LinliError) as err:
        services.raise_need(
            actor=resident,
            district=hierarchy.district,
            category="safety",
            description="路灯不亮",
            lon=116.4,
            lat=39.9,
            now=T0,
        )
    assert err.value.code == "outside_district"
    assert "outside" in str(err.value.message) or "区" in str(err.value.message)
    assert not Need.objects.exists()


def test_the_whole_loop_logs_every_step(need: Need, community_staff: Any, resident: Any) -> None:
    need = walk(need, community_staff, upto="resolve")
    assert need.status == Status.RESOLVED
    need = services.log_follow_up(
        actor=community_staff,
        need_id=need.pk,
        outcome="reached",
        note="居民说已清理",
        now=T0 + dt.timedelta(days=1),
    )
    assert need.status == Status.FOLLOWED_UP
    need = services.rate_need(
        actor=resident,
        need_id=need.pk,
        level="satisfied",
        comment="很快",
        now=T0 + dt.timedelta(days=1),
    )
    assert need.status == Status.RATED
    assert need.rating_level == "satisfied"
    assert list(need.steps.values_list("action", flat=True)) == [
        "submit",
        "accept",
        "dispatch",
        "start",
        "resolve",
        "follow_up",
        "rate",
    ]
    assert FollowUp.objects.get(need=need).outcome == "reached"


def test_a_step_out_of_order_is_refused_with_the_status_and_the_possible_steps(
    need: Need, community_staff: Any
) -> None:
    with pytest.raises(Conflict) as err:
        services.resolve_need(actor=community_staff, need_id=need.pk, public_note="好了")
    assert err.value.code == "step_out_of_order"
    message = str(err.value.message)
    assert "已提交" in message or "Submitted" in message
    need.refresh_from_db()
    assert need.status == Status.SUBMITTED
    assert need.steps.count() == 1


def test_a_dissatisfied_rating_can_reopen_with_a_new_deadline(
    need: Need, community_staff: Any, resident: Any
) -> None:
    need = walk(need, community_staff, upto="resolve")
    later = T0 + dt.timedelta(days=2)
    need = services.rate_need(
        actor=resident, need_id=need.pk, level="dissatisfied", reopen=True, now=later
    )
    assert need.status == Status.IN_PROGRESS
    assert need.reopen_count == 1
    assert need.resolved_at is None
    assert need.due_at is not None
    assert need.due_at.date() == dt.date(2026, 3, 13)
    assert Rating.objects.filter(need=need).count() == 1


def test_only_a_dissatisfied_rating_may_reopen(
    need: Need, community_staff: Any, resident: Any
) -> None:
    need = walk(need, community_staff, upto="resolve")
    with pytest.raises(LinliError):
        services.rate_need(actor=resident, need_id=need.pk, level="satisfied", reopen=True)
    assert not Rating.objects.exists()


def test_a_resident_cannot_rate_someone_elses_need(
    need: Need, community_staff: Any, hierarchy: Any
) -> None:
    from linli.accounts.models import Role
    from tests.personas import _user

    need = walk(need, community_staff, upto="resolve")
    stranger = _user("13900002222", Role.RESIDENT, district=hierarchy.district)
    with pytest.raises(Http404):
        services.rate_need(actor=stranger, need_id=need.pk, level="dissatisfied")
    assert not Rating.objects.exists()


def test_return_sends_it_back_for_re_dispatch(need: Need, community_staff: Any) -> None:
    need = walk(need, community_staff, upto="start")
    need = services.return_need(actor=community_staff, need_id=need.pk, internal_note="不归我们管")
    assert need.status == Status.ACCEPTED


def test_an_extension_is_decided_by_the_level_above_not_the_community(
    need: Need, community_staff: Any, subdistrict_staff: Any
) -> None:
    need = walk(need, community_staff, upto="start")
    assert need.due_at is not None
    until = need.due_at + dt.timedelta(days=5)
    services.request_extension(
        actor=community_staff, need_id=need.pk, until=until, reason="等配件", now=T0
    )
    with pytest.raises(PermissionDenied):
        services.decide_extension(actor=community_staff, need_id=need.pk, approve=True)
    need = services.decide_extension(actor=subdistrict_staff, need_id=need.pk, approve=True)
    assert need.due_at == until
    assert not need.extension_pending
    assert need.steps.filter(action=NeedStep.Action.APPROVE_EXTENSION).exists()


def test_another_communitys_staff_cannot_read_or_act(
    need: Need, other_community_staff: Any
) -> None:
    with pytest.raises(Http404):
        services.accept_need(actor=other_community_staff, need_id=need.pk, public_summary="x")
    need.refresh_from_db()
    assert need.status == Status.SUBMITTED


def test_a_station_keeper_reads_but_does_not_accept(need: Need, station_keeper: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.accept_need(actor=station_keeper, need_id=need.pk, public_summary="x")


def test_a_keeper_raises_a_need_on_a_residents_behalf_only_in_their_community(
    hierarchy: Any, station_keeper: Any
) -> None:
    need = services.raise_need(
        actor=station_keeper,
        district=hierarchy.district,
        category="elderly_care",
        description="独居老人需要助餐",
        compound=hierarchy.compound_xingfu,
        channel="station",
        contact_name="李秀兰",
        contact_phone="13700001234",
        now=T0,
    )
    assert need.raised_by == station_keeper
    assert need.resident is None
    assert need.contact_name == "李秀兰"


def test_the_sweep_reminds_then_escalates_once(need: Need, community_staff: Any) -> None:
    assert need.due_at is not None
    assert services.sweep_deadlines(now=need.due_at - dt.timedelta(days=2)) == (0, 0)
    assert services.sweep_deadlines(now=need.due_at - dt.timedelta(hours=3)) == (1, 0)
    assert services.sweep_deadlines(now=need.due_at - dt.timedelta(hours=2)) == (0, 0)
    assert services.sweep_deadlines(now=need.due_at + dt.timedelta(minutes=1)) == (0, 1)
    assert services.sweep_deadlines(now=need.due_at + dt.timedelta(hours=1)) == (0, 0)
    actions = list(need.steps.values_list("action", flat=True))
    assert actions == ["submit", "remind", "escalate"]


def test_a_need_the_community_cannot_meet_goes_on_the_needs_list(
    need: Need, community_staff: Any, station_keeper: Any, hierarchy: Any
) -> None:
    from linli.needs.queries import open_needs_for_cobuild

    assert list(open_needs_for_cobuild(hierarchy.district.pk)) == []
    with pytest.raises(Conflict):
        services.put_on_needs_list(actor=community_staff, need_id=need.pk)
    need = walk(need, community_staff, upto="accept")
    with pytest.raises(PermissionDenied):
        services.put_on_needs_list(actor=station_keeper, need_id=need.pk)
    services.put_on_needs_list(actor=community_staff, need_id=need.pk, public_note="列入共建日")
    listed = list(open_needs_for_cobuild(hierarchy.district.pk))
    assert listed == [need]
    assert listed[0].resident is not None
    with pytest.raises(LinliError):
        services.put_on_needs_list(actor=community_staff, need_id=need.pk)
    walk(need, community_staff, upto="resolve")
    assert list(open_needs_for_cobuild(hierarchy.district.pk)) == []


def test_a_unit_handles_what_was_dispatched_to_it_and_nothing_else(
    need: Need, community_staff: Any, hierarchy: Any
) -> None:
    from linli.accounts.models import Role
    from linli.needs import permissions
    from linli.places.models import Organisation
    from tests.personas import _user

    unit = Organisation.objects.create(
        district=hierarchy.district, name="区供电公司", kind=Organisation.Kind.UNIT
    )
    other = Organisation.objects.create(
        district=hierarchy.district, name="区自来水公司", kind=Organisation.Kind.UNIT
    )
    liaison = _user("power", Role.UNIT_LIAISON, district=hierarchy.district, organisation=unit)
    stranger = _user("water", Role.UNIT_LIAISON, district=hierarchy.district, organisation=other)
    assert list(permissions.needs_for_user(liaison)) == []
    need = walk(need, community_staff, upto="accept")
    services.dispatch_need(actor=community_staff, need_id=need.pk, organisation_id=unit.pk)
    assert list(permissions.needs_for_user(liaison)) == [need]
    with pytest.raises(Http404):
        services.start_need(actor=stranger, need_id=need.pk)
    with pytest.raises(PermissionDenied):
        services.put_on_needs_list(actor=liaison, need_id=need.pk)
    services.start_need(actor=liaison, need_id=need.pk)
    need = services.resolve_need(actor=liaison, need_id=need.pk, public_note="线路已修复")
    assert need.status == Status.RESOLVED
