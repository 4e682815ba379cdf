"""Browser journeys: Playwright drives Debian's /usr/bin/chromium against the live server.

Playwright's sync API runs an event loop in the test thread, which makes Django refuse database
calls from that thread; the tests only touch the database between browser steps, so we allow it.
Screenshots land in var/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
AXE = Path(__file__).resolve().parents[2] / "linli" / "static" / "vendor" / "axe" / "axe.min.js"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium)")
    from playwright.sync_api import expect, sync_playwright

    # expect() waits for what a page shows after a click or a script; on a busy CI machine 5 s
    # (Playwright's default) is too short, so it waits as long as the pages' own timeout.
    expect.set_options(timeout=10_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


# Every document reports its Content-Security-Policy violations to the test (a binding survives
# navigations, unlike a variable on window); Alpine's and htmx's own errors show on the console.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__linliCspViolation({
    directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample, page: document.location.pathname,
  });
});
"""


def watch_csp(context: Any) -> list[dict[str, Any]]:
    """Collect the CSP violations of every page of ``context`` (and CSP console messages)."""
    violations: list[dict[str, Any]] = []
    context.expose_binding(
        "__linliCspViolation", lambda _source, report: violations.append(dict(report))
    )
    context.add_init_script(_CSP_LISTENER)

    def on_page(page: Any) -> None:
        def on_console(message: Any) -> None:
            text = message.text
            if message.type == "error" and "Content Security Policy" in text:
                violations.append({"console": text, "page": page.url})

        page.on("console", on_console)

    context.on("page", on_page)
    return violations


def _context(browser: Any, **options: Any) -> Iterator[Any]:
    context = browser.new_context(**options)
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh phone-sized page (the residents' usual screen); ``page.goto("/")`` is relative.

    The test fails if any page it loaded reported a Content-Security-Policy violation.
    """
    yield from _context(
        browser,
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        device_scale_factor=1,
    )


@pytest.fixture
def desktop_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A desktop-sized page for the staff console (CSP violations fail the test, as above)."""
    yield from _context(
        browser, base_url=live_server.url, viewport={"width": 1366, "height": 850}, locale="zh-CN"
    )


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under var/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(
    page: Any, *, impacts: tuple[str, ...] = ("serious", "critical")
) -> list[dict[str, Any]]:
    """Run axe-core on the page; return the violations of the given impacts."""
    # Evaluated through the DevTools protocol: a <script> tag would be refused by the CSP.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in impacts]


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    # The login form's own button: the page also has a language switch with a submit button.
    page.locator("form:has(input[name=password]) button[type=submit]").click()
