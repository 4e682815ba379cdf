"""Template filters of the planning pages."""

from __future__ import annotations

from typing import Any

from django import template

from linli.planning import queries

register = template.Library()


@register.filter
def lookup(mapping: dict[str, Any], key: str) -> Any:
    """``mapping[key]``, or the key itself when missing (category names by code)."""
    return mapping.get(key, key) if isinstance(mapping, dict) else key


@register.filter
def level_label(level: str) -> str:
    """The living-circle level as planners say it ("5-minute circle")."""
    return queries.level_label(level)


@register.filter
def standard_name(standard: str) -> str:
    """A standard's name as planners say it (the district's own rules: "District standard")."""
    return queries.standard_name(standard)
