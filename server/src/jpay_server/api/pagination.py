"""Pages and date filters for list endpoints."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from starlette.datastructures import URL
from starlette.requests import Request

from jpay_server.api.deps import runtime
from jpay_server.api.responses import SplicedJSONResponse
from jpay_server.domain.client_ip import from_trusted_proxy
from jpay_server.errors import invalid_query_parameter

# A host as X-Forwarded-Host may name it: a DNS name or an address, and an optional port.
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](:[0-9]{1,5})?")


def page_body(
    request: Request, page: int, page_size: int, count: int, results: list[dict[str, Any]]
) -> dict[str, Any]:
    """The documented `{count, next, previous, results}` page, with absolute links."""
    return {**_head(request, page, page_size, count), "results": results}


def rendered_page(
    request: Request, page: int, page_size: int, count: int, results: list[str]
) -> SplicedJSONResponse:
    """The same page, its results already JSON texts (rendered by the database)."""
    return SplicedJSONResponse(_head(request, page, page_size, count), "results", results)


def _head(request: Request, page: int, page_size: int, count: int) -> dict[str, Any]:
    last = max(1, -(-count // page_size))
    if page == 1 and last == 1:  # the only page: no links, so no URL to work out
        return {"count": count, "next": None, "previous": None}
    url = _public_url(request)
    next_url = str(url.include_query_params(page=page + 1)) if page < last else None
    previous = None
    if page > 1:
        previous = str(url.include_query_params(page=min(page - 1, last)))
    return {"count": count, "next": next_url, "previous": previous}


def _public_url(request: Request) -> URL:
    """The URL as the client wrote it: behind a trusted proxy (TLS terminated there), the
    scheme and host it forwarded. Each header's rightmost value is the nearest proxy's."""
    url = request.url
    peer = request.client.host if request.client else None
    if not from_trusted_proxy(peer, runtime(request).settings.trusted_proxies):
        return url
    proto = _last(request.headers.getlist("x-forwarded-proto")).lower()
    host = _last(request.headers.getlist("x-forwarded-host"))
    if proto in ("http", "https"):
        url = url.replace(scheme=proto)
    if _HOST.fullmatch(host):
        url = url.replace(netloc=host)
    return url


def _last(values: list[str]) -> str:
    return values[-1].rsplit(",", 1)[-1].strip() if values else ""


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid_query_parameter(name) from None


def day_range(
    date_from: str | None, date_to: str | None
) -> tuple[datetime | None, datetime | None]:
    """Whole UTC days, both ends included: [date_from 00:00, date_to + 1 day 00:00).

    Dates are strictly YYYY-MM-DD; an inverted range is not an error, it matches nothing.
    The last representable day has no next midnight: it ends the range nowhere.
    """
    start_day, end_day = _day(date_from, "date_from"), _day(date_to, "date_to")
    start = datetime.combine(start_day, time(), UTC) if start_day else None
    end = None
    if end_day and end_day < date.max:
        end = datetime.combine(end_day + timedelta(days=1), time(), UTC)
    return start, end
