"""Security events: things an operator (and, with webhooks, the merchant) must hear about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class SecurityEventKind(StrEnum):
    """The kinds of security event recorded."""

    REFRESH_TOKEN_REUSED = "refresh_token.reused"  # noqa: S105
    REFRESH_TOKEN_REPLAYED = "refresh_token.replayed"  # noqa: S105


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    """One recorded security event."""

    kind: SecurityEventKind
    app_code: int
    merchant_id: int
    family_id: str | None
    client_ip: str | None
    created_at: datetime
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
