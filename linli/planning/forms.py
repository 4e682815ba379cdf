"""Forms of the planning console: the district's own station rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.planning import services
from linli.planning.queries import StationRuleView


class StationRuleForm(forms.Form):
    """One station kind's rule (prefixed with the kind's code; the page shows one per kind)."""

    enabled = forms.BooleanField(label=_("Check this rule in analyses"), required=False)
    minutes = forms.IntegerField(
        label=_("Within how many minutes' walk"),
        min_value=services.MIN_RULE_MINUTES,
        max_value=services.MAX_RULE_MINUTES,
        help_text=_("Converted to metres of street at the analysis's walking speed."),
    )
    min_population = forms.IntegerField(
        label=_("For compounds of at least (residents)"),
        min_value=0,
        max_value=services.MAX_RULE_POPULATION,
        help_text=_("0: every compound must reach one."),
    )
    source = forms.CharField(
        label=_("Policy document"),
        required=False,
        max_length=services.RULE_SOURCE_LENGTH,
        help_text=_("Shown beside the national standards, e.g. the district's plan and year."),
    )

    def __init__(self, data: Any = None, *, view: StationRuleView) -> None:
        initial = {
            "enabled": view.enabled,
            "minutes": view.minutes,
            "min_population": view.min_population,
            "source": view.source,
        }
        super().__init__(data, prefix=view.category, initial=initial)
        self.view = view
        self.fields["minutes"].widget.attrs["inputmode"] = "numeric"
        self.fields["min_population"].widget.attrs["inputmode"] = "numeric"

    def as_input(self) -> services.StationRuleInput:
        """The cleaned values for ``services.update_station_rules``."""
        data = self.cleaned_data
        return services.StationRuleInput(
            category=self.view.category,
            enabled=data["enabled"],
            minutes=data["minutes"],
            min_population=data["min_population"],
            source=data["source"],
        )
