"""Use cases of logging in: staff passwords with lockout, TOTP enrolment, residents' phone codes.

Every function owns its transaction and writes the audit entries (linli.core.audit.record); the
views in linli.accounts.views only validate input, call one of these and respond. Successful
logins are audited by the ``user_logged_in`` receiver (linli.accounts.receivers) so that every
login path — these pages, Django admin, tests — leaves the same trace.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeGuard

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from linli.accounts import throttle
from linli.accounts.models import (
    API_TOKEN_PREFIX,
    EDITOR_ROLES,
    STAFF_ROLES,
    AnyUser,
    ApiToken,
    PhoneCode,
    Role,
    User,
)
from linli.areas.models import Community, District, Subdistrict
from linli.core.audit import record
from linli.core.exceptions import LinliError, NotFound
from linli.core.masking import mask_phone
from linli.core.models import AuditEntry

if TYPE_CHECKING:
    from django.http import HttpRequest

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
PHONE_CODE_LENGTH = 6
PHONE_CODE_MAX_ATTEMPTS = 5
PHONE_CODE_MIN_INTERVAL = timedelta(seconds=60)
PHONE_CODE_HOURLY_LIMIT = 5
TOTP_ISSUER = "Linli"


class RateLimited(LinliError):
    """Too many login codes requested for one phone number."""

    code = "rate_limited"
    status = 429


class AddressRateLimited(RateLimited):
    """Too many login codes or wrong codes from one client address (linli.accounts.throttle).

    A RateLimited, so every caller that handles the per-number limit handles this one too;
    ``details["retry_after"]`` is in seconds.
    """

    code = "address_rate_limited"


class InvalidPhone(LinliError):
    code = "invalid_phone"


# --- Limits per client address (linli.accounts.throttle) --------------------------------------


def _until_label(found: throttle.Refusal) -> str:
    """The local clock time the refusal ends, as people read it ("16:35")."""
    return timezone.localtime(found.until).strftime("%H:%M")


def throttle_message(found: throttle.Refusal) -> str:
    """What the page tells someone whose network has used up its allowance.

    It names the network, never an account or a number, so it tells an outsider nothing about
    which usernames or numbers exist; it says when to come back.
    """
    values = {"minutes": found.minutes, "time": _until_label(found)}
    if found.scope == throttle.Scope.CODE_REQUEST:
        return (
            ngettext(
                "Too many login codes have been requested from your network. Please try again in "
                "%(minutes)s minute (after %(time)s), or switch from Wi-Fi to mobile data.",
                "Too many login codes have been requested from your network. Please try again in "
                "%(minutes)s minutes (after %(time)s), or switch from Wi-Fi to mobile data.",
                found.minutes,
            )
            % values
        )
    if found.scope == throttle.Scope.CODE_FAILURE:
        return (
            ngettext(
                "Too many wrong codes have been entered from your network. Please try again in "
                "%(minutes)s minute (after %(time)s).",
                "Too many wrong codes have been entered from your network. Please try again in "
                "%(minutes)s minutes (after %(time)s).",
                found.minutes,
            )
            % values
        )
    return (
        ngettext(
            "Too many failed logins have come from your network, so logging in from it is paused "
            "to protect everyone's accounts. Please try again in %(minutes)s minute "
            "(after %(time)s).",
            "Too many failed logins have come from your network, so logging in from it is paused "
            "to protect everyone's accounts. Please try again in %(minutes)s minutes "
            "(after %(time)s).",
            found.minutes,
        )
        % values
    )


def _record_throttled(
    found: throttle.Refusal,
    *,
    request: HttpRequest | None,
    subject: str,
    district_id: int | None = None,
    method: str = "password",
) -> None:
    """Audit and log one refusal; ``subject`` is the username or phone, already masked."""
    record(
        actor=None,
        action=AuditEntry.Action.THROTTLED,
        district_id=district_id,
        request=request,
        object_type="accounts.user",
        object_repr=subject,
        changes={
            "reason": "address_throttled",
            "method": method,
            "scope": str(found.scope),
            "address": found.address,
            "until": found.until.isoformat(),
        },
    )
    throttle.log_refusal(found, subject=subject)


def _address(request: HttpRequest | None) -> str | None:
    """The client address to count, or None for calls without a request (commands, tests)."""
    return throttle.client_address(request) if request is not None else None


def _refuse_address(
    found: throttle.Refusal,
    *,
    request: HttpRequest | None,
    phone: str,
    district_id: int,
) -> AddressRateLimited:
    _record_throttled(
        found,
        request=request,
        subject=mask_phone(phone),
        district_id=district_id,
        method="phone_code",
    )
    return AddressRateLimited(throttle_message(found), retry_after=found.retry_after)


# --- Staff password login ---------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordLogin:
    """The outcome of a password attempt.

    ``user`` is set only when the password is right and the account may log in. ``locked_until``
    is set only when the password is right but the account is locked: only someone who knows the
    password learns that the account exists and is locked (see docs/accounts.md). ``refused``
    is set when the client's address has had too many failures (linli.accounts.throttle); the
    password was then not even checked.
    """

    user: User | None = None
    locked_until: dt.datetime | None = None
    refused: throttle.Refusal | None = None

    @property
    def minutes_locked(self) -> int:
        """Whole minutes until the lock ends, rounded up (never 0 while locked)."""
        if self.locked_until is None:
            return 0
        seconds = (self.locked_until - timezone.now()).total_seconds()
        return max(1, int(-(-seconds // 60)))


def _username_label(username: str) -> str:
    """The attempted username as the audit log keeps it; residents' usernames are phones."""
    cleaned = username.strip()[:150]
    return mask_phone(cleaned) if MOBILE_RE.match(cleaned) else cleaned


