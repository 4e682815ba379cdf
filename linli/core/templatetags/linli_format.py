"""Dates and times as people read them: 12月8日 in Chinese, "8 Dec" in English (never "12/8",
which an English reader may take for the 12th of August); a time range never broken across
lines (large senior-mode text would otherwise leave "9:00–" on one line and "11:30" below)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

EN_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_date_text(day: dt.date, *, language: str | None = None) -> str:
    """A day and month in the reader's language: "12月8日" / "8 Dec"."""
    if (language or get_language() or "").lower().startswith("en"):
        return f"{day.day} {EN_MONTH_ABBR[day.month - 1]}"
    return f"{day.month}月{day.day}日"


@register.filter
def short_date(value: dt.date | None) -> str:
    """``{{ day|short_date }}``: see ``short_date_text``; empty for no date."""
    if value is None or value == "":
        return ""
    return short_date_text(value)


_TIME_RANGE = re.compile(r"\d{1,2}:\d{2}\s*[–-]\s*\d{1,2}:\d{2}")


@register.filter
def keep_ranges(value: Any) -> SafeString:
    """``{{ hours|keep_ranges }}``: the text escaped, each "9:00–11:30" kept on one line."""
    text = str(conditional_escape(value if value is not None else ""))
    return mark_safe(
        _TIME_RANGE.sub(
            lambda m: str(format_html('<span class="nowrap">{}</span>', m.group())), text
        )
    )
