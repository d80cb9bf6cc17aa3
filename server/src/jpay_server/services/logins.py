"""Live logins of an app: recorded behind the token endpoint, listed and revoked by merchants.

Issuing tokens writes nothing (services/tokens.py), so a login is noted in a write-behind
queue and recorded within a second. The last refresh comes from the refresh-use rows the
refresh endpoint writes anyway; the end is the family's absolute end or its revocation.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection

from jpay_server.clock import Clock
from jpay_server.domain.logins import Login, LoginStart
from jpay_server.domain.members import Member
from jpay_server.errors import NotFound
from jpay_server.services import apps as app_service
from jpay_server.services.audit import record_by
from jpay_server.services.context import Context
from jpay_server.services.merchant_apps import origin
from jpay_server.services.tokens import TokenGrant, revoke_family
from jpay_server.services.write_behind import WriteBehind
from jpay_server.store.db import Database
from jpay_server.store.logins import add_logins, logins_of, prune_logins

MAX_PENDING = 20_000
KEEP_ENDED = timedelta(days=1)  # an ended login is listed nowhere; kept a day for support


class LoginLog(WriteBehind[LoginStart]):
    """A process's logins not yet recorded."""

    name = "login log"

    def __init__(self, database: Database, clock: Clock, max_pending: int = MAX_PENDING) -> None:
        super().__init__(database, max_pending)
        self.clock = clock

    def note_grant(self, grant: TokenGrant, client_ip: str | None) -> None:
        """Queue the login a token grant started."""
        if grant.started_at is not None and grant.ends_at is not None:
            self.note(
                LoginStart(
                    grant.family_id, grant.app_code, grant.started_at, grant.ends_at, client_ip
                )
            )

    def write(self, conn: Connection, batch: list[LoginStart]) -> None:
        add_logins(conn, batch)
        prune_logins(conn, self.clock() - KEEP_ENDED)


async def live_logins(
    ctx: Context, database: Database, member: Member, app_code: int
) -> list[Login]:
    """The app's logins that have not ended, newest first."""
    await app_service.get_app(database, app_code, by=origin(member, None))
    now = ctx.clock()
    return await database.read(lambda conn: logins_of(conn, app_code, now))


async def revoke_logins(
    ctx: Context,
    database: Database,
    logins: LoginLog,
    member: Member,
    client_ip: str | None,
    app_code: int,
    family_id: str | None,
) -> int:
    """End one login of the app (or all of them): its tokens stop within a second.

    Logins this process noted but has not written yet are written first; another process's
    last second of logins may be missed by "all" (rotate the secret to end everything).
    """
    by = origin(member, client_ip)
    await logins.flush()

    def command(conn: Connection) -> int:
        app = app_service.app_of(conn, app_code, for_update=True, by=by)
        now = ctx.clock()
        found = logins_of(conn, app_code, now, family_id)
        if family_id is not None and not found:
            raise NotFound("Login not found", code="login_not_found")
        reason = "revoked_by_merchant"
        ended = sum(revoke_family(ctx, conn, x.family_id, app_code, reason) for x in found)
        action = "app.revoke_login" if family_id else "app.revoke_all_logins"
        details = {"family_id": family_id, "revoked": ended}
        record_by(conn, now, by, app.merchant_id, action, f"app:{app_code}", details)
        return ended

    return await database.write(command)
