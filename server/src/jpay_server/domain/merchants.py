"""Merchants and the lifecycle that gates their apps: pending → approved ⇄ suspended."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from jpay_server.errors import Conflict, InvalidRequest

MAX_NAME = 200


class MerchantStatus(StrEnum):
    """Where a merchant stands; only `approved` may use the API."""

    PENDING = "pending"
    APPROVED = "approved"
    SUSPENDED = "suspended"


@dataclass(frozen=True, slots=True)
class Merchant:
    """A business that owns apps."""

    id: int
    name: str
    status: MerchantStatus
    approved_at: datetime | None
    created_at: datetime


def clean_name(name: str) -> str:
    """A merchant or app name: 1-200 printable characters, trimmed."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise InvalidRequest(f"name must be 1-{MAX_NAME} printable characters", field="name")
    return name


def approve(merchant: Merchant, now: datetime) -> Merchant:
    """Approve a pending merchant; approving an approved one changes nothing."""
    if merchant.status is MerchantStatus.SUSPENDED:
        raise Conflict(f"merchant {merchant.id} is suspended; reinstate it first")
    if merchant.status is MerchantStatus.APPROVED:
        return merchant
    return replace(merchant, status=MerchantStatus.APPROVED, approved_at=now)


def suspend(merchant: Merchant) -> Merchant:
    """Suspend a merchant: every app answers 403 until it is reinstated."""
    return replace(merchant, status=MerchantStatus.SUSPENDED)


def reinstate(merchant: Merchant) -> Merchant:
    """Lift a suspension, back to approved (or pending if it never was approved)."""
    if merchant.status is not MerchantStatus.SUSPENDED:
        raise Conflict(f"merchant {merchant.id} is not suspended")
    status = MerchantStatus.APPROVED if merchant.approved_at else MerchantStatus.PENDING
    return replace(merchant, status=status)


def blockers(status: MerchantStatus) -> tuple[str | None, tuple[str, ...]]:
    """Why a merchant's users cannot make changes, and what is missing, in words."""
    if status is MerchantStatus.PENDING:
        return (
            "This merchant is waiting for approval by the operator. Until then its users can "
            "sign in and read, changes are refused and its apps get no tokens.",
            ("approval",),
        )
    if status is MerchantStatus.SUSPENDED:
        return (
            "This merchant is suspended by the operator: its apps' tokens are refused (403 "
            "account_suspended) and changes are refused until it is reinstated.",
            ("reinstatement",),
        )
    return None, ()
