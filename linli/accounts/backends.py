"""Authentication: staff passwords with lockout; residents' phone number + one-time code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

from linli.accounts.models import User


class LockoutModelBackend(ModelBackend):
    """Password login that locks an account for a while after repeated failures.

    The lock is per account (not per IP) because staff share office NAT addresses; the audit log
    records every failure and lock (linli.accounts.services).
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None,
        password: str | None = None, **kwargs: Any,
    ) -> User | None:
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        now = timezone.now()
        if user is not None and user.locked_until and user.locked_until > now:
            return None
        authenticated = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            return None
        if authenticated is None:
            user.failed_logins += 1
            fields = ["failed_logins"]
            if user.failed_logins >= settings.LINLI_LOCKOUT_THRESHOLD:
                user.locked_until = now + timedelta(seconds=settings.LINLI_LOCKOUT_SECONDS)
                user.failed_logins = 0
                fields.append("locked_until")
            user.save(update_fields=fields)
            return None
        if user.failed_logins or user.locked_until:
            user.failed_logins = 0
            user.locked_until = None
            user.save(update_fields=["failed_logins", "locked_until"])
        assert isinstance(authenticated, User)
        return authenticated


class PhoneCodeBackend(ModelBackend):
    """Residents log in with a phone number and the code texted to it (see services.verify_code)."""

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, *, phone: str | None = None,
        code: str | None = None, district_id: int | None = None, **kwargs: Any,
    ) -> User | None:
        if not phone or not code or district_id is None:
            return None
        from linli.accounts.services import verify_phone_code

        return verify_phone_code(phone=phone, code=code, district_id=district_id)
