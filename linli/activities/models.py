"""Activities (活动), sign-ups (报名), check-ins (签到) and volunteer service records.

An activity happens at a place of the district (a station, or any other facility recorded as a
``Station``) once, or repeatedly by an iCalendar RRULE as station schedules do
(``linli.places.rrule_words``). Each session of a recurring activity is an *occurrence*, named by
its start time; capacity, sign-ups and check-ins are per occurrence.

Check-ins carry the district, subdistrict, community, station and category of their activity
(copied when written, never changed after) so that the counts of ``linli.activities.queries`` —
persons and person-times (人次) per area, category, month and year — read one table through one
index, without joins, over a district's year (≥ 1 M rows).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core import limits


class Category(models.TextChoices):
    """What kind of activity; the district's reports count by these."""

    TRAINING = "training", _("Training")
    CULTURE = "culture", _("Culture and sports")
    HEALTH = "health", _("Health")
    CONVENIENCE = "convenience", _("Convenience service")
    DELIBERATION = "deliberation", _("Deliberation")
    MEDIATION = "mediation", _("Mediation")
    VOLUNTEER = "volunteer", _("Volunteer service")
    OTHER = "other", _("Other")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    ELDERLY = "elderly", _("Older residents")
    CHILDREN = "children", _("Children and young people")
    FAMILIES = "families", _("Families")
    PARTY_MEMBERS = "party_members", _("Party members")
    VOLUNTEERS = "volunteers", _("Volunteers")


class ActivityQuerySet(models.QuerySet["Activity"]):
    def published(self) -> ActivityQuerySet:
        """Activities residents see: not cancelled."""
        return self.filter(is_cancelled=False)


