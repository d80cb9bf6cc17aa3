"""Pages and date filters for list endpoints."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import Request

from jpay_server.errors import InvalidRequest


def page_body(
    request: Request, page: int, page_size: int, count: int, results: list[dict[str, Any]]
) -> dict[str, Any]:
    """The documented `{count, next, previous, results}` page, with absolute links."""
    last = max(1, -(-count // page_size))
    next_url = str(request.url.include_query_params(page=page + 1)) if page < last else None
    previous = None
    if page > 1:
        previous = str(request.url.include_query_params(page=min(page - 1, last)))
    return {"count": count, "next": next_url, "previous": previous, "results": results}


def day_range(
    date_from: date | None, date_to: date | None
) -> tuple[datetime | None, datetime | None]:
    """Whole UTC days, both ends included: [date_from 00:00, date_to + 1 day 00:00)."""
    if date_from and date_to and date_from > date_to:
        raise InvalidRequest(
            "Invalid query parameter: date_to", code="invalid_query_parameter", field="date_to"
        )
    start = datetime.combine(date_from, time(), UTC) if date_from else None
    end = datetime.combine(date_to, time(), UTC) + timedelta(days=1) if date_to else None
    return start, end
