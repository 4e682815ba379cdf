"""Needs (需求 / 诉求): what residents ask for, tracked from 受理 to 评价.

A ``Need`` is raised by a resident (or by a station keeper, grid worker or staff member on a
resident's behalf), routed by category and place to the responsible community (and, where a
routing rule says so, to a unit), and walks the workflow of ``Status`` below. Every step is a
``NeedStep`` with a public note (the resident and, without personal data, the public see it) and
an internal note (staff only). The resident rates the result (``Rating``); staff log the
follow-up call (``FollowUp``). Deadlines come from ``linli.needs.deadlines`` (docs/deadlines.md).

Other apps read needs through ``linli.needs.queries`` only (the co-construction day's matching
uses ``open_needs_for_cobuild``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.places.models import (
    LAT_VALIDATORS,
    LON_VALIDATORS,
    Community,
    Compound,
    District,
    Grid,
    Organisation,
    Station,
    Subdistrict,
)

DESCRIPTION_MAX = 2000
NOTE_MAX = 1000


class Urgency(models.TextChoices):
    """The deadline class of a need (docs/deadlines.md gives each one's exact rule)."""

    URGENT = "urgent", _("Urgent (2 hours)")
    UTILITIES = "utilities", _("Utilities (24 hours)")
    GENERAL = "general", _("General (7 working days)")
    COMPLEX = "complex", _("Complex (15 working days)")


class Category(models.TextChoices):
    """What a need is about; each category has a default deadline class (``DEFAULT_URGENCY``)."""

    SAFETY = "safety", _("Safety hazard")
    WATER_POWER = "water_power", _("Water, power, heating or gas")
    ENVIRONMENT = "environment", _("Cleanliness and environment")
    FACILITIES = "facilities", _("Public facilities and repairs")
    ELDERLY_CARE = "elderly_care", _("Elderly care and help at home")
    NEIGHBOURS = "neighbours", _("Neighbour disputes")
    SERVICES = "services", _("Community services and activities")
    RENOVATION = "renovation", _("Renovation of old compounds")
    OTHER = "other", _("Other")


DEFAULT_URGENCY: dict[str, str] = {
    Category.SAFETY: Urgency.URGENT,
    Category.WATER_POWER: Urgency.UTILITIES,
    Category.ENVIRONMENT: Urgency.GENERAL,
    Category.FACILITIES: Urgency.GENERAL,
    Category.ELDERLY_CARE: Urgency.GENERAL,
    Category.NEIGHBOURS: Urgency.GENERAL,
    Category.SERVICES: Urgency.GENERAL,
    Category.RENOVATION: Urgency.COMPLEX,
    Category.OTHER: Urgency.GENERAL,
}


class Status(models.TextChoices):
    """The workflow: 受理 → 派单 → 办理 → 办结 → 回访 → 评价 (linli.needs.workflow)."""

    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("Being handled")
    RESOLVED = "resolved", _("Resolved")
    FOLLOWED_UP = "followed_up", _("Followed up")
    RATED = "rated", _("Rated")
    MERGED = "merged", _("Merged into another need")
    DECLINED = "declined", _("Declined")


# A need in one of these still waits for someone to act; the deadline and reminders apply.
OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS)
# 办结 reached (and not reopened since): the "resolved" rate counts these (docs/needs.md).
DONE_STATUSES = (Status.RESOLVED, Status.FOLLOWED_UP, Status.RATED)


class Scale(models.TextChoices):
    PERSONAL = "personal", _("Just me or my household")
    SHARED = "shared", _("Shared by many neighbours")


class ContactPreference(models.TextChoices):
    PHONE = "phone", _("Call me")
    SMS = "sms", _("Send me a text message")
    VISIT = "visit", _("Come and see me")
    NONE = "none", _("Do not contact me; I will check here")


class Channel(models.TextChoices):
    ONLINE = "online", _("Resident online")
    STATION = "station", _("At a station")
    GRID = "grid", _("Grid worker's visit")
    STAFF = "staff", _("Staff on a resident's behalf")
    OPEN311 = "open311", _("Open311 client")
    PLANNING = "planning", _("Living-circle gap accepted by planners")


