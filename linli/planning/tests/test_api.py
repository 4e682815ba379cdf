"""The planning JSON API: refusals as JSON {code, message}, scope, and starting work."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from linli.accounts.models import User
from linli.planning import services
from linli.planning.models import AnalysisRun, Gap, RunStatus, SitingRun
from linli.planning.tests.urls import API_PREFIX
from tests.personas import Hierarchy

pytestmark = pytest.mark.urls("linli.planning.tests.urls")


@pytest.fixture
def run(planned: Hierarchy, district_admin: User) -> AnalysisRun:
    return services.start_analysis(actor=district_admin, district=planned.district)


def _gets(run: AnalysisRun) -> list[str]:
    return [
        f"{API_PREFIX}/runs",
        f"{API_PREFIX}/runs/{run.pk}",
        f"{API_PREFIX}/runs/{run.pk}/access/C001",
        f"{API_PREFIX}/runs/{run.pk}/gaps",
        f"{API_PREFIX}/runs/{run.pk}/coverage",
    ]


def test_anonymous_requests_get_401_json(client: Client, run: AnalysisRun) -> None:
    for url in _gets(run):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json()["code"] == "unauthenticated"
    assert client.post(f"{API_PREFIX}/runs", {}, content_type="application/json").status_code == 401
    assert AnalysisRun.objects.count() == 1


@pytest.mark.parametrize("persona", ["resident", "station_keeper", "unit_liaison"])
def test_non_planners_get_403_json(
    as_user: Any, run: AnalysisRun, persona: str, request: Any
) -> None:
    client = as_user(request.getfixturevalue(persona))
    for url in _gets(run):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["code"] == "forbidden"
    response = client.post(
        f"{API_PREFIX}/runs/{run.pk}/siting",
        {"category": "kindergarten"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not SitingRun.objects.exists()


def test_another_districts_admin_gets_404(
    as_user: Any, run: AnalysisRun, other_district_admin: User
) -> None:
    client = as_user(other_district_admin)

    assert client.get(f"{API_PREFIX}/runs").json() == []
    for url in _gets(run)[1:]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    gap = Gap.objects.filter(run=run).first()
    assert gap is not None
    response = client.post(
        f"{API_PREFIX}/gaps/{gap.pk}/status",
        {"status": "dismissed"},
        content_type="application/json",
    )
    assert response.status_code == 404
    gap.refresh_from_db()
    assert gap.status == "open"


def test_community_staff_get_their_rows_only(
    as_user: Any, run: AnalysisRun, community_staff: User
) -> None:
    client = as_user(community_staff)

    gaps = client.get(f"{API_PREFIX}/runs/{run.pk}/gaps").json()
    other = client.get(f"{API_PREFIX}/runs/{run.pk}/access/C003")
    mine = client.get(f"{API_PREFIX}/runs/{run.pk}/access/C001").json()
    coverage = client.get(f"{API_PREFIX}/runs/{run.pk}/coverage").json()

    assert {g["compound"] for g in gaps["items"]} == {"C001"}
    assert other.status_code == 404
    assert any(row["category"] == "happiness_station" and row["minutes"] for row in mine)
    assert {row["area_name"] for row in coverage} == {"幸福里社区"}


def test_a_district_admin_starts_an_analysis(
    as_user: Any, planned: Hierarchy, district_admin: User
) -> None:
    response = as_user(district_admin).post(
        f"{API_PREFIX}/runs", {"speed_m_s": 1.2}, content_type="application/json"
    )

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "done"
    assert AnalysisRun.objects.get().speed_m_s == pytest.approx(1.2)


def test_errors_are_json_with_a_code(as_user: Any, run: AnalysisRun, district_admin: User) -> None:
    client = as_user(district_admin)
    AnalysisRun.objects.create(district=run.district, status=RunStatus.RUNNING)

    busy = client.post(f"{API_PREFIX}/runs", {}, content_type="application/json")
    bad = client.post(
        f"{API_PREFIX}/runs/{run.pk}/siting",
        {"category": "kindergarten", "k": 99},
        content_type="application/json",
    )

    assert busy.status_code == 409
    assert busy.json()["code"] == "analysis_running"
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_k"
    assert bad.json()["message"]


def test_community_staff_may_not_start_an_analysis(
    as_user: Any, planned: Hierarchy, community_staff: User
) -> None:
    response = as_user(community_staff).post(
        f"{API_PREFIX}/runs", {}, content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not AnalysisRun.objects.exists()


def test_siting_through_the_api(as_user: Any, run: AnalysisRun, district_admin: User) -> None:
    client = as_user(district_admin)

    response = client.post(
        f"{API_PREFIX}/runs/{run.pk}/siting",
        {"category": "kindergarten", "k": 1, "radius_m": 300},
        content_type="application/json",
    )

    assert response.status_code == 202
    siting = client.get(f"{API_PREFIX}/sitings/{response.json()['id']}").json()
    assert siting["status"] == "done"
    assert len(siting["result"]["sites"]) == 1
