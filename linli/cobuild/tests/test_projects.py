"""Projects (项目清单): claimed by a unit, carried through to 销号 — and the refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from linli.accounts.models import User
from linli.cobuild import services
from linli.cobuild.models import Project, ProjectEntry
from linli.core.exceptions import LinliError
from linli.needs.models import Need
from linli.places.models import Organisation
from tests.personas import Hierarchy

pytestmark = pytest.mark.django_db


def _need(hierarchy: Hierarchy, community: Any) -> Need:
    return Need.objects.create(
        district=hierarchy.district,
        subdistrict=community.subdistrict,
        community=community,
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
def project(hierarchy: Hierarchy, community_staff: User) -> Project:
    return services.create_project(
        actor=community_staff, need=_need(hierarchy, hierarchy.xingfu), title="楼道灯维修"
    )


@pytest.fixture
def unit(hierarchy: Hierarchy) -> Organisation:
    return Organisation.objects.create(district=hierarchy.district, name="区供电公司", kind="unit")


def test_a_unit_claims_a_project_and_it_runs_to_closing(
    project: Project, unit: Organisation, community_staff: User
) -> None:
    services.claim_project(actor=community_staff, project=project, organisation=unit)
    for _ in range(3):
        services.advance_project(actor=community_staff, project=project, note="进展")
    project.refresh_from_db()
    assert project.state == Project.State.AWAITING_EVALUATION
    with pytest.raises(LinliError) as caught:
        services.advance_project(actor=community_staff, project=project)
    assert caught.value.code == "evaluation_required"
    services.advance_project(actor=community_staff, project=project, evaluation="satisfied")
    project.refresh_from_db()
    assert (project.state, project.claimed_by, project.evaluation) == ("closed", unit, "satisfied")
    assert ProjectEntry.objects.filter(project=project).count() == 6


def test_a_claim_on_a_closed_project_is_refused_and_changes_nothing(
    project: Project, unit: Organisation, community_staff: User
) -> None:
    Project.objects.filter(pk=project.pk).update(state=Project.State.CLOSED)
    with pytest.raises(LinliError) as caught:
        services.claim_project(actor=community_staff, project=project, organisation=unit)
    assert caught.value.code == "project_closed"
    project.refresh_from_db()
    assert project.claimed_by is None
    assert ProjectEntry.objects.filter(project=project).count() == 1


def test_another_communitys_staff_cannot_see_or_claim_it(
    project: Project, unit: Organisation, other_community_staff: User, as_user: Any
) -> None:
    assert (
        as_user(other_community_staff).get(f"/console/cobuild/projects/{project.pk}/").status_code
        == 404
    )
    with pytest.raises(LinliError):
        services.claim_project(actor=other_community_staff, project=project, organisation=unit)


def test_the_page_refuses_a_second_claim_with_a_message(
    project: Project, unit: Organisation, community_staff: User, as_user: Any
) -> None:
    client = as_user(community_staff)
    url = f"/console/cobuild/projects/{project.pk}/"
    assert client.post(url, {"action": "claim", "organisation": unit.pk}).status_code == 302
    response = client.post(url, {"action": "claim", "organisation": unit.pk})
    assert response.status_code == 409
    assert "区供电公司" in response.content.decode()


def test_a_community_puts_only_its_own_open_needs_on_the_list(
    hierarchy: Hierarchy, community_staff: User, as_user: Any
) -> None:
    mine = _need(hierarchy, hierarchy.xingfu)
    theirs = _need(hierarchy, hierarchy.xiyuan)
    client = as_user(community_staff)
    page = client.get("/console/cobuild/projects/new/")
    assert [n.pk for n in page.context["needs"]] == [mine.pk]
    refused = client.post("/console/cobuild/projects/new/", {"need": theirs.pk, "title": "x"})
    assert refused.status_code == 400
    assert not Project.objects.exists()
    done = client.post("/console/cobuild/projects/new/", {"need": mine.pk, "title": "楼道灯"})
    assert done.status_code == 302
    assert Project.objects.get().need == mine
    listed = client.get("/console/cobuild/projects/").content.decode()
    assert "楼道灯" in listed


def test_proposals_pair_an_open_need_with_a_resource_and_explain_it(
    hierarchy: Hierarchy, community_staff: User, as_user: Any, monkeypatch: Any
) -> None:
    import numpy as np

    from linli.cobuild import proposals
    from linli.cobuild.tests.conftest import resource_input

    need = _need(hierarchy, hierarchy.xingfu)
    Need.objects.filter(pk=need.pk).update(lon=113.0705, lat=36.1805)
    services.create_resource(
        actor=community_staff,
        district=hierarchy.district,
        data=resource_input(title="水电维修", skill="repair", windows=()),
    )
    hierarchy.district.network_file = "test.osm.pbf"
    hierarchy.district.save()
    monkeypatch.setattr(proposals, "_graph", lambda district: None)
    monkeypatch.setattr(
        "linli.cobuild.walking.walking_matrix", lambda graph, **kw: np.array([[420.0]])
    )
    page = as_user(community_staff).get("/console/cobuild/projects/proposals/")
    assert page.status_code == 200
    rows = page.context["result"].rows
    assert [(r.need.pk, r.resource.title) for r in rows] == [(need.pk, "水电维修")]
    assert "420" in rows[0].sentence
    assert page.context["result"].proven_optimal
    assert not Project.objects.exists()  # nothing assigned behind staff's back


def test_without_a_street_network_proposals_say_why(
    hierarchy: Hierarchy, community_staff: User, as_user: Any
) -> None:
    from linli.cobuild.tests.conftest import resource_input

    _need(hierarchy, hierarchy.xingfu)
    services.create_resource(
        actor=community_staff,
        district=hierarchy.district,
        data=resource_input(skill="repair", windows=()),
    )
    page = as_user(community_staff).get("/console/cobuild/projects/proposals/")
    assert page.context["result"].rows == []
    assert page.context["result"].problem


def test_the_api_lists_projects_in_scope_and_refuses_a_claim_on_a_closed_one(
    project: Project,
    unit: Organisation,
    community_staff: User,
    other_community_staff: User,
    as_user: Any,
) -> None:
    assert [
        p["id"] for p in as_user(other_community_staff).get("/api/cobuild/projects").json()
    ] == []
    client = as_user(community_staff)
    assert [p["id"] for p in client.get("/api/cobuild/projects").json()] == [project.pk]
    Project.objects.filter(pk=project.pk).update(state=Project.State.CLOSED)
    response = client.post(
        f"/api/cobuild/projects/{project.pk}/claim",
        data={"organisation_id": unit.pk},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "project_closed"
    project.refresh_from_db()
    assert project.claimed_by is None
