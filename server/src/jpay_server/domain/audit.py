"""The audit log's rules: who acted, what an entry holds, and what it must never hold.

Every change to a merchant's account writes one entry in the transaction of the change, so an
entry exists if and only if the change committed. Details describe the change (names, lists,
roles); anything that could be a credential is dropped before it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

MAX_TEXT = 200
# Keys whose values are credentials or could carry one: never stored, whatever the caller sends.
_SECRET_WORDS = ("secret", "password", "token", "code_hash", "digest", "otp", "recovery")


class ActorKind(StrEnum):
    """Who made a change: a merchant's user, the operator (CLI), or an app."""

    USER = "user"
    OPERATOR = "operator"
    APP = "app"


@dataclass(frozen=True, slots=True)
class Actor:
    """The one who acted: a kind and, for a user or an app, its id."""

    kind: ActorKind
    id: int | None = None

    @classmethod
    def user(cls, user_id: int) -> Actor:
        """A merchant user, by user id."""
        return cls(ActorKind.USER, user_id)

    @classmethod
    def app(cls, app_code: int) -> Actor:
        """An app, by app code."""
        return cls(ActorKind.APP, app_code)

    def __str__(self) -> str:
        return self.kind.value if self.id is None else f"{self.kind.value}:{self.id}"


OPERATOR = Actor(ActorKind.OPERATOR)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change: who, what (`action`, e.g. `app.rotate_secret`), on what, when, from where."""

    merchant_id: int | None
    actor: Actor
    action: str
    target: str
    created_at: datetime
    client_ip: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None


def scrub(details: Mapping[str, Any]) -> dict[str, Any]:
    """The details without any key that names a credential, strings cut to MAX_TEXT."""
    clean: dict[str, Any] = {}
    for key, value in details.items():
        if any(word in key.lower() for word in _SECRET_WORDS):
            continue
        clean[key] = _scrub_value(value)
    return clean


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, Mapping):
        return scrub(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:MAX_TEXT]


@dataclass(frozen=True, slots=True)
class Origin:
    """Who asks for a change, from where, and within which merchant's account.

    `merchant_id` scopes the change: set for a merchant's user (objects of other merchants
    then do not exist for them), None for the operator, who may act on any merchant.
    """

    actor: Actor
    client_ip: str | None = None
    merchant_id: int | None = None

    def sees(self, merchant_id: int) -> bool:
        """True if an object of `merchant_id` is within this origin's reach."""
        return self.merchant_id is None or self.merchant_id == merchant_id


BY_OPERATOR = Origin(OPERATOR)
