"""Forms of the needs pages. They only shape input; the rules live in ``linli.needs.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from linli.needs.models import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    Category,
    Channel,
    ContactPreference,
    FollowUp,
    Rating,
    Scale,
    Status,
    Urgency,
)
from linli.places.models import Community, Compound, Grid, Organisation


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the content is checked by ``linli.needs.photos``."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class NeedForm(forms.Form):
    """A resident's own need."""

    category = forms.ChoiceField(
        label=_("What is it about?"), choices=Category.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("Please describe it"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Where exactly, since when, who is affected."),
    )
    compound = forms.ModelChoiceField(
        label=_("Your compound"),
        queryset=Compound.objects.none(),
        required=False,
        empty_label=_("— choose, or mark the place on the map —"),
    )
    # Filled by the page's "use where I am now" button (x-ref for Alpine.js).
    lat = forms.FloatField(required=False, widget=forms.HiddenInput(attrs={"x-ref": "lat"}))
    lon = forms.FloatField(required=False, widget=forms.HiddenInput(attrs={"x-ref": "lon"}))
    scale = forms.ChoiceField(
        label=_("Who is affected?"),
        choices=Scale.choices,
        initial=Scale.PERSONAL,
        widget=forms.RadioSelect,
    )
    contact_preference = forms.ChoiceField(
        label=_("How should we contact you?"),
        choices=ContactPreference.choices,
        initial=ContactPreference.PHONE,
    )
    anonymous = forms.BooleanField(
        label=_("Do not show my compound on the public pages"), required=False
    )
    photos = MultipleFileField(
        label=_("Photos (up to 4)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("Staff look at photos before anything is shown to the public."),
    )

    def __init__(self, *args: Any, compounds: QuerySet[Compound], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds  # type: ignore[attr-defined]  # a ModelChoiceField; the stubs say Field


class StaffNeedForm(NeedForm):
    """A need raised by a keeper, grid worker or staff member on a resident's behalf."""

    contact_name = forms.CharField(label=_("Resident's name"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Resident's mobile"), max_length=20, required=False)
    channel = forms.ChoiceField(
        label=_("Raised through"),
        choices=[c for c in Channel.choices if c[0] not in (Channel.ONLINE, Channel.OPEN311)],
        initial=Channel.STATION,
    )


class NeedFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("open", _("Open")), *list(Status.choices)],
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *list(Category.choices)]
    )
    community = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=2**62
    )
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    escalated = forms.BooleanField(label=_("Escalated"), required=False)
    extension = forms.BooleanField(label=_("Extension to decide"), required=False)
    q = forms.CharField(label=_("Number or words"), required=False, max_length=50)


class NotesForm(forms.Form):
    public_note = forms.CharField(
        label=_("Public note (the resident sees it)"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    internal_note = forms.CharField(
        label=_("Internal note (staff only)"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AcceptForm(NotesForm):
    public_summary = forms.CharField(
        label=_("Public summary"),
        max_length=200,
        help_text=_("Shown on the public pages: no names, phone numbers or house numbers."),
    )
    urgency = forms.ChoiceField(label=_("Deadline class"), choices=Urgency.choices)


class DispatchForm(NotesForm):
    grid = forms.ModelChoiceField(
        label=_("Grid"),
        queryset=Grid.objects.none(),
        required=False,
        empty_label=_("— the community itself —"),
    )
    organisation = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("— none —"),
    )


class ExtensionForm(forms.Form):
    until = forms.DateTimeField(
        label=_("New deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reason = forms.CharField(label=_("Reason"), max_length=NOTE_MAX)


class FollowUpForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=FollowUp.Outcome.choices)
    note = forms.CharField(
        label=_("What the resident said"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RatingForm(forms.Form):
    level = forms.ChoiceField(
        label=_("How satisfied are you?"), choices=Rating.Level.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reopen = forms.BooleanField(label=_("Not solved: please handle it again"), required=False)


class MergeForm(forms.Form):
    into = forms.IntegerField(
        label=_("Number of the need it duplicates"),
        min_value=1,
        max_value=2**62,
        help_text=_("Its resident and followers will follow that need from now on."),
    )
    internal_note = forms.CharField(
        label=_("Internal note (staff only)"), required=False, max_length=NOTE_MAX
    )


class RoutingRuleForm(forms.Form):
    """Who handles which category where (querysets: the district's, set by the view)."""

    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=Community.objects.none(),
        required=False,
        empty_label=_("— the whole district —"),
    )
    organisation = forms.ModelChoiceField(
        label=_("Handling unit"),
        queryset=Organisation.objects.none(),
        empty_label=_("— choose a unit —"),
    )

    def __init__(self, *args: Any, district_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.filter(  # type: ignore[attr-defined]
            district_id=district_id
        ).order_by("subdistrict__name", "name")
        self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            district_id=district_id
        ).order_by("name")
