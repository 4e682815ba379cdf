"""Load every page of a resident's, a staff member's and a planner's journey in Chromium.

Run by scripts/deploy_check.sh against gunicorn serving a production install (docs/deploy.md):
each persona starts on its home page and follows the links it is shown (same site, GET, no file
downloads, no logout) up to a limit. Any answer of 500 or more, a 404 for a linked page or a
static file, a console error, an uncaught script error or a Content-Security-Policy violation
fails the run; the list of pages visited is printed.

    python scripts/deploy_journeys.py --base http://127.0.0.1:18001 [--password …]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import re
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlparse

from django_otp.oath import TOTP
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
SKIP = (
    "/accounts/logout",
    "/i18n/",
    "/api/",
    "/media/",
    "/admin/",
    ".xlsx",
    ".html",
    ".json",
    ".geojson",
    ".csv",
    ".pbf",
    ".ics",
    ".pdf",
    ".zip",
)
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__reportCsp(`${e.effectiveDirective} blocked ${e.blockedURI} (${where})`);
});
"""


@dataclass
class Journey:
    name: str
    username: str | None
    start: list[str]
    prefix: str
    limit: int
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def totp(secret: str, *, at: float | None = None) -> str:
    """The 6-digit code an authenticator app shows for ``secret`` now (or at ``at``): django_otp's
    own RFC 6238 implementation, the one the server checks codes with."""
    device = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True))
    if at is not None:
        device.time = at
    return f"{device.token():06d}"


def _log_in(page: Any, base: str, username: str, password: str) -> None:
    """Log in as a person would; a district administrator (LINLI_REQUIRE_2FA=1 in production)
    is sent to enrol an authenticator: read the key the page shows, as the app would, and
    confirm with its current code."""
    page.goto(urljoin(base, "/accounts/login/"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    if "/accounts/two-factor/enrol/" in page.url:
        secret = "".join(page.locator(".enrol-secret code").inner_text().split())
        page.fill("input[name=token]", totp(secret))
        page.locator("form:has(input[name=token]) button[type=submit]").click()
        page.wait_for_load_state("networkidle")
    if "/accounts/login/" in page.url or "/accounts/two-factor/" in page.url:
        raise SystemExit(f"{username} could not log in (ended on {page.url})")


def _walk(browser: Any, base: str, journey: Journey, password: str) -> None:
    context = browser.new_context(
        base_url=base, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    problems = journey.problems
    context.expose_function("__reportCsp", lambda text: problems.append(f"CSP: {text}"))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(120_000)  # a loaded CI machine; a 500 shows at once anyway
    page.on(
        "console",
        lambda m: m.type == "error" and problems.append(f"console: {m.text} on {page.url}"),
    )
    page.on("pageerror", lambda e: problems.append(f"script error: {e} on {page.url}"))

    def on_response(response: Any) -> None:
        path = urlparse(response.url).path
        if response.status >= 500 or (response.status == 404 and path.startswith("/static/")):
            problems.append(f"{response.status} for {response.url}")

    page.on("response", on_response)
    if journey.username:
        _log_in(page, base, journey.username, password)
    queue = deque(journey.start)
    seen = set(queue)
    shapes: dict[str, int] = {}
    host = urlparse(base).netloc
    while queue and len(journey.visited) < journey.limit:
        path = queue.popleft()
        try:
            response = page.goto(urljoin(base, path), wait_until="load")
        except PlaywrightError as error:
            if "Download is starting" in str(error):  # a file behind a link without a suffix
                continue
            raise
        # The map and htmx fetch after "load"; slow is not broken, and errors count whenever.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_load_state("networkidle", timeout=30_000)
        journey.visited.append(path)
        if response is None or response.status >= 400:
            status = response.status if response else "no answer"
            problems.append(f"{status} for the linked page {path}")
            continue
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urlparse(urldefrag(href)[0])
            if url.netloc != host or not url.path.startswith(journey.prefix):
                continue
            link = url.path + (f"?{url.query}" if url.query else "")
            if any(part in link for part in SKIP) or link in seen:
                continue
            # One of each list's filter/page variants is enough: pages differ by path.
            if url.query and any(s.split("?")[0] == url.path for s in seen):
                continue
            # Pages of one shape (/console/stations/N/) differ by data only: two of each.
            shape = re.sub(r"\d+", "N", url.path)
            if shapes.get(shape, 0) >= 2:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            seen.add(link)
            queue.append(link)
    context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="e.g. http://127.0.0.1:18001")
    parser.add_argument("--password", default="linli-demo-2026", help="the demo logins' password")
    parser.add_argument("--limit", type=int, default=60, help="pages per journey")
    args = parser.parse_args()
    journeys = [
        Journey("resident", None, ["/"], "/", args.limit),
        Journey("staff", "community", ["/console/"], "/console/", args.limit),
        Journey(
            "planner",
            "district",
            ["/console/planning/", "/console/audit/"],
            "/console/",
            args.limit,
        ),
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        for journey in journeys:
            _walk(browser, args.base, journey, args.password)
        browser.close()
    failed = False
    for journey in journeys:
        print(f"{journey.name}: {len(journey.visited)} pages: {' '.join(journey.visited)}")
        for problem in journey.problems:
            print(f"  PROBLEM {problem}")
        failed |= bool(journey.problems) or len(journey.visited) < 3
    print("journeys: FAILED" if failed else "journeys: OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
