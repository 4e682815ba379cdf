"""Read-side functions of the audit log: filtering and the masked rows the page shows."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
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
# Stored values that only an app above core can name (accounts: roles), registered from its
# AppConfig.ready through register_value_labels.
_KEY_LABELS: dict[str, dict[str, Any]] = {}


def register_value_labels(key: str, labels: Iterable[tuple[str, Any]]) -> None:
    """Show the values stored under ``key`` in audit entries by these (lazy) labels."""
    _KEY_LABELS[key] = dict(labels)


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
    # A change is stored as [old, new]: only a plain string can be a reason code.
    if key == "reason" and isinstance(value, str) and value in _REASON_LABELS:
        return str(_REASON_LABELS[value])
    if key in _KEY_LABELS and isinstance(value, str):
        return str(_KEY_LABELS[key].get(value, value))
    if isinstance(value, str) and value in _VALUE_LABELS:
        return str(_VALUE_LABELS[value])
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
    return _format(value)


def _model(label: str) -> Any:
    from django.apps import apps

    try:
        return apps.get_model(label) if label else None
    except (LookupError, ValueError):
        return None


def _key_label(model: Any, key: str) -> str:
    """A change key in words: the shared labels, the model's own words for keys that are not
    fields (``audit_key_label``), the field's verbose name; the key as stored otherwise."""
    if key in _CHANGE_LABELS:
        return str(_CHANGE_LABELS[key])
    if model is None:
        return key
    own = getattr(model, "audit_key_label", None)
    label = own(key) if own is not None else None
    if label:
        return str(label)
    try:
        field = model._meta.get_field(key)
    except Exception:  # FieldDoesNotExist
        return key
    if field.is_relation and field.related_model is not None:
        # A foreign key without its own verbose name would read as the bare field name.
        return str(field.related_model._meta.verbose_name)
    return str(getattr(field, "verbose_name", key))


def _change_words(model: Any, key: str, value: Any) -> str:
    """A change's value in words: the model's own reading (``audit_value_words``, applied to
    each side of an ``[old, new]`` pair), a field's choice labels, else the shared formatting."""
    own = getattr(model, "audit_value_words", None) if model is not None else None
    choices: dict[Any, Any] = {}
    if model is not None:
        try:
            choices = dict(model._meta.get_field(key).flatchoices)
        except Exception:  # not a field
            choices = {}

    def side(v: Any) -> str | None:
        words = own(key, v) if own is not None else None
        if words is None and choices and isinstance(v, str | int) and v in choices:
            words = str(choices[v])
        return words

    if isinstance(value, list) and len(value) == 2:
        old, new = side(value[0]), side(value[1])
        if old is not None or new is not None:
            return f"{old or _value_label('', value[0])} → {new or _value_label('', value[1])}"
    whole = side(value)
    return whole if whole is not None else _value_label(key, value)


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
        model = _model(entry.object_type)
        changes = _mask_value("", entry.changes) if isinstance(entry.changes, dict) else {}
        rows.append(
            AuditRow(
                at=entry.at,
                actor=mask_text(entry.actor_label) if entry.actor_label else "",
                action=entry.action,
                action_label=str(labels.get(entry.action, entry.action)),
                object_type=str(model._meta.verbose_name)
                if model is not None
                else entry.object_type,
                object_repr=mask_text(entry.object_repr),
                changes=[
                    (_key_label(model, k), _change_words(model, k, v)) for k, v in changes.items()
                ],
                ip_address=entry.ip_address or "",
                district=str(entry.district) if entry.district_id else "",
            )
        )
    return rows
