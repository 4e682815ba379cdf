"""Error pages are styled pages in the reader's language, the menu offers no dead end, and
/favicon.ico answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from linli.accounts.models import User
from tests.personas import Hierarchy


def test_a_missing_page_is_a_styled_page_in_chinese(client: Client, db: Any) -> None:
    response = client.get("/console/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "找不到这个页面" in page
    assert "linli.css" in page
    assert 'href="/"' in page


def test_a_missing_page_speaks_english_to_an_english_reader(client: Client, db: Any) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_refusal_is_a_styled_page_with_a_way_back_to_the_console(
    client: Client, as_user: Any, community_staff: User
) -> None:
    as_user(community_staff)
    response = client.get("/console/audit/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "您无权打开这个页面" in page
    assert 'href="/console/"' in page


def test_a_server_error_is_a_styled_page(db: Any) -> None:
    request = RequestFactory().get("/console/")
    with translation.override("zh-hans"):
        response = server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert "系统出了点问题" in page
    assert "linli.css" in page


@pytest.mark.parametrize(
    ("persona", "offered"),
    [
        ("district_admin", True),
        ("subdistrict_staff", False),
        ("community_staff", False),
        ("station_keeper", False),
    ],
)
def test_the_menu_offers_the_audit_log_only_to_who_may_read_it(
    request: pytest.FixtureRequest,
    client: Client,
    as_user: Any,
    hierarchy: Hierarchy,
    persona: str,
    offered: bool,
) -> None:
    # ``hierarchy`` named here, not only through getfixturevalue: pytest-django orders tests
    # by the fixtures they name, and a flushing transactional test must not run first.
    as_user(request.getfixturevalue(persona))
    page = client.get("/console/").content.decode()
    assert ('href="/console/audit/"' in page) is offered


def test_favicon_answers(client: Client, db: Any) -> None:
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # type: ignore[attr-defined]  # a streaming response
