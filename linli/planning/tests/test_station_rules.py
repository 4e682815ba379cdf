"""The district's own rules for its stations (幸福驿站, 智慧小屋, 党群服务中心): who may set them,
how they are audited, and the gaps an analysis finds against them."""

from __future__ import annotations

import csv
from typing import Any

import pytest
from django.test import Client

from linli.accounts.models import User
from linli.core.exceptions import Forbidden
from linli.core.models import AuditEntry
from linli.planning import queries, services
from linli.planning.models import DISTRICT_STANDARD, Gap, StationRule
from linli.planning.services import PlanningError, StationRuleInput
from tests.personas import Hierarchy

URL = "/console/planning/rules/"


def _rules(**changes: dict[str, Any]) -> list[StationRuleInput]:
    values: dict[str, dict[str, Any]] = {
        "happiness_station": {"enabled": True, "minutes": 10, "min_population": 0, "source": ""},
        "smart_hut": {"enabled": True, "minutes": 15, "min_population": 0, "source": ""},
        "party_service_center": {"enabled": True, "minutes": 15, "min_population": 0, "source": ""},
    }
    for category, change in changes.items():
        values[category].update(change)
    return [
        StationRuleInput(
            category=c,
            enabled=bool(v["enabled"]),
            minutes=int(v["minutes"]),
            min_population=int(v["min_population"]),
            source=str(v["source"]),
        )
        for c, v in values.items()
    ]


