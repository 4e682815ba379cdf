"""Auditing views of personal data (a keeper's mobile, a resident's phone, a health record).

Any page that shows personal values unmasked calls ``record_personal_view``. A person who keeps
one record open and reloads it is recorded once per ``REPEAT_AFTER``, so the log stays readable.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.db import models
from django.http import HttpRequest

from linli.core.audit import record
from linli.core.models import AuditEntry
from linli.core.types import UserLike

REPEAT_AFTER = 600  # seconds
_SESSION_KEY = "linli_personal_views"


def record_personal_view(
    request: HttpRequest,
    obj: models.Model,
    *,
    fields: Iterable[str],
    object_repr: str = "",
    health: bool = False,
) -> AuditEntry | None:
    """Record that ``request.user`` saw ``fields`` of ``obj`` unmasked (at most every 10 min)."""
    user: UserLike | None = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    key = f"{obj._meta.label_lower}:{obj.pk}:{int(health)}"
    seen: dict[str, float] = request.session.get(_SESSION_KEY, {})
    now = time.time()
    if now - seen.get(key, 0) < REPEAT_AFTER:
        return None
    # Keep the session small: forget views older than the repeat window.
    seen = {k: t for k, t in seen.items() if now - t < REPEAT_AFTER}
    seen[key] = now
    request.session[_SESSION_KEY] = seen
    return record(
        actor=user,
        action=AuditEntry.Action.VIEW_HEALTH if health else AuditEntry.Action.VIEW_PERSONAL,
        obj=obj,
        request=request,
        object_repr=object_repr,
        changes={"fields": sorted(fields)},
    )
