"""Structured logs with one redaction step that every line passes through.

Whatever a log line holds (a message, an argument, an exception's text, uvicorn's request
line), anything shaped like a JWT, an app secret, a webhook secret or a Bearer credential is
replaced before it is written (the docs: "Don't log or expose tokens").
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

_SECRET_SHAPES = re.compile(
    r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"  # JWS compact (base64url "{")
    r"|jpay_sk_[A-Za-z0-9_-]+"  # app secrets
    r"|whsec_[A-Za-z0-9+/=]+"  # webhook secrets
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"  # Authorization header values
)
# Emailed single-use link tokens (e.g. in an access-log line of a dashboard link).
_LINK_TOKENS = re.compile(r"jpay_lt_[A-Za-z0-9_-]+")
REDACTED = "[REDACTED]"


def redact(text: str, *, links: bool = True) -> str:
    """Replace every token- or secret-shaped substring (`links=False` keeps link tokens)."""
    text = _SECRET_SHAPES.sub(REDACTED, text)
    return _LINK_TOKENS.sub(REDACTED, text) if links else text


def _keeps_links(record: logging.LogRecord) -> bool:
    """A development outbox message: the log is its mailbox, so its link must show."""
    return bool(getattr(record, "_dev_mail", False))


class RedactingFormatter(logging.Formatter):
    """A formatter whose output (message, args, traceback) is always redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), links=not _keeps_links(record))


class JsonFormatter(RedactingFormatter):
    """One JSON object per line: time, level, logger, message, and any `extra` fields."""

    _standard = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
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
            "uvicorn.access": {"handlers": ["default"], "level": level, "propagate": False},
            "sqlalchemy": {"level": "WARNING"},
            "alembic": {"level": "WARNING"},
        },
    }


def configure_logging(level: str, fmt: str) -> None:
    """Install the logging configuration for this process."""
    import logging.config

    logging.config.dictConfig(logging_config(level, fmt))
