"""Paging a long case list without counting or skipping through every case (issue 13).

``BoundedPaginator`` counts exactly up to a limit (``settings.BACKOFFICE_COUNT_LIMIT``, 10,000)
and pages only through that many: beyond it the list says "more than 10,000 cases" and asks for
narrower filters. Counting stops at the limit (``SELECT count(*) FROM (... LIMIT 10001)``), and
a deep page reads the ids of its rows first (a narrow ``OFFSET`` over an index) and then only
those rows, so no page reads more than the limit's worth of index entries, whatever the size of
the table.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import QuerySet, Value

#: From this offset on, a page's rows are read by id (see the module docstring).
DEFERRED_FROM = 500


class BoundedPaginator(Paginator):
    """A ``Paginator`` over a queryset that counts at most ``limit`` rows (see the module
    docstring). ``truncated`` is true when there are more; ``count`` is then ``limit``.

    Args:
        object_list: an ordered queryset (the order must be total, e.g. ending in ``id``).
        per_page: rows per page.
        limit: the most rows counted and paged; defaults to ``settings.BACKOFFICE_COUNT_LIMIT``.
    """

    def __init__(self, object_list: QuerySet[Any], per_page: int,
                 limit: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.queryset = object_list
        self.limit = limit if limit is not None else settings.BACKOFFICE_COUNT_LIMIT

    @cached_property
    def _bounded_count(self) -> int:
        """The number of rows, counted up to ``limit + 1`` (in any order). The rows select a
        constant, not a column, so that an index that serves the filter is read index-only
        (PostgreSQL; on SQLite Django drops a constant-only select list from the count's
        subquery and writes ``SELECT FROM``, so the demo counts the ids)."""
        rows = self.queryset.order_by()
        if connections[rows.db].vendor == "postgresql":
            rows = rows.annotate(_one=Value(1)).values("_one")
        else:
            rows = rows.values("pk")
        return rows[:self.limit + 1].count()

    @property
    def truncated(self) -> bool:
        """True when more rows match than ``limit``."""
        return self._bounded_count > self.limit

    @cached_property
    def count(self) -> int:
        """The number of rows, at most ``limit``."""
        return min(self._bounded_count, self.limit)

    def page(self, number: int | str) -> Page:
        """Page ``number`` (1-based; ``InvalidPage`` for an invalid one, as ``Paginator``).

        From ``DEFERRED_FROM`` on, the page's ids are read first (a subquery whose ``OFFSET``
        runs over the ordering's index) and only those rows are loaded: one query either way.
        """
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        queryset = self.queryset
        if bottom < DEFERRED_FROM:
            return Page(queryset[bottom:top], number, self)
        ids = queryset.values("pk")[bottom:top]
        return Page(queryset.filter(pk__in=ids), number, self)
