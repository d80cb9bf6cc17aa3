"""Reading the dashboard's HTML forms (application/x-www-form-urlencoded only)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from jpay_server.domain.credentials import MAX_OVERLAP

MAX_FORM_BYTES = 16_384  # the largest form here is an allowlist: a few hundred addresses


class FormRejected(Exception):
    """The body is not a form this dashboard could have sent."""


async def read_form(request: Request) -> dict[str, str]:
    """The submitted fields (the first value of each); refuses other media types and bulk."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise FormRejected("unexpected content type")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormRejected("form too large")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=1000)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormRejected("unreadable form") from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


OVERLAP_ERROR = f"Overlap must be a whole number of seconds from 0 to {MAX_OVERLAP}"


def overlap_field(form: dict[str, str]) -> int | None:
    """A rotation form's overlap in seconds (blank: 0), or None if the API would refuse it."""
    raw = form.get("overlap", "0").strip() or "0"
    # ASCII digits only ("²" is a digit to isdigit() and not to int()), and few of them (int()
    # refuses past 4,300): anything else answered a 500.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 20:
        return None
    return int(raw) if int(raw) <= MAX_OVERLAP else None
