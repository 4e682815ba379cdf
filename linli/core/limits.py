"""Limits every way in shares: text lengths, single-line names, and integers a database can hold.

A model's ``max_length``, a form's field and an API schema take their lengths from here, so the
console, the JSON API and a spreadsheet import refuse the same text with the same message, before
the database does (PostgreSQL raises DataError on an over-long value, SQLite stores it).

Integers that name a row (ids) or a page arrive as text of any length; Python reads
``99999999999999999999`` happily, and the database driver then raises ``OverflowError`` (a 500).
``Id``/``PageNumber`` for ninja schemas, ``IdField``/``BoundedIntegerField`` for Django forms and
``parse_id`` for a bare query parameter refuse them first, with a 4xx that names the value.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import AfterValidator, Field, model_validator

# --- text lengths (characters) ------------------------------------------------------------
CODE = 40  # a record's code: station XF-001, compound C-001
SHORT_CODE = 32  # administrative codes (140404001001) and compound codes
AREA_NAME = 100  # districts, subdistricts, communities, grids, compounds
NAME = 120  # stations, services, activities, needs, projects
ORGANISATION_NAME = 150
PERSON_NAME = 50  # a keeper's or a resident's name
PHONE = 30
ADDRESS = 200
NOTE = 200  # one-line notes: a schedule, a fee, a reason
CAPTION = 120
DESCRIPTION = 2000  # free text shown on a public page
LONG_TEXT = 10000  # free text staff read (minutes, reports)
URL = 200
RRULE = 200

# --- integers -----------------------------------------------------------------------------
# The largest value a BigAutoField / bigint column holds; SQLite's INTEGER is the same 8 bytes.
MAX_ID = 2**63 - 1
# Pages beyond this are never asked for by a person; a bound keeps OFFSET arithmetic small.
MAX_PAGE = 1_000_000
# Counts people type (households, residents, places at an activity).
MAX_COUNT = 10_000_000

# Dates people type into filters and forms. Python's date reaches 9999-12-31, but a day added to
# it, or 0001-01-01 moved to UTC from Asia/Shanghai, raises OverflowError ("date value out of
# range"): nothing Linli records lies outside these.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)

# --- single-line text ---------------------------------------------------------------------
# Bidirectional controls reorder what a reader sees ("‮gpj.exe" shows as "exe.jpg"); none belongs
# in a name. Other control characters (newline, tab, NUL) break lists, exports and logs.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character not allowed in ``value``, or ``None``.

    Single-line text refuses every control character (category Cc: newline, tab, NUL …) and the
    bidirectional controls; ``multiline`` text allows newline, carriage return and tab.
    """
    for char in value:
        if char in BIDI_CONTROLS:
            return char
        if unicodedata.category(char) == "Cc" and not (multiline and char in "\n\r\t"):
            return char
    return None


def describe_character(char: str) -> str:
    """U+202E RIGHT-TO-LEFT OVERRIDE: how a message names an invisible character."""
    name = unicodedata.name(char, "")
    if not name:
        name = {"\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\t": "TAB", "\0": "NUL"}.get(
            char, "CONTROL"
        )
    return f"U+{ord(char):04X} {name}"


