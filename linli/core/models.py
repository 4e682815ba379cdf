"""The audit log: who changed what and when, kept at least six months."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditEntry(models.Model):
    """One recorded action. Personal fields are stored masked (see linli.core.audit)."""

    class Action(models.TextChoices):
        CREATE = "create", pgettext_lazy("audit action", "created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")
        IMPORT = "import", _("imported")
        EXPORT = "export", _("exported")
        VIEW_PERSONAL = "view_personal", _("viewed personal data")
        VIEW_HEALTH = "view_health", _("viewed health data")
        LOGIN = "login", _("logged in")
        LOGIN_FAILED = "login_failed", _("failed to log in")
        LOCKED = "locked", _("was locked out")
        LOGOUT = "logout", _("logged out")
        SECOND_FACTOR_ENROLLED = "second_factor", _("enrolled a second factor")
        UNLOCKED = "unlocked", _("unlocked an account")
        THROTTLED = "throttled", _("was refused for too many attempts from one network")
        TOKEN_CREATED = "token_created", _("created an API token")
        TOKEN_USED = "token_used", _("first used an API token")
        TOKEN_REFUSED = "token_refused", _("used an expired or revoked API token")
        TOKEN_REVOKED = "token_revoked", _("revoked an API token")

    district = models.ForeignKey(
        "areas.District", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["district", "-at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"
