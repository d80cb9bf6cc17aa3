"""A webhook secret's number is its version: `webhook_secret.generation` becomes `version`.

"Secret generation" names the app secret a token was issued under (docs/decisions.md,
Names); a webhook secret's number mints nothing and was already called its version in code.

Revision ID: 0010_webhook_secret_version
Revises: 0009_dashboard_session_epoch
Create Date: 2026-11-30 04:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_webhook_secret_version"
down_revision: str | None = "0009_dashboard_session_epoch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The unique constraint keeps its name (uq_webhook_secret_app_code: first column only).
    with op.batch_alter_table("webhook_secret") as batch:
        batch.alter_column("generation", new_column_name="version")


def downgrade() -> None:
    with op.batch_alter_table("webhook_secret") as batch:
        batch.alter_column("version", new_column_name="generation")
