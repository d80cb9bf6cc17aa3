"""Dashboard sessions remember the user's token epoch, so ending a user's tokens ends them too.

Revision ID: 0009_dashboard_session_epoch
Revises: 0008_merchant_logins
Create Date: 2026-11-30 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_dashboard_session_epoch"
down_revision: str | None = "0008_merchant_logins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dashboard_session") as batch:
        batch.add_column(sa.Column("user_epoch", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("dashboard_session") as batch:
        batch.drop_column("user_epoch")
