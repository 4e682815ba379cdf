"""Enforcing the second factor for district administrators when LINLI_REQUIRE_2FA is on."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from linli.accounts.models import Role

# Paths a district admin without a verified second factor may still open: enrolling and
# verifying the factor, logging out, static files.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/")


class RequireSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.LINLI_REQUIRE_2FA
            and user is not None
            and user.is_authenticated
            and (user.role == Role.DISTRICT_ADMIN or user.is_superuser)
            and not user.is_verified()
            and not request.path.startswith(_ALLOWED_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse(
                    {"code": "second_factor_required",
                     "message": str("A second factor is required for this account.")},
                    status=403,
                )
            return redirect("accounts:two_factor")
        return self.get_response(request)
