"""Console forms of the co-construction pages; they validate shape, the services the rest."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from linli.cobuild.models import MAX_REMIND_DAYS_AHEAD, CoBuildPolicy, Resource
from linli.cobuild.services import ResourceInput, WindowInput
from linli.places.models import Organisation

# "2026-01-09 09:00-12:00" or "2026-01-09 09:00 - 2026-01-10 12:00" (full-width signs too).
_WINDOW = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s+(\d{1,2}[:：]\d{2})\s*[-~—–至到]\s*"
    r"(?:(\d{4}-\d{1,2}-\d{1,2})\s+)?(\d{1,2}[:：]\d{2})\s*$"
)


def parse_windows(text: str) -> tuple[WindowInput, ...]:
    """Windows from text, one a line; a line that does not read is named in the error."""
    windows: list[WindowInput] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        m = _WINDOW.match(line)
        try:
            if m is None:
                raise ValueError
            start_day = dt.date.fromisoformat(_iso(m.group(1)))
            end_day = dt.date.fromisoformat(_iso(m.group(3))) if m.group(3) else start_day
            starts = _at(start_day, m.group(2))
            ends = _at(end_day, m.group(4))
        except ValueError:
            raise forms.ValidationError(
                gettext(
                    "Line %(line)s, “%(text)s”, is not a time window: write it as "
                    "2026-01-09 09:00-12:00."
                )
                % {"line": number, "text": line.strip()[:60]},
                code="invalid_window",
            ) from None
        windows.append(WindowInput(starts, ends))
    return tuple(windows)


def _iso(text: str) -> str:
    y, m, d = text.split("-")
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = hhmm.replace("：", ":").split(":")
    return timezone.make_aware(dt.datetime.combine(day, dt.time(int(h), int(m))))


def format_windows(resource: Resource) -> str:
    """The windows as the form shows them, one a line, in local time."""
    lines = []
    for w in resource.windows.all():
        s, e = timezone.localtime(w.starts_at), timezone.localtime(w.ends_at)
        end = f"{e:%H:%M}" if s.date() == e.date() else f"{e:%Y-%m-%d %H:%M}"
        lines.append(f"{s:%Y-%m-%d %H:%M}-{end}")
    return "\n".join(lines)


class PolicyForm(forms.Form):
    holiday_rule = forms.ChoiceField(
        label=_("When the first Friday is a public holiday"), choices=CoBuildPolicy.Rule.choices
    )
    units_per_day = forms.IntegerField(label=_("Units on duty each day"), min_value=1, max_value=20)
    remind_days_ahead = forms.IntegerField(
        label=_("Text reminders this many days ahead"),
        min_value=0,
        max_value=MAX_REMIND_DAYS_AHEAD,
        help_text=_("The units on duty and the reported party members; 0 sends none."),
    )


class MoveDayForm(forms.Form):
    date = forms.DateField(label=_("New date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class SwapForm(forms.Form):
    duty = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    other = forms.IntegerField(label=_("Exchange with"), min_value=1, max_value=2**63 - 1)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class UnavailableForm(forms.Form):
    unit = forms.IntegerField(label=_("Unit"), min_value=1, max_value=2**63 - 1)
    day = forms.IntegerField(label=_("Day"), min_value=1, max_value=2**63 - 1)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ResourceForm(forms.Form):
    title = forms.CharField(label=_("What is offered"), max_length=120)
    category = forms.ChoiceField(label=_("Category"), choices=Resource.Category.choices)
    skill = forms.ChoiceField(label=_("Skill"), choices=Resource.Skill.choices, required=False)
    provider_kind = forms.ChoiceField(label=_("Offered by"), choices=Resource.ProviderKind.choices)
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)
    provider_name = forms.CharField(label=_("Party member's name"), max_length=50, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000, initial=1)
    quantity_unit = forms.CharField(
        label=_("Counted in"),
        max_length=20,
        required=False,
        help_text=_("For example: seats, person-times, yuan, hours."),
    )
    area = forms.ChoiceField(label=_("Area"))
    station = forms.ChoiceField(label=_("At the station"), required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    windows = forms.CharField(
        label=_("When it is available"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One window a line, for example 2026-01-09 09:00-12:00."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        areas: list[tuple[str, str]],
        stations: list[tuple[str, str]],
        organisations: list[Organisation],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Choices depend on the user's scope, so they are set per form.
        area, station, organisation = (
            self.fields["area"],
            self.fields["station"],
            self.fields["organisation"],
        )
        assert isinstance(area, forms.ChoiceField)
        assert isinstance(station, forms.ChoiceField)
        assert isinstance(organisation, forms.ChoiceField)
        area.choices = areas
        station.choices = [("", "—"), *stations]
        organisation.choices = [("", "—")] + [
            (o.name, f"{o.name} · {o.get_kind_display()}") for o in organisations
        ]

    def clean_windows(self) -> tuple[WindowInput, ...]:
        return parse_windows(self.cleaned_data.get("windows", ""))

    def to_input(self) -> ResourceInput:
        data = self.cleaned_data
        subdistrict_code, _sep, community_code = data["area"].partition("/")
        return ResourceInput(
            title=data["title"],
            category=data["category"],
            skill=data.get("skill") or "",
            subdistrict_code=subdistrict_code,
            community_code=community_code,
            provider_kind=data["provider_kind"],
            organisation_name=data.get("organisation") or "",
            provider_name=data.get("provider_name") or "",
            quantity=data["quantity"],
            quantity_unit=data.get("quantity_unit") or "",
            station_code=data.get("station") or "",
            address=data.get("address") or "",
            lon=data.get("lon"),
            lat=data.get("lat"),
            description=data.get("description") or "",
            windows=data["windows"],
        )
