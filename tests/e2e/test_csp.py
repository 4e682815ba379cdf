"""The Content-Security-Policy is sent, and a violation is reported to the tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import watch_csp

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_inline_script_is_refused_and_the_journeys_would_see_it(
    browser: Any, live_server: Any
) -> None:
    context = browser.new_context(base_url=live_server.url)
    violations = watch_csp(context)
    page = context.new_page()
    response = page.goto("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected") is None
    context.close()
    assert any(v.get("directive") == "script-src-elem" for v in violations), violations
