"""The form for creating a personal API token (linli.accounts.views.token_create)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.accounts.services import API_TOKEN_DEFAULT_DAYS, API_TOKEN_EXPIRY_CHOICES


class ApiTokenForm(forms.Form):
    """Name, expiry and access; the write choice is offered only to editors (``can_write``)."""

    name = forms.CharField(
        label=_("What is it for?"),
        max_length=80,
        help_text=_("For example “nightly station export to the district data platform”."),
    )
    days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        initial=API_TOKEN_DEFAULT_DAYS,
        choices=[],
    )
    read_only = forms.BooleanField(
        label=_("Read only (recommended): the token can read data but never change it"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, can_write: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
            (days, _("%(days)s days") % {"days": days}) for days in API_TOKEN_EXPIRY_CHOICES
        ]
        if not can_write:
            # Not a checkbox the user could untick: the service would refuse it anyway.
            del self.fields["read_only"]

    def read_only_choice(self) -> bool:
        """The access asked for; without the checkbox (non-editors) always read-only."""
        return bool(self.cleaned_data.get("read_only", True))
