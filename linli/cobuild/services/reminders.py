"""Texting the units on duty and the reported party members ahead of each co-construction day.

Run by the task worker (``linli.cobuild.tasks.send_day_reminders``, enqueued daily by
``linli cobuild_remind``). Each subdistrict says how many days ahead (``CoBuildPolicy.
remind_days_ahead``; 0: none). A reminder row is written in the same transaction as the text is
handed to the sender, so a second run sends nothing new, two concurrent runs cannot both text
one person (the row's unique key), and a failed send leaves no row and is tried again next run.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from linli.accounts.models import Role, User
from linli.accounts.sms import SmsSender, get_sender
from linli.cobuild.models import MAX_REMIND_DAYS_AHEAD, CoBuildDay, DayReminder, DutyAssignment
from linli.core.masking import mask_phone

logger = logging.getLogger("linli.cobuild")

DEFAULT_DAYS_AHEAD = 3


@dataclass(frozen=True)
class Recipient:
    """Someone to remind of a day: ``key`` is the idempotence key stored on ``DayReminder``."""

    key: str
    kind: str
    name: str
    phone: str
    organisation_id: int | None = None
    user_id: int | None = None


def days_ahead(day: CoBuildDay) -> int:
    """How many days before ``day`` its subdistrict's reminders go out (0: never)."""
    policy = getattr(day.subdistrict, "cobuild_policy", None)
    return DEFAULT_DAYS_AHEAD if policy is None else policy.remind_days_ahead


def recipients(day: CoBuildDay) -> list[Recipient]:
    """The day's units on duty (through their liaisons' mobiles) and its reported party members.

    A unit on duty without any liaison's mobile is a recipient with no phone: it is recorded as
    unreachable, so staff can call it themselves.
    """
    found: list[Recipient] = []
    seen_users: set[int] = set()
    duties = DutyAssignment.objects.filter(day=day).select_related("unit__organisation")
    for duty in duties:
        unit = duty.unit.organisation
        liaisons = User.objects.filter(
            role=Role.UNIT_LIAISON, organisation=unit, is_active=True
        ).exclude(phone="")
        reached = False
        for liaison in liaisons.order_by("pk"):
            reached = True
            if liaison.pk in seen_users:
                continue
            seen_users.add(liaison.pk)
            found.append(
                Recipient(
                    key=f"u{liaison.pk}",
                    kind=DayReminder.Kind.DUTY,
                    name=unit.name,
                    phone=liaison.phone,
                    organisation_id=unit.pk,
                    user_id=liaison.pk,
                )
            )
        if not reached:
            found.append(
                Recipient(
                    key=f"o{unit.pk}",
                    kind=DayReminder.Kind.DUTY,
                    name=unit.name,
                    phone="",
                    organisation_id=unit.pk,
                )
            )
    members = (
        User.objects.filter(
            role=Role.PARTY_MEMBER,
            is_active=True,
            district_id=day.district_id,
            community__subdistrict_id=day.subdistrict_id,
        )
        .exclude(phone="")
        .order_by("pk")
    )
    for member in members:
        if member.pk in seen_users:
            continue
        seen_users.add(member.pk)
        found.append(
            Recipient(
                key=f"u{member.pk}",
                kind=DayReminder.Kind.MEMBER,
                name=str(member),
                phone=member.phone,
                user_id=member.pk,
            )
        )
    return found


def _message(day: CoBuildDay, recipient: Recipient) -> str:
    # Texts go out in the installation's language, whoever's run queued them.
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "subdistrict": day.subdistrict.name,
            "date": day.date.isoformat(),
            "unit": recipient.name,
        }
        if recipient.kind == DayReminder.Kind.DUTY:
            return (
                _(
                    "[Linli] %(unit)s is on duty on %(subdistrict)s's co-construction day, "
                    "%(date)s. Thank you for serving the community."
                )
                % values
            )
        return (
            _(
                "[Linli] %(subdistrict)s's co-construction day is on %(date)s. Reported party "
                "members are welcome to serve in their community."
            )
            % values
        )


def remind_day(
    day: CoBuildDay, *, now: dt.datetime, sender: SmsSender | None = None
) -> list[DayReminder]:
    """Text everyone of ``day`` not yet told of its current date; returns the new rows."""
    sender = sender or get_sender()
    done = set(
        DayReminder.objects.filter(day=day, date=day.date).values_list("recipient", flat=True)
    )
    written: list[DayReminder] = []
    for recipient in recipients(day):
        if recipient.key in done:
            continue
        try:
            with transaction.atomic():
                row = DayReminder.objects.create(
                    day=day,
                    date=day.date,
                    kind=recipient.kind,
                    recipient=recipient.key,
                    organisation_id=recipient.organisation_id,
                    user_id=recipient.user_id,
                    name=recipient.name[:150],
                    phone_masked=mask_phone(recipient.phone),
                    status=DayReminder.Status.SENT
                    if recipient.phone
                    else DayReminder.Status.UNREACHABLE,
                    sent_at=now,
                )
                if recipient.phone:
                    sender.send(phone=recipient.phone, message=_message(day, recipient))
        except IntegrityError:
            continue  # a concurrent run wrote this person's row first and sent the text
        except Exception:
            # One failing text must not stop the others; no row was kept, so the next run
            # tries again.
            logger.exception("Reminder for %s of %s could not be sent", recipient.key, day)
            continue
        written.append(row)
    return written


def send_day_reminders(
    *, today: dt.date | None = None, sender: SmsSender | None = None
) -> list[DayReminder]:
    """Remind of every confirmed co-construction day within its subdistrict's reminder window.

    A day is due from ``remind_days_ahead`` days before it until the day itself; an unconfirmed
    day (a year whose holidays are unknown) is never announced, as its date may still move.
    """
    now = timezone.now()
    today = today or timezone.localdate(now)
    days = (
        CoBuildDay.objects.filter(
            confirmed=True,
            date__gte=today,
            date__lte=today + dt.timedelta(days=MAX_REMIND_DAYS_AHEAD),
        )
        .select_related("subdistrict__cobuild_policy")
        .order_by("date", "pk")
    )
    written: list[DayReminder] = []
    for day in days:
        ahead = days_ahead(day)
        if ahead == 0 or (day.date - today).days > ahead:
            continue
        written.extend(remind_day(day, now=now, sender=sender))
    return written
