"""Forms of 双报到 and the service record; they read input, ``linli.activities.duty`` decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.places.models import Community


def _communities(district_id: int | None) -> QuerySet[Community]:
    """The communities of the user's district (none without one)."""
    if district_id is None:
        return Community.objects.none()
    return Community.objects.filter(district_id=district_id).order_by("code")


class RegistrationForm(forms.Form):
    community: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Community you report to"),
        queryset=Community.objects.none(),
        empty_label=_("Choose a community"),
    )
    party_organisation = forms.CharField(label=_("Party organisation"), max_length=150)
    liaison_name = forms.CharField(label=_("Liaison"), max_length=50)
    liaison_phone = forms.CharField(label=_("Liaison's mobile"), max_length=30)
    employer = forms.CharField(label=_("Employer"), max_length=150, required=False)
    skills = forms.CharField(label=_("Skills"), max_length=300, required=False)
    availability = forms.CharField(label=_("When available"), max_length=200, required=False)
    preferred_posts = forms.CharField(
        label=_("Preferred service posts"), max_length=300, required=False
    )
    offers = forms.CharField(
        label=_("What we can offer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, district_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = _communities(district_id)  # type: ignore[attr-defined]  # django-stubs: Field has no queryset


class ServiceForm(forms.Form):
    community: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Community served"),
        queryset=Community.objects.none(),
        empty_label=_("Choose a community"),
    )
    started_at = forms.DateTimeField(
        label=_("Service began"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ended_at = forms.DateTimeField(
        label=_("Service ended"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    travel_minutes = forms.IntegerField(
        label=_("Travel (minutes, not counted)"), min_value=0, max_value=1440, initial=0
    )
    what = forms.CharField(label=pgettext_lazy("service record", "What was done"), max_length=300)

    def __init__(self, *args: Any, district_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = _communities(district_id)  # type: ignore[attr-defined]  # django-stubs: Field has no queryset


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("Reason for returning"), max_length=300)


class CorrectionForm(forms.Form):
    text = forms.CharField(label=_("What should be corrected"), max_length=300)


def _quarter_choices() -> list[tuple[int, str]]:
    return [(q, _("Quarter %(quarter)s") % {"quarter": q}) for q in range(1, 5)]


class FeedbackForm(forms.Form):
    """Which quarter's feedback to download."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label=_("Quarter"), coerce=int, choices=_quarter_choices)