def _post(**changes: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for rule in _rules(**changes):
        if rule.enabled:
            data[f"{rule.category}-enabled"] = "on"
        data[f"{rule.category}-minutes"] = rule.minutes
        data[f"{rule.category}-min_population"] = rule.min_population
        data[f"{rule.category}-source"] = rule.source
    return data


def test_every_station_kind_has_a_default_rule(hierarchy: Hierarchy) -> None:
    views = {v.category: v for v in queries.station_rules(hierarchy.district)}

    assert set(views) == {"happiness_station", "smart_hut", "party_service_center"}
    assert views["happiness_station"].minutes == 10
    assert views["happiness_station"].is_default
    assert views["happiness_station"].min_population == 0
    assert views["smart_hut"].metres(1.0) == 900


def test_the_district_admin_sets_a_rule_and_the_change_is_audited(
    hierarchy: Hierarchy, district_admin: User
) -> None:
    services.update_station_rules(
        actor=district_admin,
        district=hierarchy.district,
        rules=_rules(happiness_station={"minutes": 8, "source": "测试区生活圈规划（2026）"}),
    )

    rule = StationRule.objects.get(district=hierarchy.district, category="happiness_station")
    assert (rule.minutes, rule.source, rule.updated_by) == (
        8,
        "测试区生活圈规划（2026）",
        district_admin,
    )
    # The two kinds left at their defaults are not stored, and write no entry.
    assert StationRule.objects.count() == 1
    entry = AuditEntry.objects.get(object_type="planning.stationrule")
    assert entry.actor == district_admin
    assert entry.changes["minutes"] == [10, 8]

    services.update_station_rules(
        actor=district_admin,
        district=hierarchy.district,
        rules=_rules(happiness_station={"minutes": 8, "source": "测试区生活圈规划（2026）"}),
    )
    assert AuditEntry.objects.filter(object_type="planning.stationrule").count() == 1


@pytest.mark.parametrize("persona", ["subdistrict_staff", "community_staff", "station_keeper"])
def test_only_district_staff_may_change_the_rules(
    hierarchy: Hierarchy, persona: str, request: Any
) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(Forbidden):
        services.update_station_rules(
            actor=user, district=hierarchy.district, rules=_rules(smart_hut={"minutes": 5})
        )
    assert not StationRule.objects.exists()


def test_another_districts_admin_may_not_change_ours(
    hierarchy: Hierarchy, other_district_admin: User
) -> None:
    with pytest.raises(Forbidden):
        services.update_station_rules(
            actor=other_district_admin, district=hierarchy.district, rules=_rules()
        )


def test_a_bad_value_names_the_kind_and_changes_nothing(
    hierarchy: Hierarchy, district_admin: User
) -> None:
    with pytest.raises(PlanningError) as refused:
        services.update_station_rules(
            actor=district_admin,
            district=hierarchy.district,
            rules=_rules(happiness_station={"minutes": 5}, smart_hut={"minutes": 90}),
        )
    assert refused.value.code == "invalid_minutes"
    assert "智慧小屋" in str(refused.value.message)
    assert not StationRule.objects.exists()
    assert not AuditEntry.objects.filter(object_type="planning.stationrule").exists()


def test_an_analysis_lists_compounds_lacking_a_station_as_gaps(
    planned: Hierarchy, district_admin: User
) -> None:
    # No smart hut stands in the district: every compound of 1,000 residents or more lacks one;
    # 和平里 (800) is exempt. A happiness station within one minute (60 m) nobody has.
    services.update_station_rules(
        actor=district_admin,
        district=planned.district,
        rules=_rules(
            happiness_station={"minutes": 1},
            smart_hut={"min_population": 1000, "source": "测试区智慧小屋布点方案"},
            party_service_center={"enabled": False},
        ),
    )

    run = services.start_analysis(actor=district_admin, district=planned.district)

    assert run.status == "done", run.error
    district_gaps = Gap.objects.filter(run=run, standard=DISTRICT_STANDARD)
    huts = district_gaps.filter(category="smart_hut")
    assert set(huts.values_list("compound__code", flat=True)) == {"C001", "C003"}
    hut = huts.get(compound__code="C003")
    assert (hut.level, hut.threshold_m, hut.meters) == ("15min", 900, None)
    assert "测试区智慧小屋布点方案" in hut.source
    stations = district_gaps.filter(category="happiness_station")
    assert stations.count() == 3
    assert all(g.threshold_m == 60 for g in stations)
    assert not district_gaps.filter(category="party_service_center").exists()
    assert queries.standard_label(hut.standard, hut.level) == "区级标准 · 15分钟生活圈"
    # The rules a re-run reads: the national ones and the district's, in one file.
    with (run.run_dir / "rules-used.csv").open(encoding="utf-8") as fh:
        used = list(csv.DictReader(fh))
    assert {r["standard"] for r in used} == {"GB50180-2018", "完整社区2020", DISTRICT_STANDARD}
    assert {r["min_population"] for r in used if r["category"] == "smart_hut"} == {"1000"}
    assert [r["category"] for r in run.summary["district_rules"]] == [
        "happiness_station",
        "smart_hut",
    ]


def test_anonymous_visitors_are_sent_to_log_in(client: Client, hierarchy: Hierarchy) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "persona", ["subdistrict_staff", "community_staff", "station_keeper", "resident"]
)
def test_the_page_refuses_everyone_but_district_staff_with_a_styled_page(
    as_user: Any, hierarchy: Hierarchy, persona: str, request: Any
) -> None:
    client = as_user(request.getfixturevalue(persona))

    get = client.get(URL)
    post = client.post(URL, _post(smart_hut={"minutes": 5}))

    assert get.status_code == 403
    assert post.status_code == 403
    assert "<html" in get.content.decode()
    assert "403" in get.content.decode()
    assert not StationRule.objects.exists()


def test_the_district_admin_saves_the_rules_from_the_page(
    as_user: Any, hierarchy: Hierarchy, district_admin: User
) -> None:
    client = as_user(district_admin)
    page = client.get(URL)
    assert page.status_code == 200
    assert "幸福驿站" in page.content.decode()
    assert "GB 50180-2018 附录B" in page.content.decode()  # the national rules' sources beside

    response = client.post(URL, _post(party_service_center={"minutes": 12, "source": "区文件"}))

    assert response.status_code == 302
    rule = StationRule.objects.get(category="party_service_center")
    assert (rule.minutes, rule.source) == (12, "区文件")


def test_a_refused_form_keeps_what_was_typed_beside_the_error(
    as_user: Any, hierarchy: Hierarchy, district_admin: User
) -> None:
    client = as_user(district_admin)

    response = client.post(
        URL, _post(happiness_station={"minutes": 45, "source": "我刚输入的文件名"})
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "我刚输入的文件名" in html
    assert 'value="45"' in html
    assert "field-error" in html
    assert not StationRule.objects.exists()
