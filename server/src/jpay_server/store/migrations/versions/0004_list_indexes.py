"""List indexes in list order: payments by (app, kind, created_at, id), the ledger by id.

Revision ID: 0004_list_indexes
Revises: 0003_refresh_use
Create Date: 2026-11-28 22:10:00

Pages are read newest first off these indexes and their totals counted separately, so a page
costs its own rows rather than a sort of every match (store/pages.py).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_list_indexes"
down_revision: str | None = "0003_refresh_use"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_payment_app_kind_created_id", "payment", ["app_code", "kind", "created_at", "id"]
    )
    op.drop_index("ix_payment_app_kind_created", table_name="payment")
    op.create_index("ix_ledger_entry_merchant_id", "ledger_entry", ["merchant_id", "id"])
    op.drop_index("ix_ledger_entry_merchant_created", table_name="ledger_entry")


def downgrade() -> None:
    op.create_index(
        "ix_ledger_entry_merchant_created", "ledger_entry", ["merchant_id", "created_at"]
    )
    op.drop_index("ix_ledger_entry_merchant_id", table_name="ledger_entry")
    op.create_index("ix_payment_app_kind_created", "payment", ["app_code", "kind", "created_at"])
    op.drop_index("ix_payment_app_kind_created_id", table_name="payment")
