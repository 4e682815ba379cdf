"""Writing audit entries: every service that changes data calls ``record`` in its transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import models

from linli.core.ip import client_ip
from linli.core.masking import mask_id_number, mask_name, mask_phone
from linli.core.models import AuditEntry
from linli.core.types import UserLike

if TYPE_CHECKING:
    from django.http import HttpRequest

# Field names whose values are personal; the audit log keeps them masked so that the log itself
# does not become a copy of the personal data.
PERSONAL_FIELDS = {
    "phone": mask_phone,
    "contact_phone": mask_phone,
    "id_number": mask_id_number,
    "contact_name": mask_name,
    "real_name": mask_name,
}


def _clean(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, fields: Iterable[str]
) -> dict[str, Any]:
    """The changed fields as {field: [old, new]}, personal values masked."""
    changes: dict[str, Any] = {}
    for field in fields:
        old, new = _clean(before.get(field)), _clean(after.get(field))
        if old != new:
            mask = PERSONAL_FIELDS.get(field)
            if mask:
                old, new = mask(old), mask(new)
            changes[field] = [old, new]
    return changes


def record(
    *,
    actor: UserLike | None,
    action: str,
    obj: models.Model | None = None,
    district_id: int | None = None,
    changes: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
    object_type: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """Append one entry to the audit log."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_repr = object_repr or str(obj)[:200]
        if district_id is None:
            district_id = getattr(obj, "district_id", None)
    if district_id is None and actor is not None:
        district_id = getattr(actor, "district_id", None)
    ip = None
    if request is not None:
        # The visitor's address, not the reverse proxy's (LINLI_TRUSTED_PROXIES).
        ip = client_ip(request)
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditEntry.objects.create(
        district_id=district_id,
        actor_id=user.pk if user is not None else None,
        actor_label=(user.get_username() if user is not None else "")[:150],
        action=action,
        object_type=object_type,
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=object_repr[:200],
        changes=dict(changes or {}),
        ip_address=ip,
    )
