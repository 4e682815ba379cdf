"""Planning, moving and confirming a subdistrict's co-construction days."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import AnyUser
from linli.cobuild import permissions
from linli.cobuild.calendar import DayReason, HolidayRule, plan_year
from linli.cobuild.models import MAX_REMIND_DAYS_AHEAD, CoBuildDay, CoBuildPolicy
from linli.core import audit
from linli.core.exceptions import Forbidden, LinliError, NotFound
from linli.core.models import AuditEntry
from linli.places.models import Subdistrict

FIRST_YEAR = 2024  # 城市共建日 began in July 2024
LAST_YEAR = 2100


def _manager(actor: AnyUser, subdistrict: Subdistrict) -> None:
    if not permissions.can_manage(actor, subdistrict):
        raise Forbidden(
            _("Only the subdistrict's staff may change its co-construction days."),
            code="forbidden",
        )


def policy_for(subdistrict: Subdistrict) -> CoBuildPolicy:
    """The subdistrict's policy, or the defaults (unsaved) when it never set one."""
    policy = CoBuildPolicy.objects.filter(subdistrict=subdistrict).first()
    return policy or CoBuildPolicy(district_id=subdistrict.district_id, subdistrict=subdistrict)


def set_policy(
    *,
    actor: AnyUser,
    subdistrict: Subdistrict,
    holiday_rule: str,
    units_per_day: int,
    remind_days_ahead: int | None = None,
    request: HttpRequest | None = None,
) -> CoBuildPolicy:
    """Set the subdistrict's holiday rule, how many units are on duty each day and how many
    days ahead the reminders go out (``None`` keeps it)."""
    _manager(actor, subdistrict)
    if holiday_rule not in CoBuildPolicy.Rule.values:
        raise LinliError(
            _("“%(value)s” is not a holiday rule.") % {"value": holiday_rule},
            code="invalid_rule",
            field="holiday_rule",
        )
    if not 1 <= units_per_day <= 20:
        raise LinliError(
            _("Between 1 and 20 units can be on duty each day."),
            code="invalid_units_per_day",
            field="units_per_day",
        )
    if remind_days_ahead is not None and not 0 <= remind_days_ahead <= MAX_REMIND_DAYS_AHEAD:
        raise LinliError(
            _("Reminders go out between 0 (none) and %(max)s days ahead.")
            % {"max": MAX_REMIND_DAYS_AHEAD},
            code="invalid_remind_days_ahead",
            field="remind_days_ahead",
        )
    fields = ("holiday_rule", "units_per_day", "remind_days_ahead")
    with transaction.atomic():
        policy, _created = CoBuildPolicy.objects.select_for_update().get_or_create(
            subdistrict=subdistrict, defaults={"district_id": subdistrict.district_id}
        )
        before = {f: getattr(policy, f) for f in fields}
        policy.holiday_rule = holiday_rule
        policy.units_per_day = units_per_day
        if remind_days_ahead is not None:
            policy.remind_days_ahead = remind_days_ahead
        policy.save()
        changes = audit.diff(before, {f: getattr(policy, f) for f in fields}, fields=fields)
        if changes:
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=policy,
                request=request,
                changes=changes,
            )
    return policy


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise LinliError(
            _("Co-construction days can be planned for %(first)s to %(last)s, not %(year)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR, "year": year},
            code="invalid_year",
            field="year",
        )


def plan_days(
    *, actor: AnyUser, subdistrict: Subdistrict, year: int, request: HttpRequest | None = None
) -> list[CoBuildDay]:
    """Create (or re-place) the subdistrict's twelve days of ``year`` by its holiday rule.

    A day staff moved or confirmed keeps its date; a year chinesecalendar does not know gets its
    first Fridays, unconfirmed, and the console shows them flagged until staff confirm each.
    """
    _manager(actor, subdistrict)
    _check_year(year)
    rule = HolidayRule(policy_for(subdistrict).holiday_rule)
    planned = plan_year(year, rule)
    with transaction.atomic():
        existing = {
            d.month: d
            for d in CoBuildDay.objects.select_for_update().filter(
                subdistrict=subdistrict, year=year
            )
        }
        days: list[CoBuildDay] = []
        changed = 0
        for plan in planned:
            day = existing.get(plan.month)
            if day is None:
                day = CoBuildDay.objects.create(
                    district_id=subdistrict.district_id,
                    subdistrict=subdistrict,
                    year=year,
                    month=plan.month,
                    date=plan.date,
                    planned_date=plan.date,
                    reason=plan.reason.value,
                    confirmed=plan.confirmed,
                )
                changed += 1
            elif day.reason != CoBuildDay.Reason.MOVED_BY_STAFF and (
                day.date != plan.date or (plan.confirmed and not day.confirmed)
            ):
                # A day staff confirmed in an unknown year keeps its date once the year is known.
                if day.confirmed and plan.reason is DayReason.YEAR_UNKNOWN:
                    days.append(day)
                    continue
                day.date = day.planned_date = plan.date
                day.reason = plan.reason.value
                day.confirmed = plan.confirmed
                day.save()
                changed += 1
            days.append(day)
        if changed:
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=subdistrict,
                request=request,
                object_type="cobuild.cobuildday",
                object_repr=f"{subdistrict} {year}",
                changes={"planned_days": [None, changed], "rule": [None, rule.value]},
            )
    return days


def _locked_day(actor: AnyUser, day: CoBuildDay) -> CoBuildDay:
    locked = (
        permissions.days_for_user(actor)
        .select_for_update(of=("self",))
        .select_related("subdistrict")
        .filter(pk=day.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("No such co-construction day."), code="not_found")
    _manager(actor, locked.subdistrict)
    return locked


def move_day(
    *,
    actor: AnyUser,
    day: CoBuildDay,
    date: dt.date,
    reason: str,
    today: dt.date,
    request: HttpRequest | None = None,
) -> CoBuildDay:
    """Move one co-construction day to another date of its month, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise LinliError(
            _("Say why the day moves: the reason is shown on the calendar."),
            code="reason_required",
            field="reason",
        )
    if len(reason) > 200:
        raise LinliError(
            _("Keep the reason under 200 characters."), code="reason_too_long", field="reason"
        )
    with transaction.atomic():
        locked = _locked_day(actor, day)
        if (date.year, date.month) != (locked.year, locked.month):
            raise LinliError(
                _("%(date)s is not in %(year)s-%(month)02d: a day moves within its month.")
                % {"date": date.isoformat(), "year": locked.year, "month": locked.month},
                code="date_outside_month",
                field="date",
            )
        if locked.date < today or date < today:
            raise LinliError(
                _("A past date cannot be moved, nor a day moved into the past."),
                code="date_in_past",
                field="date",
            )
        before = {"date": locked.date, "moved_reason": locked.moved_reason}
        locked.date = date
        locked.moved_reason = reason
        locked.reason = CoBuildDay.Reason.MOVED_BY_STAFF
        locked.confirmed = True
        locked.save()
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            request=request,
            changes=audit.diff(
                before, {"date": date, "moved_reason": reason}, fields=("date", "moved_reason")
            ),
        )
    return locked


def confirm_day(
    *, actor: AnyUser, day: CoBuildDay, request: HttpRequest | None = None
) -> CoBuildDay:
    """Confirm an unconfirmed day (a year whose holidays the calendar library does not know)."""
    with transaction.atomic():
        locked = _locked_day(actor, day)
        if not locked.confirmed:
            locked.confirmed = True
            locked.save(update_fields=["confirmed", "updated_at"])
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=locked,
                request=request,
                changes={"confirmed": [False, True]},
            )
    return locked