class Activity(models.Model):
    """活动 / 培训 — something that happens at a place and time, once or by a rule."""

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    subdistrict = models.ForeignKey(
        "areas.Subdistrict",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("subdistrict"),
    )
    # Empty for an activity the subdistrict itself runs (its party service centre, say).
    community = models.ForeignKey(
        "areas.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("community"),
    )
    station = models.ForeignKey(
        "places.Station",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
        verbose_name=_("place"),
    )
    venue = models.CharField(
        _("other venue"),
        max_length=200,
        blank=True,
        help_text=_("Where it happens when it is not at a place of the directory."),
    )
    title = models.CharField(_("title"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    description = models.TextField(
        _("description"),
        blank=True,
        max_length=limits.DESCRIPTION,
        validators=[MaxLengthValidator(limits.DESCRIPTION)],
    )
    organiser = models.ForeignKey(
        "places.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organised_activities",
        verbose_name=_("organiser"),
    )
    partners = models.ManyToManyField(
        "places.Organisation",
        blank=True,
        related_name="partner_activities",
        verbose_name=_("partners"),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    # iCalendar RRULE body (FREQ=WEEKLY;BYDAY=TU), anchored on starts_at; empty = one-off.
    rrule = models.CharField(_("repeats (RRULE)"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(
        _("places"),
        default=0,
        validators=[MaxValueValidator(100_000)],
        help_text=_("0 means no limit."),
    )
    signup_required = models.BooleanField(_("sign-up needed"), default=True)
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["district", "starts_at"]),
            models.Index(fields=["community", "starts_at"]),
            models.Index(fields=["station", "starts_at"]),
        ]
        constraints = [
            limits.text_at_most(
                "description", limits.DESCRIPTION, name="activity_description_length"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="activity_ends_after_start",
            ),
        ]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.title

    @property
    def is_recurring(self) -> bool:
        """Whether the activity repeats by its RRULE."""
        return bool(self.rrule.strip())

    @property
    def duration(self) -> dt.timedelta:
        return self.ends_at - self.starts_at

    @property
    def has_limit(self) -> bool:
        """Whether sign-ups beyond ``capacity`` go onto the waiting list."""
        return self.capacity > 0

    @property
    def counts_hours(self) -> bool:
        """Whether attendance is volunteer duty, with a check-out that gives service hours."""
        return self.category == Category.VOLUNTEER

    @property
    def place_name(self) -> str:
        """Where it happens, as residents read it."""
        station = self.station if self.station_id is not None else None
        if station is None:
            return self.venue
        return f"{station.name} · {self.venue}" if self.venue else station.name


class SignUpQuerySet(models.QuerySet["SignUp"]):
    def active(self) -> SignUpQuerySet:
        """Sign-ups that hold a place or a place in the queue (not cancelled)."""
        return self.exclude(status=SignUp.Status.CANCELLED)


class SignUp(models.Model):
    """报名 — one person signed up for one occurrence of an activity."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITING = "waiting", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    occurrence = models.DateTimeField(pgettext_lazy("activity", "session"))
    # Empty for an elderly resident without a phone login, registered by staff on their behalf.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity_signups",
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("mobile"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = SignUpQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["activity", "occurrence", "status", "created_at"])]
        constraints = [
            # One live sign-up per phone and session; a cancelled one may be followed by another.
            models.UniqueConstraint(
                fields=["activity", "occurrence", "phone"],
                condition=~models.Q(status="cancelled"),
                name="signup_one_live_per_phone",
            ),
        ]
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")

    def __str__(self) -> str:
        return f"{self.name} · {self.activity}"


class CheckIn(models.Model):
    """签到 — one person attended one occurrence; a check-out closes volunteer duty."""

    class Method(models.TextChoices):
        QR = "qr", _("Scanned the door code")
        LIST = "list", _("Ticked on the keeper's list")

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    subdistrict = models.ForeignKey("areas.Subdistrict", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        "areas.Community", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(
        "places.Station", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="checkins")
    occurrence = models.DateTimeField(pgettext_lazy("activity", "session"))
    signup = models.ForeignKey(
        SignUp, null=True, blank=True, on_delete=models.SET_NULL, related_name="checkins"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity_checkins",
    )
    # Who attended, the same person across activities: "u<user id>" or "p<phone>" (persons
    # count distinct keys; person-times count rows).
    person_key = models.CharField(max_length=32)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("mobile"), max_length=20, blank=True)
    method = models.CharField(_("how"), max_length=8, choices=Method.choices)
    # The keeper's device names each tick; a tick sent twice finds its row and counts once.
    tick_id = models.UUIDField(null=True, blank=True, unique=True)
    checked_in_at = models.DateTimeField(_("checked in"))
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["checked_in_at", "pk"]
        indexes = [
            models.Index(fields=["community", "occurrence"]),
            models.Index(fields=["subdistrict", "occurrence"]),
            models.Index(fields=["station", "occurrence"]),
            models.Index(fields=["district", "occurrence"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "occurrence", "person_key"], name="checkin_once_per_session"
            ),
        ]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")

    def __str__(self) -> str:
        return f"{self.name} · {self.activity}"

    @property
    def hours(self) -> Decimal | None:
        """Hours between check-in and check-out, to the quarter hour below; None while open."""
        if self.checked_out_at is None:
            return None
        seconds = (self.checked_out_at - self.checked_in_at).total_seconds()
        return Decimal(int(seconds // 900)) / 4


# ------------------------------------------------------------ 双报到 and service records
#
# Units (``Organisation`` of kind ``unit``) report to the community where they sit; in-service
# party members (``PartyMember``) to the community where they live; the community approves a
# ``Registration`` (with a receipt number) or returns it with a reason. Service hours are the
# time of the service itself (travel is recorded apart and never counted) and are confirmed by
# staff. Points (积分) are a community's own reward, kept apart from the statutory hours.

# The national rule (志愿服务记录与证明办法): stars at these cumulative hours; a district may
# configure its own tiers (StarTier rows), which then replace these.
NATIONAL_STAR_HOURS = (100, 300, 600, 1000, 1500)


class PartyMember(models.Model):
    """在职党员 / 报到党员 — a working party member who reports where they live."""

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="party_member"
    )
    employer = models.CharField(_("employer"), max_length=150)
    employer_party_organisation = models.CharField(
        _("employer's party organisation"), max_length=150
    )
    skills = models.CharField(_("skills"), max_length=300, blank=True)
    availability = models.CharField(_("when available"), max_length=200, blank=True)
    preferred_posts = models.CharField(_("preferred service posts"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")

    def __str__(self) -> str:
        return str(self.user)


class Registration(models.Model):
    """双报到 — a unit or a party member reporting to a community, approved or returned."""

    class Kind(models.TextChoices):
        UNIT = "unit", _("Unit")
        MEMBER = "member", _("Party member")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the community")
        APPROVED = "approved", pgettext_lazy("registration", "Approved")
        RETURNED = "returned", _("Returned")

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    subdistrict = models.ForeignKey("areas.Subdistrict", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        "areas.Community",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("community"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    organisation = models.ForeignKey(
        "places.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrations",
        verbose_name=_("unit"),
    )
    member = models.ForeignKey(
        PartyMember,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="registrations",
    )
    party_organisation = models.CharField(_("party organisation"), max_length=150)
    liaison_name = models.CharField(_("liaison"), max_length=50)
    liaison_phone = models.CharField(_("liaison's mobile"), max_length=20)
    offers = models.TextField(
        _("what we can offer"),
        blank=True,
        help_text=_("Becomes the resource list of the co-construction day."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(_("reason for returning"), max_length=300, blank=True)
    receipt_number = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="unit", organisation__isnull=False))
                | (models.Q(kind="member", member__isnull=False)),
                name="registration_names_its_unit_or_member",
            ),
            models.UniqueConstraint(
                fields=["receipt_number"],
                condition=~models.Q(receipt_number=""),
                name="registration_receipt_unique",
            ),
        ]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self) -> str:
        who = self.organisation if self.kind == self.Kind.UNIT else self.member
        return f"{who} → {self.community_id}"

    @property
    def reporter_name(self) -> str:
        """The unit's or the member's name."""
        if self.kind == self.Kind.UNIT and self.organisation is not None:
            return self.organisation.name
        if self.member is not None:
            return str(self.member.user)
        return ""


class ServiceRecord(models.Model):
    """服务记录卡 — one duty: the hours of the service itself (travel apart), who confirmed it."""

    class Status(models.TextChoices):
        RECORDED = "recorded", _("Waiting for confirmation")
        CONFIRMED = "confirmed", pgettext_lazy("service record", "Confirmed")

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    subdistrict = models.ForeignKey("areas.Subdistrict", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        "areas.Community",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("community"),
    )
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_records"
    )
    # The unit on whose behalf the duty was done (set when a unit's liaison logs it).
    unit = models.ForeignKey(
        "places.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_records",
        verbose_name=_("unit"),
    )
    activity = models.ForeignKey(
        "activities.Activity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_records",
        verbose_name=_("activity"),
    )
    started_at = models.DateTimeField(_("service began"))
    ended_at = models.DateTimeField(_("service ended"))
    travel_minutes = models.PositiveIntegerField(
        _("travel (minutes, not counted)"), default=0, validators=[MaxValueValidator(24 * 60)]
    )
    what = models.CharField(_("what was done"), max_length=300)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECORDED
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    correction_request = models.CharField(_("correction asked for"), max_length=300, blank=True)
    correction_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["volunteer", "started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gt=models.F("started_at")),
                name="service_record_ends_after_start",
            ),
        ]
        verbose_name = _("service record")
        verbose_name_plural = _("service records")

    def __str__(self) -> str:
        return f"{self.volunteer} {self.started_at:%Y-%m-%d} {self.hours} h"


class StarTier(models.Model):
    """星级 — a district's own tier: ``stars`` from ``min_hours`` cumulative hours."""

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    stars = models.PositiveSmallIntegerField(
        _("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    min_hours = models.PositiveIntegerField(_("from hours"))

    class Meta:
        ordering = ["district", "stars"]
        constraints = [
            models.UniqueConstraint(fields=["district", "stars"], name="star_tier_unique"),
        ]
        verbose_name = _("star tier")
        verbose_name_plural = _("star tiers")

    def __str__(self) -> str:
        return f"{self.stars}★ ≥ {self.min_hours} h"


class PointsEntry(models.Model):
    """积分 — a community's own reward points, never mixed into the statutory hours."""

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("areas.Community", on_delete=models.PROTECT, related_name="+")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="points_entries"
    )
    points = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")

    def __str__(self) -> str:
        return f"{self.volunteer} {self.points:+d}"


def stars_for(hours: Decimal, tiers: tuple[int, ...]) -> int:
    """The star level of ``hours`` cumulative hours under ``tiers`` (ascending thresholds)."""
    return sum(1 for threshold in tiers if hours >= threshold)


class VolunteerCertificate(models.Model):
    """志愿服务记录证明 — a registered certificate of confirmed hours in one community."""

    serial = models.CharField(_("certificate number"), max_length=40, unique=True)
    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    subdistrict = models.ForeignKey("areas.Subdistrict", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        "areas.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("issuer")
    )
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_certificates"
    )
    hours = models.DecimalField(_("hours"), max_digits=8, decimal_places=2)
    duties = models.PositiveIntegerField(_("duties"))
    period_start = models.DateField(_("service from"))
    period_end = models.DateField(_("service until"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued"))

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("service certificate")
        verbose_name_plural = _("service certificates")

    def __str__(self) -> str:
        return self.serial
