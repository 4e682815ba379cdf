"""iCalendar feeds (RFC 5545) of activities: per station, per community and per person.

A recurring activity is one VEVENT with its RRULE (calendar clients expand it, as
``recurring-ical-events`` does in the tests); times carry the installation's time zone with a
VTIMEZONE, so clients in other zones show the right hour. A person's feed holds the sessions they
signed up for, each a VEVENT of its own, and is reached by a signed link (calendar clients send
no session cookie), which ``person_feed_token`` makes and ``read_person_feed_token`` checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.utils import timezone
from icalendar import Calendar, Event, Timezone

from linli.accounts.models import User
from linli.activities.models import Activity, Category, SignUp

PERSON_SALT = "linli.activities.person-feed"
PRODID = "-//Linli//Activities//ZH"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    cal.add_component(
        Timezone.from_tzinfo(
            ZoneInfo(settings.TIME_ZONE),
            first_date=dt.date(2000, 1, 1),
            last_date=dt.date(2040, 1, 1),
        )
    )
    return cal


def _event(activity: Activity, *, host: str, stamp: dt.datetime) -> Event:
    tz = ZoneInfo(settings.TIME_ZONE)
    event = Event()
    event.add("uid", f"activity-{activity.pk}@{host}")
    event.add("dtstamp", stamp)
    event.add("dtstart", activity.starts_at.astimezone(tz))
    event.add("dtend", activity.ends_at.astimezone(tz))
    event.add("summary", activity.title)
    event.add("categories", [str(dict(Category.choices)[activity.category])])
    if activity.place_name:
        event.add("location", activity.place_name)
    if activity.description:
        event.add("description", activity.description)
    if activity.rrule:
        event.add("rrule", _rrule_dict(activity.rrule))
    event.add("last-modified", activity.updated_at)
    return event


def _rrule_dict(rule: str) -> dict[str, Any]:
    """The RRULE text as icalendar's vRecur reads it (UNTIL as an aware UTC time)."""
    from icalendar.prop import vRecur

    recur = vRecur.from_ical(rule)
    until = recur.get("UNTIL")
    if until:
        value = until[0]
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            # RFC 5545 3.3.10: with a DTSTART in a zone, UNTIL must be in UTC.
            recur["UNTIL"] = [
                timezone.make_aware(value, ZoneInfo(settings.TIME_ZONE)).astimezone(dt.UTC)
            ]
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            end = dt.datetime.combine(value, dt.time(23, 59, 59), ZoneInfo(settings.TIME_ZONE))
            recur["UNTIL"] = [end.astimezone(dt.UTC)]
    return dict(recur)


def activities_calendar(name: str, activities: Iterable[Activity], *, host: str) -> bytes:
    """A feed of whole activities (recurring ones as one event with a rule)."""
    cal = _calendar(name)
    stamp = timezone.now()
    for activity in activities:
        cal.add_component(_event(activity, host=host, stamp=stamp))
    return bytes(cal.to_ical())


def feed_activities(activities: QuerySet[Activity], *, at: dt.datetime) -> QuerySet[Activity]:
    """What a public feed lists: published, not ended more than 90 days ago (or still repeating)."""
    from django.db.models import Q

    since = at - dt.timedelta(days=90)
    return (
        activities.filter(is_cancelled=False)
        .filter(Q(ends_at__gte=since) | ~Q(rrule=""))
        .select_related("station")
        .order_by("starts_at", "pk")
    )


def person_calendar(name: str, signups: Iterable[SignUp], *, host: str) -> bytes:
    """A person's feed: one event per session they signed up for."""
    cal = _calendar(name)
    stamp = timezone.now()
    tz = ZoneInfo(settings.TIME_ZONE)
    for signup in signups:
        activity = signup.activity
        event = Event()
        event.add("uid", f"signup-{signup.pk}@{host}")
        event.add("dtstamp", stamp)
        start = signup.occurrence.astimezone(tz)
        event.add("dtstart", start)
        event.add("dtend", start + activity.duration)
        event.add("summary", activity.title)
        if activity.place_name:
            event.add("location", activity.place_name)
        if signup.status == SignUp.Status.WAITING:
            event.add("status", "TENTATIVE")
        else:
            event.add("status", "CONFIRMED")
        cal.add_component(event)
    return bytes(cal.to_ical())


def person_feed_token(user: User) -> str:
    """The secret part of a person's feed address (it stays good until SECRET_KEY changes)."""
    return signing.dumps(user.pk, salt=PERSON_SALT, compress=False)


def read_person_feed_token(token: str) -> int | None:
    """The user id a feed token names, or None for a forged one."""
    try:
        value = signing.loads(token[:200], salt=PERSON_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None
