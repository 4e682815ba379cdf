"""Checks shared by the places services: required text, positions in the district, codes, and the
organisation fields (credit code, phone, e-mail, website) that forms and sheets clean alike."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext_lazy as _

from linli.core.exceptions import LinliError
from linli.places.models import (
    District,
)


def _invalid(message: Any, *, code: str, field_name: str) -> LinliError:
    return LinliError(message, code=code, field=field_name)


def _labelled(
    model: type[Any], codes: Iterable[str], *, field_name: str, error_code: str
) -> list[Any]:
    wanted = list(dict.fromkeys(c for c in codes if c))
    rows = list(model.objects.filter(code__in=wanted))
    missing = sorted(set(wanted) - {r.code for r in rows})
    if missing:
        raise _invalid(
            _("Unknown codes: %(codes)s.") % {"codes": ", ".join(missing)},
            code=error_code,
            field_name=field_name,
        )
    return rows


def _check_position(district: District, lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or not district.contains(lon, lat):
        raise _invalid(
            _("The point (%(lon)s, %(lat)s) lies outside %(district)s.")
            % {"lon": lon, "lat": lat, "district": district.name},
            code="outside_district",
            field_name="lon",
        )


def _require_text(value: str, *, field_name: str, label: Any) -> None:
    if not value.strip():
        raise _invalid(
            _("%(field)s is required.") % {"field": label}, code="required", field_name=field_name
        )


# GB 32100-2015 统一社会信用代码: 18 characters from a 31-character set (digits and capitals
# without I, O, S, V, Z). Positions 1–2: registration authority and organisation type; 3–8: the
# registering authority's administrative division (GB/T 2260, six digits); 9–17: the subject
# code (组织机构代码); 18: a check character, 31 − (Σ valueᵢ × 3^(i−1) mod 31) mod 31, over
# positions 1–17, written with the same character set (a result of 31 is written "0").
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
# Mainland numbers as staff write them: a mobile, an area code and a landline (with an extension),
# a 400/800 hotline, or a local landline without its area code. Several are separated by 、 or /.
_PHONE_RE = re.compile(
    r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?|[48]00-?\d{3}-?\d{4}|\d{7,8})$"
)
_PHONE_SEPARATORS = re.compile(r"[、,，;；/]")


def credit_code_check_char(first17: str) -> str:
    """The GB 32100-2015 check character (position 18) for the first 17 characters."""
    total = sum(
        CREDIT_CODE_CHARS.index(ch) * weight
        for ch, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def clean_credit_code(raw: str) -> str:
    """A credit code in its canonical form (half-width capitals), or ``""``; refuses bad ones.

    Copied codes arrive with full-width characters, lower case and spaces; those are forgiven.
    A wrong length, a letter outside the set or a wrong check character is refused, because a
    mistyped code would otherwise be published in the HSDS ``organization_identifier`` list.
    """
    code = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).upper()
    if not code:
        return ""
    if len(code) != 18:
        raise _invalid(
            _("The unified social credit code has 18 characters; this one has %(n)s.")
            % {"n": len(code)},
            code="invalid_credit_code",
            field_name="credit_code",
        )
    if not _CREDIT_CODE_RE.match(code):
        raise _invalid(
            _(
                "The unified social credit code uses digits and capital letters other than "
                "I, O, S, V and Z, with digits in positions 3 to 8."
            ),
            code="invalid_credit_code",
            field_name="credit_code",
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise _invalid(
            _(
                "The last character of the credit code does not match the others (the check "
                "character should be %(expected)s); please check the code for a typo."
            )
            % {"expected": expected},
            code="invalid_credit_code",
            field_name="credit_code",
        )
    return code


def clean_organisation_phone(raw: str) -> str:
    """Phone numbers in half-width digits, several separated by 、; refuses what is no number."""
    value = unicodedata.normalize("NFKC", raw).strip()
    if not value:
        return ""
    numbers = []
    for part in _PHONE_SEPARATORS.split(value):
        number = re.sub(r"[\s()（）]", "", part)
        number = re.sub(r"^(?:\+86|0086)-?", "", number)
        if not number:
            continue
        if not _PHONE_RE.match(number):
            raise _invalid(
                _(
                    "“%(number)s” is not a phone number: write a mobile (13912345678), a landline "
                    "with its area code (0351-1234567) or a hotline (400-123-4567)."
                )
                % {"number": part.strip()},
                code="invalid_phone",
                field_name="phone",
            )
        numbers.append(number)
    joined = "、".join(numbers)
    if len(joined) > 30:  # Organisation.phone's max_length
        raise _invalid(
            _("Too many numbers: keep the phone field to two numbers."),
            code="invalid_phone",
            field_name="phone",
        )
    return joined


def clean_organisation_email(raw: str) -> str:
    """An e-mail address, or ``""``; refuses what is no address."""
    email = unicodedata.normalize("NFKC", raw).strip()
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise _invalid(
                _("Enter an e-mail address such as office@example.org.cn."),
                code="invalid_email",
                field_name="email",
            ) from None
    return email


def clean_organisation_website(raw: str) -> str:
    """A web address with its scheme (``https://`` when staff leave it out), or ``""``."""
    website = unicodedata.normalize("NFKC", raw).strip()
    if website:
        if "://" not in website:
            website = f"https://{website}"
        try:
            URLValidator(schemes=["http", "https"])(website)
            if len(website) > 200:  # Organisation.website's max_length
                raise ValidationError("too long")
        except ValidationError:
            raise _invalid(
                _("Enter a web address such as https://www.example.org.cn."),
                code="invalid_website",
                field_name="website",
            ) from None
    return website
