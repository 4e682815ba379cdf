"""The one skeleton every write follows: lock → validate → save → audit (→ signal).

A service says what is particular to its resource — how to get the row under a lock through the
permission chokepoint, how to snapshot it for the audit log, what to validate and save — and
:func:`audited_change` does the rest in one transaction::

    with audited_change(
        actor=actor, action=UPDATE, lock=lambda: _locked_compound(actor, compound),
        snapshot=_compound_snapshot, fields=COMPOUND_FIELDS, request=request,
    ) as change:
        _apply_compound(actor, change.obj, data, change.obj.district)
    return change.obj

On leaving the block the audit entry holds the diff of the snapshots before and after (an update
that changed nothing writes no entry); a delete is recorded while the row still has its primary
key and then removed. A refusal raised inside the block rolls everything back, the audit entry
included. places' services use it for every resource; a new app's services use it the same way
(``docs/architecture.md``). It knows no domain: the app gives the lock, the snapshot and the
signal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.dispatch import Signal
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.exceptions import Conflict
from linli.core.models import AuditEntry
from linli.core.types import UserLike

if TYPE_CHECKING:
    from django.http import HttpRequest

CREATE = AuditEntry.Action.CREATE
UPDATE = AuditEntry.Action.UPDATE
DELETE = AuditEntry.Action.DELETE


@dataclass(eq=False, kw_only=True)
class Change[M: models.Model]:
    """One write in progress: the row, its state before, and what the audit entry will say.

    The body may set:

    - ``action``: an upsert decides between create and update;
    - ``subject``: the entry is about another row than the locked one (an exception of a locked
      station);
    - ``after``: the snapshot after, when the body has it at hand without a query;
    - ``changes``: instead of the diff of the snapshots; ``context``: always recorded (the
      station's code);
    - ``object_repr``, ``district_id``: passed to ``linli.core.audit.record``;
    - ``delete``: remove the subject (``obj`` unless ``subject`` is set) after the entry;
      ``remove``: other rows to remove after the entry (a period's days).
    """

    obj: M
    before: dict[str, Any]
    action: str
    subject: models.Model | None = None
    after: Mapping[str, Any] | None = None
    changes: dict[str, Any] | None = None
    context: dict[str, Any] = field(default_factory=dict)
    object_repr: str = ""
    district_id: int | None = None
    delete: bool = False
    remove: list[models.Model] = field(default_factory=list)


@contextmanager
def audited_change[M: models.Model](
    *,
    actor: UserLike,
    action: str,
    lock: Callable[[], M],
    snapshot: Callable[[M], Mapping[str, Any]] | None = None,
    fields: Iterable[str] = (),
    request: HttpRequest | None = None,
    delete: bool = False,
    signal: Signal | None = None,
) -> Iterator[Change[M]]:
    """Run one write in a transaction and record it in the audit log.

    Parameters
    ----------
    actor
        Who writes; recorded with the entry.
    action
        ``CREATE``, ``UPDATE`` or ``DELETE`` (the body may change it, see :class:`Change`).
    lock
        Returns the row to change, re-read with ``select_for_update`` through the permission
        chokepoint (it raises ``NotFound``/``Forbidden``), or a new unsaved instance to create.
        Called inside the transaction.
    snapshot
        The audited fields of a row; the entry records the diff of ``snapshot`` before and after
        the block (a delete records the snapshot before).
    fields
        The keys of ``snapshot`` that are compared, in order.
    delete
        Delete the row (the entry's subject) after recording; the body may decide with
        ``change.delete``.
    signal
        Sent once the transaction commits, when an entry was written, with ``sender`` (the
        class of ``obj``), ``district_id``, ``pk`` and ``action`` (e.g. ``linli.places.signals``).
    """
    fields = tuple(fields)
    with transaction.atomic():
        obj = lock()
        before = dict(snapshot(obj)) if snapshot is not None and action != CREATE else {}
        change = Change(obj=obj, before=before, action=action, delete=delete)
        yield change
        changes = change.changes
        if changes is None:
            after: Mapping[str, Any] = {}
            if change.after is not None:
                after = change.after
            elif snapshot is not None and change.action != DELETE:
                after = snapshot(change.obj)
            changes = audit.diff(change.before, after, fields=fields)
        if change.action == UPDATE and not changes:
            return
        subject = change.subject if change.subject is not None else change.obj
        if signal is not None:
            _send_on_commit(signal, change.obj, change.action)
        audit.record(
            actor=actor,
            action=change.action,
            obj=subject,
            district_id=change.district_id,
            object_repr=change.object_repr,
            request=request,
            changes={**change.context, **changes},
        )
        if change.delete:
            _delete(subject)
        for row in change.remove:
            row.delete()


def _delete(subject: models.Model) -> None:
    """Delete ``subject``, or refuse (409, nothing changed) while other records still need it.

    A station with activities held there, an organisation that organised them: the rows that
    point at it with ``on_delete=PROTECT`` belong to apps this module does not know, so the
    message names them by their models' own names and counts.
    """
    try:
        subject.delete()
    except (ProtectedError, RestrictedError) as refused:
        held = (
            refused.protected_objects
            if isinstance(refused, ProtectedError)
            else (refused.restricted_objects)
        )
        counts: dict[str, int] = {}
        for row in held:
            name = str(row._meta.verbose_name_plural)
            counts[name] = counts.get(name, 0) + 1
        what = _(", ").join(f"{name} {count}" for name, count in sorted(counts.items()))
        raise Conflict(
            _(
                "“%(name)s” cannot be removed: other records still refer to it (%(what)s). "
                "Take it out of service instead, or move those records first."
            )
            % {"name": subject, "what": what},
            code="in_use",
        ) from refused


def _send_on_commit(signal: Signal, obj: models.Model, action: str) -> None:
    # Read now: a deleted row has lost its pk by the time the transaction commits.
    sender, pk, district_id = type(obj), obj.pk, getattr(obj, "district_id", None)
    transaction.on_commit(
        lambda: signal.send(sender=sender, district_id=district_id, pk=pk, action=action)
    )
