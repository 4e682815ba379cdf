"""Read-side functions: the calendar with its roster, and the resources list.

Everything takes the querysets of ``linli.cobuild.permissions`` (never filters by scope itself)
and returns plain rows for pages, the API and the exports alike.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from linli.accounts.models import AnyUser
from linli.cobuild import permissions
from linli.cobuild.models import (
    CoBuildDay,
    DayReminder,
    DutyAssignment,
    DutySkip,
    Resource,
    ResourceWindow,
    SwapRequest,
)
from linli.core.holidays import year_is_known
from linli.core.masking import mask_name
from linli.places.models import Subdistrict


@dataclass
class RosterDay:
    """One day of a published roster: who is on duty, who was skipped and why."""

    day: CoBuildDay
    duties: list[DutyAssignment] = field(default_factory=list)
    skips: list[DutySkip] = field(default_factory=list)
    reminders: list[DayReminder] = field(default_factory=list)
    error: str = ""  # a refused move of this day, shown beside its form


@dataclass
class Calendar:
    """A subdistrict's year: its days with their rosters, and whether the year is known."""

    subdistrict: Subdistrict
    year: int
    year_known: bool
    days: list[RosterDay]
    pending_swaps: list[SwapRequest]

    @property
    def unconfirmed(self) -> int:
        """How many days still wait for staff to confirm them."""
        return sum(1 for d in self.days if not d.day.confirmed)


def calendar_for(user: AnyUser, subdistrict: Subdistrict, year: int) -> Calendar:
    """The year's days and roster of ``subdistrict`` as ``user`` may see them."""
    days = list(
        permissions.days_for_user(user).filter(subdistrict=subdistrict, year=year).order_by("date")
    )
    by_day = {d.pk: RosterDay(d) for d in days}
    for duty in (
        permissions.duties_for_user(user)
        .filter(day__in=by_day)
        .select_related("day", "unit__organisation", "unit__community")
    ):
        by_day[duty.day_id].duties.append(duty)
    for skip in (
        permissions.skips_for_user(user).filter(day__in=by_day).select_related("unit__organisation")
    ):
        by_day[skip.day_id].skips.append(skip)
    # A party member's name is for the subdistrict's managers; other readers see it masked.
    names_shown = permissions.can_manage(user, subdistrict)
    for reminder in permissions.reminders_for_user(user).filter(day__in=by_day):
        if reminder.kind == DayReminder.Kind.MEMBER and not names_shown:
            reminder.name = mask_name(reminder.name)
        by_day[reminder.day_id].reminders.append(reminder)
    swaps = list(
        permissions.swaps_for_user(user)
        .filter(subdistrict=subdistrict, status=SwapRequest.Status.PENDING)
        .select_related(
            "duty__day", "duty__unit__organisation", "other__day", "other__unit__organisation"
        )
    )
    return Calendar(subdistrict, year, year_is_known(year), list(by_day.values()), swaps)


def duty_counts(calendar: Calendar) -> list[tuple[str, int]]:
    """Each unit's duties in the year, most first (the fairness the roster page shows)."""
    counts: dict[str, int] = defaultdict(int)
    for roster_day in calendar.days:
        for duty in roster_day.duties:
            counts[duty.unit.organisation.name] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def resources(user: AnyUser, *, category: str = "", q: str = "") -> QuerySet[Resource]:
    """The resources ``user`` may see, with their windows, optionally filtered."""
    qs = (
        permissions.resources_for_user(user)
        .filter(is_active=True)
        .select_related("subdistrict", "community", "organisation", "station")
        .prefetch_related(
            Prefetch("windows", queryset=ResourceWindow.objects.order_by("starts_at"))
        )
    )
    if category:
        qs = qs.filter(category=category)
    if q:
        qs = qs.filter(title__icontains=q[:60])
    return qs


def provider_shown(user: AnyUser, resource: Resource) -> str:
    """Who offers it, a party member's name masked unless ``user`` may change the resource."""
    if resource.organisation is not None:
        return resource.organisation.name
    if permissions.can_change_resource(user, resource):
        return resource.provider_name
    return mask_name(resource.provider_name)


def upcoming_day(user: AnyUser, subdistrict: Subdistrict, today: dt.date) -> CoBuildDay | None:
    """The subdistrict's next co-construction day from ``today`` on."""
    return (
        permissions.days_for_user(user)
        .filter(subdistrict=subdistrict, date__gte=today)
        .order_by("date")
        .first()
    )
