"""Forms of the activities console: they read and check input, the services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import AnyUser
from linli.activities import permissions
from linli.activities.models import Activity, Audience, Category
from linli.activities.services import ActivityInput
from linli.core import limits
from linli.places.permissions import communities_for_user, organisations_for_user

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class Repeat:
    ONCE = ""
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    CUSTOM = "custom"

    CHOICES = (
        (ONCE, _("Once")),
        (WEEKLY, _("Every week on the same day")),
        (FORTNIGHTLY, _("Every two weeks on the same day")),
        (MONTHLY, _("Every month on the same weekday (e.g. first Friday)")),
        (CUSTOM, _("Another rule (RRULE)")),
    )


def rule_for(repeat: str, start: dt.datetime, *, until: dt.date | None, custom: str) -> str:
    """The RRULE a repeat choice means for an activity starting at ``start``."""
    local = timezone.localtime(start)
    day = WEEKDAY_CODES[local.weekday()]
    if repeat == Repeat.ONCE:
        return ""
    if repeat == Repeat.WEEKLY:
        rule = f"FREQ=WEEKLY;BYDAY={day}"
    elif repeat == Repeat.FORTNIGHTLY:
        rule = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={day}"
    elif repeat == Repeat.MONTHLY:
        nth = (local.day - 1) // 7 + 1
        rule = f"FREQ=MONTHLY;BYDAY={-1 if nth == 5 else nth}{day}"
    else:
        rule = custom.strip().removeprefix("RRULE:")
    if until is not None and "UNTIL=" not in rule.upper() and "COUNT=" not in rule.upper():
        rule += f";UNTIL={until:%Y%m%d}T235959"
    return rule


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    station: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Place"), queryset=None, required=False, empty_label=_("— another venue —")
    )
    community: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Community"),
        queryset=None,
        required=False,
        help_text=_("Needed only when the activity is not at a place of the directory."),
    )
    venue = forms.CharField(label=_("Other venue or room"), max_length=200, required=False)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    repeat = forms.ChoiceField(label=_("Repeats"), choices=Repeat.CHOICES, required=False)
    rrule = forms.CharField(
        label=_("Rule"),
        max_length=200,
        required=False,
        help_text=_("iCalendar RRULE, e.g. FREQ=MONTHLY;BYDAY=1FR for the first Friday."),
    )
    repeat_until = forms.DateField(
        label=_("Repeats until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    capacity = forms.IntegerField(
        label=_("Places"),
        min_value=0,
        max_value=100_000,
        initial=0,
        help_text=_("0 means no limit."),
    )
    signup_required = forms.BooleanField(label=_("Sign-up needed"), required=False, initial=True)
    organiser: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Organiser"), queryset=None, required=False
    )
    partners: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Partners"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=limits.DESCRIPTION,
        validators=[limits.multiline_text],
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["station"].queryset = permissions.places_for_user(user).order_by("name")
        fields["community"].queryset = communities_for_user(user)
        organisations = organisations_for_user(user)
        fields["organiser"].queryset = organisations
        fields["partners"].queryset = organisations

    @staticmethod
    def initial_for(activity: Activity) -> dict[str, Any]:
        tz = timezone.get_current_timezone()
        return {
            "title": activity.title,
            "category": activity.category,
            "audience": activity.audience,
            "station": activity.station_id,
            "community": activity.community_id,
            "venue": activity.venue,
            "starts_at": timezone.localtime(activity.starts_at, tz).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": timezone.localtime(activity.ends_at, tz).strftime("%Y-%m-%dT%H:%M"),
            "repeat": Repeat.CUSTOM if activity.rrule else Repeat.ONCE,
            "rrule": activity.rrule,
            "capacity": activity.capacity,
            "signup_required": activity.signup_required,
            "organiser": activity.organiser_id,
            "partners": list(activity.partners.values_list("pk", flat=True)),
            "description": activity.description,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("repeat") == Repeat.CUSTOM and not (data.get("rrule") or "").strip():
            self.add_error("rrule", _("Please write the rule, or choose another repeat."))
        return data

    def to_input(self) -> ActivityInput:
        data = self.cleaned_data
        return ActivityInput(
            title=data["title"],
            category=data["category"],
            audience=data["audience"],
            station=data["station"],
            community=data["community"],
            venue=data["venue"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            rrule=rule_for(
                data.get("repeat") or "",
                data["starts_at"],
                until=data.get("repeat_until"),
                custom=data.get("rrule") or "",
            ),
            capacity=data["capacity"],
            signup_required=data["signup_required"],
            organiser=data["organiser"],
            partners=list(data["partners"]),
            description=data["description"],
        )


class OnBehalfForm(forms.Form):
    """Staff sign a resident up by name and phone."""

    name = forms.CharField(label=_("Full name"), max_length=50)
    phone = forms.CharField(label=_("Mobile"), max_length=30)


class CountForm(forms.Form):
    """The counts page's choices; unknown values fall back to the defaults."""

    by = forms.ChoiceField(
        label=_("Count by"),
        required=False,
        choices=(
            ("month", _("Month")),
            ("year", _("Year")),
            ("category", _("Category")),
            ("activity", _("Activity")),
            ("station", _("Station")),
            ("community", _("Community")),
            ("subdistrict", _("Subdistrict")),
        ),
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    month = forms.IntegerField(label=_("Month"), required=False, min_value=1, max_value=12)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=(("", _("All")), *Category.choices)
    )
    activity = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    station = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    community = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    subdistrict = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
