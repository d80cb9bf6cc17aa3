"""Query strings of the list endpoints, each validated in one pass (see api/query.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jpay_server.domain.channels import ChannelType
from jpay_server.domain.payments import PaymentStatus
from jpay_server.domain.wallets import WalletKind
from jpay_server.services.audit import MAX_PAGE as AUDIT_PAGE
from jpay_server.services.merchant_webhooks import MAX_EVENTS

DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class ListQuery(BaseModel):
    """Paging shared by every list; unknown parameters are ignored, as FastAPI does."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1.")
    page_size: int = Field(50, ge=1, le=100, description="Items per page, 1-100.")


class DatedQuery(ListQuery):
    """A list filtered by UTC creation day."""

    date_from: str | None = Field(
        None, pattern=DAY, description="Created on or after this UTC day (YYYY-MM-DD)."
    )
    date_to: str | None = Field(
        None, pattern=DAY, description="Created on or before this UTC day (YYYY-MM-DD)."
    )


class PaymentQuery(DatedQuery):
    """GET /payments/collections/checkouts and /payments/payouts."""

    status: PaymentStatus | None = Field(None, description="Only this status.")
    phone: str | None = Field(None, max_length=16, description="Only this phone (E.164).")
    ref_no: str | None = Field(None, max_length=50, description="Only this ref_no.")


class LedgerQuery(DatedQuery):
    """GET /wallets/transactions."""

    wallet: WalletKind | None = Field(None, description="Only this wallet.")


class ChannelQuery(ListQuery):
    """GET /channels."""

    page_size: int = Field(100, ge=1, le=100, description="Items per page, 1-100.")
    type: ChannelType | None = Field(None, description="Only this type.")
    active_only: bool = Field(True, description="Only active channels.")


class AuditQuery(BaseModel):
    """GET /merchant/audit: a page of the audit log, paged back by id."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    limit: int = Field(50, ge=1, le=AUDIT_PAGE)
    before: int | None = Field(None, ge=1, description="Entries older than this id.")


class WebhookEventQuery(BaseModel):
    """GET /merchant/apps/{app_code}/webhook-events: the newest events, by status."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: Literal["pending", "delivered", "failed", "gone"] | None = None
    limit: int = Field(50, ge=1, le=MAX_EVENTS)
