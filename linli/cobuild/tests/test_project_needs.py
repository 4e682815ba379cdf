"""A project's steps move its need through the needs app, and the resident's rating closes both."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from linli.accounts.models import User
from linli.cobuild import services
from linli.cobuild.models import Project, ProjectEntry
from linli.core.exceptions import LinliError
from linli.needs import services as needs
from linli.needs.models import FollowUp, Need, NeedStep
from linli.places.models import Organisation
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


@pytest.fixture
def need(hierarchy: Hierarchy, resident: User) -> Need:
    return Need.objects.create(
        district=hierarchy.district,
        subdistrict=hierarchy.east,
        community=hierarchy.xingfu,
        resident=resident,
        category="facilities",
        urgency="general",
        scale="shared",
        on_needs_list=True,
        status="accepted",
        description="楼道灯坏了一个月",
        public_summary="楼道灯维修",
        submitted_at=timezone.now(),
    )


@pytest.fixture
def unit(hierarchy: Hierarchy) -> Organisation:
    return Organisation.objects.create(district=hierarchy.district, name="区供电公司", kind="unit")


@pytest.fixture
def project(need: Need, community_staff: User) -> Project:
    return services.create_project(actor=community_staff, need=need, title="楼道灯维修")


def _advance(actor: User, project: Project, times: int = 1, **kw: Any) -> Project:
    for _ in range(times):
        project = services.advance_project(actor=actor, project=project, **kw)
    return project


def _status(need: Need) -> str:
    need.refresh_from_db()
    return need.status


def test_the_projects_steps_carry_the_need_from_dispatch_to_resolved(
    project: Project, need: Need, unit: Organisation, community_staff: User
) -> None:
    services.claim_project(actor=community_staff, project=project, organisation=unit)
    assert _status(need) == "dispatched"
    assert need.assigned_organisation == unit
    _advance(community_staff, project)  # 实施中
    assert _status(need) == "in_progress"
    _advance(community_staff, project)  # 待验收: the community has not checked the work yet
    assert _status(need) == "in_progress"
    _advance(community_staff, project, note="灯已全部换新")  # 居民评价
    assert _status(need) == "resolved"
    resolved = need.steps.get(action=NeedStep.Action.RESOLVE)
    assert "区供电公司" in resolved.public_note
    assert "楼道灯维修" in resolved.public_note
    assert "灯已全部换新" in resolved.public_note


def test_the_residents_rating_closes_the_need_and_the_project(
    project: Project,
    need: Need,
    unit: Organisation,
    community_staff: User,
    resident: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    services.claim_project(actor=community_staff, project=project, organisation=unit)
    _advance(community_staff, project, times=3)
    with django_capture_on_commit_callbacks(execute=True):
        needs.rate_need(actor=resident, need_id=need.pk, level="fairly")
    project.refresh_from_db()
    assert (project.state, project.evaluation) == ("closed", "basically_satisfied")
    assert _status(need) == "rated"
    last = ProjectEntry.objects.filter(project=project).last()
    assert last is not None
    assert last.actor is None
    assert last.to_state == "closed"


def test_a_dissatisfied_resident_asking_again_sends_the_project_back_to_work(
    project: Project,
    need: Need,
    unit: Organisation,
    community_staff: User,
    resident: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    services.claim_project(actor=community_staff, project=project, organisation=unit)
    _advance(community_staff, project, times=3)
    with django_capture_on_commit_callbacks(execute=True):
        needs.rate_need(actor=resident, need_id=need.pk, level="dissatisfied", reopen=True)
    project.refresh_from_db()
    assert (project.state, project.evaluation) == ("in_progress", "")
    assert _status(need) == "in_progress"


def test_a_rating_before_the_community_accepted_the_work_leaves_the_project(
    project: Project,
    need: Need,
    unit: Organisation,
    community_staff: User,
    resident: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    services.claim_project(actor=community_staff, project=project, organisation=unit)
    _advance(community_staff, project)
    needs.resolve_need(actor=community_staff, need_id=need.pk, public_note="社区已自行修好")
    with django_capture_on_commit_callbacks(execute=True):
        needs.rate_need(actor=resident, need_id=need.pk, level="satisfied")
    project.refresh_from_db()
    assert project.state == "in_progress"
    # The need was resolved in the needs app: the project's later steps leave it alone.
    _advance(community_staff, project, times=2)
    assert _status(need) == "rated"


def test_a_need_handled_by_another_unit_is_returned_and_handed_to_the_claimer(
    project: Project, need: Need, unit: Organisation, community_staff: User, hierarchy: Hierarchy
) -> None:
    other = Organisation.objects.create(district=hierarchy.district, name="物业公司", kind="unit")
    needs.dispatch_need(actor=community_staff, need_id=need.pk, organisation_id=other.pk)
    services.claim_project(actor=community_staff, project=project, organisation=unit)
    need.refresh_from_db()
    assert (need.status, need.assigned_organisation) == ("dispatched", unit)
    actions = list(need.steps.order_by("at", "pk").values_list("action", flat=True))
    assert actions[-3:] == ["dispatch", "return", "dispatch"]


def test_staff_closing_with_an_evaluation_they_collected_log_it_on_the_need(
    project: Project, need: Need, unit: Organisation, community_staff: User
) -> None:
    services.claim_project(actor=community_staff, project=project, organisation=unit)
    _advance(community_staff, project, times=3)
    _advance(community_staff, project, evaluation="satisfied")
    assert _status(need) == "followed_up"
    follow_up = FollowUp.objects.get(need=need)
    assert follow_up.outcome == "reached"
    assert "满意" in follow_up.note


def test_a_step_the_need_refuses_refuses_the_project_step_and_changes_nothing(
    project: Project, need: Need, unit: Organisation, community_staff: User, monkeypatch: Any
) -> None:
    services.claim_project(actor=community_staff, project=project, organisation=unit)

    def refuse(**kwargs: Any) -> Need:
        from linli.core.exceptions import Conflict

        raise Conflict("这条诉求已经变了", code="step_out_of_order")

    monkeypatch.setattr(needs, "start_need", refuse)
    with pytest.raises(LinliError) as caught:
        _advance(community_staff, project)
    assert caught.value.code == "step_out_of_order"
    project.refresh_from_db()
    assert project.state == "claimed"
    assert ProjectEntry.objects.filter(project=project).count() == 2
    assert _status(need) == "dispatched"


@pytest.fixture
def liaison(hierarchy: Hierarchy, unit: Organisation) -> User:
    from linli.accounts.models import Role

    return User.objects.create_user(
        username="liaison",
        role=Role.UNIT_LIAISON,
        real_name="王联络",
        district=hierarchy.district,
        community=hierarchy.heping,
        organisation=unit,
    )


def test_a_units_liaison_claims_for_his_unit_and_the_community_hands_him_the_need(
    project: Project,
    need: Need,
    unit: Organisation,
    liaison: User,
    community_staff: User,
    as_user: Any,
) -> None:
    client = as_user(liaison)
    listed = client.get("/console/cobuild/projects/?state=open")
    assert listed.status_code == 200
    assert "楼道灯维修" in listed.content.decode()
    url = f"/console/cobuild/projects/{project.pk}/"
    page = client.get(url).content.decode()
    assert "区供电公司" in page
    assert client.post(url, {"action": "claim", "organisation": unit.pk}).status_code == 302
    project.refresh_from_db()
    assert (project.state, project.claimed_by) == ("claimed", unit)
    assert _status(need) == "accepted"  # the liaison may not dispatch: the community does
    # He cannot start it himself; the community does, which hands the need to his unit.
    refused = client.post(url, {"action": "advance"})
    assert refused.status_code == 403
    _advance(community_staff, project)
    need.refresh_from_db()
    assert (need.status, need.assigned_organisation) == ("in_progress", unit)
    # Now he reports the work done, and may go no further.
    assert client.post(url, {"action": "advance", "note": "已换灯"}).status_code == 302
    project.refresh_from_db()
    assert project.state == "awaiting_acceptance"
    assert client.post(url, {"action": "advance"}).status_code == 403


def test_a_liaison_may_not_claim_for_another_unit_nor_a_closed_project(
    project: Project, hierarchy: Hierarchy, liaison: User, unit: Organisation
) -> None:
    other = Organisation.objects.create(district=hierarchy.district, name="物业公司", kind="unit")
    with pytest.raises(LinliError) as caught:
        services.claim_project(actor=liaison, project=project, organisation=other)
    assert caught.value.code == "forbidden"
    Project.objects.filter(pk=project.pk).update(state=Project.State.CLOSED)
    with pytest.raises(LinliError) as caught:
        services.claim_project(actor=liaison, project=project, organisation=unit)
    assert caught.value.code == "project_closed"
    project.refresh_from_db()
    assert project.claimed_by is None


def test_a_liaison_sees_only_his_subdistricts_projects_and_no_staff_tools(
    project: Project, hierarchy: Hierarchy, liaison: User, as_user: Any, resident: User
) -> None:
    liaison.community = hierarchy.xiyuan  # another subdistrict
    liaison.save()
    client = as_user(liaison)
    assert client.get(f"/console/cobuild/projects/{project.pk}/").status_code == 404
    page = client.get("/console/cobuild/projects/").content.decode()
    assert "楼道灯维修" not in page
    assert "/console/cobuild/projects/import/" not in page
    assert client.get("/console/cobuild/projects/export.xlsx").status_code == 403
    assert as_user(resident).get("/console/cobuild/projects/").status_code == 403
