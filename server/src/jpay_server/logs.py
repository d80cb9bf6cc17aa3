"""Structured logs in which no token or secret is ever written.

Whatever a log line holds (a message, an argument, an exception's text), anything shaped like
a JWT, an app secret, a webhook secret or a Bearer credential is replaced before it is
written (the docs: "Don't log or expose tokens"). The access log, one line per request, is
the exception that proves it: its fields are built by `access_record` from what it knows to
be safe, with redaction applied to the one part a client controls (the request target), so
its line is serialised once and not scanned again.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

_SECRET_SHAPES = re.compile(
    r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"  # JWS compact (base64url "{")
    r"|jpay_sk_[A-Za-z0-9_-]+"  # app secrets
    r"|whsec_[A-Za-z0-9+/=]+"  # webhook secrets
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"  # Authorization header values
)
# Emailed single-use link tokens (e.g. in an access-log line of a dashboard link).
_LINK_TOKENS = re.compile(r"jpay_lt_[A-Za-z0-9_-]+")
REDACTED = "[REDACTED]"
# A request id is at most 64 characters: too short for a whole token, not for a piece of one.
_SECRET_START = re.compile(r"eyJ|jpay_|whsec_|(?i:bearer)")
ACCESS_LOGGER = "jpay_server.access"
# Characters a redacted, decoded request target keeps unescaped when written back.
_TARGET_SAFE = "/?&=:;,+@!$'()*[]~"


def redact(text: str, *, links: bool = True) -> str:
    """Replace every token- or secret-shaped substring (`links=False` keeps link tokens)."""
    text = _SECRET_SHAPES.sub(REDACTED, text)
    return _LINK_TOKENS.sub(REDACTED, text) if links else text


def redact_target(target: str) -> str:
    """A request target (path and query) with every secret replaced, percent-encoded or not.

    A client may percent-encode a token (`eyJ...%2E...`) so that its raw form has no secret
    shape; the decoded form is checked too, and if it holds one, the decoded and redacted
    target is what is written (encoded again, so no control character reaches a line).
    """
    redacted = redact(target)
    if "%" not in redacted:
        return redacted
    decoded = unquote(redacted)
    cleaned = redact(decoded)
    return redacted if cleaned == decoded else quote(cleaned, safe=_TARGET_SAFE)


def _safe_request_id(request_id: str) -> str:
    """A client's X-Request-ID, unless it starts like a token or secret (or a piece of one)."""
    return REDACTED if _SECRET_START.search(request_id) else request_id


def access_record(
    client: str,
    method: str,
    target: str,
    http_version: str,
    status: int,
    seconds: float,
    request_id: str | None,
) -> logging.LogRecord:
    """The one access-log record of a request; `target` and `request_id` come from the client.

    Fields (JSON): `request_id` (the `X-Request-ID` the API answered with, null outside the
    API), `client` (peer address and port), `method`, `path` (the request target with its
    query string, redacted), `status`, `duration_ms` (from the request's arrival at the app
    to the end of its answer).
    """
    path = redact_target(target)
    message = f'{client} - "{method} {path} HTTP/{http_version}" {status}'
    record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, "", 0, message, None, None)
    record._access = {
        "request_id": None if request_id is None else _safe_request_id(request_id),
        "client": client,
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
    }
    return record


def _keeps_links(record: logging.LogRecord) -> bool:
    """A development outbox message: the log is its mailbox, so its link must show."""
    return bool(getattr(record, "_dev_mail", False))


class RedactingFormatter(logging.Formatter):
    """A formatter whose output (message, args, traceback) is always redacted."""

    def format(self, record: logging.LogRecord) -> str:
        if hasattr(record, "_access"):  # built from redacted parts: nothing left to scan
            return super().format(record)
        return redact(super().format(record), links=not _keeps_links(record))


# An access line: what json.dumps gives for its fields in this order (a test compares them).
_ACCESS_JSON = (
    '{"time": "%s", "level": %s, "logger": %s, "message": %s, "request_id": %s,'
    ' "client": %s, "method": %s, "path": %s, "status": %d, "duration_ms": %r}'
)
_quote = json.encoder.encode_basestring_ascii
_second: tuple[int, str] = (0, "")  # the last whole second formatted, and its text


def _utc_time(created: float) -> str:
    """`created` as ISO 8601 UTC to the millisecond (truncated), the date part once a second."""
    global _second
    whole = int(created)
    if _second[0] != whole:
        stamp = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second = (whole, stamp)
    return f"{_second[1]}.{int((created - whole) * 1000):03d}+00:00"


def _access_json(record: logging.LogRecord, access: dict[str, Any]) -> str:
    request_id = access["request_id"]
    return _ACCESS_JSON % (
        _utc_time(record.created),
        _quote(record.levelname),
        _quote(record.name),
        _quote(record.getMessage()),
        "null" if request_id is None else _quote(request_id),
        _quote(access["client"]),
        _quote(access["method"]),
        _quote(access["path"]),
        access["status"],
        access["duration_ms"],
    )


class JsonFormatter(RedactingFormatter):
    """One JSON object per line: time, level, logger, message, and any `extra` fields."""

    _standard = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        access: dict[str, Any] | None = getattr(record, "_access", None)
        if access is not None:  # built from redacted parts: serialised once, not scanned
            return _access_json(record, access)
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            {k: v for k, v in record.__dict__.items() if k not in self._standard and k[0] != "_"}
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str), links=not _keeps_links(record))


def logging_config(level: str, fmt: str) -> dict[str, Any]:
    """A dictConfig for our loggers and uvicorn's, all through the redacting formatter."""
    formatter = "json" if fmt == "json" else "text"
    handler = {
        "class": "logging.StreamHandler",
        "formatter": formatter,
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": JsonFormatter},
            "text": {
                "()": RedactingFormatter,
                "fmt": "%(asctime)s %(levelname)s %(name)s: %(message)s",
            },
        },
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            # uvicorn's own access log is off (no handler: uvicorn then skips it entirely);
            # ours is jpay_server.access_log, one line per request, request id included.
            "uvicorn.access": {"handlers": [], "propagate": False},
            ACCESS_LOGGER: {"handlers": ["default"], "level": level, "propagate": False},
            "sqlalchemy": {"level": "WARNING"},
            "alembic": {"level": "WARNING"},
        },
    }


def configure_logging(level: str, fmt: str) -> None:
    """Install the logging configuration for this process."""
    import logging.config

    # No line of ours shows a thread, process or process name: not looking them up for
    # every record (the logging HOWTO's "Optimization") is a fifth of an access line's cost.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging.config.dictConfig(logging_config(level, fmt))
