"""Authentication backends: staff passwords with lockout; residents' phone number + one-time code.

Both delegate to linli.accounts.services, which owns the counting, locking and audit entries, so
Django admin's login (which calls ``authenticate``) and the staff login page
(linli.accounts.views, which calls the service directly to learn about a lock) behave the same.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from linli.accounts.models import User
from linli.accounts.sessions import preloaded_user


class _SessionUserMixin(ModelBackend):
    """Take the user that came with the session row instead of querying for it again."""

    def get_user(self, user_id: Any) -> User | None:
        user = preloaded_user.get()
        if user is not None and str(user.pk) == str(user_id):
            return user if self.user_can_authenticate(user) else None
        return super().get_user(user_id)


class LockoutModelBackend(_SessionUserMixin, ModelBackend):
    """Password login that locks an account for a while after repeated failures.

    The lock is per account (not per IP) because staff share office NAT addresses; the audit log
    records every failure and lock. Residents have no usable password, so this backend never
    logs them in.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None or password is None:
            return None
        from linli.accounts.services import check_password_login

        return check_password_login(username=username, password=password, request=request).user


class PhoneCodeBackend(_SessionUserMixin, ModelBackend):
    """Residents log in with a phone number and the code texted to it.

    See linli.accounts.services.verify_phone_code.
    """

    def authenticate(  # type: ignore[override]  # keyword-only credentials
        self,
        request: HttpRequest | None,
        *,
        phone: str | None = None,
        code: str | None = None,
        district_id: int | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not phone or not code or district_id is None:
            return None
        from linli.accounts.services import verify_phone_code

        return verify_phone_code(phone=phone, code=code, district_id=district_id, request=request)
