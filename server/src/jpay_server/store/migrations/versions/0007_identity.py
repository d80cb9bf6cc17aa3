"""Merchant users: accounts, MFA recovery codes, emailed link tokens, the email outbox.

Revision ID: 0007_identity
Revises: 0006_dashboard_sessions
Create Date: 2026-11-30 00:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_identity"
down_revision: str | None = "0006_dashboard_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "merchant",
        sa.Column("require_mfa", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "merchant_user",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("token_epoch", sa.Integer(), nullable=False),
        sa.Column("mfa_secret", sa.LargeBinary(), nullable=True),
        sa.Column("mfa_enabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mfa_last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_merchant_user_merchant_id_merchant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchant_user")),
        sa.UniqueConstraint("email_key", name=op.f("uq_merchant_user_email_key")),
    )
    op.create_index(op.f("ix_merchant_user_merchant_id"), "merchant_user", ["merchant_id"])
    op.create_table(
        "recovery_code",
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["merchant_user.id"],
            name=op.f("fk_recovery_code_user_id_merchant_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_recovery_code")),
    )
    op.create_index(op.f("ix_recovery_code_user_id"), "recovery_code", ["user_id"])
    op.create_table(
        "link_token",
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_link_token_merchant_id_merchant")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["merchant_user.id"],
            name=op.f("fk_link_token_user_id_merchant_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_link_token")),
    )
    op.create_index(op.f("ix_link_token_merchant_id"), "link_token", ["merchant_id"])
    op.create_index(op.f("ix_link_token_user_id"), "link_token", ["user_id"])
    op.create_index(op.f("ix_link_token_expires_at"), "link_token", ["expires_at"])
    op.create_table(
        "email_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_outbox")),
    )
    op.create_index("ix_email_outbox_due", "email_outbox", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_email_outbox_created_at"), "email_outbox", ["created_at"])


def downgrade() -> None:
    op.drop_table("email_outbox")
    op.drop_table("link_token")
    op.drop_table("recovery_code")
    op.drop_table("merchant_user")
    with op.batch_alter_table("merchant") as batch:
        batch.drop_column("require_mfa")
