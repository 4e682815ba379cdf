"""Reads of needs that pages, dashboards and other apps may call.

- ``filter_needs``: the staff list's filters over a queryset from the permission chokepoint.
- ``rates``: on time / resolved / satisfied per community, unit or category, exactly as
  docs/needs.md defines them (the tests recount them row by row).
- ``public_timeline``: needs as the public sees them (no personal data).
- ``open_needs_for_cobuild``: open shared needs of a district that a co-construction day may
  match with units' resources (the ``cobuild`` app's one way in).
- ``routing_unit``: the unit the routing rules name for a category in a community.
- ``sms_recipients``: the phones a need's status change is texted to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from linli.needs.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Category,
    ContactPreference,
    Follower,
    Need,
    NeedStep,
    Rating,
    RoutingRule,
    Status,
)
from linli.places.models import Organisation

# ------------------------------------------------------------------------------------ routing


def routing_unit(*, district_id: int, category: str, community_id: int) -> Organisation | None:
    """The unit that usually handles ``category`` in the community: the community's own rule,
    else the district-wide one (no community), else none (the community handles it)."""
    rules = RoutingRule.objects.filter(district_id=district_id, category=category).select_related(
        "organisation"
    )
    rule = rules.filter(community_id=community_id).first() or rules.filter(community=None).first()
    return rule.organisation if rule else None


# ------------------------------------------------------------------------------------ texts


def sms_recipients(need: Need, *, exclude_user_id: int | None = None) -> list[str]:
    """The phones told of a need's new status: its followers' (active accounts with a phone,
    the residents of needs merged into it included) and the resident's contact phone when they
    asked to be texted. Each phone once; never the person who took the step."""
    phones: list[str] = []
    asked = need.contact_preference == ContactPreference.SMS and need.contact_phone
    if asked and (exclude_user_id is None or need.resident_id != exclude_user_id):
        phones.append(need.contact_phone)
    followers = (
        Follower.objects.filter(need=need, user__is_active=True)
        .exclude(user__phone="")
        .order_by("at", "pk")
    )
    if exclude_user_id is not None:
        followers = followers.exclude(user_id=exclude_user_id)
    if need.resident_id is not None:
        # The resident is told (or not) by their own contact preference above.
        followers = followers.exclude(user_id=need.resident_id)
    for phone in followers.values_list("user__phone", flat=True):
        if phone not in phones:
            phones.append(phone)
    return phones


# ------------------------------------------------------------------------------------ staff list


@dataclass(frozen=True)
class NeedFilter:
    status: str = ""
    category: str = ""
    community_id: int | None = None
    overdue: bool = False
    escalated: bool = False
    extension_pending: bool = False
    text: str = ""


def filter_needs(queryset: QuerySet[Need], f: NeedFilter, *, now: dt.datetime) -> QuerySet[Need]:
    """The staff list's filters; ``queryset`` comes from ``permissions.needs_for_user``."""
    if f.status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif f.status:
        queryset = queryset.filter(status=f.status)
    if f.category:
        queryset = queryset.filter(category=f.category)
    if f.community_id:
        queryset = queryset.filter(community_id=f.community_id)
    if f.overdue:
        queryset = queryset.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    if f.escalated:
        queryset = queryset.filter(status__in=OPEN_STATUSES, escalated_at__isnull=False)
    if f.extension_pending:
        queryset = queryset.filter(extension_requested_until__isnull=False)
    if f.text:
        if f.text.isdigit():
            queryset = queryset.filter(pk=int(f.text))
        else:
            queryset = queryset.filter(
                Q(description__contains=f.text) | Q(public_summary__contains=f.text)
            )
    return queryset


# ------------------------------------------------------------------------------------ rates

GROUPS = {
    "community": ("community_id", "community__name"),
    "unit": ("assigned_organisation_id", "assigned_organisation__name"),
    "category": ("category", None),
}


@dataclass(frozen=True)
class RateRow:
    key: Any
    name: str
    counted: int
    resolved: int
    due: int
    on_time: int
    rated: int
    satisfied: int

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return None if whole == 0 else part / whole

    @property
    def resolved_rate(self) -> float | None:
        return self._rate(self.resolved, self.counted)

    @property
    def on_time_rate(self) -> float | None:
        return self._rate(self.on_time, self.due)

    @property
    def satisfied_rate(self) -> float | None:
        return self._rate(self.satisfied, self.rated)


