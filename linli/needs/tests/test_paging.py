"""Long lists are paged without counting everything: the count stops at a cap, the pager shows
a few page numbers, and the pages still hold the right needs."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from linli.needs import services
from linli.needs.models import Need
from linli.needs.paging import CappedPaginator, page_links
from linli.needs.tests.conftest import T0
from tests.personas import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(hierarchy: Any, community_staff: Any, resident: Any) -> list[Need]:
    return [
        services.raise_need(
            actor=community_staff,
            district=hierarchy.district,
            category="environment",
            description=f"第{i}件",
            compound=hierarchy.compound_xingfu,
            resident=resident,
            channel="staff",
            now=T0,
        )
        for i in range(7)
    ]


def test_the_count_stops_at_the_cap_and_says_so(many: list[Need]) -> None:
    queryset = Need.objects.order_by("pk")
    capped = CappedPaginator(queryset, 2, cap=5)
    assert capped.count == 5
    assert capped.capped
    assert capped.num_pages == 3
    assert [n.pk for n in capped.page(2)] == [many[2].pk, many[3].pk]
    whole = CappedPaginator(queryset, 2, cap=50)
    assert whole.count == 7
    assert not whole.capped


def test_the_pager_shows_a_few_numbers_not_every_page(many: list[Need]) -> None:
    page = CappedPaginator(Need.objects.order_by("pk"), 1).get_page(4)
    links = page_links(page)
    assert links[0] == 1
    assert 4 in links
    assert links[-1] == 7
    assert len(links) <= 9


def test_the_staff_list_says_more_than_the_cap(
    many: list[Need], community_staff: Any, client: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("linli.needs.paging.CAP", 5)
    html = login(client, community_staff).get(reverse("needs:console_list")).content.decode()
    assert "超过 5 条" in html or "More than 5 records" in html
    monkeypatch.setattr("linli.needs.paging.CAP", 100)
    html = client.get(reverse("needs:console_list")).content.decode()
    assert "共 7 条" in html or "7 records in total" in html
