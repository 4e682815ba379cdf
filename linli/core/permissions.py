"""Who may read the audit log: superusers, and users whose ``reads_audit_log`` says so.

Core knows no roles: ``linli.accounts.models.User.reads_audit_log`` decides (district
administrators, for their own district). Everyone else — subdistrict and community staff, station
keepers, residents — is refused with 403: the log shows logins and changes across the whole
district.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from linli.core.models import AuditEntry
from linli.core.types import UserLike


def can_read_audit_log(user: UserLike | None) -> bool:
    """Whether ``user`` may open the audit log page."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser or getattr(user, "reads_audit_log", False))


def audit_entries_for_user(user: UserLike | None) -> QuerySet[AuditEntry]:
    """The entries ``user`` may read; raises PermissionDenied for anyone else.

    Entries without a district (failed logins with unknown usernames, system commands) are
    visible to superusers only.
    """
    if user is None or not can_read_audit_log(user):
        raise PermissionDenied
    entries = AuditEntry.objects.select_related("district")
    if user.is_superuser:
        return entries
    district_id: int | None = getattr(user, "district_id", None)
    return entries.filter(district_id=district_id) if district_id is not None else entries.none()
