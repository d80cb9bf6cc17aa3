"""A change log that goes backwards (a restored backup, a failover that lost its tail)."""

from __future__ import annotations

import sqlite3

import pytest

from jpay_server.services import apps, merchants

pytestmark = pytest.mark.anyio


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite+aiosqlite:///")


def copy_database(source: str, target: str) -> None:
    """SQLite's online backup: page by page, seen at once by every open connection."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


@pytest.mark.parametrize("changes_after_restore", [0, 4])
async def test_changes_after_a_restore_are_applied(
    harness, database_url, tmp_path, clock, changes_after_restore
):
    live, backup = sqlite_path(database_url), str(tmp_path / "backup.db")
    creds = await harness.app_credentials()
    other = await harness.app_credentials()
    access = (await harness.tokens(creds))["access"]
    await harness.sync()
    copy_database(live, backup)  # the backup
    for cidr in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"):  # the tail to be lost
        await harness.run(lambda c, d, n=cidr: apps.allow_ip(c, d, other.app.app_code, n))
    await harness.sync()
    copy_database(backup, live)  # restored: the log's head is three changes back
    clock.advance(60)  # a restore takes a while; the frozen clock would stamp alike
    merchant_id = creds.app.merchant_id
    await harness.run(lambda c, d: merchants.suspend_merchant(c, d, merchant_id))
    for n in range(changes_after_restore):  # enough to carry the head past where we were
        await harness.run(
            lambda c, d, n=n: apps.allow_ip(c, d, other.app.app_code, f"10.{n}.0.0/16")
        )
    await harness.sync()
    assert (await harness.checkouts(access)).json()["code"] == "account_suspended"


async def test_a_family_revoked_in_the_lost_tail_stays_revoked(harness, database_url, tmp_path):
    """What this process saw revoked stays revoked: a restore must not revive a stolen login."""
    live, backup = sqlite_path(database_url), str(tmp_path / "backup.db")
    creds = await harness.app_credentials()
    tokens = await harness.tokens(creds)
    copy_database(live, backup)
    revoked = await harness.client.post("/api/v1/auth/revoke", json={"token": tokens["access"]})
    assert revoked.status_code == 200
    await harness.sync()
    copy_database(backup, live)
    await harness.run(lambda c, d: apps.allow_ip(c, d, creds.app.app_code, "127.0.0.0/8"))
    await harness.sync()
    assert (await harness.checkouts(tokens["access"])).json()["code"] == "token_revoked"
