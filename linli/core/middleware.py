"""Per-request presentation preferences."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

ELDERLY_COOKIE = "linli_elderly"


class ElderlyModeMiddleware:
    """Sets ``request.elderly`` from the cookie, so every resident page can render large and clear.

    The cookie (not the session) carries the choice because residents mostly are not logged in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.elderly = request.COOKIES.get(ELDERLY_COOKIE) == "1"  # type: ignore[attr-defined]  # the templates read request.elderly
        return self.get_response(request)
