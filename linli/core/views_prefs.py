"""Presentation preferences a visitor sets without logging in: the elderly-friendly mode.

The choice lives in the ``linli_elderly`` cookie that linli.core.middleware.ElderlyModeMiddleware
reads, because most residents never log in. Routed from linli/places/urls_resident.py
(``resident:elderly``). A plain POST form and a redirect back, so the toggle works without
JavaScript and never opens a pop-up.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from linli.core.middleware import ELDERLY_COOKIE

# A year: the mode is a lasting need of the person holding the phone, not of one visit.
ELDERLY_COOKIE_AGE = 365 * 24 * 3600


@require_POST
def set_elderly_mode(request: HttpRequest) -> HttpResponse:
    """Turn the elderly-friendly mode on (``elderly=1``) or off, then go back to ``next``."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("resident:home")
    # 303: the browser follows with a GET, so "back" never re-posts the form.
    response = HttpResponseRedirect(target, status=303)
    if request.POST.get("elderly") == "1":
        response.set_cookie(
            ELDERLY_COOKIE,
            "1",
            max_age=ELDERLY_COOKIE_AGE,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure(),
        )
    else:
        response.delete_cookie(ELDERLY_COOKIE, samesite="Lax")
    return response
