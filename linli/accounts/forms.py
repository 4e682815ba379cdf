"""Login forms. Validation of content (phone format, code digits) lives in the services, which
the views call; the forms only clean what people type."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.accounts.services import InvalidPhone, normalise_digits, normalise_phone
from linli.areas.models import District


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _code_field(label: Any) -> forms.CharField:
    """A one-time code box: numeric keyboard on phones, full-width digits accepted."""
    return forms.CharField(
        label=label,
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9０-９ ]*",
                "autofocus": True,
                "class": "code-input",
            }
        ),
    )


def _six_digits(value: str, message: Any) -> str:
    digits = normalise_digits(value)
    if not digits.isdigit() or len(digits) != 6:
        raise forms.ValidationError(message)
    return digits


class TokenForm(forms.Form):
    token = _code_field(_("6-digit code from your authenticator app"))

    def clean_token(self) -> str:
        return _six_digits(
            self.cleaned_data["token"], _("Enter the 6 digits shown in your authenticator app.")
        )


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "inputmode": "tel",
                "autocomplete": "tel-national",
                "autofocus": True,
                "placeholder": _("e.g. 138 1234 5678"),
            }
        ),
    )
    district = forms.ModelChoiceField(
        label=_("Your district"), queryset=District.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        districts = District.objects.order_by("code")
        field = self.fields["district"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = districts
        # One installation usually serves one district: then there is nothing to choose.
        if districts.count() == 1:
            field.widget = forms.HiddenInput()
            field.initial = districts.first()

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except InvalidPhone as error:
            raise forms.ValidationError(str(error.message)) from None


class PhoneCodeForm(forms.Form):
    code = _code_field(_("Code from the text message"))

    def clean_code(self) -> str:
        return _six_digits(self.cleaned_data["code"], _("The code has 6 digits."))
