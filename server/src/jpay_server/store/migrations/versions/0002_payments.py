"""Payments: channels, payments, wallets and ledger, idempotency keys, webhook outbox.

Revision ID: 0002_payments
Revises: 0001_auth
Create Date: 2026-11-28 19:29:23.980505
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_payments"
down_revision: str | None = "0001_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("code", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_channel")),
    )
    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("wallet", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_cents", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_ledger_entry_merchant_id_merchant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entry_merchant_created", ["merchant_id", "created_at"], unique=False
        )

    op.create_table(
        "wallet",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("balance_cents >= 0", name=op.f("ck_wallet_non_negative")),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_wallet_merchant_id_merchant")
        ),
        sa.PrimaryKeyConstraint("merchant_id", "kind", name=op.f("pk_wallet")),
    )
    op.create_table(
        "idempotency_key",
        sa.Column("app_code", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("endpoint", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_code"], ["app.app_code"], name=op.f("fk_idempotency_key_app_code_app")
        ),
        sa.PrimaryKeyConstraint("app_code", "key", name=op.f("pk_idempotency_key")),
    )
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_key_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "payment",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("app_code", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("ref_no", sa.String(length=50), nullable=False),
        sa.Column("account_number", sa.String(length=50), nullable=True),
        sa.Column("callback_url", sa.String(length=2048), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("narration", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_step_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_code"], ["app.app_code"], name=op.f("fk_payment_app_code_app")
        ),
        sa.ForeignKeyConstraint(
            ["channel"], ["channel.code"], name=op.f("fk_payment_channel_channel")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_payment_merchant_id_merchant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("app_code", "kind", "ref_no", name=op.f("uq_payment_app_code")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payment_app_kind_created", ["app_code", "kind", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payment_next_step_at"), ["next_step_at"], unique=False)

    op.create_table(
        "webhook_event",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("app_code", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_code"], ["app.app_code"], name=op.f("fk_webhook_event_app_code_app")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_event")),
    )
    with op.batch_alter_table("webhook_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_event_app_code"), ["app_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_webhook_event_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index("ix_webhook_event_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "webhook_secret",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("app_code", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_code"], ["app.app_code"], name=op.f("fk_webhook_secret_app_code_app")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_secret")),
        sa.UniqueConstraint("app_code", "generation", name=op.f("uq_webhook_secret_app_code")),
    )
    with op.batch_alter_table("webhook_secret", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_secret_app_code"), ["app_code"], unique=False)

    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_event.id"],
            name=op.f("fk_webhook_delivery_event_id_webhook_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_event_id"), ["event_id"], unique=False
        )

    with op.batch_alter_table("app", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_url", sa.String(length=2048), nullable=True))

    # The channels the JPay docs show; a frozen copy, as migrations must not import live code.
    channel = sa.table(
        "channel",
        sa.column("code", sa.Integer),
        sa.column("name", sa.String),
        sa.column("type", sa.String),
        sa.column("display_name", sa.String),
        sa.column("is_active", sa.Boolean),
    )
    op.bulk_insert(
        channel,
        [
            {"code": code, "name": name, "type": kind, "display_name": shown, "is_active": True}
            for code, name, kind, shown in [
                (0, "JPay", "internal", "JPay"),
                (1, "KCB", "bank", "KCB"),
                (7, "NCBA", "bank", "NCBA"),
                (68, "Equity Bank", "bank", "Equity Bank"),
                (63902, "MPesa", "mobile_money", "M-Pesa"),
                (63903, "AirtelMoney", "mobile_money", "Airtel Money"),
                (63907, "T-Kash", "mobile_money", "T-Kash"),
            ]
        ],
    )
    # Every merchant has a collection and a payout wallet.
    for kind in ("collection", "payout"):
        op.execute(
            "INSERT INTO wallet (merchant_id, kind, balance_cents, updated_at) "  # noqa: S608 - fixed literals
            f"SELECT id, '{kind}', 0, created_at FROM merchant"
        )


def downgrade() -> None:
    with op.batch_alter_table("app", schema=None) as batch_op:
        batch_op.drop_column("webhook_url")

    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_event_id"))

    op.drop_table("webhook_delivery")
    with op.batch_alter_table("webhook_secret", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_secret_app_code"))

    op.drop_table("webhook_secret")
    with op.batch_alter_table("webhook_event", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_event_due")
        batch_op.drop_index(batch_op.f("ix_webhook_event_created_at"))
        batch_op.drop_index(batch_op.f("ix_webhook_event_app_code"))

    op.drop_table("webhook_event")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_next_step_at"))
        batch_op.drop_index("ix_payment_app_kind_created")

    op.drop_table("payment")
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_key_created_at"))

    op.drop_table("idempotency_key")
    op.drop_table("wallet")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entry_merchant_created")

    op.drop_table("ledger_entry")
    op.drop_table("channel")
