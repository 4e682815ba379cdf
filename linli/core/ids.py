"""Record ids as they arrive from URLs, forms and API paths."""

from __future__ import annotations

from typing import Any

from django.http import Http404

# The largest id a BigAutoField holds; a larger number is no record, not an overflow error.
MAX_ID = 2**63 - 1


def as_pk(pk: Any) -> int:
    """A primary key from a URL or form value; anything else is "not found" (404), not a 500."""
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such record.") from None
    if value <= 0 or value > MAX_ID:
        raise Http404("No such record.")
    return value
