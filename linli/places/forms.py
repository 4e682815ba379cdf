"""Console forms: they validate what a person typed and produce the services' inputs.

Choices are limited to the user's scope (communities, stations) through
``linli.places.permissions``; the services check again, so a tampered form gets a refusal, not a
record outside the scope.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.accounts.models import AnyUser
from linli.core import limits
from linli.core.exceptions import LinliError
from linli.places import permissions
from linli.places.exports import clock
from linli.places.geo import CoordinateSystem, to_wgs84
from linli.places.imports import CellError, fold, parse_hours
from linli.places.models import (
    Amenity,
    FacilityCategory,
    Organisation,
    Service,
    ServiceCategory,
    Station,
    StationFunction,
)
from linli.places.services import (
    ORGANISATION_FIELDS,
    CompoundInput,
    ExceptionInput,
    GateInput,
    HoursInput,
    OrganisationInput,
    ScheduleInput,
    ServiceInput,
    StationInput,
    clean_credit_code,
    clean_organisation_email,
    clean_organisation_phone,
    clean_organisation_website,
)

CRS_CHOICES = [
    (CoordinateSystem.WGS84.value, _("WGS-84 (GPS, 天地图)")),
    (CoordinateSystem.GCJ02.value, _("GCJ-02 (高德/腾讯 maps)")),
]
WEEKDAY_LABELS = [
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
]


def _choices(form: forms.Form, name: str) -> forms.ChoiceField:
    """A choice field of ``form``, typed, so its choices can be set from the user's scope."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _community_choices(user: AnyUser, *, blank: str | None) -> list[tuple[str, str]]:
    choices = [
        (c.code, f"{c.subdistrict.name} / {c.name}")
        for c in permissions.communities_for_user(user).select_related("subdistrict")
    ]
    return ([("", blank)] if blank is not None else []) + choices


