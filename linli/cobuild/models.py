"""城市共建日 — the monthly co-construction day: its calendar, duty rotation and resources list.

Every row belongs to one district (as in ``linli.places``) and to the subdistrict whose party
working committee leads the day; community-level rows also name their community. The needs and
projects lists live with the needs app; the matcher (``matching.py``) pairs them with resources.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.cobuild.calendar import DayReason, HolidayRule
from linli.places.models import (
    LAT_VALIDATORS,
    LON_VALIDATORS,
    Community,
    District,
    Organisation,
    Station,
    Subdistrict,
)

MAX_REMIND_DAYS_AHEAD = 14


class CoBuildPolicy(models.Model):
    """A subdistrict's rules for its co-construction days (one row per subdistrict, optional)."""

    class Rule(models.TextChoices):
        FIRST_WORKING_FRIDAY = (
            HolidayRule.FIRST_WORKING_FRIDAY.value,
            _("Move to the first working Friday of the month"),
        )
        NEXT_WORKING_DAY = (
            HolidayRule.NEXT_WORKING_DAY.value,
            _("Move to the next working day"),
        )
        KEEP = HolidayRule.KEEP.value, _("Keep the date")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    subdistrict = models.OneToOneField(
        Subdistrict, on_delete=models.CASCADE, related_name="cobuild_policy"
    )
    holiday_rule = models.CharField(
        _("when the first Friday is a public holiday"),
        max_length=24,
        choices=Rule.choices,
        default=Rule.FIRST_WORKING_FRIDAY,
    )
    units_per_day = models.PositiveSmallIntegerField(
        _("units on duty each day"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    # 0 sends no reminders; ``linli.cobuild.services.reminders`` reads it every run.
    remind_days_ahead = models.PositiveSmallIntegerField(
        _("days ahead to send reminders"),
        default=3,
        validators=[MaxValueValidator(MAX_REMIND_DAYS_AHEAD)],
    )

    class Meta:
        verbose_name = _("co-construction day policy")
        verbose_name_plural = _("co-construction day policies")

    def __str__(self) -> str:
        return str(self.subdistrict)


class CoBuildDay(models.Model):
    """城市共建日 — one month's co-construction day of a subdistrict."""

    class Reason(models.TextChoices):
        FIRST_FRIDAY = DayReason.FIRST_FRIDAY.value, _("First Friday of the month")
        MOVED_TO_FRIDAY = (
            DayReason.MOVED_TO_FRIDAY.value,
            _("Moved to the next working Friday (public holiday)"),
        )
        MOVED_TO_NEXT_WORKING_DAY = (
            DayReason.MOVED_TO_NEXT_WORKING_DAY.value,
            _("Moved to the next working day (public holiday)"),
        )
        KEPT_ON_HOLIDAY = DayReason.KEPT_ON_HOLIDAY.value, _("Kept on the public holiday")
        YEAR_UNKNOWN = DayReason.YEAR_UNKNOWN.value, _("The year's holidays are not known yet")
        MOVED_BY_STAFF = "moved_by_staff", _("Moved by staff")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.CASCADE, related_name="cobuild_days"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(
        _("month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    date = models.DateField(_("date"))
    planned_date = models.DateField(_("date by the rule"))
    reason = models.CharField(_("why this date"), max_length=32, choices=Reason.choices)
    # False while the year's official holidays are unknown, until staff confirm the date.
    confirmed = models.BooleanField(_("confirmed"), default=True)
    moved_reason = models.CharField(_("reason for the move"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["subdistrict", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["subdistrict", "year", "month"], name="cobuild_day_month_unique"
            ),
        ]
        indexes = [models.Index(fields=["district", "date"])]
        verbose_name = _("co-construction day")
        verbose_name_plural = _("co-construction days")

    def __str__(self) -> str:
        return f"{self.subdistrict} {self.date:%Y-%m-%d}"

    def is_past(self, today: dt.date) -> bool:
        """Whether the day is over (its roster can no longer change)."""
        return self.date < today


class DutyUnit(models.Model):
    """A reporting unit (报到单位) on a subdistrict's (or one community's) duty rotation."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.CASCADE, related_name="duty_units"
    )
    # Set when the community rotates its own units; empty for the subdistrict-wide rotation.
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.CASCADE, related_name="duty_units"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="duty_units", verbose_name=_("unit")
    )
    position = models.PositiveIntegerField(_("place in the rotation"), default=0)
    is_active = models.BooleanField(_("on the rotation"), default=True)

    class Meta:
        ordering = ["subdistrict", "community", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subdistrict", "organisation"], name="duty_unit_once_per_subdistrict"
            ),
        ]
        verbose_name = _("unit on duty rotation")
        verbose_name_plural = _("units on duty rotation")

    def __str__(self) -> str:
        return str(self.organisation)


class Unavailability(models.Model):
    """A unit's declaration that it cannot be on duty on one co-construction day."""

    unit = models.ForeignKey(DutyUnit, on_delete=models.CASCADE, related_name="unavailable")
    day = models.ForeignKey(CoBuildDay, on_delete=models.CASCADE, related_name="unavailable")
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="unavailability_once"),
        ]
        verbose_name = _("declared unavailability")
        verbose_name_plural = _("declared unavailabilities")

    def __str__(self) -> str:
        return f"{self.unit} ✗ {self.day}"


class DutyAssignment(models.Model):
    """轮值 — a unit on duty on a co-construction day (one row of the published roster)."""

    class Origin(models.TextChoices):
        ROTATION = "rotation", _("By rotation")
        SWAP = "swap", _("By an approved swap")

    day = models.ForeignKey(CoBuildDay, on_delete=models.CASCADE, related_name="duties")
    unit = models.ForeignKey(DutyUnit, on_delete=models.CASCADE, related_name="duties")
    origin = models.CharField(
        _("why on duty"), max_length=10, choices=Origin.choices, default=Origin.ROTATION
    )

    class Meta:
        ordering = ["day__date", "unit__position", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["day", "unit"], name="duty_once_per_day"),
        ]
        verbose_name = _("duty")
        verbose_name_plural = _("duties")

    def __str__(self) -> str:
        return f"{self.unit} @ {self.day}"


class DutySkip(models.Model):
    """A unit passed over on a day although its turn had come, and why (shown on the roster)."""

    day = models.ForeignKey(CoBuildDay, on_delete=models.CASCADE, related_name="skips")
    unit = models.ForeignKey(DutyUnit, on_delete=models.CASCADE, related_name="skips")
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        ordering = ["day__date", "unit__position"]
        verbose_name = _("skipped turn")
        verbose_name_plural = _("skipped turns")

    def __str__(self) -> str:
        return f"{self.unit} skipped @ {self.day}"


class SwapRequest(models.Model):
    """Two units exchanging their duty days, pending the subdistrict's approval."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the subdistrict")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.CASCADE, related_name="duty_swaps"
    )
    duty = models.ForeignKey(
        DutyAssignment, on_delete=models.CASCADE, related_name="swaps_out", verbose_name=_("duty")
    )
    other = models.ForeignKey(
        DutyAssignment,
        on_delete=models.CASCADE,
        related_name="swaps_in",
        verbose_name=_("exchanged with"),
    )
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("duty swap request")
        verbose_name_plural = _("duty swap requests")

    def __str__(self) -> str:
        return f"{self.duty} ⇄ {self.other}"


class DayReminder(models.Model):
    """A text reminding a unit on duty or a reported party member of a co-construction day.

    One row per person and announced date, written before the text goes out: a second run of
    ``send_day_reminders`` finds it and sends nothing, while a day moved to another date is
    announced again. A unit on duty with no liaison's mobile gets a row too (``UNREACHABLE``),
    so staff see whom nobody could tell.
    """

    class Kind(models.TextChoices):
        DUTY = "duty", _("Unit on duty")
        MEMBER = "member", _("Reported party member")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        UNREACHABLE = "unreachable", _("No mobile number to text")

    day = models.ForeignKey(CoBuildDay, on_delete=models.CASCADE, related_name="reminders")
    date = models.DateField(_("announced date"))
    kind = models.CharField(_("reminded as"), max_length=10, choices=Kind.choices)
    # "u<user id>" for a person, "o<organisation id>" for a unit nobody could be texted for;
    # the idempotence key of ``send_day_reminders``.
    recipient = models.CharField(max_length=40)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("unit"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=150)
    phone_masked = models.CharField(_("mobile"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        ordering = ["day", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "date", "recipient"], name="day_reminder_once_per_date"
            ),
        ]
        verbose_name = _("co-construction day reminder")
        verbose_name_plural = _("co-construction day reminders")

    def __str__(self) -> str:
        return f"{self.name} @ {self.day}"


class Resource(models.Model):
    """资源清单 — something a unit, a party member or a 两新组织 offers the community."""

    class Category(models.TextChoices):
        VENUE = "venue", _("Venue")
        SKILL = "skill", _("Skill")
        FUNDS = "funds", _("Funds")
        MATERIALS = "materials", _("Materials")
        VOLUNTEER_HOURS = "volunteer_hours", _("Volunteer hours")

    class Skill(models.TextChoices):
        NONE = "", _("—")
        LEGAL = "legal", _("Legal advice")
        MEDICAL = "medical", _("Medical care")
        REPAIR = "repair", _("Repairs")
        TEACHING = "teaching", _("Teaching and tutoring")
        PSYCHOLOGY = "psychology", _("Counselling")
        CULTURE = "culture", _("Culture and sports")
        CARE = "care", _("Elderly and child care")
        OTHER = "other", _("Other skill")

    class ProviderKind(models.TextChoices):
        UNIT = "unit", _("Reporting unit")
        PARTY_MEMBER = "party_member", _("Party member")
        NEW_ORGANISATION = "new_organisation", _("New economic or social organisation")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.CASCADE, related_name="cobuild_resources"
    )
    community = models.ForeignKey(
        Community,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cobuild_resources",
        verbose_name=_("community"),
    )
    title = models.CharField(_("what is offered"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    skill = models.CharField(_("skill"), max_length=20, choices=Skill.choices, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    provider_kind = models.CharField(_("offered by"), max_length=20, choices=ProviderKind.choices)
    # RESTRICT: an organisation with resources cannot be deleted alone, but its whole district can.
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="cobuild_resources",
        verbose_name=_("organisation"),
    )
    # A party member's name is personal: shown to the staff of the resource's area, masked
    # elsewhere (``linli.cobuild.queries.resource_rows``).
    provider_name = models.CharField(_("party member's name"), max_length=50, blank=True)
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1), MaxValueValidator(1_000_000)]
    )
    quantity_unit = models.CharField(_("counted in"), max_length=20, blank=True)
    station = models.ForeignKey(
        Station,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("station"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"), validators=LON_VALIDATORS)
    lat = models.FloatField(_("latitude"), validators=LAT_VALIDATORS)
    is_active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["subdistrict", "community", "category", "title"]
        indexes = [models.Index(fields=["district", "category"])]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")

    def __str__(self) -> str:
        return self.title

    @property
    def provider_label(self) -> str:
        """Who offers it: the organisation's name, or the party member's (unmasked) name."""
        return self.organisation.name if self.organisation is not None else self.provider_name


class ResourceWindow(models.Model):
    """A time window when a resource is available; a resource's windows never overlap."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="windows")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="resource_window_ends_after_start",
            ),
        ]
        verbose_name = _("availability window")
        verbose_name_plural = _("availability windows")

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%Y-%m-%d %H:%M}"


