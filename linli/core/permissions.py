"""Who may read the audit log: district administrators (their own district) and superusers.

Everyone else — subdistrict and community staff, station keepers, residents — is refused with
403: the log shows logins and changes across the whole district.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from linli.accounts.models import Role
from linli.core.models import AuditEntry


def can_read_audit_log(user: Any) -> bool:
    """Whether ``user`` may open the audit log page."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser or (user.role == Role.DISTRICT_ADMIN and user.district_id))


def audit_entries_for_user(user: Any) -> QuerySet[AuditEntry]:
    """The entries ``user`` may read; raises PermissionDenied for anyone else.

    Entries without a district (failed logins with unknown usernames, system commands) are
    visible to superusers only.
    """
    if not can_read_audit_log(user):
        raise PermissionDenied
    entries = AuditEntry.objects.select_related("district")
    if user.is_superuser:
        return entries
    return entries.filter(district_id=user.district_id)
