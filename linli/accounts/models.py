"""Users, their role and their scope in the hierarchy.

The hierarchy is district → subdistrict → community → station.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractUser, AnonymousUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.masking import mask_phone

if TYPE_CHECKING:
    from django_otp.models import Device


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    SUBDISTRICT_STAFF = "subdistrict_staff", _("Subdistrict staff")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    STATION_KEEPER = "station_keeper", _("Station keeper")
    UNIT_LIAISON = "unit_liaison", _("Unit liaison")
    PARTY_MEMBER = "party_member", _("Party member")
    VOLUNTEER = "volunteer", _("Volunteer")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    RESIDENT = "resident", _("Resident")
    # Reads the health readings of its community's residents (linli.kiosks); community scope.
    FAMILY_DOCTOR = "family_doctor", _("Family doctor")


STAFF_ROLES = frozenset(
    {
        Role.DISTRICT_ADMIN,
        Role.SUBDISTRICT_STAFF,
        Role.COMMUNITY_STAFF,
        Role.STATION_KEEPER,
        Role.FAMILY_DOCTOR,
    }
)
# The roles that create and change records in their area (places, and the feature apps' records
# that belong to an area); a station keeper changes only their own station's hours and services.
EDITOR_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF, Role.COMMUNITY_STAFF})


@dataclass(frozen=True)
class Scope:
    """The part of the hierarchy a user works in; the narrowest non-empty level wins.

    ``None`` at a level means "not restricted at this level"; ``-1`` means "restricted here but
    no node assigned", which matches nothing. A scope with no district
    (``district_id is None``) sees nothing, except for superusers (``everything``).
    """

    district_id: int | None
    subdistrict_id: int | None = None
    community_id: int | None = None
    station_id: int | None = None
    everything: bool = False

    @property
    def level(self) -> str:
        if self.everything:
            return "all"
        if self.station_id:
            return "station"
        if self.community_id:
            return "community"
        if self.subdistrict_id:
            return "subdistrict"
        if self.district_id:
            return "district"
        return "none"


class User(AbstractUser):
    """A person who logs in: staff with a password, residents with their phone number."""

    role = models.CharField(_("role"), max_length=24, choices=Role.choices, default=Role.RESIDENT)
    real_name = models.CharField(pgettext_lazy("person", "name"), max_length=50, blank=True)
    phone = models.CharField(_("mobile"), max_length=20, blank=True, db_index=True)
    district = models.ForeignKey(
        "areas.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("district"),
    )
    subdistrict = models.ForeignKey(
        "areas.Subdistrict",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("subdistrict"),
    )
    community = models.ForeignKey(
        "areas.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("community"),
    )
    station = models.ForeignKey(
        "places.Station",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="keepers",
        verbose_name=_("station"),
    )
    organisation = models.ForeignKey(
        "places.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("organisation"),
    )
    # Password lockout (linli.accounts.services.check_password_login): consecutive failures
    # within LINLI_LOCKOUT_SECONDS of each other; the count restarts after a quiet period.
    failed_logins = models.PositiveSmallIntegerField(_("failed logins"), default=0)
    last_failed_login = models.DateTimeField(_("last failed login"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    objects = UserManager()  # type: ignore[misc]  # django-stubs wants UserManager[User]

    # Not columns: django_otp's OTPMiddleware (settings.MIDDLEWARE) sets these on each request's
    # user, and linli.accounts.views sets ``otp_device`` before ``login``. Declared so that the
    # code reading them is typed.
    otp_device: Device | None
    is_verified: Callable[[], bool]

    @property
    def reads_audit_log(self) -> bool:
        """District administrators read their district's audit log (``linli.core.permissions``)."""
        return self.role == Role.DISTRICT_ADMIN and self.district_id is not None

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = (
            models.UniqueConstraint(
                fields=["district", "phone"],
                condition=~models.Q(phone=""),
                name="user_phone_unique_in_district",
            ),
        )

    def __str__(self) -> str:
        return self.real_name or self.username

    def masked_label(self) -> str:
        """How pages other people may see name this user: the name and the masked mobile."""
        phone = mask_phone(self.phone) if self.phone else ""
        if self.real_name and phone:
            return f"{self.real_name} · {phone}"
        return self.real_name or phone or mask_phone(self.username)

    def is_locked(self, now: dt.datetime) -> bool:
        """Whether password login is refused at ``now`` after repeated failures."""
        return self.locked_until is not None and self.locked_until > now

    @property
    def is_resident(self) -> bool:
        """Whether the user is a resident, who logs in with a phone code instead of a password."""
        return self.role == Role.RESIDENT and not self.is_superuser

    @property
    def is_staff_role(self) -> bool:
        """Whether the user works in the staff console (district to station level)."""
        return self.is_superuser or self.role in STAFF_ROLES

    @property
    def scope(self) -> Scope:
        """Where in the hierarchy this user may read and act."""
        if self.is_superuser:
            return Scope(district_id=self.district_id, everything=True)
        role = self.role
        if role == Role.DISTRICT_ADMIN:
            return Scope(district_id=self.district_id)
        if role == Role.SUBDISTRICT_STAFF:
            return Scope(district_id=self.district_id, subdistrict_id=self.subdistrict_id or -1)
        if role == Role.STATION_KEEPER:
            return Scope(
                district_id=self.district_id,
                community_id=self.community_id,
                station_id=self.station_id or -1,
            )
        if role in STAFF_ROLES or role in {Role.UNIT_LIAISON, Role.PARTY_MEMBER, Role.VOLUNTEER}:
            return Scope(district_id=self.district_id, community_id=self.community_id or -1)
        return Scope(district_id=self.district_id, community_id=-1)


