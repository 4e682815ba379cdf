"""When an activity happens: its occurrences, from its start and its RRULE.

The rule language and its words are those of station services (``linli.places.rrule_words``):
the activity's first start is the rule's DTSTART, so "every Tuesday" counts from the first one.
Occurrences are named by their start in local time made aware; sign-ups and check-ins store
that moment, and ``is_occurrence`` refuses any other (a forged or mistyped session).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from linli.places import rrule_words

if TYPE_CHECKING:
    from linli.activities.models import Activity

# A recurring activity without COUNT or UNTIL is expanded this far at most (feeds, pages).
MAX_OCCURRENCES = 400


@dataclass(frozen=True)
class Occurrence:
    """One session of an activity."""

    activity: Activity
    start: dt.datetime
    end: dt.datetime

    @property
    def key(self) -> str:
        """The session in URLs and forms: its local start, 202612071430."""
        return timezone.localtime(self.start).strftime("%Y%m%d%H%M")


def rule_is_supported(rule: str) -> bool:
    """Whether ``rule`` is an RRULE station schedules understand (so it can be put in words)."""
    try:
        rrule_words.parse_rule(rule)
    except rrule_words.UnsupportedRule:
        return False
    return True


def in_words(activity: Activity, *, language: str) -> str | None:
    """ "每周二 9:00–11:00" for a recurring activity; None for a one-off or a rule not described."""
    if not activity.is_recurring:
        return None
    start = timezone.localtime(activity.starts_at)
    end = timezone.localtime(activity.ends_at)
    return rrule_words.schedule_in_words(
        _anchored(activity), opens=start.time(), closes=end.time(), language=language
    )


def _anchored(activity: Activity) -> str:
    start = timezone.localtime(activity.starts_at)
    return f"DTSTART:{start:%Y%m%d}\nRRULE:{activity.rrule.strip()}"


def occurrences(
    activity: Activity, *, after: dt.datetime, until: dt.datetime, limit: int = MAX_OCCURRENCES
) -> Iterator[Occurrence]:
    """The sessions of ``activity`` that have not ended at ``after`` and start before ``until``."""
    duration = activity.ends_at - activity.starts_at
    if not activity.is_recurring:
        if activity.ends_at > after and activity.starts_at < until:
            yield Occurrence(activity, activity.starts_at, activity.ends_at)
        return
    tz = timezone.get_current_timezone()
    start = timezone.localtime(activity.starts_at)
    local_after = timezone.localtime(max(after, activity.starts_at)).replace(tzinfo=None)
    local_until = timezone.localtime(until).replace(tzinfo=None)
    for begin in rrule_words.occurrences(
        _anchored(activity),
        after=local_after,
        opens=start.time(),
        closes=(start + duration).time() if duration < dt.timedelta(days=1) else None,
        until=local_until,
        limit=limit,
    ):
        if begin >= local_until:
            return
        aware = timezone.make_aware(begin, tz)
        yield Occurrence(activity, aware, aware + duration)


def occurrence_at(activity: Activity, key: str) -> Occurrence | None:
    """The session named ``key`` (``Occurrence.key``), or None if the activity has no such one."""
    try:
        naive = dt.datetime.strptime(key, "%Y%m%d%H%M")
    except (TypeError, ValueError):
        return None
    moment = timezone.make_aware(naive, timezone.get_current_timezone())
    return find_occurrence(activity, moment)


def find_occurrence(activity: Activity, moment: dt.datetime) -> Occurrence | None:
    """The session starting at ``moment``, or None."""
    for occ in occurrences(
        activity, after=moment + dt.timedelta(seconds=1), until=moment + dt.timedelta(seconds=1)
    ):
        if occ.start == moment:
            return occ
    return None


def next_occurrence(activity: Activity, *, now: dt.datetime) -> Occurrence | None:
    """The session that is on now or comes next, or None when all are over."""
    far = now + dt.timedelta(days=400)
    return next(occurrences(activity, after=now, until=far, limit=1), None)
