"""Shared limits: one-line names, and integers no database row can have."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from ninja import Schema
from pydantic import ValidationError as PydanticError

from linli.core import limits


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


@pytest.mark.parametrize("bad", ["a\nb", "a\tb", "a\x00b", "abc\u202egpj.exe", "\u2066x\u2069"])
def test_a_single_line_name_refuses_control_and_bidi_characters(bad: str) -> None:
    with pytest.raises(ValidationError):
        limits.single_line(bad)
    assert limits.text_problem(bad, max_length=100)


def test_free_text_allows_line_breaks_but_not_bidi_controls() -> None:
    limits.multiline_text("第一行\n第二行\r\n\t缩进")
    with pytest.raises(ValidationError):
        limits.multiline_text("a\u202eb")


def test_the_message_names_the_invisible_character() -> None:
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in str(limits.text_problem("a\u202e", max_length=9))
    assert limits.text_problem("x" * 10_000, max_length=120) == (
        "At most 120 characters (this has 10000)."
    )


class _In(Schema):
    name: limits.NameStr
    station: limits.Id
    page: limits.PageNumber = 1


def test_schema_types_refuse_what_the_database_cannot_store() -> None:
    assert _In(name="驿站", station=limits.MAX_ID).station == limits.MAX_ID
    for bad in (
        {"name": "a\x00", "station": 1},
        {"name": "x" * (limits.NAME + 1), "station": 1},
        {"name": "ok", "station": 2**63},
        {"name": "ok", "station": 1, "page": 99999999999999999999},
    ):
        with pytest.raises(PydanticError):
            _In.model_validate(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("", None),
        ("x", None),
        ("0", None),
        ("99999999999999999999", None),
        ("9223372036854775807", limits.MAX_ID),
        ("９", None),
        (None, None),
    ],
)
def test_parse_id(text: str | None, expected: int | None) -> None:
    assert limits.parse_id(text) == expected


def test_form_fields_refuse_huge_integers() -> None:
    class F(forms.Form):
        households = limits.BoundedIntegerField()
        station = limits.IdField(required=False)

    form = F({"households": "99999999999999999999", "station": "99999999999999999999"})
    assert not form.is_valid()
    assert set(form.errors) == {"households", "station"}
