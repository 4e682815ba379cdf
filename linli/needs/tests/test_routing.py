"""The routing rules page: district administrators say which unit handles which category where;
every change is audited; nobody else may read or change the rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from linli.core.models import AuditEntry
from linli.needs import queries
from linli.needs.models import RoutingRule
from linli.places.models import Organisation
from tests.personas import login

pytestmark = pytest.mark.django_db
URL = "needs:console_routing"


@pytest.fixture
def unit(hierarchy: Any) -> Organisation:
    return Organisation.objects.create(
        district=hierarchy.district, name="城管环卫所", kind=Organisation.Kind.GOVERNMENT
    )


def test_a_district_admin_names_the_unit_and_it_is_audited(
    client: Any, district_admin: Any, hierarchy: Any, unit: Organisation
) -> None:
    login(client, district_admin)
    response = client.post(
        reverse(URL),
        {"category": "environment", "community": hierarchy.xingfu.pk, "organisation": unit.pk},
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.category, rule.community, rule.organisation) == (
        "environment",
        hierarchy.xingfu,
        unit,
    )
    assert AuditEntry.objects.filter(
        object_type="needs.routingrule", action="create", actor=district_admin
    ).exists()
    assert (
        queries.routing_unit(
            district_id=hierarchy.district.pk,
            category="environment",
            community_id=hierarchy.xingfu.pk,
        )
        == unit
    )
    page = client.get(reverse(URL)).content.decode()
    assert "城管环卫所" in page
    assert "幸福里社区" in page

    # The same category and place again: the rule changes, it is not doubled.
    other = Organisation.objects.create(
        district=hierarchy.district, name="物业服务中心", kind=Organisation.Kind.UNIT
    )
    client.post(
        reverse(URL),
        {"category": "environment", "community": hierarchy.xingfu.pk, "organisation": other.pk},
    )
    assert RoutingRule.objects.get().organisation == other
    assert AuditEntry.objects.filter(object_type="needs.routingrule", action="update").exists()

    # A district-wide rule for the category sits beside the community's own.
    client.post(reverse(URL), {"category": "environment", "community": "", "organisation": unit.pk})
    assert RoutingRule.objects.count() == 2
    assert (
        queries.routing_unit(
            district_id=hierarchy.district.pk,
            category="environment",
            community_id=hierarchy.heping.pk,
        )
        == unit
    )

    client.post(reverse(URL), {"delete": rule.pk})
    assert RoutingRule.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="needs.routingrule", action="delete").exists()


@pytest.mark.parametrize(
    "persona", ["subdistrict_staff", "community_staff", "station_keeper", "unit_liaison"]
)
def test_staff_below_the_district_may_neither_read_nor_change_the_rules(
    client: Any, persona: str, request: Any, hierarchy: Any, unit: Organisation
) -> None:
    rule = RoutingRule.objects.create(
        district=hierarchy.district, category="safety", organisation=unit
    )
    login(client, request.getfixturevalue(persona))
    # Refused: 403, or sent to log in as someone who works with needs (a unit without one).
    refused = (403, 302)
    assert client.get(reverse(URL)).status_code in refused
    response = client.post(reverse(URL), {"category": "environment", "organisation": unit.pk})
    assert response.status_code in refused
    assert client.post(reverse(URL), {"delete": rule.pk}).status_code in refused
    assert list(RoutingRule.objects.values_list("category", flat=True)) == ["safety"]


def test_another_districts_admin_cannot_touch_this_districts_rules(
    client: Any, other_district_admin: Any, hierarchy: Any, unit: Organisation
) -> None:
    rule = RoutingRule.objects.create(
        district=hierarchy.district, category="safety", organisation=unit
    )
    login(client, other_district_admin)
    page = client.get(reverse(URL))
    assert page.status_code == 200
    assert "城管环卫所" not in page.content.decode()
    assert client.post(reverse(URL), {"delete": rule.pk}).status_code == 404
    response = client.post(reverse(URL), {"category": "safety", "organisation": unit.pk})
    assert response.status_code == 400  # not a unit of their district
    assert RoutingRule.objects.count() == 1


def test_bad_input_names_the_field_keeps_the_values_and_changes_nothing(
    client: Any, district_admin: Any, hierarchy: Any, unit: Organisation
) -> None:
    login(client, district_admin)
    response = client.post(
        reverse(URL),
        {"category": "weather", "community": hierarchy.xingfu.pk, "organisation": unit.pk},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "weather" in html  # the error names the value
    assert f'<option value="{hierarchy.xingfu.pk}" selected>' in html
    assert f'<option value="{unit.pk}" selected>' in html
    assert not RoutingRule.objects.exists()
    assert not AuditEntry.objects.filter(object_type="needs.routingrule").exists()
