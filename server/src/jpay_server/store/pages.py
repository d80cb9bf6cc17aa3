"""Totals for list pages without a window count."""

from __future__ import annotations

from collections.abc import Callable


def page_total(found: int, offset: int, limit: int, count: Callable[[], int]) -> int:
    """How many rows match, given a page of `found` rows: counted only when the page can't tell.

    A page that is not full, and not past the end, ends the list: its total is offset + found.
    Otherwise `count()` runs its own statement. A window count (COUNT(*) OVER ()) would say it
    in one statement, but it makes the database read and sort every match to serve 50 rows;
    this way a page reads only its rows off the index. Like Django's paginator, the count is
    a separate statement and may differ from the page by writes made in between.
    """
    if found < limit and (found or offset == 0):
        return offset + found
    return count()
