"""Masking of personal data for viewers who do not need it (138****1234)."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    """Keep the first three and last four digits of a phone number: 138****1234."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 1)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(value: str | None) -> str:
    """Resident ID number: keep the first six (region) and the last four characters."""
    if not value:
        return ""
    value = value.strip()
    if len(value) <= 10:
        return value[:1] + "*" * (len(value) - 1)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(name: str | None) -> str:
    """Chinese names keep the family name (张**); Latin names keep the first letter."""
    if not name:
        return ""
    name = name.strip()
    if len(name) == 1:
        return name
    return name[0] + "*" * (len(name) - 1)
