"""Login forms. Validation of content (phone format, code digits) lives in the services, which
the views call; the forms only clean what people type."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.accounts.services import InvalidPhone, normalise_digits, normalise_phone
from linli.places.models import District


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


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code from your authenticator app"),
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

    def clean_token(self) -> str:
        token = normalise_digits(self.cleaned_data["token"])
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError(_("Enter the 6 digits shown in your authenticator app."))
        return token


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
    code = forms.CharField(
        label=_("Code from the text message"),
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

    def clean_code(self) -> str:
        code = normalise_digits(self.cleaned_data["code"])
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError(_("The code has 6 digits."))
        return code
