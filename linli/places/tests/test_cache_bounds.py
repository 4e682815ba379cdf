"""Page caches grow with what changes a page, never with the query strings someone invents."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from linli.places import api, queries

pytestmark = pytest.mark.django_db


def test_query_strings_that_do_not_change_the_page_share_one_entry(hierarchy: Any) -> None:
    queries.clear_caches()
    client = Client()
    first = client.get("/").content
    for i in range(20):
        assert client.get(f"/?q=&x={i}&utm_source={i}").status_code == 200
    assert len(queries.html_cache) == 1
    assert client.get("/?q=阅读").status_code == 200
    assert len(queries.html_cache) == 2
    assert b"x=19" not in client.get("/?x=19").content  # the header's forms return to the page
    assert first.count(b'name="next"') == client.get("/?x=1").content.count(b'name="next"')


def test_the_public_lists_are_keyed_by_their_parameters(hierarchy: Any) -> None:
    api._list_pages.clear()
    client = Client()
    for i in range(20):
        assert client.get(f"/api/hsds/services?junk={i}").status_code == 200
    assert client.get("/api/hsds/services?page=1&per_page=50").status_code == 200
    assert len(api._list_pages) == 1


def test_the_page_cache_is_bounded_in_bytes() -> None:
    cache = queries.BoundedCache(100, max_bytes=1000)
    for i in range(50):
        cache.set(i, "x" * 100)
    assert cache.size_bytes <= 1000
    assert len(cache) == 10
    cache.set("huge", "x" * 200)  # more than an eighth of the budget: not kept
    assert cache.get("huge") is None
