"""Places: compounds and their gates, stations and their services, organisations.

Every record belongs to exactly one district (``district`` is part of every scope and every unique
key), so one installation can serve a city or a province and the data can later be partitioned by
district. Reference lists (facility categories, amenities, functions, service categories) are the
installation's own, shared by its districts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.validators import FileExtensionValidator, MaxLengthValidator, MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.areas.models import (
    LAT_VALIDATORS,
    LON_VALIDATORS,
    Community,
    District,
    Grid,
    Subdistrict,
)
from linli.core import limits
from linli.core.holidays import DayKind, day_kind

# The hierarchy lives in linli.areas; re-exported here for the code that still imports it from
# places (new code imports linli.areas.models).
__all__ = ["LAT_VALIDATORS", "LON_VALIDATORS", "Community", "District", "Grid", "Subdistrict"]
WEEKDAY_NAMES = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)


class Compound(models.Model):
    """小区 — a residential compound with households, population and gates."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="compounds")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="compounds")
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="compounds"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    households = models.PositiveIntegerField(_("households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Outline as a GeoJSON Polygon (WGS-84) for drawing; walking starts from the gates.
    outline = models.JSONField(_("outline"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="compound_code_unique"),
        ]
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")

    def __str__(self) -> str:
        return self.name


class Gate(models.Model):
    """小区出入口 — where residents step out onto the street network."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="gates")
    name = models.CharField(_("name"), max_length=100, blank=True)
    lon = models.FloatField(_("longitude"), validators=LON_VALIDATORS)
    lat = models.FloatField(_("latitude"), validators=LAT_VALIDATORS)

    class Meta:
        ordering = ["compound", "id"]
        verbose_name = _("gate")
        verbose_name_plural = _("gates")

    def __str__(self) -> str:
        return self.name or f"{self.compound} gate"


class FacilityCategory(models.Model):
    """设施类别 — a managed list; station kinds and the categories the standards count."""

    class Group(models.TextChoices):
        STATION = "station", _("Stations")
        PUBLIC_SERVICE = "public_service", _("Public services")
        HEALTH = "health", _("Health")
        EDUCATION = "education", _("Education")
        ELDERLY = "elderly", _("Elderly care")
        CULTURE_SPORTS = "culture_sports", _("Culture and sports")
        COMMERCE = "commerce", _("Commerce")
        MUNICIPAL = "municipal", _("Municipal")
        TRANSPORT = "transport", _("Transport")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80)
    group = models.CharField(_("group"), max_length=20, choices=Group.choices)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("facility category")
        verbose_name_plural = _("facility categories")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language."""
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class LabelledItem(models.Model):
    """A managed reference item with a code and a Chinese and English label."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80)
    # Extra words residents type when searching ("剪头" finds 理发).
    keywords = models.CharField(_("search keywords"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language."""
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class StationFunction(LabelledItem):
    """The five functions of a station: 议事、调解、阅读、便民、活动."""

    class Meta(LabelledItem.Meta):
        verbose_name = _("station function")
        verbose_name_plural = _("station functions")


class Amenity(LabelledItem):
    """Amenities at a station: drinking water, phone charging, rest seats, toilet, AED …"""

    class Meta(LabelledItem.Meta):
        verbose_name = _("amenity")
        verbose_name_plural = _("amenities")


class ServiceCategory(LabelledItem):
    """Kinds of service residents look for: 理发, 心理咨询, 艾灸, 法律咨询 …"""

    class Meta(LabelledItem.Meta):
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")


class Organisation(models.Model):
    """An organisation that provides services: a social organisation, a unit, a partner."""

    class Kind(models.TextChoices):
        SOCIAL = "social", _("Social organisation")
        UNIT = "unit", _("Reporting unit")
        PARTNER = "partner", _("Partner")
        NEW_ECONOMIC = "new_economic", _("New economic organisation")
        NEW_SOCIAL = "new_social", _("New social organisation")
        GOVERNMENT = "government", _("Government body")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="organisations")
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(
        _("description"),
        blank=True,
        max_length=limits.DESCRIPTION,
        validators=[MaxLengthValidator(limits.DESCRIPTION)],
    )
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="organisation_name_unique"),
            limits.text_at_most(
                "description", limits.DESCRIPTION, name="organisation_description_length"
            ),
        ]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Station(models.Model):
    """A place residents go to: 幸福驿站, 智慧小屋, 党群服务中心 or any standard facility."""

    class HolidayPolicy(models.TextChoices):
        CLOSED = (
            "closed",
            _("Closed on public holidays; adjusted working days follow Monday's hours"),
        )
        OPEN = "open", _("Keeps its weekly hours on public holidays")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="stations")
    subdistrict = models.ForeignKey(Subdistrict, on_delete=models.PROTECT, related_name="stations")
    # Empty for a subdistrict-level place such as the subdistrict's party service centre.
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.PROTECT, related_name="stations"
    )
    compound = models.ForeignKey(
        Compound, null=True, blank=True, on_delete=models.SET_NULL, related_name="stations"
    )
    category = models.ForeignKey(
        FacilityCategory,
        on_delete=models.PROTECT,
        related_name="stations",
        verbose_name=_("kind"),
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(
        _("description"),
        blank=True,
        max_length=limits.DESCRIPTION,
        validators=[MaxLengthValidator(limits.DESCRIPTION)],
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"), validators=LON_VALIDATORS)
    lat = models.FloatField(_("latitude"), validators=LAT_VALIDATORS)
    phone = models.CharField(_("public phone"), max_length=30, blank=True)
    contact_name = models.CharField(_("keeper's name"), max_length=50, blank=True)
    contact_phone = models.CharField(_("keeper's mobile"), max_length=30, blank=True)
    functions = models.ManyToManyField(
        StationFunction, blank=True, related_name="stations", verbose_name=_("functions")
    )
    amenities = models.ManyToManyField(
        Amenity, blank=True, related_name="stations", verbose_name=_("amenities")
    )
    holiday_policy = models.CharField(
        _("on public holidays"),
        max_length=10,
        choices=HolidayPolicy.choices,
        default=HolidayPolicy.OPEN,
    )
    is_active = models.BooleanField(_("in service"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="station_code_unique"),
            limits.text_at_most(
                "description", limits.DESCRIPTION, name="station_description_length"
            ),
        ]
        indexes = [
            models.Index(fields=["district", "category"]),
            # The resident pages' cache version is max(updated_at) per district (places.queries).
            models.Index(fields=["district", "updated_at"]),
        ]
        verbose_name = _("station")
        verbose_name_plural = _("stations")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def audit_key_label(key: str) -> str | None:
        """The audit log's words for a change key that is not a field (linli.core.queries)."""
        labels = {
            "opening_hours": _("opening hours"),
            "opening_exception": _("temporary change or closure"),
            "caption": _("photo caption"),
            "image": _("photo"),
            "position": _("photo position"),
            "hard": _("record removed for good"),
        }
        return str(labels[key]) if key in labels else None

    @staticmethod
    def audit_value_words(key: str, value: Any) -> str | None:
        """Stored weekly hours ("0 09:00-17:00") in words ("Monday 09:00–17:00")."""
        if key != "opening_hours" or not isinstance(value, list):
            return None

        def one(item: Any) -> str:
            day, _sep, span = str(item).partition(" ")
            if not day.isdigit() or int(day) > 6:
                return str(item)
            return f"{WEEKDAY_NAMES[int(day)]} {span.replace('-', '–')}"

        from django.utils.translation import get_language

        separator = "; " if (get_language() or "").startswith("en") else "；"
        return separator.join(one(item) for item in value) or "—"

    def opening_on(self, day: dt.date) -> OpeningDay:
        """The hours on ``day``, with exceptions and the official holiday calendar applied."""
        hours = list(self.opening_hours.all())
        exceptions = [e for e in self.opening_exceptions.all() if e.date == day]
        return opening_on(hours=hours, exceptions=exceptions, day=day, policy=self.holiday_policy)

    def is_open_at(self, moment: dt.datetime) -> bool:
        """Whether the station is open at ``moment`` (an aware datetime)."""
        local = timezone.localtime(moment)
        return self.opening_on(local.date()).contains(local.time())


class OpeningHours(models.Model):
    """A regular opening interval on one weekday; a day may have several (morning, afternoon)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), validators=[MaxValueValidator(6)], help_text=_("0 = Monday … 6 = Sunday")
    )
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")) | models.Q(closes=dt.time(0, 0)),
                name="opening_hours_closes_after_opens",
            ),
        ]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.weekday} {self.opens:%H:%M}–{self.closes:%H:%M}"


class OpeningException(models.Model):
    """A one-off change on a date: closed, or other hours."""

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="opening_exceptions"
    )
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed all day"), default=True)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["date", "opens"]
        verbose_name = _("opening exception")
        verbose_name_plural = _("opening exceptions")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.note}".strip()


@dataclass(frozen=True)
class OpeningDay:
    """The opening intervals of one day and whether the holiday calendar was known."""

    intervals: tuple[tuple[dt.time, dt.time], ...]
    kind: DayKind
    reason: str = ""

    def contains(self, t: dt.time) -> bool:
        """Whether time ``t`` falls in one of the intervals (a close of 00:00 means midnight)."""
        return any(o <= t and (t < c or c == dt.time(0, 0)) for o, c in self.intervals)

    @property
    def holiday_known(self) -> bool:
        return self.kind is not DayKind.UNKNOWN


def opening_on(
    *, hours: list[OpeningHours], exceptions: list[OpeningException], day: dt.date, policy: str
) -> OpeningDay:
    """Compute a day's opening from weekly hours, exceptions and the official calendar.

    Rules (docs/opening-hours.md): an exception on the date wins; a station that closes on public
    holidays is closed on them and, on an adjusted working day (调休上班), keeps Monday's hours;
    a year chinesecalendar does not know keeps the weekly hours and is marked unknown.
    """
    kind = day_kind(day)
    if exceptions:
        intervals = tuple(
            (e.opens, e.closes) for e in exceptions if not e.closed and e.opens and e.closes
        )
        return OpeningDay(intervals=intervals, kind=kind, reason=exceptions[0].note or "exception")
    weekday = day.weekday()
    if policy == Station.HolidayPolicy.CLOSED:
        if kind is DayKind.HOLIDAY:
            return OpeningDay(intervals=(), kind=kind, reason="holiday")
        if kind is DayKind.ADJUSTED_WORKDAY:
            weekday = 0
    intervals = tuple((h.opens, h.closes) for h in hours if h.weekday == weekday)
    return OpeningDay(intervals=intervals, kind=kind)


class StationPhoto(models.Model):
    """A photo of a station."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="photos")
    # A FileField with an extension validator rather than ImageField: Pillow is not a dependency.
    image = models.FileField(
        _("photo"),
        upload_to="stations/%Y/",
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp"])],
    )
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.caption or str(self.image.name)


class Service(models.Model):
    """服务项目 — something an organisation offers, at one or more stations."""

    class Fee(models.TextChoices):
        FREE = "free", _("Free")
        LOW = "low", pgettext_lazy("fee", "Low fee")
        PAID = "paid", _("Paid")

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="services")
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        verbose_name=_("provider"),
    )
    category = models.ForeignKey(
        ServiceCategory,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("category"),
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(
        _("description"),
        blank=True,
        max_length=limits.DESCRIPTION,
        validators=[MaxLengthValidator(limits.DESCRIPTION)],
    )
    fee = models.CharField(_("fee"), max_length=10, choices=Fee.choices, default=Fee.FREE)
    fee_description = models.CharField(_("fee details"), max_length=200, blank=True)
    booking_required = models.BooleanField(_("booking needed"), default=False)
    is_active = models.BooleanField(_("offered"), default=True)
    stations = models.ManyToManyField(
        Station, through="ServiceAtStation", related_name="services", verbose_name=_("stations")
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            limits.text_at_most(
                "description", limits.DESCRIPTION, name="service_description_length"
            ),
        ]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name


class ServiceAtStation(models.Model):
    """A service offered at one station, with its schedule (HSDS service_at_location)."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="at_stations")
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="service_links")
    # iCalendar RRULE as in HSDS 3.0 schedules: "first Friday of the month" is
    # FREQ=MONTHLY;BYDAY=1FR. Empty means "whenever the station is open".
    rrule = models.CharField(_("recurrence (RRULE)"), max_length=200, blank=True)
    opens = models.TimeField(_("from"), null=True, blank=True)
    closes = models.TimeField(_("until"), null=True, blank=True)
    schedule_note = models.CharField(_("schedule"), max_length=200, blank=True)

    class Meta:
        ordering = ["station", "service"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "station"], name="service_at_station_unique"
            ),
        ]
        verbose_name = _("service at station")
        verbose_name_plural = _("services at stations")

    def __str__(self) -> str:
        return f"{self.service} @ {self.station}"

    @staticmethod
    def audit_key_label(key: str) -> str | None:
        """The audit log's words for a change key that is not a field (linli.core.queries)."""
        return str(_("schedule")) if key == "rrule" else None

    @staticmethod
    def audit_value_words(key: str, value: Any) -> str | None:
        """A stored RRULE read back in words ("每月第一个星期五")."""
        if key != "rrule" or not isinstance(value, str):
            return None
        from django.utils.translation import get_language

        from linli.places.rrule_words import schedule_in_words

        if not value:
            return str(_("whenever the station is open"))
        return schedule_in_words(value, language=get_language() or "zh-hans") or value