def check_password_login(
    *, username: str, password: str, request: HttpRequest | None = None
) -> PasswordLogin:
    """Check a staff password, counting failures and locking the account after too many.

    The password hasher runs whether or not the username exists and whether or not the account
    is locked, so timing does not tell an outsider which usernames exist. Failures while locked
    are not counted: they neither extend the lock nor start a new one once it ends.

    Every failure also counts against the client's address (password spraying: a few passwords
    tried on many usernames never locks one account); an address over its limit is refused
    before any account is looked at. A right password does not reset the address's count.
    """
    now = timezone.now()
    address = _address(request)
    if address is not None:
        refused = throttle.refusal(throttle.Scope.PASSWORD_FAILURE, address, now=now)
        if refused is not None:
            _record_throttled(refused, request=request, subject=_username_label(username))
            return PasswordLogin(refused=refused)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            # Same work as a real check (Django's ModelBackend does the same).
            User().set_password(password)
        password_ok = user is not None and user.check_password(password) and user.is_active
        if not password_ok and address is not None:
            throttle.hit(throttle.Scope.PASSWORD_FAILURE, address, now=now)
        if user is None:
            record(
                actor=None,
                action=AuditEntry.Action.LOGIN_FAILED,
                request=request,
                object_type="accounts.user",
                object_repr=_username_label(username),
                changes={"reason": "unknown_username"},
            )
            return PasswordLogin()
        if user.is_locked(now):
            if not password_ok:
                _record_failure(user, request=request, reason="locked")
                return PasswordLogin()
            _record_failure(user, request=request, reason="locked_right_password")
            return PasswordLogin(locked_until=user.locked_until)
        if not password_ok:
            register_login_failure(user, now=now, request=request, reason="wrong_password")
            return PasswordLogin()
        # With a second factor the count restarts only after the code (check_second_factor):
        # otherwise re-entering the known password between wrong codes would never lock.
        if not has_second_factor(user):
            _reset_failures(user)
        return PasswordLogin(user=user)


def _reset_failures(user: User) -> None:
    if user.failed_logins or user.locked_until or user.last_failed_login:
        user.failed_logins = 0
        user.locked_until = None
        user.last_failed_login = None
        user.save(update_fields=["failed_logins", "locked_until", "last_failed_login"])


