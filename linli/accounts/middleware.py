"""Enforcing the second factor: for anyone with a confirmed device, and for district
administrators and superusers when LINLI_REQUIRE_2FA is on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import middleware as auth_middleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from linli.accounts.models import AnyUser
from linli.accounts.receivers import OTP_PENDING_SESSION_KEY
from linli.accounts.sessions import preloaded_user

# Paths a user without a verified second factor may still open: enrolling and verifying the
# factor, logging out (all under /accounts/), static files, the language switch.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/")


def needs_second_factor(request: HttpRequest) -> bool:
    """Whether this session must verify (or enrol) a second factor before going further.

    Answered without a query on every request: the device check happens once, at login
    (linli.accounts.receivers sets the session flag).
    """
    user: AnyUser | None = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_verified():
        return False
    if request.session.get(OTP_PENDING_SESSION_KEY):
        return True
    from linli.accounts.services import second_factor_required

    return second_factor_required(user)


class RequireSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(_ALLOWED_PREFIXES) and needs_second_factor(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "second_factor_required",
                        "message": _("A second factor is required for this account."),
                    },
                    status=403,
                )
            return redirect("accounts:two_factor")
        return self.get_response(request)


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, handing it the user read with the session.

    ``request.user`` stays lazy; when it is first used, ``auth.get_user`` runs as usual (backend
    check, password-hash check) but the backend finds the user row that
    ``linli.accounts.sessions.SessionStore`` loaded in the same query as the session.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _get_user(request))  # type: ignore[assignment]  # Django's own lazy user, as its middleware does


def _get_user(request: HttpRequest) -> Any:
    session: Any = request.session
    session.keys()  # loads the session, and with it the user row, if not loaded yet
    token = preloaded_user.set(getattr(session, "user", None))
    try:
        return auth_middleware.get_user(request)
    finally:
        preloaded_user.reset(token)
