"""Authentication core: merchants, apps, secrets, signing keys, refresh families, change log.

Revision ID: 0001_auth
Revises:
Create Date: 2026-11-28 18:36:22.942159
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_auth"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_change",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_access_change")),
    )
    with op.batch_alter_table("access_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_change_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "access_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_counter")),
    )
    op.bulk_insert(
        sa.table("access_counter", sa.column("id", sa.Integer), sa.column("seq", sa.BigInteger)),
        [{"id": 1, "seq": 0}],
    )
    op.create_table(
        "merchant",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchant")),
    )
    op.create_table(
        "signing_key",
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_key")),
    )
    op.create_table(
        "app",
        sa.Column("app_code", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("app_key", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("allowed_ips", sa.JSON(), nullable=False),
        sa.Column("refresh_policy", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_app_merchant_id_merchant")
        ),
        sa.PrimaryKeyConstraint("app_code", name=op.f("pk_app")),
        sa.UniqueConstraint("app_key", name=op.f("uq_app_app_key")),
    )
    with op.batch_alter_table("app", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "app_secret",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("app_code", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_code"], ["app.app_code"], name=op.f("fk_app_secret_app_code_app")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_secret")),
        sa.UniqueConstraint("app_code", "generation", name=op.f("uq_app_secret_app_code")),
    )
    with op.batch_alter_table("app_secret", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_secret_app_code"), ["app_code"], unique=False)

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
    with op.batch_alter_table("refresh_family", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refresh_family_app_code"), ["app_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_family_ends_at"), ["ends_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_refresh_family_revoked_at"), ["revoked_at"], unique=False
        )

    op.create_table(
        "security_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("app_code", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(length=64), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_code"], ["app.app_code"], name=op.f("fk_security_event_app_code_app")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_event")),
    )
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_security_event_app_created", ["app_code", "created_at"], unique=False
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
    with op.batch_alter_table("refresh_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refresh_token_family_id"), ["family_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refresh_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_token_family_id"))

    op.drop_table("refresh_token")
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.drop_index("ix_security_event_app_created")

    op.drop_table("security_event")
    with op.batch_alter_table("refresh_family", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_family_revoked_at"))
        batch_op.drop_index(batch_op.f("ix_refresh_family_ends_at"))
        batch_op.drop_index(batch_op.f("ix_refresh_family_app_code"))

    op.drop_table("refresh_family")
    with op.batch_alter_table("app_secret", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_secret_app_code"))

    op.drop_table("app_secret")
    with op.batch_alter_table("app", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_merchant_id"))

    op.drop_table("app")
    op.drop_table("signing_key")
    op.drop_table("merchant")
    op.drop_table("access_counter")
    with op.batch_alter_table("access_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_change_created_at"))

    op.drop_table("access_change")