def register_login_failure(
    user: User, *, now: dt.datetime, request: HttpRequest | None, reason: str
) -> bool:
    """Count one failed login of ``user`` (wrong password or wrong second-factor code).

    Returns whether this failure locked the account. The caller holds the row lock. A failure
    long after the previous one starts a new count, so a few typos a week never lock anyone.
    """
    window = timedelta(seconds=settings.LINLI_LOCKOUT_SECONDS)
    if user.last_failed_login is None or now - user.last_failed_login > window:
        user.failed_logins = 0
    user.failed_logins += 1
    user.last_failed_login = now
    locked = user.failed_logins >= settings.LINLI_LOCKOUT_THRESHOLD
    if locked:
        user.locked_until = now + window
        user.failed_logins = 0
    user.save(update_fields=["failed_logins", "last_failed_login", "locked_until"])
    _record_failure(user, request=request, reason=reason)
    if locked:
        record(
            actor=None,
            action=AuditEntry.Action.LOCKED,
            obj=user,
            request=request,
            object_repr=_username_label(user.username),
            changes={"locked_until": user.locked_until.isoformat() if user.locked_until else None},
        )
    return locked


def _record_failure(user: User, *, request: HttpRequest | None, reason: str) -> None:
    record(
        actor=None,
        action=AuditEntry.Action.LOGIN_FAILED,
        obj=user,
        request=request,
        object_repr=_username_label(user.username),
        changes={"reason": reason},
    )


@transaction.atomic
def unlock_user(user: User, *, actor: User, request: HttpRequest | None = None) -> None:
    """Lift a password lock before it runs out (Django admin's "unlock" action)."""
    was = user.locked_until.isoformat() if user.locked_until else None
    User.objects.filter(pk=user.pk).update(
        failed_logins=0, locked_until=None, last_failed_login=None
    )
    record(
        actor=actor,
        action=AuditEntry.Action.UNLOCKED,
        obj=user,
        request=request,
        object_repr=_username_label(user.username),
        changes={"locked_until": [was, None]},
    )


def home_url_name(user: AnyUser) -> str:
    """Where a user lands after logging in: staff in the console, residents on their own page,
    which says that they are signed in and what they can do."""
    staff = user.is_authenticated and user.is_staff_role
    return "console:home" if staff else "accounts:account"


# --- TOTP second factor -----------------------------------------------------------------------


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    """The user's confirmed TOTP device, if they enrolled one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_second_factor(user: User) -> bool:
    """Whether logging in as ``user`` needs a TOTP code after the password."""
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def second_factor_required(user: AnyUser) -> bool:
    """Whether the installation forces ``user`` to enrol a second factor (LINLI_REQUIRE_2FA)."""
    return bool(
        settings.LINLI_REQUIRE_2FA
        and user.is_authenticated
        and (user.is_superuser or user.role == Role.DISTRICT_ADMIN)
    )


@transaction.atomic
def start_totp_enrolment(user: User) -> TOTPDevice:
    """The unconfirmed device the user is enrolling (a new secret only if none is pending).

    Re-opening the enrolment page keeps the same secret, so a QR code already scanned stays
    valid until it is confirmed.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


def verify_totp(device: TOTPDevice, token: str) -> bool:
    """Whether ``token`` is the device's current code (django-otp refuses replays and throttles)."""
    token = normalise_digits(token)
    if not token.isdigit():
        return False
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        ok = bool(locked.verify_token(token))
    device.refresh_from_db()
    return ok


@transaction.atomic
def confirm_totp_enrolment(
    user: User, *, token: str, request: HttpRequest | None = None
) -> TOTPDevice | None:
    """Confirm the pending device with a code from the app; older devices are replaced."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None or not verify_totp(device, token):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record(
        actor=user,
        action=AuditEntry.Action.SECOND_FACTOR_ENROLLED,
        obj=device,
        request=request,
        object_repr=_("Authenticator app of %(username)s")
        % {"username": _username_label(user.username)},
        changes={"second_factor": "totp"},
    )
    return device


def check_second_factor(
    user: User, *, token: str, request: HttpRequest | None = None
) -> tuple[TOTPDevice | None, bool]:
    """Check the code typed at login's second step.

    Returns ``(device, locked)``: the device that accepted the code, or ``None`` — then the
    failure counts towards the account's lockout like a wrong password, since whoever is here
    already knows the password; ``locked`` says the account has just been locked.
    """
    device = confirmed_totp_device(user)
    if device is not None and verify_totp(device, token):
        with transaction.atomic():
            _reset_failures(User.objects.select_for_update().get(pk=user.pk))
        return device, False
    with transaction.atomic():
        locked_user = User.objects.select_for_update().get(pk=user.pk)
        locked = register_login_failure(
            locked_user, now=timezone.now(), request=request, reason="wrong_totp"
        )
    return None, locked


def totp_secret_b32(device: TOTPDevice) -> str:
    """The secret as people type it into an authenticator app: base32 in groups of four."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_config_url(device: TOTPDevice) -> str:
    """The otpauth:// URL the QR code carries, labelled "Linli:<username>"."""
    from base64 import b32encode
    from urllib.parse import quote, urlencode

    params = urlencode(
        {
            "secret": b32encode(device.bin_key).decode().rstrip("="),
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
            "issuer": TOTP_ISSUER,
        }
    )
    label = quote(f"{TOTP_ISSUER}:{device.user.get_username()}")
    return f"otpauth://totp/{label}?{params}"


