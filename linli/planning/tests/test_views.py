"""The planning console pages: who sees what, and what a planner can do there."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from linli.accounts.models import User
from linli.planning import services
from linli.planning.models import AnalysisRun, Gap, RunStatus, SitingRun
from tests.personas import Hierarchy


@pytest.fixture
def run(planned: Hierarchy, district_admin: User) -> AnalysisRun:
    return services.start_analysis(actor=district_admin, district=planned.district)


def _gap(run: AnalysisRun, compound_code: str) -> Gap:
    gap = Gap.objects.filter(run=run, compound__code=compound_code).first()
    assert gap is not None
    return gap


def _finish(response: Any) -> None:
    """Read a file response to its end, which closes the file (map.html, isochrones).

    Not ``response.close()``: that sends request_finished, whose close_old_connections would
    close the test's open transaction on PostgreSQL. The test client's iterator wrapper closes
    the file with that receiver disconnected.
    """
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)


def _status(client: Client, url: str) -> int:
    """GET ``url`` and return the status."""
    response = client.get(url)
    _finish(response)
    return response.status_code


def _pages(run: AnalysisRun) -> list[str]:
    return [
        reverse("planning:index"),
        reverse("planning:run", args=[run.pk]),
        reverse("planning:run_status", args=[run.pk]),
        reverse("planning:gap_table", args=[run.pk]),
        reverse("planning:gaps_xlsx", args=[run.pk]),
        reverse("planning:map_data", args=[run.pk]),
        reverse("planning:isochrones", args=[run.pk]),
        reverse("planning:map_html", args=[run.pk]),
    ]


def test_anonymous_visitors_are_sent_to_log_in(client: Client, run: AnalysisRun) -> None:
    for url in _pages(run):
        response = client.get(url)
        _finish(response)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"]
    response = client.post(reverse("planning:start_analysis"))
    assert response.status_code == 302
    assert AnalysisRun.objects.count() == 1


@pytest.mark.parametrize("persona", ["resident", "station_keeper", "unit_liaison"])
def test_it_refuses_people_who_are_not_planners(
    as_user: Any, run: AnalysisRun, persona: str, request: Any
) -> None:
    client = as_user(request.getfixturevalue(persona))
    for url in _pages(run):
        assert _status(client, url) == 403, url
    gap = _gap(run, "C001")
    assert (
        client.post(
            reverse("planning:gap_status", args=[gap.pk]), {"status": "dismissed"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("planning:start_siting", args=[run.pk]),
            {"category": "kindergarten", "k": 2, "radius": 300},
        ).status_code
        == 403
    )
    gap.refresh_from_db()
    assert gap.status == "open"
    assert not SitingRun.objects.exists()


def test_another_districts_admin_sees_nothing_of_ours(
    as_user: Any, run: AnalysisRun, other_district_admin: User
) -> None:
    client = as_user(other_district_admin)
    for url in _pages(run)[1:]:
        assert _status(client, url) == 404, url
    gap = _gap(run, "C001")
    response = client.post(reverse("planning:gap_status", args=[gap.pk]), {"status": "dismissed"})
    assert response.status_code == 404
    response = client.post(
        reverse("planning:start_siting", args=[run.pk]),
        {"category": "kindergarten", "k": 2, "radius": 300},
    )
    assert response.status_code == 404
    page = client.get(reverse("planning:index"))
    assert page.status_code == 200
    assert "幸福苑" not in page.content.decode()
    gap.refresh_from_db()
    assert gap.status == "open"


def test_the_district_admin_sees_every_compound(
    as_user: Any, run: AnalysisRun, district_admin: User
) -> None:
    client = as_user(district_admin)

    page = client.get(reverse("planning:run", args=[run.pk]))
    data = client.get(reverse("planning:map_data", args=[run.pk])).json()

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="pl-map"' in html
    assert "pl-gap-list" in html
    assert {c["code"] for c in data["compounds"]} == {"C001", "C002", "C003"}
    assert _status(client, reverse("planning:map_html", args=[run.pk])) == 200


def test_community_staff_see_only_their_compounds(
    as_user: Any, run: AnalysisRun, community_staff: User
) -> None:
    client = as_user(community_staff)

    data = client.get(reverse("planning:map_data", args=[run.pk])).json()
    table = client.get(reverse("planning:gap_table", args=[run.pk])).content.decode()
    page = client.get(reverse("planning:run", args=[run.pk])).content.decode()

    assert {c["code"] for c in data["compounds"]} == {"C001"}
    assert "幸福苑" in table
    assert "西园小区" not in table
    assert "和平里" not in table
    assert "幸福里社区" in page  # the coverage area they may see
    # The offline map shows the whole district, so it is for district-wide viewers only.
    assert _status(client, reverse("planning:map_html", args=[run.pk])) == 403


def test_subdistrict_staff_see_their_subdistricts_compounds(
    as_user: Any, run: AnalysisRun, subdistrict_staff: User
) -> None:
    data = as_user(subdistrict_staff).get(reverse("planning:map_data", args=[run.pk])).json()

    assert {c["code"] for c in data["compounds"]} == {"C001", "C002"}


def test_community_staff_may_not_start_an_analysis(
    as_user: Any, planned: Hierarchy, community_staff: User
) -> None:
    response = as_user(community_staff).post(reverse("planning:start_analysis"), {"speed": "1.0"})

    assert response.status_code == 403
    assert not AnalysisRun.objects.exists()


def test_a_district_admin_starts_an_analysis_from_the_page(
    as_user: Any, planned: Hierarchy, district_admin: User
) -> None:
    response = as_user(district_admin).post(reverse("planning:start_analysis"), {"speed": "1.1"})

    run = AnalysisRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("planning:run", args=[run.pk])
    assert run.status == RunStatus.DONE
    assert run.speed_m_s == pytest.approx(1.1)


def test_a_bad_speed_is_refused_with_a_message(
    as_user: Any, planned: Hierarchy, district_admin: User
) -> None:
    client = as_user(district_admin)
    response = client.post(reverse("planning:start_analysis"), {"speed": "fast"}, follow=True)

    assert response.status_code == 200
    assert not AnalysisRun.objects.exists()
    assert "步行速度须在" in response.content.decode()


def test_a_queued_run_shows_a_polling_status(
    as_user: Any, planned: Hierarchy, district_admin: User
) -> None:
    run = AnalysisRun.objects.create(district=planned.district, status=RunStatus.QUEUED)
    client = as_user(district_admin)

    page = client.get(reverse("planning:run", args=[run.pk])).content.decode()
    status = client.get(reverse("planning:run_status", args=[run.pk]), HTTP_HX_REQUEST="true")

    assert 'hx-trigger="every 3s"' in page
    assert status.status_code == 200
    assert "HX-Refresh" not in status
    run.status = RunStatus.DONE
    run.save()
    done = client.get(
        reverse("planning:run_status", args=[run.pk]) + "?was_active=1", HTTP_HX_REQUEST="true"
    )
    assert done["HX-Refresh"] == "true"


def test_gap_filters_and_sorting(as_user: Any, run: AnalysisRun, district_admin: User) -> None:
    client = as_user(district_admin)
    url = reverse("planning:gap_table", args=[run.pk])

    only_xiyuan = client.get(url, {"community": "T14040402001"}).content.decode()
    kindergartens = client.get(url, {"category": "middle_school", "sort": "compound"})

    assert "西园小区" in only_xiyuan
    assert "幸福苑" not in only_xiyuan
    assert kindergartens.status_code == 200
    rows = list(kindergartens.context["gap_page"])
    assert {g.category for g in rows} == {"middle_school"}
    assert [g.compound.name for g in rows] == sorted(g.compound.name for g in rows)


def test_community_staff_accept_a_gap_of_their_compound(
    as_user: Any, run: AnalysisRun, community_staff: User
) -> None:
    gap = _gap(run, "C001")

    response = as_user(community_staff).post(
        reverse("planning:gap_status", args=[gap.pk]),
        {"status": "accepted"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert f'id="gap-{gap.pk}"' in response.content.decode()
    gap.refresh_from_db()
    assert gap.status == "accepted"


def test_other_communitys_staff_cannot_touch_our_gap(
    as_user: Any, run: AnalysisRun, other_community_staff: User
) -> None:
    gap = _gap(run, "C001")

    response = as_user(other_community_staff).post(
        reverse("planning:gap_status", args=[gap.pk]), {"status": "dismissed"}
    )

    assert response.status_code == 404
    gap.refresh_from_db()
    assert gap.status == "open"


def test_the_district_admin_proposes_sites(
    as_user: Any, run: AnalysisRun, district_admin: User
) -> None:
    client = as_user(district_admin)

    response = client.post(
        reverse("planning:start_siting", args=[run.pk]),
        {"category": "kindergarten", "k": "2", "radius": "300"},
    )
    page = client.get(reverse("planning:run", args=[run.pk])).content.decode()

    siting = SitingRun.objects.get()
    assert response.status_code == 302
    assert siting.status == RunStatus.DONE
    assert "pl-site-no" in page
    assert "幸福苑" in page or "西园小区" in page
    assert "最近的小区：" in page
    assert "位于" in page
    # Each compound served reads in Chinese: （1,200 人，230 米）, not (1200 people, 230 m).
    assert re.search(r"（[\d,]+ 人，[\d,]+ 米）", page)
    assert " m)" not in page


def test_community_staff_may_not_propose_sites(
    as_user: Any, run: AnalysisRun, community_staff: User
) -> None:
    response = as_user(community_staff).post(
        reverse("planning:start_siting", args=[run.pk]),
        {"category": "kindergarten", "k": "2", "radius": "300"},
    )

    assert response.status_code == 403
    assert not SitingRun.objects.exists()
