"""Reactions to Django's auth signals: every successful login is audited, whatever the path."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from linli.accounts.models import User
from linli.core.audit import record
from linli.core.masking import mask_phone
from linli.core.models import AuditEntry

# Session key read by linli.accounts.middleware: the user has a confirmed TOTP device but this
# session has not been verified with it (a login that bypassed the two-step page, e.g. admin's).
OTP_PENDING_SESSION_KEY = "linli_otp_pending"

_METHODS = {
    "linli.accounts.backends.LockoutModelBackend": "password",
    "linli.accounts.backends.PhoneCodeBackend": "phone_code",
}


@receiver(user_logged_in, dispatch_uid="linli.accounts.audit_login")
def audit_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    from linli.accounts.services import has_second_factor

    verified = getattr(user, "otp_device", None) is not None
    backend = getattr(user, "backend", None) or (
        request.session.get(BACKEND_SESSION_KEY, "") if request is not None else ""
    )
    changes = {"method": _METHODS.get(backend, "other") + ("+totp" if verified else "")}
    if not verified and request is not None and has_second_factor(user):
        request.session[OTP_PENDING_SESSION_KEY] = True
        changes["second_factor"] = "pending"
    record(
        actor=user,
        action=AuditEntry.Action.LOGIN,
        obj=user,
        request=request,
        object_repr=mask_phone(user.username) if user.is_resident else user.username,
        changes=changes,
    )


@receiver(user_logged_out, dispatch_uid="linli.accounts.audit_logout")
def audit_logout(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is None:  # the session had already expired
        return
    record(
        actor=user,
        action=AuditEntry.Action.LOGOUT,
        obj=user,
        request=request,
        object_repr=mask_phone(user.username) if user.is_resident else user.username,
    )


@receiver(post_save, sender=User, dispatch_uid="linli.accounts.end_sessions_of_inactive")
def end_sessions_of_inactive(sender: Any, instance: User, **kwargs: Any) -> None:
    """A deactivated account is logged out everywhere at once, not at its next request."""
    if not instance.is_active and not kwargs.get("raw"):
        from linli.accounts.sessions import end_sessions_of

        end_sessions_of(instance.pk)
