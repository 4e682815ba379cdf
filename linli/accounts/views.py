"""Login pages: staff password (+ TOTP second step), TOTP enrolment, residents' phone codes.

The staff login is two-step: after a right password, a user with a confirmed TOTP device is not
logged in yet — the session only remembers who is half-way (``_PENDING``) until the code is right.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from linli.accounts import services
from linli.accounts.forms import LoginForm, PhoneCodeForm, PhoneForm, TokenForm
from linli.accounts.models import AnyUser, ApiToken, User
from linli.accounts.receivers import OTP_PENDING_SESSION_KEY
from linli.accounts.scopes import signed_in_user
from linli.accounts.token_forms import ApiTokenForm
from linli.core.masking import mask_phone

PASSWORD_BACKEND = "linli.accounts.backends.LockoutModelBackend"
PHONE_BACKEND = "linli.accounts.backends.PhoneCodeBackend"
_PENDING = "linli_2fa_pending"  # {"user_id", "at", "next"} between password and code
_PENDING_SECONDS = 300
_PHONE = "linli_phone_login"  # {"phone", "district_id", "next"} between asking and typing the code


def _next_url(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` if it is a safe local URL, else empty."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _landing(user: AnyUser, next_url: str = "") -> HttpResponseRedirect:
    return redirect(next_url or services.home_url_name(user))


def _with_retry_after(response: HttpResponse, retry_after: int | None) -> HttpResponse:
    """Mark a refusal by a limit as 429 with ``Retry-After`` (seconds), as RFC 6585 asks."""
    if retry_after:
        response.status_code = 429
        response["Retry-After"] = str(retry_after)
    return response


def _locked_message(minutes: int) -> str:
    return ngettext(
        "This account is locked after too many failed attempts. Try again in %(minutes)s minute, "
        "or ask your district administrator to unlock it.",
        "This account is locked after too many failed attempts. Try again in %(minutes)s minutes, "
        "or ask your district administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """Staff login with username and password; a second step follows for enrolled users."""
    next_url = _next_url(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated and request.method == "GET":
        return _landing(request.user, next_url)
    form = LoginForm(request.POST or None)
    locked_minutes = 0
    retry_after = None
    if request.method == "POST" and form.is_valid():
        result = services.check_password_login(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            request=request,
        )
        if result.user is not None:
            if services.has_second_factor(result.user):
                request.session[_PENDING] = {
                    "user_id": result.user.pk,
                    "at": time.time(),
                    "next": next_url,
                }
                return redirect("accounts:two_factor")
            login(request, result.user, backend=PASSWORD_BACKEND)
            return _landing(result.user, next_url)
        if result.refused is not None:
            retry_after = result.refused.retry_after
            form.add_error(None, services.throttle_message(result.refused))
        elif result.locked_until is not None:
            locked_minutes = result.minutes_locked
            form.add_error(None, _locked_message(locked_minutes))
        else:
            form.add_error(
                None,
                _(
                    "The username or password is not correct. After %(count)s failed attempts in a "
                    "row an account is locked for %(minutes)s minutes."
                )
                % {
                    "count": settings.LINLI_LOCKOUT_THRESHOLD,
                    "minutes": settings.LINLI_LOCKOUT_SECONDS // 60,
                },
            )
    response = render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "next": next_url,
            "locked_minutes": locked_minutes,
            "paused": retry_after is not None,
        },
        status=200 if not form.errors else 400,
    )
    return _with_retry_after(response, retry_after)


def _pending_user(request: HttpRequest) -> tuple[User | None, str]:
    """The half-logged-in user of this session (right password, code still due), if fresh."""
    pending = request.session.get(_PENDING)
    if not pending or time.time() - pending.get("at", 0) > _PENDING_SECONDS:
        request.session.pop(_PENDING, None)
        return None, ""
    user = User.objects.filter(pk=pending["user_id"], is_active=True).first()
    if user is None or user.is_locked(timezone.now()):
        # Locked since the password step (e.g. by wrong codes from another browser).
        request.session.pop(_PENDING, None)
        return None, ""
    return user, pending.get("next", "")


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second-factor entry point: verify the code, or send the user to enrol one.

    RequireSecondFactorMiddleware sends every unverified session here; the name
    ``accounts:two_factor`` is part of that contract.
    """
    user: User | None
    if request.user.is_authenticated:
        user, next_url = request.user, _next_url(request, request.GET.get("next"))
        if user.is_verified():
            return _landing(user, next_url)
        if not services.has_second_factor(user):
            return redirect("accounts:totp_enrol")
    else:
        user, next_url = _pending_user(request)
        if user is None:
            messages.info(request, _("Please log in again."))
            return redirect("accounts:login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, locked = services.check_second_factor(
            user, token=form.cleaned_data["token"], request=request
        )
        if device is not None:
            if not request.user.is_authenticated:
                request.session.pop(_PENDING, None)
                user.otp_device = device  # django_otp's login receiver marks the session verified
                login(request, user, backend=PASSWORD_BACKEND)
            else:
                otp_login(request, device)
            request.session.pop(OTP_PENDING_SESSION_KEY, None)
            return _landing(user, next_url)
        if locked:
            request.session.pop(_PENDING, None)
            if request.user.is_authenticated:
                logout(request)
            user.refresh_from_db()
            messages.error(
                request,
                _locked_message(
                    services.PasswordLogin(locked_until=user.locked_until).minutes_locked
                ),
            )
            return redirect("accounts:login")
        form.add_error(
            "token",
            _(
                "This code is not correct. Check that the time on your phone is right and enter "
                "the code currently shown."
            ),
        )
    return render(
        request, "accounts/two_factor.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@sensitive_post_parameters("token")
@never_cache
def totp_enrol(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the secret), confirm with a code."""
    user = signed_in_user(request)
    if user.is_resident:
        raise PermissionDenied
    if services.has_second_factor(user) and not user.is_verified():
        # Replacing a device needs the old one first, or a stolen password would be enough.
        return redirect("accounts:two_factor")
    next_url = _next_url(request, request.POST.get("next") or request.GET.get("next"))
    device = services.start_totp_enrolment(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = services.confirm_totp_enrolment(
            user, token=form.cleaned_data["token"], request=request
        )
        if confirmed is not None:
            otp_login(request, confirmed)
            request.session.pop(OTP_PENDING_SESSION_KEY, None)
            messages.success(
                request,
                _(
                    "Two-step verification is on. From now on you enter a code from the app "
                    "each time you log in."
                ),
            )
            return _landing(user, next_url)
        form.add_error(
            "token",
            _(
                "This code is not correct. Check that the time on your phone is right and enter "
                "the code currently shown."
            ),
        )
    url = services.totp_config_url(device)
    return render(
        request,
        "accounts/totp_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_svg": services.qr_svg(url, label=_("QR code for your authenticator app")),
            "secret": services.totp_secret_b32(device),
            "secret_groups": services.totp_secret_b32(device).split(),
            "already_enrolled": services.has_second_factor(user),
            "required": services.second_factor_required(user),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out (POST only, so a link or image elsewhere cannot log people out)."""
    was_staff = bool(
        request.user.is_authenticated and getattr(request.user, "is_staff_role", False)
    )
    logout(request)
    return redirect("accounts:login" if was_staff else settings.LOGOUT_REDIRECT_URL)


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """A resident's own page: who is signed in (phone masked), what he can do, a way out.

    Staff have the console for that; they are sent there."""
    user = request.user
    if getattr(user, "is_staff_role", False):
        return redirect("console:home")
    return render(
        request,
        "accounts/account.html",
        {"display_name": user.masked_label()},  # type: ignore[union-attr]  # login_required: never anonymous
    )


@csrf_protect
@never_cache
def phone_login(request: HttpRequest) -> HttpResponse:
    """Residents, step 1: type the mobile number and get a code by text message."""
    next_url = _next_url(request, request.POST.get("next") or request.GET.get("next"))
    form = PhoneForm(request.POST or None)
    retry_after = None
    if request.method == "POST" and form.is_valid():
        district = form.cleaned_data["district"]
        try:
            services.request_phone_code(
                phone=form.cleaned_data["phone"], district_id=district.pk, request=request
            )
        except services.RateLimited as error:
            if isinstance(error, services.AddressRateLimited):
                retry_after = error.details["retry_after"]
            form.add_error(None, str(error.message))
        else:
            request.session[_PHONE] = {
                "phone": form.cleaned_data["phone"],
                "district_id": district.pk,
                "next": next_url,
            }
            return redirect("accounts:phone_code")
    response = render(
        request,
        "accounts/phone_login.html",
        {
            "form": form,
            "next": next_url,
            "no_district": not form.fields["district"].queryset.exists(),  # type: ignore[attr-defined]  # a ModelChoiceField
        },
        status=400 if form.errors else 200,
    )
    return _with_retry_after(response, retry_after)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def phone_code(request: HttpRequest) -> HttpResponse:
    """Residents, step 2: type the code; the first login creates the resident's account."""
    pending = request.session.get(_PHONE)
    if not pending:
        return redirect("accounts:phone_login")
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            services.request_phone_code(
                phone=pending["phone"], district_id=pending["district_id"], request=request
            )
        except services.RateLimited as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("A new code is on its way."))
        return redirect("accounts:phone_code")
    form = PhoneCodeForm(request.POST or None)
    retry_after = None
    if request.method == "POST" and form.is_valid():
        try:
            user = authenticate(
                request,
                phone=pending["phone"],
                code=form.cleaned_data["code"],
                district_id=pending["district_id"],
            )
        except services.AddressRateLimited as error:
            retry_after = error.details["retry_after"]
            form.add_error(None, str(error.message))
        else:
            if user is not None:
                request.session.pop(_PHONE, None)
                login(request, user, backend=PHONE_BACKEND)
                return _landing(user, pending.get("next", ""))
            form.add_error(
                "code",
                _(
                    "The code is not correct or has expired. "
                    "Check the text message, or ask for a new code."
                ),
            )
    response = render(
        request,
        "accounts/phone_code.html",
        {
            "form": form,
            "masked_phone": mask_phone(pending["phone"]),
            "minutes": max(1, settings.LINLI_PHONE_CODE_SECONDS // 60),
            "login_url": reverse("accounts:phone_login"),
        },
        status=400 if form.errors else 200,
    )
    return _with_retry_after(response, retry_after)


# --- Personal API tokens ----------------------------------------------------------------------


def _token_page[V: Callable[..., HttpResponse]](view: V) -> V:
    """Staff only, like every console page: anyone else is sent to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not services.may_have_api_token(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]  # wraps keeps V's signature


@never_cache
@_token_page
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's own API tokens with their state; the secrets are never shown again."""
    user = signed_in_user(request)
    now = timezone.now()
    rows = [
        {"token": token, "status": token.status(now)}
        for token in ApiToken.objects.filter(owner=user)
    ]
    return render(
        request,
        "accounts/tokens.html",
        {
            "page_title": _("API tokens"),
            "rows": rows,
            "max_active": services.API_TOKEN_MAX_ACTIVE,
            "active_count": sum(1 for row in rows if row["status"] == "active"),
        },
    )


@sensitive_variables("new")
@csrf_protect
@never_cache
@_token_page
def token_create(request: HttpRequest) -> HttpResponse:
    """Create a token and show it once, in this POST's answer: it is stored nowhere in clear."""
    user = signed_in_user(request)
    can_write = services.may_write_with_token(user)
    form = ApiTokenForm(request.POST or None, can_write=can_write)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.create_api_token(
                owner=user,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                read_only=form.read_only_choice(),
                request=request,
            )
        except services.ApiTokenError as error:
            form.add_error(None, str(error.message))
        else:
            response = render(
                request,
                "accounts/token_created.html",
                {"page_title": _("Your new API token"), "token": new.token, "plain": new.plain},
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "accounts/token_form.html",
        {"page_title": _("New API token"), "form": form, "can_write": can_write},
        status=400 if form.errors else 200,
    )


@csrf_protect
@never_cache
@_token_page
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask, then revoke: scripts using the token stop working at once."""
    user = signed_in_user(request)
    token = ApiToken.objects.filter(owner=user, pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    if request.method == "POST":
        services.revoke_api_token(owner=user, pk=token.pk, request=request)
        messages.success(
            request,
            _("The token “%(name)s” is revoked; scripts using it can no longer connect.")
            % {"name": token.name},
        )
        return redirect("accounts:tokens")
    return render(
        request,
        "accounts/token_revoke.html",
        {
            "page_title": _("Revoke an API token"),
            "token": token,
            "status": token.status(timezone.now()),
        },
    )