class StationFilterForm(forms.Form):
    """The search form above the station table."""

    q = forms.CharField(label=_("Name, code or address"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    community = forms.ChoiceField(label=_("Community"), required=False)
    subdistrict = forms.CharField(required=False, widget=forms.HiddenInput)
    active = forms.ChoiceField(
        label=_("In service"),
        required=False,
        choices=[("", _("All")), ("1", _("In service")), ("0", _("Out of service"))],
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "community").choices = [("", _("All communities"))] + [
            (str(c.pk), c.name) for c in permissions.communities_for_user(user)
        ]
        _choices(self, "kind").choices = [("", _("All kinds"))] + [
            (c.code, c.display_name) for c in FacilityCategory.objects.all()
        ]


class StationForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=limits.CODE, validators=[limits.single_line])
    name = forms.CharField(label=_("Name"), max_length=limits.NAME, validators=[limits.single_line])
    category = forms.ChoiceField(label=_("Kind"))
    community = forms.ChoiceField(label=_("Community"), required=False)
    subdistrict = forms.ChoiceField(
        label=_("Subdistrict"),
        required=False,
        help_text=_("Only for a subdistrict-level place without a community."),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=limits.ADDRESS,
        required=False,
        validators=[limits.single_line],
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    crs = forms.ChoiceField(
        label=_("Coordinate system"), choices=CRS_CHOICES, initial=CoordinateSystem.WGS84.value
    )
    phone = forms.CharField(
        label=_("Public phone"),
        max_length=limits.PHONE,
        required=False,
        validators=[limits.single_line],
    )
    contact_name = forms.CharField(
        label=_("Keeper's name"),
        max_length=limits.PERSON_NAME,
        required=False,
        validators=[limits.single_line],
    )
    contact_phone = forms.RegexField(
        label=_("Keeper's mobile"),
        regex=r"^(1\d{10})?$",
        required=False,
        error_messages={"invalid": _("Enter an 11-digit mobile.")},
    )
    functions = forms.MultipleChoiceField(
        label=_("Functions"), required=False, widget=forms.CheckboxSelectMultiple
    )
    amenities = forms.MultipleChoiceField(
        label=_("Amenities"), required=False, widget=forms.CheckboxSelectMultiple
    )
    holiday_policy = forms.ChoiceField(
        label=_("On public holidays"), choices=Station.HolidayPolicy.choices
    )
    is_active = forms.BooleanField(label=_("In service"), required=False, initial=True)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=limits.DESCRIPTION,
        validators=[limits.multiline_text],
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "category").choices = [
            (c.code, c.display_name) for c in FacilityCategory.objects.all()
        ]
        _choices(self, "community").choices = _community_choices(
            user, blank=str(_("— subdistrict level —"))
        )
        _choices(self, "subdistrict").choices = [("", "—")] + [
            (s.code, s.name) for s in permissions.subdistricts_for_user(user)
        ]
        _choices(self, "functions").choices = [
            (f.code, f.display_name) for f in StationFunction.objects.all()
        ]
        _choices(self, "amenities").choices = [
            (a.code, a.display_name) for a in Amenity.objects.all()
        ]
        for name in ("lon", "lat"):
            self.fields[name].widget.attrs["inputmode"] = "decimal"

    def clean_code(self) -> str:
        return fold(self.cleaned_data["code"])

    def clean_contact_phone(self) -> str:
        return fold(self.cleaned_data.get("contact_phone") or "")

    @staticmethod
    def initial_for(station: Station) -> dict[str, Any]:
        return {
            "code": station.code,
            "name": station.name,
            "category": station.category.code,
            "community": station.community.code if station.community else "",
            "subdistrict": "" if station.community else station.subdistrict.code,
            "address": station.address,
            "lon": station.lon,
            "lat": station.lat,
            "phone": station.phone,
            "contact_name": station.contact_name,
            "contact_phone": station.contact_phone,
            "functions": list(station.functions.values_list("code", flat=True)),
            "amenities": list(station.amenities.values_list("code", flat=True)),
            "holiday_policy": station.holiday_policy,
            "is_active": station.is_active,
            "description": station.description,
        }

    def to_input(self, *, compound: str = "") -> StationInput:
        d = self.cleaned_data
        lon, lat = to_wgs84(d["lon"], d["lat"], CoordinateSystem(d["crs"]))
        return StationInput(
            code=d["code"],
            name=d["name"],
            category=d["category"],
            community=d.get("community") or "",
            subdistrict="" if d.get("community") else d.get("subdistrict") or "",
            lon=lon,
            lat=lat,
            address=d["address"],
            description=d["description"],
            phone=d["phone"],
            contact_name=d["contact_name"],
            contact_phone=d["contact_phone"],
            functions=tuple(d["functions"]),
            amenities=tuple(d["amenities"]),
            compound=compound,
            holiday_policy=d["holiday_policy"],
            is_active=d["is_active"],
        )


class HoursForm(forms.Form):
    """Weekly hours as staff write them on the door: 08:30-12:00,14:00-18:00 (empty = closed)."""

    holiday_policy = forms.ChoiceField(
        label=_("On public holidays"),
        choices=Station.HolidayPolicy.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, label in enumerate(WEEKDAY_LABELS):
            self.fields[f"day_{day}"] = forms.CharField(
                label=label,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": _("Closed")}),
            )

    def day_fields(self) -> list[forms.BoundField]:
        return [self[f"day_{day}"] for day in range(7)]

    @staticmethod
    def initial_for(station: Station) -> dict[str, Any]:
        initial: dict[str, Any] = {"holiday_policy": station.holiday_policy}
        for day in range(7):
            initial[f"day_{day}"] = ",".join(
                f"{h.opens:%H:%M}-{clock(h.closes)}"
                for h in station.opening_hours.all()
                if h.weekday == day
            )
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.hours: list[HoursInput] = []
        for day in range(7):
            text = data.get(f"day_{day}") or ""
            if not text.strip():
                continue
            try:
                intervals = parse_hours(text)
            except CellError as err:
                self.add_error(f"day_{day}", err.message)
                continue
            self.hours += [HoursInput(weekday=day, opens=o, closes=c) for o, c in intervals]
        return data


class GatesField(forms.CharField):
    """Gates typed one per line: 南门 113.0701,36.1802 (name, longitude, latitude)."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "南门 113.0701,36.1802"})

    def to_python(self, value: Any) -> list[tuple[str, float, float]]:  # type: ignore[override]  # a list, not Field's str
        gates = []
        for line in (super().to_python(value) or "").splitlines():
            parts = fold(line).replace(",", " ").split()
            if not parts:
                continue
            try:
                lon, lat = float(parts[-2]), float(parts[-1])
            except (ValueError, IndexError):
                raise forms.ValidationError(
                    _("Write each gate as: name longitude,latitude — e.g. 南门 113.0701,36.1802.")
                ) from None
            gates.append((" ".join(parts[:-2]), lon, lat))
        return gates


class CompoundForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=limits.SHORT_CODE, validators=[limits.single_line]
    )
    name = forms.CharField(
        label=_("Name"), max_length=limits.AREA_NAME, validators=[limits.single_line]
    )
    community = forms.ChoiceField(label=_("Community"))
    households = limits.BoundedIntegerField(label=_("Households"), initial=0)
    population = limits.BoundedIntegerField(label=_("Population"), initial=0)
    address = forms.CharField(
        label=_("Address"),
        max_length=limits.ADDRESS,
        required=False,
        validators=[limits.single_line],
    )
    gates = GatesField(
        label=_("Gates"), required=False, help_text=_("One gate per line: name longitude,latitude.")
    )
    crs = forms.ChoiceField(
        label=_("Coordinate system"), choices=CRS_CHOICES, initial=CoordinateSystem.WGS84.value
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "community").choices = _community_choices(user, blank=None)

    def clean_code(self) -> str:
        return fold(self.cleaned_data["code"])

    @staticmethod
    def initial_for(compound: Any) -> dict[str, Any]:
        return {
            "code": compound.code,
            "name": compound.name,
            "community": compound.community.code,
            "households": compound.households,
            "population": compound.population,
            "address": compound.address,
            "gates": "\n".join(f"{g.name} {g.lon:.7f},{g.lat:.7f}" for g in compound.gates.all()),
        }

    def to_input(self) -> CompoundInput:
        d = self.cleaned_data
        system = CoordinateSystem(d["crs"])
        gates = []
        for name, lon, lat in d["gates"]:
            wlon, wlat = to_wgs84(lon, lat, system)
            gates.append(GateInput(name=name, lon=wlon, lat=wlat))
        return CompoundInput(
            code=d["code"],
            name=d["name"],
            community=d["community"],
            households=d["households"],
            population=d["population"],
            address=d["address"],
            gates=tuple(gates),
        )


REPEAT_CHOICES = [
    ("", _("Whenever the station is open")),
    ("daily", _("Every day")),
    ("weekly", _("Every week on …")),
    ("monthly", _("Once a month, on the …")),
    ("custom", _("Another rule (RRULE, for experts)")),
]
ORDINAL_CHOICES = [
    ("1", pgettext_lazy("nth weekday of the month", "first")),
    ("2", pgettext_lazy("nth weekday of the month", "second")),
    ("3", pgettext_lazy("nth weekday of the month", "third")),
    ("4", pgettext_lazy("nth weekday of the month", "fourth")),
    ("-1", pgettext_lazy("nth weekday of the month", "last")),
]
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def schedule_builder_initial(rule: str) -> dict[str, Any]:
    """The builder's fields for a stored rule; a rule it cannot show stays as written."""
    from linli.places.rrule_words import UnsupportedRule, parse_rule

    if not rule.strip():
        return {"repeat": ""}
    try:
        parsed = parse_rule(rule)
    except UnsupportedRule:
        return {"repeat": "custom", "rrule": rule}
    simple = (
        parsed.interval == 1
        and not parsed.bymonthday
        and not parsed.bymonth
        and parsed.count is None
        and parsed.until is None
        and parsed.dtstart is None
    )
    if simple and parsed.freq == "DAILY" and not parsed.byday:
        return {"repeat": "daily"}
    if (
        simple
        and parsed.freq == "WEEKLY"
        and parsed.byday
        and all(n == 0 for n, _d in parsed.byday)
    ):
        return {"repeat": "weekly", "weekdays": [DAY_CODES[d] for _n, d in parsed.byday]}
    if (
        simple
        and parsed.freq == "MONTHLY"
        and len(parsed.byday) == 1
        and str(parsed.byday[0][0]) in dict(ORDINAL_CHOICES)
    ):
        nth, day = parsed.byday[0]
        return {"repeat": "monthly", "nth": str(nth), "month_weekday": DAY_CODES[day]}
    return {"repeat": "custom", "rrule": rule}


class ScheduleFields(forms.Form):
    """When a service is offered, built from choices a person reads (every week on Tuesday, the
    first Friday of each month …); ``clean`` writes the RRULE, which staff no longer type.
    The rule is shown back in words wherever it is listed (``schedule_words``)."""

    repeat = forms.ChoiceField(
        label=_("Repeats"),
        choices=REPEAT_CHOICES,
        required=False,
        widget=forms.Select(attrs={"x-model": "repeat"}),
    )
    weekdays = forms.MultipleChoiceField(
        label=pgettext_lazy("weekdays", "On"),
        choices=list(zip(DAY_CODES, WEEKDAY_LABELS, strict=True)),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    nth = forms.ChoiceField(label=_("Which one"), choices=ORDINAL_CHOICES, required=False)
    month_weekday = forms.ChoiceField(
        label=_("Day of the week"),
        choices=list(zip(DAY_CODES, WEEKDAY_LABELS, strict=True)),
        required=False,
    )
    rrule = forms.CharField(
        label=_("Recurrence (RRULE)"),
        required=False,
        max_length=200,
        help_text=_("e.g. FREQ=MONTHLY;BYDAY=1FR for the first Friday of each month."),
    )
    opens = forms.TimeField(
        label=pgettext_lazy("time", "From"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    closes = forms.TimeField(
        label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    schedule_note = forms.CharField(
        label=_("Schedule as residents read it"),
        required=False,
        max_length=limits.NOTE,
        validators=[limits.single_line],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        initial = kwargs.get("initial")
        # A stored rule (initial["rrule"]) opens in the builder where the builder can show it.
        if initial and "rrule" in initial and "repeat" not in initial:
            kwargs["initial"] = {**initial, **schedule_builder_initial(initial["rrule"] or "")}
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        repeat = data.get("repeat") or ""
        if repeat == "daily":
            data["rrule"] = "FREQ=DAILY"
        elif repeat == "weekly":
            days = data.get("weekdays") or []
            if not days:
                self.add_error("weekdays", _("Choose at least one day of the week."))
            data["rrule"] = "FREQ=WEEKLY;BYDAY=" + ",".join(d for d in DAY_CODES if d in days)
        elif repeat == "monthly":
            nth, day = data.get("nth"), data.get("month_weekday")
            if not nth:
                self.add_error("nth", _("Choose which one of the month."))
            if not day:
                self.add_error("month_weekday", _("Choose the day of the week."))
            data["rrule"] = f"FREQ=MONTHLY;BYDAY={nth}{day}"
        elif repeat == "custom":
            if not (data.get("rrule") or "").strip():
                self.add_error("rrule", _("Write the rule, or choose how often above."))
        elif "repeat" in self.data or "repeat" in self.initial:
            data["rrule"] = ""
        return data

    def schedule(self) -> ScheduleInput:
        d = self.cleaned_data
        return ScheduleInput(
            rrule=fold(d.get("rrule") or "").upper(),
            opens=d.get("opens"),
            closes=d.get("closes"),
            note=d.get("schedule_note") or "",
        )


class ServiceLinkForm(ScheduleFields):
    station = forms.ChoiceField(label=_("Station"))

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The choices are the stations the user may change, read in one query as plain values
        # (a district has ~1,240); the chosen one is fetched when the form is saved.
        self.changeable = permissions.changeable_stations_for_user(user)
        _choices(self, "station").choices = [
            (str(pk), f"{code} {name}")
            for pk, code, name in self.changeable.values_list("pk", "code", "name")
        ]
        self.order_fields(["station"])

    def station_obj(self) -> Station:
        return self.changeable.select_related("category").get(pk=self.cleaned_data["station"])


class AddServiceForm(ScheduleFields):
    """Offer one of the district's services at this station (from the station's page)."""

    service = forms.ChoiceField(label=_("Service"))

    def __init__(self, *args: Any, user: AnyUser, station: Station, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = set(station.service_links.values_list("service_id", flat=True))
        _choices(self, "service").choices = [
            (s.pk, f"{s.name}（{s.category.display_name}）")
            for s in permissions.services_for_user(user)
            .select_related("category")
            .filter(district_id=station.district_id)
            .exclude(pk__in=offered)
        ]
        self.order_fields(["service"])


class ServiceForm(ScheduleFields):
    name = forms.CharField(label=_("Name"), max_length=limits.NAME, validators=[limits.single_line])
    category = forms.ChoiceField(label=_("Category"))
    organisation = forms.CharField(
        label=_("Provider"),
        max_length=limits.ORGANISATION_NAME,
        validators=[limits.single_line],
        required=False,
        help_text=_("A new name creates the organisation."),
    )
    fee = forms.ChoiceField(label=_("Fee"), choices=Service.Fee.choices)
    fee_description = forms.CharField(
        label=_("Fee details"),
        max_length=limits.NOTE,
        required=False,
        validators=[limits.single_line],
    )
    booking_required = forms.BooleanField(label=_("Booking needed"), required=False)
    is_active = forms.BooleanField(label=_("Offered"), required=False, initial=True)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=limits.DESCRIPTION,
        validators=[limits.multiline_text],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    stations = forms.MultipleChoiceField(
        label=_("Offered at"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, user: AnyUser, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "category").choices = [
            (c.code, c.display_name) for c in ServiceCategory.objects.all()
        ]
        self.organisations = list(
            permissions.organisations_for_user(user).values_list("name", flat=True)
        )
        # Only a new service chooses its stations here (an existing one links them below).
        self.station_objs = (
            {str(s.pk): s for s in permissions.stations_for_user(user)} if creating else {}
        )
        if creating:
            _choices(self, "stations").choices = [
                (pk, f"{s.code} {s.name}") for pk, s in self.station_objs.items()
            ]
        else:
            for name in ("stations", "rrule", "opens", "closes", "schedule_note"):
                del self.fields[name]
        self.order_fields(
            [
                "name",
                "category",
                "organisation",
                "fee",
                "fee_description",
                "booking_required",
                "is_active",
                "description",
                "stations",
            ]
        )

    @staticmethod
    def initial_for(service: Service) -> dict[str, Any]:
        return {
            "name": service.name,
            "category": service.category.code,
            "organisation": service.organisation.name if service.organisation else "",
            "fee": service.fee,
            "fee_description": service.fee_description,
            "booking_required": service.booking_required,
            "is_active": service.is_active,
            "description": service.description,
        }

    def to_input(self) -> ServiceInput:
        d = self.cleaned_data
        return ServiceInput(
            name=d["name"],
            category=d["category"],
            organisation=d["organisation"],
            organisation_kind=Organisation.Kind.SOCIAL,
            description=d["description"],
            fee=d["fee"],
            fee_description=d["fee_description"],
            booking_required=d["booking_required"],
            is_active=d["is_active"],
        )

    def station_links(self) -> list[tuple[Station, ScheduleInput]]:
        schedule = self.schedule()
        return [(self.station_objs[pk], schedule) for pk in self.cleaned_data.get("stations", [])]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )


class ExceptionForm(forms.Form):
    """临时调整 / 闭馆: one day or a period, closed or with other hours, and the reason.

    The form only reads what was typed; ``services.check_exception`` decides what is allowed
    (past dates, reversed periods, closing before opening), so the API and the console agree.
    """

    CLOSED = "closed"
    HOURS = "hours"

    first_day = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last_day = forms.DateField(
        label=_("Until (inclusive)"),
        required=False,
        help_text=_("Leave empty for a single day."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    kind = forms.ChoiceField(
        label=_("What changes"),
        choices=[(CLOSED, _("Closed all day")), (HOURS, _("Open at other hours"))],
        initial=CLOSED,
        widget=forms.RadioSelect(attrs={"x-model": "kind"}),
    )
    opens = forms.TimeField(
        label=_("Opens"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    closes = forms.TimeField(
        label=_("Closes"),
        required=False,
        help_text=_("00:00 means midnight."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    note = forms.CharField(
        label=_("Reason shown to residents"),
        max_length=limits.NOTE,
        validators=[limits.single_line],
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 设备检修，暂停开放")}),
    )

    @staticmethod
    def initial_for(period: Any, *, today: Any) -> dict[str, Any]:
        """The form for editing ``period`` (an ``ExceptionPeriod``) from today on."""
        return {
            "first_day": max(period.first_day, today),
            "last_day": period.last_day,
            "kind": ExceptionForm.CLOSED if period.closed else ExceptionForm.HOURS,
            "opens": period.opens,
            "closes": period.closes,
            "note": period.note,
        }

    def to_input(self) -> ExceptionInput:
        d = self.cleaned_data
        closed = d["kind"] == self.CLOSED
        return ExceptionInput(
            first_day=d["first_day"],
            last_day=d["last_day"] or d["first_day"],
            closed=closed,
            opens=None if closed else d["opens"],
            closes=None if closed else d["closes"],
            note=d["note"],
        )


class PhotoForm(forms.Form):
    """A new photo and its caption (the alt text on the resident page)."""

    image = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG or WebP, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    caption = forms.CharField(
        label=_("Caption"),
        max_length=limits.CAPTION,
        validators=[limits.single_line],
        help_text=_(
            "What the photo shows, in a few words; residents read it and screen readers say it."
        ),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 驿站阅读角")}),
    )


class CaptionForm(forms.Form):
    """A photo's caption, changed in place."""

    caption = forms.CharField(
        label=_("Caption"), max_length=limits.CAPTION, validators=[limits.single_line]
    )


class OrganisationForm(forms.Form):
    """服务组织's details; the checks live in ``services.clean_*`` so sheets and API share them."""

    name = forms.CharField(
        label=_("Name"), max_length=limits.ORGANISATION_NAME, validators=[limits.single_line]
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Organisation.Kind.choices)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        required=False,
        help_text=_("18 characters, as printed on the registration certificate."),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=60,
        required=False,
        help_text=_("Several numbers separated by 、"),
    )
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=limits.DESCRIPTION,
        validators=[limits.multiline_text],
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def _checked(self, name: str, check: Any) -> str:
        try:
            return str(check(self.cleaned_data.get(name, "")))
        except LinliError as err:
            raise forms.ValidationError(str(err.message), code=err.code) from None

    def clean_credit_code(self) -> str:
        return self._checked("credit_code", clean_credit_code)

    def clean_phone(self) -> str:
        return self._checked("phone", clean_organisation_phone)

    def clean_email(self) -> str:
        return self._checked("email", clean_organisation_email)

    def clean_website(self) -> str:
        return self._checked("website", clean_organisation_website)

    @staticmethod
    def initial_for(organisation: Organisation) -> dict[str, Any]:
        return {name: getattr(organisation, name) for name in ORGANISATION_FIELDS}

    def to_input(self) -> OrganisationInput:
        d = self.cleaned_data
        return OrganisationInput(**{name: d[name] for name in ORGANISATION_FIELDS})


class OrganisationMergeForm(forms.Form):
    """Pick the organisation that keeps the services (the correctly spelt one)."""

    target = forms.TypedChoiceField(label=_("Merge into"), coerce=int)

    def __init__(self, *args: Any, user: AnyUser, source: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {
            org.pk: org
            for org in permissions.organisations_for_user(user)
            .filter(district_id=source.district_id)
            .exclude(pk=source.pk)
            .order_by("name")
        }
        _choices(self, "target").choices = [("", "—")] + [
            (pk, org.name) for pk, org in self.candidates.items()
        ]

    def target_obj(self) -> Organisation:
        return self.candidates[self.cleaned_data["target"]]
