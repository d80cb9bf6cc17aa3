"""The merchant API: the audit log, per-merchant product grants, the refused-requests log.

Revision ID: 0005_merchant_api
Revises: 0004_list_indexes
Create Date: 2026-11-30 00:50:00

Existing approved merchants get both products granted, so that no app loses a product it
already has when the grant starts to bind in production.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_merchant_api"
down_revision: str | None = "0004_list_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index("ix_audit_entry_merchant_id_id", "audit_entry", ["merchant_id", "id"])
    op.create_table(
        "product_grant",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_product_grant_merchant_id_merchant")
        ),
        sa.PrimaryKeyConstraint("merchant_id", "product", name=op.f("pk_product_grant")),
    )
    op.create_table(
        "refused_request",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("app_code", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("hint", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refused_request")),
    )
    op.create_index("ix_refused_request_app_code_id", "refused_request", ["app_code", "id"])
    for product in ("collections", "payouts"):
        op.execute(
            sa.text(
                "INSERT INTO product_grant (merchant_id, product, granted_at) "
                "SELECT id, :product, updated_at FROM merchant WHERE status <> 'pending'"
            ).bindparams(product=product)
        )


def downgrade() -> None:
    op.drop_index("ix_refused_request_app_code_id", table_name="refused_request")
    op.drop_table("refused_request")
    op.drop_table("product_grant")
    op.drop_index("ix_audit_entry_merchant_id_id", table_name="audit_entry")
    op.drop_table("audit_entry")
