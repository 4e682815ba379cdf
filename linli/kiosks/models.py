"""Smart huts (智慧小屋): their devices and managed areas, faults, device keys and readings.

A smart hut is a ``places.Station`` of category ``smart_hut``; this app adds what is inside it.
Every row carries ``district`` like the rest of Linli, so scopes and partitioning work the same.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core import limits

SMART_HUT = "smart_hut"  # places.FacilityCategory.code of a smart hut


class Section(models.TextChoices):
    """The five sections (板块) of a smart hut."""

    READING = "reading", pgettext_lazy("hut section", "Reading")
    HEALTH = "health", pgettext_lazy("hut section", "Health")
    PUBLICITY = "publicity", pgettext_lazy("hut section", "Theory and publicity")
    GOVERNMENT = "government", pgettext_lazy("hut section", "Government services")
    CONVENIENCE = "convenience", pgettext_lazy("hut section", "Convenience services")


class DeviceKind(models.TextChoices):
    """The function areas (功能区) of a smart hut: connected devices and managed areas."""

    MICRO_LIBRARY = "micro_library", _("Micro library")
    HEALTH_KIOSK = "health_kiosk", _("Health-check kiosk")
    E_NEWSPAPER = "e_newspaper", _("E-newspaper board")
    MEDICINE_CABINET = "medicine_cabinet", _("Unmanned medicine cabinet")
    GOV_TERMINAL = "gov_terminal", _("Government-service terminal")
    PARCEL_LOCKER = "parcel_locker", _("24-hour parcel lockers")
    VENDING_MACHINE = "vending_machine", _("Vending machine")
    AWNING = "awning", _("Outdoor awning")
    REST_AREA = "rest_area", _("Rest area")
    CHARGING = "charging", _("Charging point")
    PUBLICITY_BOARD = "publicity_board", _("Publicity board")


# Managed areas have no network connection: no heartbeat, never "offline" (only a fault).
MANAGED_AREAS = frozenset({DeviceKind.AWNING, DeviceKind.REST_AREA, DeviceKind.PUBLICITY_BOARD})


class DeviceStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline")
    FAULT = "fault", _("Fault")


class Device(models.Model):
    """A device or managed area in a smart hut's section (体检一体机, 快递柜, 遮阳棚 …)."""

    district = models.ForeignKey(
        "areas.District", on_delete=models.CASCADE, related_name="kiosk_devices"
    )
    station = models.ForeignKey(
        "places.Station",
        on_delete=models.CASCADE,
        related_name="kiosk_devices",
        verbose_name=_("smart hut"),
    )
    section = models.CharField(_("section"), max_length=20, choices=Section.choices)
    kind = models.CharField(_("function area"), max_length=24, choices=DeviceKind.choices)
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    keeper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kept_devices",
        verbose_name=_("keeper responsible"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.ONLINE
    )
    # When the current status began ("offline since", "in fault since").
    status_since = models.DateTimeField(_("since"))
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    # E-newspaper boards: when the board last fetched its content feed.
    feed_fetched_at = models.DateTimeField(_("feed last fetched"), null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["station", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="kiosk_device_code_unique"),
        ]
        indexes = [models.Index(fields=["status", "last_heartbeat_at"])]
        verbose_name = _("device")
        verbose_name_plural = _("devices")

    def __str__(self) -> str:
        return self.name

    @property
    def is_connected(self) -> bool:
        """Whether the device sends heartbeats (a managed area does not)."""
        return self.kind not in MANAGED_AREAS

    def is_silent_at(self, now: dt.datetime) -> bool:
        """Whether a connected device has missed its heartbeats long enough to count as offline."""
        if not self.is_connected:
            return False
        limit = dt.timedelta(seconds=settings.LINLI_KIOSK_OFFLINE_SECONDS)
        last = self.last_heartbeat_at or self.status_since
        return now - last > limit


