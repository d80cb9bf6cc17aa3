"""Dashboard sessions: open, look up, complete the second factor, flash once, sign out."""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection

from jpay_server.domain.dashboard_sessions import (
    TOKEN_BYTES,
    DashboardSession,
    SessionPolicy,
    Stage,
    seal_key,
    session_id,
)
from jpay_server.domain.secrets import NONCE_BYTES, seal, unseal
from jpay_server.services.context import Context
from jpay_server.store import dashboard_sessions as store
from jpay_server.store.db import Database


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a session is for: the user, their merchant, their token epoch at sign-in."""

    user_id: int
    merchant_id: int
    token_epoch: int


@dataclass(frozen=True, slots=True)
class Opened:
    """A new session and the token for its cookie (the only place the token goes)."""

    token: str
    session: DashboardSession


def policy(ctx: Context) -> SessionPolicy:
    """The idle and absolute lifetimes from the settings."""
    return SessionPolicy(
        idle=timedelta(seconds=ctx.settings.dashboard_idle_timeout),
        absolute=timedelta(seconds=ctx.settings.dashboard_absolute_timeout),
    )


def _new(ctx: Context, who: SignedIn, stage: Stage, client_ip: str, user_agent: str) -> Opened:
    token = base64.urlsafe_b64encode(ctx.rand(TOKEN_BYTES)).decode().rstrip("=")
    now = ctx.clock()
    session = DashboardSession(
        id=session_id(ctx.keys.pepper, token),
        user_id=who.user_id,
        merchant_id=who.merchant_id,
        user_epoch=who.token_epoch,
        stage=stage,
        csrf_token=ctx.rand(24).hex(),
        client_ip=client_ip[:45],
        user_agent=user_agent[:200],
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy(ctx).absolute,
        ended_at=None,
    )
    return Opened(token, session)


def _seal(ctx: Context, token: str, sid: str, text: str) -> bytes:
    return seal(seal_key(token), text.encode(), sid.encode(), ctx.rand(NONCE_BYTES))


def _unseal(token: str, sid: str, sealed: bytes | None) -> str | None:
    if sealed is None:
        return None
    try:
        return unseal(seal_key(token), sealed, sid.encode()).decode()
    except InvalidTag:
        return None


async def open_session(
    ctx: Context,
    database: Database,
    who: SignedIn,
    client_ip: str,
    user_agent: str,
    *,
    mfa_ticket: str | None = None,
) -> Opened:
    """Start a session; with `mfa_ticket` it is half signed in until the second factor."""
    stage = Stage.FULL if mfa_ticket is None else Stage.MFA
    opened = _new(ctx, who, stage, client_ip, user_agent)
    sid = opened.session.id
    pending = None if mfa_ticket is None else _seal(ctx, opened.token, sid, mfa_ticket)
    await database.write(lambda conn: store.add_session(conn, opened.session, pending))
    return opened


async def current_session(
    ctx: Context, database: Database, token: str, *, stage: Stage = Stage.FULL
) -> DashboardSession | None:
    """The live session a cookie token names, at the given stage; None if there is none."""
    sid = session_id(ctx.keys.pepper, token)
    found = await database.read(lambda conn: store.session_by_id(conn, sid))
    now = ctx.clock()
    rules = policy(ctx)
    if found is None or found.stage is not stage or not rules.is_live(found, now):
        return None
    if rules.needs_touch(found, now):
        await database.write(lambda conn: store.touch_session(conn, sid, now))
        found = replace(found, last_seen_at=now)
    return found


async def mfa_ticket(ctx: Context, database: Database, token: str) -> str | None:
    """The second-factor ticket of a half-signed-in session (it ends with the session)."""
    session = await current_session(ctx, database, token, stage=Stage.MFA)
    if session is None:
        return None
    sealed = await database.read(lambda conn: store.pending_of(conn, session.id))
    return _unseal(token, session.id, sealed)


async def complete_sign_in(
    ctx: Context, database: Database, token: str, client_ip: str, user_agent: str
) -> Opened | None:
    """Swap a half-signed-in session for a full one under a new token (no fixation)."""
    old = await current_session(ctx, database, token, stage=Stage.MFA)
    if old is None:
        return None
    who = SignedIn(old.user_id, old.merchant_id, old.user_epoch)
    opened = _new(ctx, who, Stage.FULL, client_ip, user_agent)
    done = await database.write(lambda conn: store.complete_session(conn, old.id, opened.session))
    return opened if done else None


async def put_flash(ctx: Context, database: Database, token: str, text: str) -> None:
    """Keep a message (e.g. a new secret) sealed for the next page of this session only."""
    sid = session_id(ctx.keys.pepper, token)
    sealed = _seal(ctx, token, sid, text)
    await database.write(lambda conn: store.set_flash(conn, sid, sealed))


async def take_flash(ctx: Context, database: Database, token: str) -> str | None:
    """The session's one-time message, gone once read."""
    sid = session_id(ctx.keys.pepper, token)
    sealed = await database.write(lambda conn: store.take_flash(conn, sid))
    return _unseal(token, sid, sealed)


async def list_sessions(ctx: Context, database: Database, user_id: int) -> list[DashboardSession]:
    """A user's live sessions, most recently used first."""
    now = ctx.clock()
    rules = policy(ctx)
    found = await database.read(lambda conn: store.sessions_of_user(conn, user_id, now))
    return [session for session in found if rules.is_live(session, now)]


async def sign_out(ctx: Context, database: Database, token: str) -> None:
    """End this browser's session."""
    sid = session_id(ctx.keys.pepper, token)
    now = ctx.clock()
    await database.write(lambda conn: store.end_session(conn, sid, now))


async def end_session_of_user(ctx: Context, database: Database, user_id: int, sid: str) -> None:
    """End one of the user's own sessions, by its id (from the account page)."""
    now = ctx.clock()

    def end(conn: Connection) -> None:
        found = store.session_by_id(conn, sid)
        if found is not None and found.user_id == user_id:
            store.end_session(conn, sid, now)

    await database.write(end)


async def sign_out_everywhere(ctx: Context, database: Database, user_id: int) -> int:
    """End every dashboard session of a user; the number ended."""
    now = ctx.clock()
    return await database.write(lambda conn: store.end_user_sessions(conn, user_id, now))
