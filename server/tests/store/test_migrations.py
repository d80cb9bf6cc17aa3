"""The migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from jpay_server.store import migrate
from jpay_server.store.db import open_database
from jpay_server.store.tables import Base
from jpay_server.store.webhooks import SealedSecret, add_webhook_secret, webhook_secrets_of
from tests.store.test_contract import NOW, seed_app

pytestmark = pytest.mark.anyio


async def test_the_migrated_schema_is_the_declared_one(any_database_url: str) -> None:
    def differences(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    database = open_database(any_database_url)
    try:
        assert await database.migrate(differences) == []
    finally:
        await database.dispose()


async def test_webhook_secret_versions_survive_the_rename_both_ways(any_database_url: str) -> None:
    """0010 renames webhook_secret.generation to version, keeping every row's number."""
    database = open_database(any_database_url)
    try:
        app = await seed_app(database)
        for version in (1, 2):
            secret = SealedSecret(version, b"sealed-%d" % version, NOW, None)
            await database.write(lambda c, s=secret: add_webhook_secret(c, app.app_code, s))

        def down_and_read(connection: Connection) -> list[int]:
            config = migrate.alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0009_dashboard_session_epoch")
            sql = "SELECT generation FROM webhook_secret ORDER BY generation"
            return [row[0] for row in connection.exec_driver_sql(sql)]

        assert await database.migrate(down_and_read) == [1, 2]
        await migrate.upgrade(database)
        stored = await database.read(lambda c: webhook_secrets_of(c, app.app_code))
        assert [(s.version, s.sealed) for s in stored] == [(1, b"sealed-1"), (2, b"sealed-2")]
    finally:
        await database.dispose()