class Fault(models.Model):
    """A fault ticket (故障工单) on a device: opened by device or staff, closed by the keeper."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("fault", "Open")
        CLOSED = "closed", pgettext_lazy("fault", "Closed")

    class Source(models.TextChoices):
        DEVICE = "device", _("Reported by the device")
        STAFF = "staff", _("Reported by staff")

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    station = models.ForeignKey(
        "places.Station", on_delete=models.CASCADE, related_name="kiosk_faults"
    )
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="faults")
    summary = models.CharField(_("fault"), max_length=200)
    source = models.CharField(
        pgettext_lazy("fault", "source"), max_length=10, choices=Source.choices
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(pgettext_lazy("fault", "closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closing_note = models.TextField(
        _("how it was fixed"),
        blank=True,
        max_length=limits.DESCRIPTION,
        validators=[MaxLengthValidator(limits.DESCRIPTION)],
    )

    class Meta:
        constraints = [
            limits.text_at_most(
                "closing_note", limits.DESCRIPTION, name="fault_closing_note_length"
            ),
        ]
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["station", "status"])]
        verbose_name = _("fault")
        verbose_name_plural = _("faults")

    def __str__(self) -> str:
        return f"{self.device}: {self.summary}"


class FaultEvent(models.Model):
    """One line of a fault's history: opened, keeper alerted, note, closed."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ALERTED = "alerted", _("Keeper alerted")
        CLOSED = "closed", pgettext_lazy("fault", "Closed")

    fault = models.ForeignKey(Fault, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


class DeviceKey(models.Model):
    """A device's signing credential (设备密钥). Only the public ``key_id`` is stored.

    The secret is HMAC(LINLI_DEVICE_KEY_SECRET, key_id) (linli.kiosks.signing.device_secret):
    a copy of the database alone cannot sign requests. Rotation issues a new key and lets the
    old one ``retires_at`` later, so the device switches without downtime.
    """

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="keys")
    key_id = models.CharField(_("key id"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("issued"))
    retires_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("device key")
        verbose_name_plural = _("device keys")

    def __str__(self) -> str:
        return self.key_id

    def is_valid_at(self, now: dt.datetime) -> bool:
        """Whether the key may sign a request at ``now``: not revoked and not retired."""
        return self.revoked_at is None and (self.retires_at is None or self.retires_at > now)


class DeviceNonce(models.Model):
    """A nonce a device has used; a second request with it is a replay and is refused.

    Rows older than the allowed clock skew are pruned (a request that old is refused anyway).
    """

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "nonce"], name="kiosk_nonce_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.nonce}"


