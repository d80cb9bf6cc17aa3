"""The simulated mobile-money network: deterministic outcomes for documented test numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from jpay_server.domain.payments import Payment, PaymentStatus

# Suffix of the customer's number (or bank account) → why the network refuses it.
FAILURES = {
    "000002": "declined: the customer cancelled the request",
    "000003": "timeout: the customer could not be reached",
    "000004": "insufficient_funds: the customer's balance is too low",
}


@dataclass(frozen=True, slots=True)
class Step:
    """What the network does next to a payment."""

    status: PaymentStatus
    failure_reason: str | None
    next_step_at: datetime | None


def outcome(party: str) -> str | None:
    """The failure reason the sandbox gives this number or account, or None for success."""
    return next((reason for suffix, reason in FAILURES.items() if party.endswith(suffix)), None)


def step(payment: Payment, now: datetime, delay: float) -> Step:
    """Move a pending payment to processing, and a processing one to its final state."""
    if payment.status is PaymentStatus.PENDING:
        return Step(PaymentStatus.PROCESSING, None, now + timedelta(seconds=delay))
    if payment.status is PaymentStatus.PROCESSING:
        reason = outcome(payment.party)
        final = PaymentStatus.FAILED if reason else PaymentStatus.COMPLETED
        return Step(final, reason, None)
    raise ValueError(f"payment {payment.id} is already {payment.status}")
