"""The daily 异常待随访 list: residents whose readings crossed a threshold, for the family doctor.

``build_daily_list`` judges a day's readings by the threshold table in force that day
(linli.kiosks.thresholds) and files one ``FollowUp`` per resident and day (run daily by
``linli kiosk followups``; re-running adds later readings and never duplicates). The doctor
closes a follow-up with a note; a recheck is then due two weeks later, and
``send_recheck_reminders`` texts residents who linked their phone.

Only values' judgements are stored on the follow-up (finding, level, limit, reading id), never
the values themselves: they stay encrypted in ``Reading`` and are decrypted on the doctor's
detail page, whose read is audited (linli.kiosks.permissions.get_followup_for_doctor).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AnyUser
from linli.core import audit, limits
from linli.core.exceptions import Conflict, LinliError, NotFound
from linli.core.models import AuditEntry
from linli.kiosks import permissions, services, thresholds
from linli.kiosks.models import (
    DeviceKind,
    FollowUp,
    HealthConsent,
    HealthSubject,
    Reading,
    ThresholdTable,
)

RECHECK_AFTER = dt.timedelta(days=14)


def table_in_force(day: dt.date) -> ThresholdTable | None:
    """The threshold table that applies to readings measured on ``day``."""
    return ThresholdTable.objects.filter(valid_from__lte=day).order_by("-valid_from").first()


def ensure_default_table() -> ThresholdTable:
    """The default table (the data migration creates it; tests that flush call this)."""
    table, _created = ThresholdTable.objects.get_or_create(
        version=thresholds.DEFAULT_VERSION,
        defaults={"valid_from": dt.date(2000, 1, 1), "rules": thresholds.DEFAULT_RULES},
    )
    return table


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def build_daily_list(*, day: dt.date) -> int:
    """File the follow-ups for readings measured on ``day``; returns how many were new."""
    table = table_in_force(day)
    if table is None:
        return 0
    start, end = _day_bounds(day)
    consenting = HealthConsent.objects.filter(withdrawn_at__isnull=True).values(
        "subject__pseudonym"
    )
    readings = Reading.objects.filter(
        measured_at__gte=start,
        measured_at__lt=end,
        device__kind=DeviceKind.HEALTH_KIOSK,
        subject__in=consenting,
    ).order_by("measured_at", "pk")
    findings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for reading in readings.iterator(chunk_size=2000):
        found = thresholds.evaluate(table.rules, reading.item, services.reading_value(reading))
        if found is not None:
            findings[reading.subject].append(
                {
                    "reading": reading.pk,
                    "item": found.item,
                    "finding": found.finding,
                    "level": found.level,
                    "op": found.op,
                    "limit": found.limit,
                }
            )
    created = 0
    subjects = HealthSubject.objects.in_bulk(list(findings), field_name="pseudonym")
    for pseudonym, found_list in findings.items():
        subject = subjects[pseudonym]
        level = "urgent" if any(f["level"] == "urgent" for f in found_list) else "abnormal"
        with transaction.atomic():
            follow_up = (
                FollowUp.objects.select_for_update().filter(subject=subject, day=day).first()
            )
            if follow_up is None:
                FollowUp.objects.create(
                    district_id=subject.district_id,
                    community_id=subject.community_id,
                    subject=subject,
                    day=day,
                    level=level,
                    findings=found_list,
                    table_version=table.version,
                    created_at=timezone.now(),
                )
                created += 1
            elif follow_up.status == FollowUp.Status.OPEN:
                known = {f["reading"] for f in follow_up.findings}
                new = [f for f in found_list if f["reading"] not in known]
                if new:
                    follow_up.findings = [*follow_up.findings, *new]
                    if level == "urgent":
                        follow_up.level = "urgent"
                    follow_up.save(update_fields=["findings", "level"])
    return created


def close_followup(
    *,
    actor: AnyUser,
    follow_up: FollowUp,
    note: str,
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> FollowUp:
    """The family doctor closes a follow-up with a note; a recheck falls due two weeks later."""
    now = now or timezone.now()
    note = note.strip()
    if not note:
        raise LinliError(
            _("Write down what was done before closing the follow-up."),
            code="required",
            field="note",
        )
    if problem := limits.text_problem(note, max_length=limits.DESCRIPTION, multiline=True):
        raise LinliError(problem, code="invalid", field="note")
    with transaction.atomic():
        locked = (
            permissions.followups_for_doctor(actor)
            .select_for_update()
            .filter(pk=follow_up.pk)
            .first()
        )
        # Only a family doctor's list holds the row (the second test says so to the checker).
        if locked is None or not permissions.is_family_doctor(actor):
            raise NotFound(_("No such follow-up."))
        if locked.status == FollowUp.Status.CLOSED:
            raise Conflict(_("This follow-up has been closed already."), code="already_closed")
        locked.status = FollowUp.Status.CLOSED
        locked.closed_at = now
        locked.closed_by = actor
        locked.closing_note = note
        locked.recheck_due = timezone.localdate(now) + RECHECK_AFTER
        locked.save(
            update_fields=["status", "closed_at", "closed_by", "closing_note", "recheck_due"]
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            request=request,
            object_repr=f"{locked.subject.label} {locked.day}",
            changes={"status": ["open", "closed"]},
        )
    return locked


def send_recheck_reminders(*, today: dt.date) -> int:
    """Text residents whose recheck is due (those who linked a phone); each reminded once."""
    from linli.accounts.sms import get_sender
    from linli.kiosks.health import has_consent

    due = FollowUp.objects.select_related("subject__user").filter(
        status=FollowUp.Status.CLOSED, recheck_due__lte=today, recheck_reminded_at__isnull=True
    )
    sent = 0
    sender = get_sender()
    for follow_up in due:
        user = follow_up.subject.user
        with transaction.atomic():
            FollowUp.objects.filter(pk=follow_up.pk).update(recheck_reminded_at=timezone.now())
        if user is None or not user.phone or not has_consent(follow_up.subject):
            continue
        from django.utils import translation

        with translation.override(settings.LANGUAGE_CODE):
            message = _(
                "[Linli] Your family doctor asks you to measure again at the smart hut's health "
                "kiosk in the next few days."
            )
        sender.send(phone=user.phone, message=message)
        sent += 1
    return sent
