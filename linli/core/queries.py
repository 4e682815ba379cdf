"""Read-side functions of the audit log: filtering and the masked rows the page shows."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.audit import PERSONAL_FIELDS
from linli.core.masking import mask_id_number, mask_phone
from linli.core.models import AuditEntry

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


# Labels for the keys and reason codes the accounts services write (linli.accounts.services);
# unknown keys are shown as stored.
_CHANGE_LABELS = {
    "reason": _("reason"),
    "method": _("method"),
    "locked_until": _("locked until"),
    "fields": _("fields shown"),
    "role": _("role"),
    "via": _("created by"),
    "phone": _("mobile"),
    "second_factor": _("second factor"),
    "real_name": pgettext_lazy("person", "name"),
}
_REASON_LABELS = {
    "wrong_password": _("wrong password"),
    "unknown_username": _("unknown username"),
    "locked": _("attempt while locked"),
    "locked_right_password": _("right password while locked"),
    "wrong_totp": _("wrong second-factor code"),
    "wrong_code": _("wrong text-message code"),
    "no_valid_code": _("no valid text-message code"),
    "not_a_resident_account": _("not a resident account"),
}


_VALUE_LABELS = {
    "password": _("password"),
    "password+totp": _("password and authenticator code"),
    "phone_code": _("text-message code"),
    "create_staff": _("command line (create_staff)"),
    "totp": _("authenticator app"),
    "pending": _("not yet verified"),
    "other": _("other"),
}


def _value_label(key: str, value: Any) -> str:
    """A stored machine value in words: reasons, methods, roles, timestamps."""
    if key == "reason" and value in _REASON_LABELS:
        return str(_REASON_LABELS[value])
    if key == "role" and isinstance(value, str):
        from linli.accounts.models import Role

        return str(dict(Role.choices).get(value, value))
    if isinstance(value, str) and value in _VALUE_LABELS:
        return str(_VALUE_LABELS[value])
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
    return _format(value)


def _object_type_label(label: str) -> str:
    """The model's name in the reader's language ("accounts.user" → "用户")."""
    from django.apps import apps

    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return label
    return str(model._meta.verbose_name)


def mask_text(text: str) -> str:
    """Mask mobile and ID numbers wherever they appear in free text (usernames, labels).

    Residents' usernames are their phone numbers, so actor labels and object names can carry
    them even though the audit writer masks the known personal fields.
    """
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILE.sub(lambda m: mask_phone(m.group()), text)


def _mask_value(field: str, value: Any) -> Any:
    mask = PERSONAL_FIELDS.get(field)
    if isinstance(value, str):
        return mask(value) if mask else mask_text(value)
    if isinstance(value, list):
        return [_mask_value(field, v) for v in value]
    if isinstance(value, dict):
        return {k: _mask_value(k, v) for k, v in value.items()}
    return value


def filter_audit_entries(
    entries: QuerySet[AuditEntry],
    *,
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    user: str = "",
) -> QuerySet[AuditEntry]:
    """Entries of one action, between two local dates (inclusive), by actors matching ``user``."""
    if action:
        entries = entries.filter(action=action)
    tz = timezone.get_current_timezone()
    if date_from:
        entries = entries.filter(at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        entries = entries.filter(
            at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    if user:
        entries = entries.filter(
            Q(actor_label__icontains=user)
            | Q(actor__real_name__icontains=user)
            | Q(object_repr__icontains=user)
        )
    return entries


@dataclass(frozen=True)
class AuditRow:
    """One entry as the page shows it, every personal value masked."""

    at: dt.datetime
    actor: str
    action: str
    action_label: str
    object_type: str
    object_repr: str
    changes: list[tuple[str, str]]
    ip_address: str
    district: str


def _format(value: Any) -> str:
    if isinstance(value, list) and len(value) == 2:
        old, new = value
        return f"{_value_label('', old)} → {_value_label('', new)}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return _blank(value)


def _blank(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


def audit_rows(entries: list[AuditEntry]) -> list[AuditRow]:
    """The page's rows for ``entries``."""
    labels = dict(AuditEntry.Action.choices)
    rows = []
    for entry in entries:
        changes = _mask_value("", entry.changes) if isinstance(entry.changes, dict) else {}
        rows.append(
            AuditRow(
                at=entry.at,
                actor=mask_text(entry.actor_label) if entry.actor_label else "",
                action=entry.action,
                action_label=str(labels.get(entry.action, entry.action)),
                object_type=_object_type_label(entry.object_type) if entry.object_type else "",
                object_repr=mask_text(entry.object_repr),
                changes=[
                    (str(_CHANGE_LABELS.get(k, k)), _value_label(k, v)) for k, v in changes.items()
                ],
                ip_address=entry.ip_address or "",
                district=str(entry.district) if entry.district_id else "",
            )
        )
    return rows
