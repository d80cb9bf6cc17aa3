"""Dashboard sessions through the service, on both backends, with a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from jpay_server.domain.dashboard_sessions import TOUCH_EVERY, Stage
from jpay_server.services import dashboard_sessions as sessions
from jpay_server.services import merchants
from jpay_server.services.context import Context
from jpay_server.services.dashboard_sessions import SignedIn
from jpay_server.settings import Settings
from jpay_server.store.db import Database, open_database
from tests.conftest import FrozenClock

pytestmark = pytest.mark.anyio


@pytest.fixture
async def env(
    make_settings: Callable[..., Settings], any_database_url: str, clock: FrozenClock
) -> AsyncIterator[tuple[Context, Database, int]]:
    settings = make_settings(database_url=any_database_url)
    ctx = Context.from_settings(settings, clock)
    database = open_database(any_database_url)
    merchant = await merchants.create_merchant(ctx, database, "Sessions", True)
    yield ctx, database, merchant.id
    await database.dispose()


async def test_a_session_ends_after_30_idle_minutes_and_not_before(
    env: tuple[Context, Database, int], clock: FrozenClock
) -> None:
    ctx, database, merchant_id = env
    opened = await sessions.open_session(
        ctx, database, SignedIn(1, merchant_id, 0), "127.0.0.1", "t"
    )
    clock.advance(29 * 60)
    assert await sessions.current_session(ctx, database, opened.token) is not None
    clock.advance(29 * 60)  # the request above pushed the idle end back
    assert await sessions.current_session(ctx, database, opened.token) is not None
    clock.advance(30 * 60 + 1)
    assert await sessions.current_session(ctx, database, opened.token) is None


async def test_a_busy_session_still_ends_12_hours_after_it_began(
    env: tuple[Context, Database, int], clock: FrozenClock
) -> None:
    ctx, database, merchant_id = env
    opened = await sessions.open_session(
        ctx, database, SignedIn(1, merchant_id, 0), "127.0.0.1", "t"
    )
    for _ in range(12 * 4 - 1):
        clock.advance(15 * 60)
        assert await sessions.current_session(ctx, database, opened.token) is not None
    clock.advance(15 * 60)
    assert await sessions.current_session(ctx, database, opened.token) is None


async def test_the_database_holds_no_usable_cookie(env: tuple[Context, Database, int]) -> None:
    ctx, database, merchant_id = env
    opened = await sessions.open_session(
        ctx, database, SignedIn(1, merchant_id, 0), "127.0.0.1", "t"
    )
    assert opened.session.id != opened.token
    assert opened.token not in opened.session.id
    assert await sessions.current_session(ctx, database, opened.session.id) is None


async def test_a_flash_is_read_once_and_only_with_the_cookie(
    env: tuple[Context, Database, int],
) -> None:
    ctx, database, merchant_id = env
    opened = await sessions.open_session(
        ctx, database, SignedIn(1, merchant_id, 0), "127.0.0.1", "t"
    )
    await sessions.put_flash(ctx, database, opened.token, "jps_secret")
    assert await sessions.take_flash(ctx, database, opened.token) == "jps_secret"
    assert await sessions.take_flash(ctx, database, opened.token) is None


async def test_the_second_factor_step_swaps_the_session_for_a_new_one(
    env: tuple[Context, Database, int], clock: FrozenClock
) -> None:
    ctx, database, merchant_id = env
    half = await sessions.open_session(
        ctx, database, SignedIn(1, merchant_id, 0), "::1", "t", mfa_ticket="ticket-1"
    )
    assert await sessions.current_session(ctx, database, half.token) is None
    assert await sessions.mfa_ticket(ctx, database, half.token) == "ticket-1"
    assert await sessions.mfa_ticket(ctx, database, half.session.id) is None
    full = await sessions.complete_sign_in(ctx, database, half.token, "127.0.0.1", "t")
    assert full is not None
    assert full.token != half.token
    assert full.session.stage is Stage.FULL
    assert await sessions.current_session(ctx, database, full.token) is not None
    assert await sessions.complete_sign_in(ctx, database, half.token, "1.2.3.4", "t") is None
    assert await sessions.mfa_ticket(ctx, database, half.token) is None


async def test_sign_out_everywhere_ends_only_that_users_sessions(
    env: tuple[Context, Database, int], clock: FrozenClock
) -> None:
    ctx, database, merchant_id = env
    mine = [
        await sessions.open_session(ctx, database, SignedIn(5, merchant_id, 0), "::1", "t")
        for _ in "ab"
    ]
    other = await sessions.open_session(ctx, database, SignedIn(6, merchant_id, 0), "::1", "t")
    assert len(await sessions.list_sessions(ctx, database, 5)) == 2
    assert await sessions.sign_out_everywhere(ctx, database, 5) == 2
    for opened in mine:
        assert await sessions.current_session(ctx, database, opened.token) is None
    assert await sessions.current_session(ctx, database, other.token) is not None


async def test_last_seen_is_written_at_most_once_a_minute(
    env: tuple[Context, Database, int], clock: FrozenClock
) -> None:
    ctx, database, merchant_id = env
    opened = await sessions.open_session(
        ctx, database, SignedIn(1, merchant_id, 0), "127.0.0.1", "t"
    )
    clock.advance(TOUCH_EVERY.total_seconds() - 1)
    seen = await sessions.current_session(ctx, database, opened.token)
    assert seen is not None
    assert seen.last_seen_at == opened.session.last_seen_at
    clock.advance(1)
    seen = await sessions.current_session(ctx, database, opened.token)
    assert seen is not None
    assert seen.last_seen_at == opened.session.last_seen_at + TOUCH_EVERY
    assert seen.last_seen_at - seen.created_at == timedelta(seconds=60)