# Who is asking: a signed-in user or Django's AnonymousUser (``request.user``). Permission
# functions take this; they narrow it with ``user.is_authenticated`` before reading a role.
type AnyUser = User | AnonymousUser


class PhoneCode(models.Model):
    """A one-time login code sent to a resident's phone; only its keyed hash is stored.

    Rows double as the send log the rate limits count (linli.accounts.services.request_phone_code),
    so they are kept after use; prune_phone_codes (run by prune_audit) deletes old ones.
    """

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(max_length=20, db_index=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("phone login code")
        verbose_name_plural = _("phone login codes")

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]} {self.created_at:%Y-%m-%d %H:%M}"

    def is_usable(self, now: dt.datetime) -> bool:
        """Whether the code may still be tried: not used, not expired, not killed by wrong tries."""
        return not self.used and self.expires_at > now


class Session(AbstractBaseSession):
    """A Django session plus the id of the user it logs in (empty for anonymous sessions).

    The store is linli.accounts.sessions.SessionStore: it reads this row and the user's in
    one query, and the user id lets an account be logged out everywhere.
    """

    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        db_table = "accounts_session"
        verbose_name = "session"
        verbose_name_plural = "sessions"

    @classmethod
    def get_session_store_class(cls) -> Any:
        from linli.accounts.sessions import SessionStore

        return SessionStore


class ThrottleBucket(models.Model):
    """Counted login events of one client address in one scope, in a fixed window.

    Written and read only by linli.accounts.throttle (one upsert / one SELECT on the unique
    key); rows whose window has ended are deleted by ``linli prune_throttle``.
    """

    scope = models.CharField(max_length=20)
    # An IPv4 address, an IPv6 /64 ("2001:db8:1:2::/64") or "unknown".
    address = models.CharField(max_length=64)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("address limit")
        verbose_name_plural = _("address limits")
        constraints = (
            models.UniqueConstraint(fields=["scope", "address"], name="throttle_scope_address"),
        )

    def __str__(self) -> str:
        return f"{self.scope} {self.address}: {self.hits}"


API_TOKEN_PREFIX = "linli"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self, now: dt.datetime) -> ApiTokenQuerySet:
        """Tokens that still open the API at ``now``: not revoked and not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    """A personal API token (个人接口令牌) for scripts: it acts as its owner, never as more.

    Only the SHA-256 of the whole token is stored; the plain token
    ``linli_<prefix>_<secret>`` is shown once at creation (linli.accounts.services
    .create_api_token). ``prefix`` is public: it finds the row and lets people recognise the
    token in lists and logs. linli.accounts.api_auth.TokenAuth checks it on every API request.
    """

    owner = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("purpose"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    token_hash = models.CharField(max_length=64)
    read_only = models.BooleanField(_("read only"), default=True)
    created_at = models.DateTimeField(pgettext_lazy("timestamp", "created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    # Written at most once a minute (TokenAuth): a nightly script must not cost a write per call.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{API_TOKEN_PREFIX}_{self.prefix}_… ({self.name})"

    @property
    def district_id(self) -> int | None:
        """The owner's district, so audit entries about the token land in it."""
        return self.owner.district_id

    def status(self, now: dt.datetime) -> str:
        """The token's state at ``now``: active, revoked or expired (revoked wins: a decision)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"