def qr_svg(data: str, *, label: str) -> str:
    """An inline SVG QR code (no external service, no image file), sized by CSS."""
    import qrcode
    import qrcode.image.svg
    from django.utils.html import escape

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = str(image.to_string(encoding="unicode"))
    svg = re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)
    # The page's CSS sets the size; a fixed size in millimetres would not scale on phones.
    return re.sub(
        r'<svg width="[^"]*" height="[^"]*"',
        f'<svg class="qr" role="img" aria-label="{escape(label)}"',
        svg,
        count=1,
    )


# --- Residents' phone codes -------------------------------------------------------------------


def normalise_digits(value: str) -> str:
    """Full-width digits to ASCII, spaces and dashes removed.

    "１３８ 1234-5678" → "13812345678".
    """
    value = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s\-()]", "", value)


def normalise_phone(raw: str) -> str:
    """A mainland mobile number in its 11-digit form, or InvalidPhone.

    Accepts full-width digits, spaces, dashes and a +86 / 0086 prefix, as people type them.
    """
    phone = normalise_digits(raw)
    phone = re.sub(r"^(\+86|0086|86)(?=1\d{10}$)", "", phone)
    if not MOBILE_RE.match(phone):
        raise InvalidPhone(gettext_lazy("Please enter an 11-digit mainland mobile number."))
    return phone


def _code_hash(*, phone: str, district_id: int, code: str) -> str:
    """A keyed hash of the code: without SECRET_KEY the stored value cannot be brute-forced."""
    return salted_hmac(
        "linli.accounts.phone_code", f"{district_id}:{phone}:{code}", algorithm="sha256"
    ).hexdigest()


