"""Paging long lists of needs without counting a district's year on every page.

A district's year is some 500,000 needs; ``COUNT(*)`` over them, and a pager that walks every
page number, were the slowest parts of the staff list and the public timeline (bench/needs.py).
``CappedPaginator`` counts at most ``cap`` rows (``SELECT COUNT(*) FROM (… LIMIT cap + 1)``): past
the cap the page says "more than 10,000" and the filters narrow the list. ``page_links`` gives
the few page numbers a pager shows (Django's elided page range), never all of them.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator

CAP = 10_000


class CappedPaginator(Paginator):  # type: ignore[type-arg]  # pages of any model's rows
    """A paginator whose count stops at ``cap``; ``capped`` says whether more rows exist."""

    def __init__(self, object_list: Any, per_page: int, *, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.cap = CAP if cap is None else cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        # Only the primary keys, unordered: the count needs neither the page's columns (and
        # their joins) nor its order, and PostgreSQL then counts from an index alone.
        rows: Any = self.object_list  # a QuerySet here (stubs type it as any sequence)
        n = int(rows.values("pk").order_by()[: self.cap + 1].count())
        self.capped = n > self.cap
        return min(n, self.cap)


def page_links(page: Page[Any]) -> list[int | str]:
    """The page numbers around ``page`` and at both ends, with ``…`` for the gaps."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