def text_problem(value: str, *, max_length: int, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored (too long, a forbidden character), in a sentence; or None."""
    if len(value) > max_length:
        return str(
            _("At most %(max)s characters (this has %(length)s).")
            % {"max": max_length, "length": len(value)}
        )
    char = forbidden_character(value, multiline=multiline)
    if char is not None:
        if multiline:
            return str(
                _("The text contains the invisible character %(char)s; remove it.")
                % {"char": describe_character(char)}
            )
        return str(
            _(
                "Must be one line without invisible characters; remove %(char)s "
                "(line breaks and tabs included)."
            )
            % {"char": describe_character(char)}
        )
    return None


@deconstructible
class SingleLineValidator:
    """Django validator: no newline, tab, NUL or bidirectional control in a one-line value."""

    code = "single_line"

    def __call__(self, value: Any) -> None:
        if not isinstance(value, str):
            return
        char = forbidden_character(value)
        if char is not None:
            raise ValidationError(
                _(
                    "Must be one line without invisible characters; remove %(char)s "
                    "(line breaks and tabs included)."
                ),
                code=self.code,
                params={"char": describe_character(char)},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SingleLineValidator)

    def __hash__(self) -> int:
        return hash(self.code)


@deconstructible
class MultilineTextValidator(SingleLineValidator):
    """Django validator for free text: line breaks allowed, other invisible controls are not."""

    code = "invisible_character"

    def __call__(self, value: Any) -> None:
        if not isinstance(value, str):
            return
        char = forbidden_character(value, multiline=True)
        if char is not None:
            raise ValidationError(
                _("The text contains the invisible character %(char)s; remove it."),
                code=self.code,
                params={"char": describe_character(char)},
            )


single_line = SingleLineValidator()
multiline_text = MultilineTextValidator()


def _pydantic_single_line(value: str) -> str:
    char = forbidden_character(value)
    if char is not None:
        raise ValueError(
            str(
                _(
                    "Must be one line without invisible characters; remove %(char)s "
                    "(line breaks and tabs included)."
                )
                % {"char": describe_character(char)}
            )
        )
    return value


def _pydantic_multiline(value: str) -> str:
    char = forbidden_character(value, multiline=True)
    if char is not None:
        raise ValueError(
            str(
                _("The text contains the invisible character %(char)s; remove it.")
                % {"char": describe_character(char)}
            )
        )
    return value


# ninja/pydantic string types. ``SingleLine``/``FreeText`` check the characters; combine with a
# length as ``Annotated[SingleLine, Field(max_length=limits.NAME)]``, or use the ready ones below.
SingleLine = Annotated[str, AfterValidator(_pydantic_single_line)]
FreeText = Annotated[str, AfterValidator(_pydantic_multiline)]
CodeStr = Annotated[SingleLine, Field(max_length=CODE)]
ShortCodeStr = Annotated[SingleLine, Field(max_length=SHORT_CODE)]
NameStr = Annotated[SingleLine, Field(max_length=NAME)]
AreaNameStr = Annotated[SingleLine, Field(max_length=AREA_NAME)]
OrganisationNameStr = Annotated[SingleLine, Field(max_length=ORGANISATION_NAME)]
PersonNameStr = Annotated[SingleLine, Field(max_length=PERSON_NAME)]
PhoneStr = Annotated[SingleLine, Field(max_length=PHONE)]
AddressStr = Annotated[SingleLine, Field(max_length=ADDRESS)]
NoteStr = Annotated[SingleLine, Field(max_length=NOTE)]
CaptionStr = Annotated[SingleLine, Field(max_length=CAPTION)]
UrlStr = Annotated[SingleLine, Field(max_length=URL)]
RruleStr = Annotated[SingleLine, Field(max_length=RRULE)]
DescriptionText = Annotated[FreeText, Field(max_length=DESCRIPTION)]
LongText = Annotated[FreeText, Field(max_length=LONG_TEXT)]


def _naive_time(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise ValueError(
            str(_("Give a local time such as 08:30, without a time zone or UTC offset."))
        )
    return value


# A wall-clock time of the district (opening hours, sessions): "08:00+05:00" is refused, since
# an aware time cannot be compared with the naive ones stored (a TypeError, a 500).
LocalTime = Annotated[dt.time, AfterValidator(_naive_time)]


class BodySchema(Schema):
    """Base of every request body: it must be a JSON object.

    ninja's Schema reads its fields from any object's attributes, so a body of ``[null, null]``
    or ``42`` would validate as "all defaults" (and start an analysis). This validator runs
    before ninja's and refuses anything but an object with a 422.
    """

    @model_validator(mode="wrap")
    @classmethod
    def _an_object(cls, data: Any, handler: Any) -> Any:
        if not isinstance(data, (dict, Schema)):
            raise ValueError(str(_("The request body must be a JSON object.")))
        return handler(data)


# ninja/pydantic integer types: out of range is a 422 that names the field.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


def parse_id(value: str | None) -> int | None:
    """A positive id from a query parameter, or None when it is missing, not a number or too big.

    For filters written by hand (``?community=12``): a value no row can have filters nothing
    rather than raising OverflowError in the database driver.
    """
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def pk_or_404(value: Any) -> int:
    """A primary key from a URL or form value; anything no row can have is Http404, not a 500.

    Every app's permission chokepoint (``get_x_for_user(user, pk)``) reads its ``pk`` with this.
    """
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("No such record.") from None
    if not 1 <= number <= MAX_ID:
        raise Http404("No such record.")
    return number


def one_or_404[M: Model](queryset: QuerySet[M], pk: Any, *, missing: str) -> M:
    """The row ``pk`` of ``queryset`` (a permission queryset), else ``Http404(missing)``.

    The read at the end of every ``get_x_for_user(user, pk)`` chokepoint: an id that is not a
    number, that no row can have, or that lies outside the queryset is the same 404.
    """
    try:
        return queryset.get(pk=pk_or_404(pk))
    except ObjectDoesNotExist:  # the model's DoesNotExist: the stubs do not type it on type[M]
        raise Http404(missing) from None


class IdConverter:
    """URL converter ``<id:pk>``: digits that fit a bigint, else the URL does not match (404).

    Django's ``<int:pk>`` matches any run of digits, and ``/stations/99999999999999999999/``
    then reaches the database driver as OverflowError. Registered in ``CoreConfig.ready``.
    """

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


class BoundedIntegerField(forms.IntegerField):
    """An IntegerField that refuses what the database cannot store (default 0 … 2⁶³ − 1).

    Django's IntegerField has no bound unless given one, and a 20-digit value then reaches the
    driver as OverflowError.
    """

    def __init__(
        self, *, min_value: int | None = 0, max_value: int | None = MAX_COUNT, **kwargs: Any
    ) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)


class BoundedDateField(forms.DateField):
    """A DateField that refuses dates outside ``MIN_DATE`` … ``MAX_DATE`` with a message."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not MIN_DATE <= value <= MAX_DATE:
            raise ValidationError(
                _("Choose a date between %(first)s and %(last)s."),
                code="date_out_of_range",
                params={"first": MIN_DATE.isoformat(), "last": MAX_DATE.isoformat()},
            )


class IdField(BoundedIntegerField):
    """A form field holding a row id (hidden inputs, filters)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


def text_at_most(field: str, max_length: int, *, name: str) -> Any:
    """A database constraint that ``field`` (a TextField) holds at most ``max_length`` characters.

    Django enforces a TextField's ``max_length`` only in forms; this makes the database refuse an
    over-long text however it arrives (a bulk import, a script, a future API), on SQLite and
    PostgreSQL alike. Use it with ``max_length=`` and ``validators=[MaxLengthValidator(...)]`` on
    the field, so that forms and ``full_clean`` say it first, naming the field.
    """
    from django.db import models
    from django.db.models.functions import Length
    from django.db.models.lookups import LessThanOrEqual

    return models.CheckConstraint(condition=LessThanOrEqual(Length(field), max_length), name=name)


class BoundedModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic in the stubs only
    """A ModelChoiceField that treats an id no row can have as an invalid choice (not a 500)."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        model = self.queryset.model if self.queryset is not None else None
        if not (model is not None and isinstance(value, model)) and (
            self.to_field_name in (None, "pk", "id") and parse_id(str(value)) is None
        ):
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)


