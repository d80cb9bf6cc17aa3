"""Live logins of an app, and the first bytes of each webhook delivery's answer.

Revision ID: 0008_merchant_logins
Revises: 0007_identity
Create Date: 2026-11-30 01:00:00

Logins made before this revision are not listed (they were never recorded); they still work
and end as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_merchant_logins"
down_revision: str | None = "0007_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_family",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("app_code", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_family")),
    )
    op.create_index(op.f("ix_login_family_app_code"), "login_family", ["app_code"])
    op.create_index(op.f("ix_login_family_ends_at"), "login_family", ["ends_at"])
    with op.batch_alter_table("webhook_delivery") as batch:
        batch.add_column(sa.Column("response_excerpt", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_delivery") as batch:
        batch.drop_column("response_excerpt")
    op.drop_index(op.f("ix_login_family_ends_at"), table_name="login_family")
    op.drop_index(op.f("ix_login_family_app_code"), table_name="login_family")
    op.drop_table("login_family")
