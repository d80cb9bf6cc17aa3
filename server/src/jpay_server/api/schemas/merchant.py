"""Bodies of the merchant API (`/api/v1/merchant/...`), requests and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from jpay_server.api.schemas.common import WireModel
from jpay_server.domain.allowlists import MAX_ENTRIES
from jpay_server.domain.credentials import MAX_OVERLAP


class AppCreate(WireModel):
    """POST /merchant/apps."""

    name: str = Field(min_length=1, max_length=200, examples=["Checkout server"])


class AppRename(WireModel):
    """PATCH /merchant/apps/{app_code}."""

    name: str = Field(min_length=1, max_length=200)


class AllowedIps(WireModel):
    """PUT /merchant/apps/{app_code}/allowed-ips: the whole new list."""

    allowed_ips: list[str] = Field(
        max_length=MAX_ENTRIES,
        description="IPs or CIDR ranges; an empty list allows any address.",
        examples=[["203.0.113.7", "198.51.100.0/24"]],
    )


class Products(WireModel):
    """PUT /merchant/apps/{app_code}/products: the products to enable (within the grant)."""

    products: list[Literal["collections", "payouts"]] = Field(max_length=2)


class RefreshPolicyBody(WireModel):
    """PUT /merchant/apps/{app_code}/refresh-policy."""

    refresh_policy: Literal["rotate", "reusable"]


class Rotation(WireModel):
    """POST .../rotate-secret and .../rotate-webhook-secret."""

    overlap_seconds: int = Field(
        0,
        ge=0,
        le=MAX_OVERLAP,
        description="Seconds the old secret (and tokens issued under it) keep working.",
    )


class WebhookUrl(WireModel):
    """PUT /merchant/apps/{app_code}/webhook-url: where security events go (null: nowhere)."""

    webhook_url: str | None = Field(max_length=2048)


class AppOut(BaseModel):
    """An app as its merchant sees it (never its secret)."""

    app_code: int
    app_key: str
    name: str
    active: bool
    products: list[str]
    allowed_ips: list[str]
    refresh_policy: Literal["rotate", "reusable"]
    webhook_url: str | None
    created_at: datetime


class SecretGeneration(BaseModel):
    """One generation of an app's secret (the secret itself is never shown again)."""

    generation: int
    created_at: datetime
    last_used_at: datetime | None = Field(description="To the minute; null if never used.")
    expires_at: datetime | None = Field(description="When it stops working; null: not yet set.")
    live: bool


class AppDetailOut(AppOut):
    """An app with its secret generations and the products its merchant may enable."""

    secrets: list[SecretGeneration]
    granted_products: list[str]


class AppCreated(AppOut):
    """A new app: the secrets are shown here once and never again."""

    app_secret: str
    webhook_secret: str | None


class SecretRotated(BaseModel):
    """A new app secret, shown once."""

    app_code: int
    app_key: str
    app_secret: str
    generation: int
    previous_expires_at: datetime | None = Field(description="When the old secret stops.")


class AllowedIpsOut(BaseModel):
    """The app's allowlist after a change."""

    app_code: int
    allowed_ips: list[str]


class ProductsOut(BaseModel):
    """The app's products after a change."""

    app_code: int
    products: list[str]


class Results(BaseModel):
    """A list answer."""

    results: list[dict[str, Any]]


class RefusedRequest(BaseModel):
    """One refused request of an app."""

    time: datetime
    client_ip: str | None
    path: str
    code: str
    detail: str
    hint: str


class RefusedRequests(BaseModel):
    """The app's last 1,000 refused requests, newest first."""

    results: list[RefusedRequest]


class MerchantOut(BaseModel):
    """The caller's merchant, with what blocks it while pending or suspended."""

    merchant_id: int
    name: str
    status: Literal["pending", "approved", "suspended"]
    approved_at: datetime | None
    created_at: datetime
    granted_products: list[str]
    blocked: bool
    reason: str | None = Field(description="Why the merchant cannot make changes, if so.")
    missing: list[str] = Field(description="What must happen before it can, e.g. `approval`.")
    role: str
    user_id: int


class AuditEntryOut(BaseModel):
    """One change to the merchant's account."""

    id: int
    created_at: datetime
    actor: str = Field(examples=["user:12", "operator"])
    action: str = Field(examples=["app.set_allowed_ips"])
    target: str = Field(examples=["app:12345678"])
    client_ip: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    """Audit entries newest first; pass `before` = the last id to read on."""

    results: list[AuditEntryOut]
    next_before: int | None
