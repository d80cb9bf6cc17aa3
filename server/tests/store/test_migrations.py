"""The migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from jpay_server.store.db import open_database
from jpay_server.store.tables import Base

pytestmark = pytest.mark.anyio


async def test_the_migrated_schema_is_the_declared_one(any_database_url: str) -> None:
    def differences(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    database = open_database(any_database_url)
    try:
        assert await database.migrate(differences) == []
    finally:
        await database.dispose()
