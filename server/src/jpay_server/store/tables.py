"""The schema, as SQLAlchemy 2 typed models; Alembic migrations are written from it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, also on SQLite (which stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING)


class MerchantRow(Base):
    __tablename__ = "merchant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # An owner or admin can require every member to use a second factor.
    require_mfa: Mapped[bool] = mapped_column(Boolean, server_default=false())


class AppRow(Base):
    __tablename__ = "app"

    app_code: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    app_key: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean)
    products: Mapped[list[str]] = mapped_column(JSON)
    allowed_ips: Mapped[list[str]] = mapped_column(JSON)
    refresh_policy: Mapped[str] = mapped_column(String(16))
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AppSecretRow(Base):
    __tablename__ = "app_secret"
    __table_args__ = (UniqueConstraint("app_code", "generation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_code: Mapped[int] = mapped_column(ForeignKey("app.app_code"), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SigningKeyRow(Base):
    __tablename__ = "signing_key"

    kid: Mapped[str] = mapped_column(String(32), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RefreshUseRow(Base):
    """A refresh token that was presented (unused ones live only in their signed claims)."""

    __tablename__ = "refresh_use"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    app_code: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    use_count: Mapped[int] = mapped_column(Integer)
    successor_jti: Mapped[str | None] = mapped_column(String(64))
    successor_access_jti: Mapped[str | None] = mapped_column(String(64))
    successor_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    successor_kid: Mapped[str | None] = mapped_column(String(32))


class RevokedFamilyRow(Base):
    """A refresh family that no token of may be used any more."""

    __tablename__ = "revoked_family"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_code: Mapped[int] = mapped_column(Integer)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reason: Mapped[str] = mapped_column(String(32))


class SecurityEventRow(Base):
    __tablename__ = "security_event"
    __table_args__ = (Index("ix_security_event_app_created", "app_code", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    app_code: Mapped[int] = mapped_column(ForeignKey("app.app_code"))
    merchant_id: Mapped[int] = mapped_column(Integer)
    family_id: Mapped[str | None] = mapped_column(String(64))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccessCounterRow(Base):
    """One row whose update serialises access changes, so `seq` follows commit order."""

    __tablename__ = "access_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)


class AccessChangeRow(Base):
    """A change to access state that every server process must apply to its cache."""

    __tablename__ = "access_change"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ChannelRow(Base):
    __tablename__ = "channel"

    code: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(Boolean)


class PaymentRow(Base):
    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("app_code", "kind", "ref_no"),
        # Lists filter on app and kind and read newest first: the index gives that order.
        Index("ix_payment_app_kind_created_id", "app_code", "kind", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    app_code: Mapped[int] = mapped_column(ForeignKey("app.app_code"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id"))
    party: Mapped[str] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    ref_no: Mapped[str] = mapped_column(String(50))
    account_number: Mapped[str | None] = mapped_column(String(50))
    callback_url: Mapped[str] = mapped_column(String(2048))
    category: Mapped[str] = mapped_column(String(16))
    narration: Mapped[str] = mapped_column(String(200))
    channel: Mapped[int] = mapped_column(ForeignKey("channel.code"))
    status: Mapped[str] = mapped_column(String(16))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class WalletRow(Base):
    __tablename__ = "wallet"
    # The conditional debit already refuses to overdraw; the constraint is the backstop.
    __table_args__ = (CheckConstraint("balance_cents >= 0", name="non_negative"),)

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    balance_cents: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerEntryRow(Base):
    __tablename__ = "ledger_entry"
    __table_args__ = (Index("ix_ledger_entry_merchant_id", "merchant_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id"))
    wallet: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(32))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    balance_after_cents: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IdempotencyKeyRow(Base):
    __tablename__ = "idempotency_key"

    app_code: Mapped[int] = mapped_column(ForeignKey("app.app_code"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class WebhookSecretRow(Base):
    __tablename__ = "webhook_secret"
    __table_args__ = (UniqueConstraint("app_code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_code: Mapped[int] = mapped_column(ForeignKey("app.app_code"), index=True)
    version: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per app (not a secret generation)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookEventRow(Base):
    """The outbox: written in the transaction of the change it reports."""

    __tablename__ = "webhook_event"
    __table_args__ = (Index("ix_webhook_event_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    app_code: Mapped[int] = mapped_column(ForeignKey("app.app_code"), index=True)
    type: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2048))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(200))


class WebhookDeliveryRow(Base):
    """One row per delivery attempt, written when the attempt starts."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(String(200))


class AuditEntryRow(Base):
    """One change made to a merchant's account: who, what, on what, when, from where."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_merchant_id_id", "merchant_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(16))  # user | operator | app
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProductGrantRow(Base):
    """A product the operator lets a merchant enable on its apps."""

    __tablename__ = "product_grant"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id"), primary_key=True)
    product: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RefusedRequestRow(Base):
    """A 401 or 403 an app got, with the fix in words; never a token, a secret or a body."""

    __tablename__ = "refused_request"
    __table_args__ = (Index("ix_refused_request_app_code_id", "app_code", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_code: Mapped[int] = mapped_column(Integer)
    time: Mapped[datetime] = mapped_column(UTCDateTime())
    client_ip: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(200))
    hint: Mapped[str] = mapped_column(String(300))


class LoginFamilyRow(Base):
    """A login of an app (a refresh family) as its merchant sees it; written within a second."""

    __tablename__ = "login_family"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_code: Mapped[int] = mapped_column(Integer, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    client_ip: Mapped[str | None] = mapped_column(String(64))


class DashboardSessionRow(Base):
    """A signed-in dashboard browser; `id` is a keyed hash of its cookie, never the cookie."""

    __tablename__ = "dashboard_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id"))
    user_epoch: Mapped[int] = mapped_column(Integer, server_default="0")
    stage: Mapped[str] = mapped_column(String(8))
    csrf_token: Mapped[str] = mapped_column(String(64))
    client_ip: Mapped[str] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(200))
    pending: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed second-factor ticket
    flash: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed, shown-once secret
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MerchantUserRow(Base):
    """A person who signs in to a merchant's account (not an app)."""

    __tablename__ = "merchant_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    # The address case-folded: unique, so Ann@x.io and ann@x.io are one account.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    # Bumped to end every token of the user at once (password reset, removal).
    token_epoch: Mapped[int] = mapped_column(Integer)
    mfa_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecoveryCodeRow(Base):
    """One single-use MFA recovery code, kept as a keyed hash."""

    __tablename__ = "recovery_code"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("merchant_user.id", ondelete="CASCADE"), index=True
    )
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LinkTokenRow(Base):
    """A single-use token sent by email (verify, reset, invite), kept as a keyed hash."""

    __tablename__ = "link_token"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("merchant_user.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EmailOutboxRow(Base):
    """The email outbox: written in the transaction of the action the message tells of."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