__all__ = [
    "ADDRESS",
    "AREA_NAME",
    "CAPTION",
    "CODE",
    "DESCRIPTION",
    "LONG_TEXT",
    "MAX_COUNT",
    "MAX_DATE",
    "MAX_ID",
    "MAX_PAGE",
    "MIN_DATE",
    "NAME",
    "NOTE",
    "ORGANISATION_NAME",
    "PERSON_NAME",
    "PHONE",
    "RRULE",
    "SHORT_CODE",
    "URL",
    "AddressStr",
    "AreaNameStr",
    "BodySchema",
    "BoundedDateField",
    "BoundedIntegerField",
    "BoundedModelChoiceField",
    "CaptionStr",
    "CodeStr",
    "Count",
    "DescriptionText",
    "FreeText",
    "Id",
    "IdConverter",
    "IdField",
    "LocalTime",
    "LongText",
    "NameStr",
    "NoteStr",
    "OrganisationNameStr",
    "PageNumber",
    "PersonNameStr",
    "PhoneStr",
    "RruleStr",
    "ShortCodeStr",
    "SingleLine",
    "UrlStr",
    "forbidden_character",
    "multiline_text",
    "one_or_404",
    "parse_id",
    "pk_or_404",
    "single_line",
    "text_at_most",
    "text_problem",
]
