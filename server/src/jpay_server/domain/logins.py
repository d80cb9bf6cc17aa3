"""An app's logins (refresh families) as recorded at the token endpoint and shown to merchants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LoginStart:
    """A login as recorded when its first tokens were issued."""

    family_id: str
    app_code: int
    started_at: datetime
    ends_at: datetime
    client_ip: str | None


@dataclass(frozen=True, slots=True)
class Login:
    """A login as its merchant sees it."""

    family_id: str
    app_code: int
    started_at: datetime
    ends_at: datetime
    client_ip: str | None
    last_refresh_at: datetime | None
    revoked_at: datetime | None
    revoked_reason: str | None