class Project(models.Model):
    """项目清单 — a need matched with a resource, claimed by a unit and carried out.

    States follow 待认领 → 已认领 → 实施中 → 待验收 → 居民评价 → 销号 one step at a time
    (``NEXT_STATE``); ``linli.cobuild.services.projects`` is the only way to move them.
    """

    class State(models.TextChoices):
        OPEN = "open", _("Waiting to be claimed")
        CLAIMED = "claimed", _("Claimed")
        IN_PROGRESS = "in_progress", _("Under way")
        AWAITING_ACCEPTANCE = "awaiting_acceptance", _("Waiting for acceptance")
        AWAITING_EVALUATION = "awaiting_evaluation", _("Residents' evaluation")
        CLOSED = "closed", _("Closed off")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    subdistrict = models.ForeignKey(
        Subdistrict, on_delete=models.CASCADE, related_name="cobuild_projects"
    )
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.CASCADE, related_name="cobuild_projects"
    )
    need = models.ForeignKey(
        "needs.Need",
        on_delete=models.PROTECT,
        related_name="cobuild_projects",
        verbose_name=_("need"),
    )
    resource = models.ForeignKey(
        Resource,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
        verbose_name=_("resource"),
    )
    title = models.CharField(_("project"), max_length=120)
    state = models.CharField(_("state"), max_length=24, choices=State.choices, default=State.OPEN)
    claimed_by = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
        verbose_name=_("claimed by"),
    )

    class Evaluation(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    evaluation = models.CharField(
        _("residents' evaluation"), max_length=20, choices=Evaluation.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.title


NEXT_STATE: dict[str, str] = {
    Project.State.OPEN: Project.State.CLAIMED,
    Project.State.CLAIMED: Project.State.IN_PROGRESS,
    Project.State.IN_PROGRESS: Project.State.AWAITING_ACCEPTANCE,
    Project.State.AWAITING_ACCEPTANCE: Project.State.AWAITING_EVALUATION,
    Project.State.AWAITING_EVALUATION: Project.State.CLOSED,
}


class ProjectEntry(models.Model):
    """One line of a project's timeline: a state change or a progress note."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("project timeline entry")
        verbose_name_plural = _("project timeline entries")

    def __str__(self) -> str:
        return f"{self.project} {self.at:%Y-%m-%d}"

    @property
    def to_state_label(self) -> str:
        """The state this entry moved the project to, as people read it (empty for a note)."""
        return str(Project.State(self.to_state).label) if self.to_state else ""