class NeedQuerySet(models.QuerySet["Need"]):
    def open(self) -> NeedQuerySet:
        """Needs that still wait for someone to act (the deadline applies)."""
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now: dt.datetime) -> NeedQuerySet:
        """Open needs whose deadline has passed at ``now``."""
        return self.open().filter(due_at__lt=now)

    def public(self) -> NeedQuerySet:
        """Needs the public timeline shows: accepted by staff (so a public summary exists)."""
        return self.exclude(status__in=(Status.SUBMITTED, Status.DECLINED, Status.MERGED))


class Need(models.Model):
    """需求 / 诉求 — something a resident needs or a problem they report.

    Personal data (the resident, the contact name and phone, the exact pin and the description
    the resident typed) is shown to staff in scope only; the public sees ``public_summary``
    (written by staff at 受理), the category, the community and the steps' public notes.
    """

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="needs")
    subdistrict = models.ForeignKey(Subdistrict, on_delete=models.PROTECT, related_name="needs")
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="needs", verbose_name=_("community")
    )
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="needs"
    )
    compound = models.ForeignKey(
        Compound,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs",
        verbose_name=_("compound"),
    )
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.SET_NULL, related_name="needs"
    )
    lon = models.FloatField(_("longitude"), null=True, blank=True, validators=LON_VALIDATORS)
    lat = models.FloatField(_("latitude"), null=True, blank=True, validators=LAT_VALIDATORS)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    urgency = models.CharField(_("deadline class"), max_length=12, choices=Urgency.choices)
    scale = models.CharField(
        _("who is affected"), max_length=10, choices=Scale.choices, default=Scale.PERSONAL
    )
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX)
    public_summary = models.CharField(_("public summary"), max_length=200, blank=True)
    anonymous = models.BooleanField(
        _("anonymous to the public"),
        default=False,
        help_text=_("The public pages then show the community only, not the compound."),
    )
    contact_preference = models.CharField(
        _("how to contact"),
        max_length=10,
        choices=ContactPreference.choices,
        default=ContactPreference.PHONE,
    )
    contact_name = models.CharField(pgettext_lazy("person", "name"), max_length=50, blank=True)
    contact_phone = models.CharField(_("mobile"), max_length=20, blank=True)
    channel = models.CharField(
        _("raised through"), max_length=10, choices=Channel.choices, default=Channel.ONLINE
    )
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs",
        verbose_name=_("resident"),
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs_raised",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    # Who handles it after 派单: the community itself, one of its grids, or a unit.
    assigned_organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs",
        verbose_name=_("handling unit"),
    )
    assigned_grid = models.ForeignKey(
        Grid,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_needs",
        verbose_name=_("handling grid"),
    )
    submitted_at = models.DateTimeField(_("submitted"), db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # None while the deadline cannot be computed (a year chinesecalendar does not know):
    # ``due_unknown_year`` then names the year and staff pages show it (docs/deadlines.md).
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    due_unknown_year = models.PositiveSmallIntegerField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # 延期申请: pending while requested_until is set and not yet decided.
    extension_requested_until = models.DateTimeField(null=True, blank=True)
    extension_reason = models.CharField(max_length=NOTE_MAX, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    # The last rating's level (rate_need keeps it): the satisfaction rate reads it without a join.
    rating_level = models.CharField(max_length=12, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    followers_count = models.PositiveIntegerField(default=0)
    # 需求清单: the community cannot meet it alone; the co-construction day may take it up
    # (queries.open_needs_for_cobuild). Set by services.put_on_needs_list.
    on_needs_list = models.BooleanField(_("on the needs list"), default=False)
    # Raised through Open311: the client whose key posted it, and the token it was given.
    api_client = models.ForeignKey(
        "needs.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="needs"
    )
    open311_token = models.CharField(max_length=40, null=True, blank=True, unique=True)
    # Raised from a living-circle gap planners accepted (services.list_accepted_gap): the gap's
    # run-independent key (one need per gap and district), the gap's id in the analysis that last
    # accepted it, and its place on the planning pages.
    gap_key = models.CharField(max_length=200, blank=True)
    gap_ref = models.PositiveIntegerField(null=True, blank=True)
    gap_url = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NeedQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["district", "status", "-submitted_at"]),
            models.Index(fields=["community", "status", "-submitted_at"]),
            models.Index(fields=["district", "-submitted_at"]),
            models.Index(fields=["status", "due_at"]),
            # The staff list's filters over a district's year (bench/needs.py): a category with
            # "open", and "overdue", are counted from the index alone.
            models.Index(
                fields=["district", "category", "status", "-submitted_at"],
                name="need_district_category_status",
            ),
            models.Index(fields=["district", "status", "due_at"], name="need_district_status_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "gap_key"],
                condition=~models.Q(gap_key=""),
                name="needs_one_need_per_gap",
            ),
        ]
        verbose_name = _("need")
        verbose_name_plural = _("needs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()}"

    @property
    def reference(self) -> str:
        """The number a resident quotes on the phone (the row id, zero-padded)."""
        return f"{self.pk:06d}"

    def is_open(self) -> bool:
        """Whether someone still has to act on the need."""
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: dt.datetime) -> bool:
        """Whether the need is open past its deadline at ``now``."""
        return self.is_open() and self.due_at is not None and self.due_at < now

    @property
    def extension_pending(self) -> bool:
        """Whether a 延期申请 waits for the level above."""
        return self.extension_requested_until is not None


class NeedStep(models.Model):
    """One logged step of a need: who did what, with a public and an internal note."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        ACCEPT = "accept", _("Accepted")
        DECLINE = "decline", _("Declined")
        DISPATCH = "dispatch", _("Dispatched")
        START = "start", _("Handling started")
        RETURN = "return", _("Returned for re-dispatch")
        REQUEST_EXTENSION = "request_extension", _("Extension requested")
        APPROVE_EXTENSION = "approve_extension", _("Extension approved")
        REFUSE_EXTENSION = "refuse_extension", _("Extension refused")
        RESOLVE = "resolve", _("Resolved")
        FOLLOW_UP = "follow_up", _("Follow-up call")
        RATE = "rate", _("Rated")
        REOPEN = "reopen", _("Reopened for handling again")
        REMIND = "remind", _("Deadline reminder")
        ESCALATE = "escalate", _("Escalated to the subdistrict")
        MERGE = "merge", _("Merged")
        NEEDS_LIST = "needs_list", _("Put on the needs list for the co-construction day")
        NOTE = "note", _("Note")

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    public_note = models.CharField(_("public note"), max_length=NOTE_MAX, blank=True)
    internal_note = models.CharField(_("internal note"), max_length=NOTE_MAX, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return f"{self.need_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class NeedPhoto(models.Model):
    """A photo attached to a need: re-encoded without EXIF, with a thumbnail; public only once
    staff have reviewed it (``reviewed_at``)."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="needs/%Y/%m/")
    thumbnail = models.FileField(upload_to="needs/%Y/%m/thumbs/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return str(self.image.name)


class Rating(models.Model):
    """满意度 — the resident's judgement of a resolved need; the last one counts."""

    class Level(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        FAIRLY = "fairly", _("Fairly satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    class Moderation(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Published")
        HIDDEN = "hidden", _("Not published")

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="ratings")
    level = models.CharField(_("rating"), max_length=12, choices=Level.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    comment_moderation = models.CharField(
        max_length=10, choices=Moderation.choices, default=Moderation.PENDING
    )
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self) -> str:
        return f"{self.need_id} {self.level}"


class FollowUp(models.Model):
    """回访 — staff's call to the resident after a need was resolved."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached the resident")
        NO_ANSWER = "no_answer", _("No answer")
        DECLINED = "declined", _("Resident did not wish to talk")

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="follow_ups")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    note = models.CharField(_("note"), max_length=NOTE_MAX, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("follow-up call")
        verbose_name_plural = _("follow-up calls")

    def __str__(self) -> str:
        return f"{self.need_id} {self.outcome}"


class RoutingRule(models.Model):
    """Which unit handles a category (in one community, or district-wide when empty)."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("handling unit")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "category", "community"], name="needs_routing_rule_unique"
            ),
        ]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.category} → {self.organisation}"


class Follower(models.Model):
    """A resident who said "same as this" (+1) and is told of every public step."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_needs"
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["need", "user"], name="needs_follower_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.need_id}"


class ApiClient(models.Model):
    """An Open311 client (a city app, a hotline system) with an API key staff issued.

    Only the SHA-256 of the key is stored; the key is shown once (services.issue_api_key).
    A key may post requests and reads what the public reads plus its own requests.
    """

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return self.name