def request_phone_code(
    *,
    phone: str,
    district_id: int,
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> PhoneCode:
    """Text a new login code to ``phone``; earlier codes for it stop working.

    Rate limits count per phone number across districts (the SMS is what costs and annoys):
    one code per 60 s and five per hour. Raises RateLimited with ``retry_after`` seconds.
    With a ``request``, each text sent also counts against the client's address
    (LINLI_THROTTLE_CODE_REQUESTS, against SMS pumping); over it, AddressRateLimited.
    """
    phone = normalise_phone(phone)
    now = now or timezone.now()
    district = District.objects.get(pk=district_id)
    address = _address(request)
    refused: throttle.Refusal | None = None
    with transaction.atomic():
        # Serialise requests for one phone: lock its recent codes (or nothing, the first time).
        recent = list(
            PhoneCode.objects.select_for_update()
            .filter(phone=phone, created_at__gt=now - timedelta(hours=1))
            .order_by("-created_at")
        )
        if recent and now - recent[0].created_at < PHONE_CODE_MIN_INTERVAL:
            wait = PHONE_CODE_MIN_INTERVAL - (now - recent[0].created_at)
            raise RateLimited(
                gettext_lazy(
                    "A code was sent a moment ago. "
                    "You can ask for a new one in %(seconds)s seconds."
                )
                % {"seconds": int(wait.total_seconds()) + 1},
                retry_after=int(wait.total_seconds()) + 1,
            )
        if len(recent) >= PHONE_CODE_HOURLY_LIMIT:
            wait = recent[-1].created_at + timedelta(hours=1) - now
            minutes = max(1, int(-(-wait.total_seconds() // 60)))
            raise RateLimited(
                gettext_lazy(
                    "Too many codes were requested for this number. "
                    "Please try again in %(minutes)s minutes."
                )
                % {"minutes": minutes},
                retry_after=int(wait.total_seconds()) + 1,
            )
        # Counted in this transaction: a text the gateway fails to send costs no allowance.
        if address is not None:
            refused = throttle.hit(throttle.Scope.CODE_REQUEST, address, now=now)
        if refused is None:
            phone_code = _send_new_code(phone=phone, district=district, now=now)
    if refused is not None:
        raise _refuse_address(refused, request=request, phone=phone, district_id=district.pk)
    return phone_code


def _send_new_code(*, phone: str, district: District, now: dt.datetime) -> PhoneCode:
    """Replace the number's unused codes with a new one and text it (caller's transaction)."""
    PhoneCode.objects.filter(phone=phone, district=district, used=False).update(used=True)
    code = f"{secrets.randbelow(10**PHONE_CODE_LENGTH):0{PHONE_CODE_LENGTH}d}"
    phone_code = PhoneCode.objects.create(
        district=district,
        phone=phone,
        code_hash=_code_hash(phone=phone, district_id=district.pk, code=code),
        expires_at=now + timedelta(seconds=settings.LINLI_PHONE_CODE_SECONDS),
    )
    # created_at is auto_now_add; pin it to ``now`` so the limits use one clock.
    PhoneCode.objects.filter(pk=phone_code.pk).update(created_at=now)
    minutes = max(1, settings.LINLI_PHONE_CODE_SECONDS // 60)
    message = _(
        "[Linli] Your login code is %(code)s. It is valid for %(minutes)s minutes. "
        "Do not tell it to anyone."
    ) % {"code": code, "minutes": minutes}
    # Send inside the transaction: if the gateway fails, the code (and the rate-limit slot)
    # is rolled back and the resident may try again at once.
    from linli.accounts.sms import get_sender

    get_sender().send(phone=phone, message=message)
    return phone_code


def verify_phone_code(
    *, phone: str, code: str, district_id: int, request: HttpRequest | None = None
) -> User | None:
    """The resident who owns ``phone`` in the district, if ``code`` is its current login code.

    Creates the resident on first login (username = phone). Five wrong tries kill the code.
    Phone login is for residents only: a staff account with the same number is refused, so a
    text message can never stand in for a staff password and second factor.

    With a ``request``, every failure also counts against the client's address
    (LINLI_THROTTLE_CODE_FAILURES: guessing codes for many numbers); an address over its limit
    gets AddressRateLimited before any code is compared. Django's ``authenticate`` lets the
    exception through to the view (linli.accounts.views.phone_code).
    """
    try:
        phone = normalise_phone(phone)
    except InvalidPhone:
        return None
    code = normalise_digits(code)
    now = timezone.now()
    address = _address(request)
    if address is not None:
        refused = throttle.refusal(throttle.Scope.CODE_FAILURE, address, now=now)
        if refused is not None:
            raise _refuse_address(refused, request=request, phone=phone, district_id=district_id)
    with transaction.atomic():
        current = (
            PhoneCode.objects.select_for_update()
            .filter(phone=phone, district_id=district_id, used=False, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if current is None:
            _record_phone_failure(phone, district_id, reason="no_valid_code", request=request)
            return None
        expected = current.code_hash
        given = _code_hash(phone=phone, district_id=district_id, code=code)
        if not constant_time_compare(expected, given):
            current.attempts += 1
            current.used = current.attempts >= PHONE_CODE_MAX_ATTEMPTS
            current.save(update_fields=["attempts", "used"])
            _record_phone_failure(phone, district_id, reason="wrong_code", request=request)
            return None
        current.used = True
        current.save(update_fields=["used"])
        user = User.objects.filter(district_id=district_id, phone=phone).first()
        if user is None:
            return _create_resident(phone=phone, district_id=district_id)
        if not user.is_resident or not user.is_active:
            _record_phone_failure(
                phone, district_id, reason="not_a_resident_account", request=request
            )
            return None
        return user


def _create_resident(*, phone: str, district_id: int) -> User:
    # Usernames are unique installation-wide but phones only per district: the same number
    # registered in a second district gets the district's code appended.
    username = phone
    if User.objects.filter(username=username).exists():
        district = District.objects.get(pk=district_id)
        username = f"{phone}-{district.code}"
    user = User(username=username, phone=phone, role=Role.RESIDENT, district_id=district_id)
    user.set_unusable_password()
    user.save()
    record(
        actor=None,
        action=AuditEntry.Action.CREATE,
        obj=user,
        object_repr=mask_phone(phone),
        changes={"phone": mask_phone(phone), "role": Role.RESIDENT.value, "via": "phone_code"},
    )
    return user


def _record_phone_failure(
    phone: str, district_id: int, *, reason: str, request: HttpRequest | None
) -> None:
    address = _address(request)
    if address is not None:
        throttle.hit(throttle.Scope.CODE_FAILURE, address)
    record(
        actor=None,
        action=AuditEntry.Action.LOGIN_FAILED,
        district_id=district_id,
        request=request,
        object_type="accounts.user",
        object_repr=mask_phone(phone),
        changes={"reason": reason, "method": "phone_code"},
    )


# --- Staff accounts (linli create_staff) ------------------------------------------------------


class StaffScopeError(LinliError):
    code = "invalid_scope"


@transaction.atomic
def create_staff_user(
    *,
    username: str,
    password: str,
    role: Role,
    district_code: str,
    subdistrict_code: str | None = None,
    community_code: str | None = None,
    station_code: str | None = None,
    real_name: str = "",
    phone: str = "",
) -> User:
    """Create a staff account in a place of the hierarchy, checking the place fits the role.

    Missing upper levels are filled from the lower ones (a station gives its community, a
    community its subdistrict), so ``--station S001`` alone places a station keeper correctly.
    """
    if role not in STAFF_ROLES and role not in {
        Role.UNIT_LIAISON,
        Role.PARTY_MEMBER,
        Role.VOLUNTEER,
        Role.SOCIAL_ORGANISATION,
    }:
        raise StaffScopeError(
            gettext_lazy("Residents log in with their phone; create staff roles only.")
        )
    if User.objects.filter(username=username).exists():
        raise StaffScopeError(gettext_lazy("A user with this username already exists."))
    district = District.objects.filter(code=district_code).first()
    if district is None:
        raise StaffScopeError(gettext_lazy("There is no district with this code."))
    station: Any = None  # a places.Station, reached through User.station (see below)
    subdistrict = community = None
    if station_code:
        # A keeper's station is the one model of places accounts touches, through its own
        # foreign key (User.station): accounts imports nothing from places.
        stations = User._meta.get_field("station").related_model._default_manager
        station = stations.filter(district=district, code=station_code).first()
        if station is None:
            raise StaffScopeError(
                gettext_lazy("There is no station with this code in the district.")
            )
    if community_code:
        community = Community.objects.filter(district=district, code=community_code).first()
        if community is None:
            raise StaffScopeError(
                gettext_lazy("There is no community with this code in the district.")
            )
    elif station is not None and station.community_id is not None:
        community = station.community
    if subdistrict_code:
        subdistrict = Subdistrict.objects.filter(district=district, code=subdistrict_code).first()
        if subdistrict is None:
            raise StaffScopeError(
                gettext_lazy("There is no subdistrict with this code in the district.")
            )
    elif community is not None:
        subdistrict = community.subdistrict
    elif station is not None:
        subdistrict = station.subdistrict
    if station is not None and community is not None and station.community_id != community.pk:
        raise StaffScopeError(gettext_lazy("The station is not in this community."))
    if (
        community is not None
        and subdistrict is not None
        and community.subdistrict_id != subdistrict.pk
    ):
        raise StaffScopeError(gettext_lazy("The community is not in this subdistrict."))
    needs = {
        Role.SUBDISTRICT_STAFF: subdistrict,
        Role.COMMUNITY_STAFF: community,
        Role.STATION_KEEPER: station,
    }
    if role in needs and needs[role] is None:
        raise StaffScopeError(
            gettext_lazy(
                "This role needs its place: --subdistrict for subdistrict staff, "
                "--community for community staff, --station for station keepers."
            )
        )
    if phone:
        phone = normalise_phone(phone)
    user = User(
        username=username,
        role=role,
        district=district,
        subdistrict=subdistrict,
        community=community,
        station=station,
        real_name=real_name,
        phone=phone,
    )
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save()
    record(
        actor=None,
        action=AuditEntry.Action.CREATE,
        obj=user,
        changes={
            "role": role.value,
            "via": "create_staff",
            **({"phone": mask_phone(phone)} if phone else {}),
        },
    )
    return user


# --- Personal API tokens (linli.accounts.api_auth.TokenAuth) ------------------------------------

API_TOKEN_MAX_ACTIVE = 10
API_TOKEN_DEFAULT_DAYS = 90
API_TOKEN_MAX_DAYS = 365
API_TOKEN_EXPIRY_CHOICES = (30, 90, 365)
# last_used_at is written at most this often, so a script polling the API costs no write a call.
API_TOKEN_USE_RESOLUTION = timedelta(seconds=60)
_TOKEN_RE = re.compile(r"^linli_(?P<prefix>[0-9a-f]{8})_(?P<secret>[A-Za-z0-9_-]{43})$")


class ApiTokenError(LinliError):
    """Creating or revoking a token was refused (not staff, too many, bad expiry)."""

    code = "api_token_refused"
    status = 403


class InvalidApiToken(LinliError):
    """The bearer token does not open the API; ``details["reason"]`` is for the audit only."""

    code = "invalid_token"
    status = 401


class ReadOnlyApiToken(LinliError):
    code = "read_only_token"
    status = 403


@dataclass(frozen=True)
class NewApiToken:
    """A freshly created token: ``plain`` exists only here and on the page that shows it once."""

    token: ApiToken
    plain: str


def hash_api_token(plain: str) -> str:
    """SHA-256 of the whole token: 256 random bits need no salt or slow hash to resist guessing."""
    return hashlib.sha256(plain.encode()).hexdigest()


def may_have_api_token(user: AnyUser) -> TypeGuard[User]:
    """Staff only: residents and other roles use the pages, never the staff API."""
    return bool(user.is_authenticated and user.is_active and user.is_staff_role)


def may_write_with_token(user: AnyUser) -> bool:
    """Write tokens only for the roles that may create and change places (EDITOR_ROLES)."""
    return may_have_api_token(user) and bool(user.is_superuser or user.role in EDITOR_ROLES)


def create_api_token(
    *,
    owner: User,
    name: str,
    days: int = API_TOKEN_DEFAULT_DAYS,
    read_only: bool = True,
    request: HttpRequest | None = None,
) -> NewApiToken:
    """Create a personal API token for ``owner`` and return the plain token, once.

    Refused (ApiTokenError) for non-staff, for a write token of a non-editor, for an expiry
    outside 1–365 days and beyond API_TOKEN_MAX_ACTIVE active tokens. The owner's row is locked
    so two simultaneous requests cannot both pass the limit.
    """
    name = name.strip()
    if not may_have_api_token(owner):
        raise ApiTokenError(gettext_lazy("Only staff accounts can have API tokens."))
    if not read_only and not may_write_with_token(owner):
        raise ApiTokenError(
            gettext_lazy("Your role may only have read-only tokens."), code="write_not_allowed"
        )
    if not 1 <= days <= API_TOKEN_MAX_DAYS:
        raise ApiTokenError(
            gettext_lazy("A token is valid for at most %(days)s days.")
            % {"days": API_TOKEN_MAX_DAYS},
            code="invalid_expiry",
        )
    if not name:
        raise ApiTokenError(
            gettext_lazy("Say what the token is for, e.g. “nightly station export”."),
            code="name_required",
        )
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=owner.pk).first()
        if ApiToken.objects.filter(owner=owner).active(now).count() >= API_TOKEN_MAX_ACTIVE:
            raise ApiTokenError(
                gettext_lazy(
                    "You already have %(count)s active tokens. Revoke one you no longer need first."
                )
                % {"count": API_TOKEN_MAX_ACTIVE},
                code="too_many_tokens",
            )
        prefix = secrets.token_hex(4)
        while ApiToken.objects.filter(prefix=prefix).exists():
            prefix = secrets.token_hex(4)
        plain = f"{API_TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken.objects.create(
            owner=owner,
            name=name[:80],
            prefix=prefix,
            token_hash=hash_api_token(plain),
            read_only=read_only,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        record(
            actor=owner,
            action=AuditEntry.Action.TOKEN_CREATED,
            obj=token,
            district_id=owner.district_id,
            request=request,
            changes={
                "prefix": prefix,
                "name": token.name,
                "read_only": read_only,
                "expires_at": token.expires_at.isoformat(),
            },
        )
    return NewApiToken(token=token, plain=plain)


def revoke_api_token(*, owner: User, pk: Any, request: HttpRequest | None = None) -> ApiToken:
    """Revoke one of ``owner``'s tokens; another user's token is NotFound, as if absent.

    Revoking twice is harmless (the first time stays recorded).
    """
    try:
        token_pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(gettext_lazy("There is no such token.")) from None
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(owner=owner, pk=token_pk).first()
        if token is None:
            raise NotFound(gettext_lazy("There is no such token."))
        if token.revoked_at is None:
            _revoke(token, actor=owner, district_id=owner.district_id, request=request)
    return token


def _revoke(
    token: ApiToken, *, actor: User, district_id: int | None, request: HttpRequest | None
) -> None:
    """Revoke a locked, live token and audit it (inside the caller's transaction)."""
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(
        actor=actor,
        action=AuditEntry.Action.TOKEN_REVOKED,
        obj=token,
        district_id=district_id,
        request=request,
        changes={"prefix": token.prefix, "revoked_at": [None, token.revoked_at.isoformat()]},
    )


def authenticate_api_token(plain: str, *, method: str, request: HttpRequest | None = None) -> User:
    """The owner of the bearer token ``plain``, or InvalidApiToken / ReadOnlyApiToken.

    Refuses malformed, unknown, wrong-secret, expired and revoked tokens and inactive or no
    longer staff owners (all 401, one message, so a caller learns nothing about which), and
    every method but GET/HEAD/OPTIONS with a read-only token (403). Audited: the first use of
    each token (TOKEN_USED) and each refused use of an expired or revoked one (TOKEN_REFUSED):
    those are the tokens someone may have leaked. last_used_at moves at most once a minute.
    """
    invalid = InvalidApiToken(gettext_lazy("This API token is not valid, or has expired."))
    found = _TOKEN_RE.match(plain.strip())
    if found is None:
        raise invalid
    token = ApiToken.objects.select_related("owner").filter(prefix=found["prefix"]).first()
    if token is None or not hmac.compare_digest(token.token_hash, hash_api_token(plain.strip())):
        raise invalid
    now = timezone.now()
    owner = token.owner
    state = token.status(now)
    if state != "active":
        record(
            actor=None,
            action=AuditEntry.Action.TOKEN_REFUSED,
            obj=token,
            district_id=owner.district_id,
            request=request,
            changes={"reason": f"token_{state}", "method": "api_token", "prefix": token.prefix},
        )
        raise invalid
    if not may_have_api_token(owner):
        raise invalid
    if method.upper() not in {"GET", "HEAD", "OPTIONS"} and (
        token.read_only or not may_write_with_token(owner)
    ):
        raise ReadOnlyApiToken(
            gettext_lazy("This API token is read-only: it may only read (GET), not change data.")
        )
    if token.last_used_at is None:
        first = ApiToken.objects.filter(pk=token.pk, last_used_at__isnull=True).update(
            last_used_at=now
        )
        if first:
            record(
                actor=owner,
                action=AuditEntry.Action.TOKEN_USED,
                obj=token,
                district_id=owner.district_id,
                request=request,
                changes={"method": "api_token", "prefix": token.prefix, "first_use": True},
            )
    elif now - token.last_used_at >= API_TOKEN_USE_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return owner


def revoke_api_tokens_as_superuser(
    *, actor: User, tokens: Iterable[ApiToken], request: HttpRequest | None = None
) -> int:
    """A superuser revokes other people's tokens (Django admin), e.g. when one has leaked."""
    if not actor.is_superuser:
        raise PermissionDenied
    revoked = 0
    with transaction.atomic():
        live = (
            ApiToken.objects.select_for_update(of=("self",))
            .select_related("owner")
            .filter(pk__in=[t.pk for t in tokens], revoked_at__isnull=True)
        )
        for token in live:
            _revoke(token, actor=actor, district_id=token.owner.district_id, request=request)
            revoked += 1
    return revoked
