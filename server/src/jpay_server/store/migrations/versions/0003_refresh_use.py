"""Refresh tokens: remember used ones and revoked families; unused ones live in their claims.

Revision ID: 0003_refresh_use
Revises: 0002_payments
Create Date: 2026-11-28 20:40:00

Tokens issued before this revision carry no family-end claim and are refused from now on:
their holders log in again with their app credentials.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_refresh_use"
down_revision: str | None = "0002_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("refresh_token")
    op.drop_table("refresh_family")
    op.create_table(
        "refresh_use",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.String(length=64), nullable=False),
        sa.Column("app_code", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("use_count", sa.Integer(), nullable=False),
        sa.Column("successor_jti", sa.String(length=64), nullable=True),
        sa.Column("successor_access_jti", sa.String(length=64), nullable=True),
        sa.Column("successor_issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("successor_kid", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_refresh_use")),
    )
    op.create_index(op.f("ix_refresh_use_family_id"), "refresh_use", ["family_id"])
    op.create_index(op.f("ix_refresh_use_used_at"), "refresh_use", ["used_at"])
    op.create_table(
        "revoked_family",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("app_code", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revoked_family")),
    )
    op.create_index(op.f("ix_revoked_family_revoked_at"), "revoked_family", ["revoked_at"])


def downgrade() -> None:
    op.drop_table("revoked_family")
    op.drop_table("refresh_use")
    op.create_table(
        "refresh_family",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("app_code", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_code"], ["app.app_code"], name=op.f("fk_refresh_family_app_code_app")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_family")),
    )
    op.create_table(
        "refresh_token",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.String(length=64), nullable=False),
        sa.Column("parent_jti", sa.String(length=64), nullable=True),
        sa.Column("access_jti", sa.String(length=64), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("use_count", sa.Integer(), nullable=False),
        sa.Column("successor_jti", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["refresh_family.id"],
            name=op.f("fk_refresh_token_family_id_refresh_family"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_refresh_token")),
    )