class Reading(models.Model):
    """A measurement a device sent, stored once per (device, reading id) and encrypted.

    ``ciphertext`` is AES-GCM of the value under the key named by ``key_id``
    (linli.kiosks.crypto); the keys live outside the database.
    """

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="readings")
    reading_id = models.CharField(max_length=64)
    item = models.CharField(max_length=40)
    # The pseudonymous key of the resident measured (HMAC of the ID), empty for device data.
    subject = models.CharField(max_length=64, blank=True, db_index=True)
    measured_at = models.DateTimeField()
    received_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    ciphertext = models.BinaryField()

    class Meta:
        ordering = ["measured_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "reading_id"], name="kiosk_reading_once_per_device"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.reading_id}"


class MeasurementItem(models.Model):
    """An item of the health kiosk's measurement catalogue (体检项目): unit, LOINC, plausible range.

    The 21 default items are loaded by a data migration; administrators may add or retire
    items in the admin. A number outside [min_value, max_value] is refused at ingest with the
    range in the reason (a kiosk glitch, not a patient to follow up).
    """

    class ValueType(models.TextChoices):
        NUMBER = "number", _("Number")
        TEXT = "text", _("Text")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    loinc = models.CharField(_("LOINC code"), max_length=10, blank=True)
    value_type = models.CharField(
        _("value type"), max_length=10, choices=ValueType.choices, default=ValueType.NUMBER
    )
    min_value = models.FloatField(_("lowest plausible value"), null=True, blank=True)
    max_value = models.FloatField(_("highest plausible value"), null=True, blank=True)
    is_active = models.BooleanField(_("measured"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("measurement item")
        verbose_name_plural = _("measurement catalogue")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language."""
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    def problem_with(self, value: float | str) -> str | None:
        """Why ``value`` cannot be a measurement of this item, or None."""
        from django.utils.translation import gettext

        if self.value_type == self.ValueType.TEXT:
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                return gettext("%(item)s needs a short text.") % {"item": self.display_name}
            return None
        if isinstance(value, str):
            return gettext("%(item)s needs a number.") % {"item": self.display_name}
        low, high = self.min_value, self.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            return gettext(
                "%(value)s %(unit)s is not a plausible %(item)s (between %(low)s and %(high)s)."
            ) % {
                "value": f"{value:g}",
                "unit": self.unit,
                "item": self.display_name,
                "low": "…" if low is None else f"{low:g}",
                "high": "…" if high is None else f"{high:g}",
            }
        return None


class HealthSubject(models.Model):
    """A resident measured at a kiosk, known only by a pseudonymous key (健康档案主体).

    ``pseudonym`` is HMAC(LINLI_KIOSK_PSEUDONYM_SECRET, the ID number or phone): the database
    never holds the ID. ``community`` is where the family-doctor team that may read the
    readings works (the hut's community at enrolment).
    """

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(
        "areas.Community", on_delete=models.PROTECT, related_name="health_subjects"
    )
    pseudonym = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="health_subjects",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """A short, stable label for staff pages (居民 + the first characters of the key)."""
        return f"#{self.pseudonym[:8].upper()}"


class HealthConsent(models.Model):
    """Separate consent to health-data processing (PIPL 单独同意), with its text version."""

    subject = models.ForeignKey(HealthSubject, on_delete=models.CASCADE, related_name="consents")
    text_version = models.CharField(_("consent text version"), max_length=20)
    granted_at = models.DateTimeField(_("granted"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    channel = models.CharField(max_length=10, default="kiosk")

    class Meta:
        ordering = ["-granted_at", "-pk"]
        constraints = [
            # At most one consent in force per subject.
            models.UniqueConstraint(
                fields=["subject"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="kiosk_one_active_consent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} v{self.text_version}"


class ThresholdTable(models.Model):
    """A version of the follow-up thresholds (linli.kiosks.thresholds documents the rules).

    Rows are never edited once readings were judged by them: a new criterion is a new version
    with a later ``valid_from``; each follow-up records the version that filed it.
    """

    version = models.CharField(_("version"), max_length=20, unique=True)
    valid_from = models.DateField(_("applies from"))
    rules = models.JSONField(_("rules"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("threshold table")
        verbose_name_plural = _("threshold tables")

    def __str__(self) -> str:
        return self.version

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from linli.kiosks.thresholds import validate_rules

        rules = self.rules if isinstance(self.rules, list) else None
        problems = validate_rules(rules) if rules is not None else ["rules must be a list"]
        if problems:
            raise ValidationError({"rules": problems})


class FollowUp(models.Model):
    """异常待随访 — a resident whose readings of one day crossed a threshold."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("follow-up", "To follow up")
        CLOSED = "closed", pgettext_lazy("follow-up", "Followed up")

    class Level(models.TextChoices):
        ABNORMAL = "abnormal", _("Abnormal")
        URGENT = "urgent", _("Urgent")

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("areas.Community", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(HealthSubject, on_delete=models.CASCADE, related_name="followups")
    day = models.DateField(_("measured on"))
    level = models.CharField(
        pgettext_lazy("follow-up", "level"), max_length=10, choices=Level.choices
    )
    # [{reading: pk, item, finding, level, op, limit}] — judgements only, never values.
    findings = models.JSONField(default=list)
    table_version = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closing_note = models.TextField(
        _("what was done"),
        blank=True,
        max_length=limits.DESCRIPTION,
        validators=[MaxLengthValidator(limits.DESCRIPTION)],
    )
    recheck_due = models.DateField(_("recheck due"), null=True, blank=True)
    recheck_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "pk"]
        constraints = [
            limits.text_at_most(
                "closing_note", limits.DESCRIPTION, name="followup_closing_note_length"
            ),
            models.UniqueConstraint(fields=["subject", "day"], name="kiosk_followup_once_a_day"),
        ]
        indexes = [models.Index(fields=["community", "status"])]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.subject} {self.day}"

    def finding_labels(self) -> list[str]:
        """The findings' names, each once, most serious first."""
        from linli.kiosks.thresholds import FINDINGS

        ordered = sorted(self.findings, key=lambda f: f["level"] != "urgent")
        seen: list[str] = []
        for f in ordered:
            label = str(FINDINGS.get(f["finding"], f["finding"]))
            if label not in seen:
                seen.append(label)
        return seen


# --- stock and occupancy: medicine cabinet, vending machine, parcel lockers -------------------


class StockKind(models.TextChoices):
    """What a stock event says happened (each device kind has its own; linli.kiosks.stock)."""

    STOCKTAKE = "stocktake", _("Stocktake")
    RESTOCK = "restock", _("Restocked")
    DISPENSE = "dispense", _("Dispensed")
    SALE = "sale", _("Sold")
    DEPOSIT = "deposit", _("Parcel deposited")
    PICKUP = "pickup", _("Parcel picked up")


class StockItem(models.Model):
    """What a stocked device has available: a medicine or product in a cabinet or vending
    machine (units left), or a size of parcel-locker compartment (compartments free).

    ``quantity`` is always "available now", so one low mark works for all three: few boxes of a
    medicine, few drinks, few free compartments. ``low_alerted_at`` is set when the keeper was
    texted about this low episode and cleared when the item is back above its mark.
    """

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="stock_items")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    quantity = models.PositiveIntegerField(_("available"))
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    low_at = models.PositiveIntegerField(_("low at"), default=0)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"))
    low_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["device", "code"]
        constraints = [
            models.UniqueConstraint(fields=["device", "code"], name="kiosk_stock_item_unique"),
        ]
        verbose_name = _("stock item")
        verbose_name_plural = _("stock")

    def __str__(self) -> str:
        return f"{self.device}: {self.name}"

    @property
    def is_low(self) -> bool:
        return self.quantity <= self.low_at

    def expires_within(self, today: dt.date, days: int) -> bool:
        """Whether the item expires on or before ``today + days`` (expired included)."""
        return self.expires_on is not None and self.expires_on <= today + dt.timedelta(days=days)


class StockEvent(models.Model):
    """One stock or occupancy event a device reported, stored once per (device, event id)."""

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    station = models.ForeignKey("places.Station", on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="stock_events")
    event_id = models.CharField(max_length=64)
    item = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=StockKind.choices)
    quantity = models.PositiveIntegerField()
    at = models.DateTimeField()
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "event_id"], name="kiosk_stock_event_once_per_device"
            ),
        ]
        indexes = [models.Index(fields=["station", "at"])]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.event_id}"


# --- the e-newspaper board's feed --------------------------------------------------------------


class BoardPost(models.Model):
    """A post staff publish to the e-newspaper boards (电子阅报栏) of smart huts.

    ``station`` is one hut, or empty for every hut of the poster's community / subdistrict /
    district (``scope_*`` copy the poster's scope when the post was published). The boards
    fetch their feed with a signed request; each device records when it last did.
    """

    class Kind(models.TextChoices):
        POLICY = "policy", _("Policy")
        NOTICE = "notice", _("Notice")
        WARNING = "warning", _("Warning")

    district = models.ForeignKey("areas.District", on_delete=models.CASCADE, related_name="+")
    subdistrict = models.ForeignKey(
        "areas.Subdistrict", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    community = models.ForeignKey(
        "areas.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    station = models.ForeignKey(
        "places.Station",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="board_posts",
        verbose_name=_("smart hut"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=2000)
    published_at = models.DateTimeField(_("published"))
    expires_at = models.DateTimeField(_("shown until"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("board post")
        verbose_name_plural = _("board posts")

    def __str__(self) -> str:
        return self.title