def rates(
    queryset: QuerySet[Need], *, by: str, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> list[RateRow]:
    """On time, resolved and satisfied per group, for needs submitted in [start, end).

    See docs/needs.md for the definitions; ``queryset`` is already limited to the viewer's scope.
    """
    key, name_path = GROUPS[by]
    counted = queryset.filter(submitted_at__gte=start, submitted_at__lt=end).exclude(
        status__in=(Status.MERGED, Status.DECLINED)
    )
    if by == "unit":
        counted = counted.filter(assigned_organisation__isnull=False)
    done = Q(status__in=DONE_STATUSES)
    resolved_with_deadline = done & Q(due_at__isnull=False, resolved_at__isnull=False)
    open_overdue = Q(status__in=OPEN_STATUSES, due_at__lt=now)
    fields = [key] + ([name_path] if name_path else [])
    rows = (
        counted.values(*fields)
        .annotate(
            n_counted=Count("pk"),
            n_resolved=Count("pk", filter=done),
            n_due=Count("pk", filter=resolved_with_deadline | open_overdue),
            n_on_time=Count("pk", filter=resolved_with_deadline & Q(resolved_at__lte=F("due_at"))),
            n_rated=Count("pk", filter=~Q(rating_level="")),
            n_satisfied=Count(
                "pk",
                filter=Q(rating_level__in=(Rating.Level.SATISFIED, Rating.Level.FAIRLY)),
            ),
        )
        .order_by(key)
    )
    labels = dict(Need._meta.get_field("category").choices or [])
    out = []
    for row in rows:
        name = str(labels.get(row[key], row[key])) if name_path is None else row[name_path]
        out.append(
            RateRow(
                key=row[key],
                name=name or "",
                counted=row["n_counted"],
                resolved=row["n_resolved"],
                due=row["n_due"],
                on_time=row["n_on_time"],
                rated=row["n_rated"],
                satisfied=row["n_satisfied"],
            )
        )
    return out


# ------------------------------------------------------------------------------------ public


PUBLIC_FIELDS = (
    "pk",
    "category",
    "status",
    "public_summary",
    "submitted_at",
    "resolved_at",
    "community__name",
    "compound__name",
    "anonymous",
    "scale",
    "rating_level",
)


def public_timeline(district_id: int, *, community_id: int | None = None) -> QuerySet[Need]:
    """Needs on the public timeline of a district (newest first), as ``.values()`` rows with no
    personal field: the summary staff wrote, the category, the community and (unless the resident
    asked for anonymity) the compound."""
    queryset = Need.objects.public().filter(district_id=district_id)
    if community_id is not None:
        queryset = queryset.filter(community_id=community_id)
    return queryset.order_by("-submitted_at", "-pk")


def public_row(row: dict[str, Any]) -> dict[str, Any]:
    """One public timeline row from ``public_timeline(...).values(*PUBLIC_FIELDS)``."""
    return {
        "id": row["pk"],
        "category": row["category"],
        "status": row["status"],
        "summary": row["public_summary"],
        "submitted_at": row["submitted_at"],
        "resolved_at": row["resolved_at"],
        "community": row["community__name"],
        "compound": "" if row["anonymous"] else (row["compound__name"] or ""),
        "rating": row["rating_level"],
        "status_label": str(Status(row["status"]).label),
        "category_label": str(Category(row["category"]).label),
        "rating_label": str(Rating.Level(row["rating_level"]).label) if row["rating_level"] else "",
    }


def public_steps(need: Need) -> QuerySet[NeedStep]:
    """The steps the public and the resident see: those with a public note, and status changes."""
    return need.steps.exclude(public_note="", to_status=F("from_status")).order_by("at", "pk")


# ------------------------------------------------------------------------------------ cobuild


def open_needs_for_cobuild(district_id: int, *, community_id: int | None = None) -> QuerySet[Need]:
    """The needs list (需求清单) of a district: open needs staff put on it because the community
    cannot meet them alone (``services.put_on_needs_list``), for a co-construction day to match
    with units' resources. They are accepted (they carry a public summary) and not resolved.

    The residents who raised them stay linked through ``Need.resident`` and ``Need.followers``;
    cobuild keeps a foreign key to ``Need``, reads the rest from here, and takes the workflow on
    through ``linli.needs.services`` (dispatch to the claiming unit, resolve).
    """
    queryset = Need.objects.filter(
        district_id=district_id,
        on_needs_list=True,
        status__in=(Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS),
    )
    if community_id is not None:
        queryset = queryset.filter(community_id=community_id)
    return queryset.order_by("submitted_at", "pk")


# ------------------------------------------------------------------------------------ similar


def similar_open_needs(
    *, district_id: int, category: str, compound_id: int, limit: int = 5
) -> QuerySet[Need]:
    """Open needs of the same category in the same compound that staff have accepted (so they
    carry a public summary): offered as "same as this? +1" before a resident submits."""
    return (
        Need.objects.filter(
            district_id=district_id,
            category=category,
            compound_id=compound_id,
            status__in=(Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS),
        )
        .exclude(public_summary="")
        .order_by("-submitted_at")[:limit]
    )
