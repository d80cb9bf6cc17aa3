"""Team use cases: a merchant's users as its owners and admins manage them.

Every change ends or changes what the user's live tokens may do within a second on every
process (the change log names the user or merchant; each process drops its cached state),
and writes its audit entry in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from jpay_server.domain.audit import OPERATOR, Actor
from jpay_server.domain.members import Member, Role
from jpay_server.domain.users import User, UserStatus, check_team_change
from jpay_server.errors import Conflict, NotFound
from jpay_server.services import accounts, limits
from jpay_server.services.accounts import Invitation
from jpay_server.services.audit import record
from jpay_server.services.context import Context
from jpay_server.services.merchant_apps import origin
from jpay_server.store import users as store
from jpay_server.store.changes import ChangeKind, record_change
from jpay_server.store.dashboard_sessions import end_user_sessions
from jpay_server.store.db import Database
from jpay_server.store.ratelimits import RateLimiter
from jpay_server.store.tables import MerchantRow


def user_not_found() -> NotFound:
    """No such user on the caller's merchant (another merchant's ids look the same)."""
    return NotFound("User not found", code="user_not_found")


def _member(conn: Connection, actor: Member, user_id: int) -> User:
    user = store.user_by_id(conn, user_id)
    if user is None or user.merchant_id != actor.merchant_id:
        raise user_not_found()
    return user


def _audit(
    conn: Connection,
    ctx: Context,
    actor: Member,
    action: str,
    user_id: int,
    ip: str | None,
    **details: object,
) -> None:
    record(
        conn,
        ctx.clock(),
        Actor.user(actor.user_id),
        actor.merchant_id,
        action,
        f"user:{user_id}",
        client_ip=ip,
        details=details,
    )


async def invite(
    ctx: Context,
    database: Database,
    limiter: RateLimiter,
    actor: Member,
    email: str,
    role: Role,
    ip: str | None,
) -> Invitation:
    """A team admin's invitation (`accounts.invite`), limited per recipient like every email."""
    await limits.hit(limiter, limits.emails_to(ctx.settings, email))
    by = origin(actor, ip)
    return await accounts.invite(ctx, database, actor.merchant_id, email, role, by, actor)


async def list_team(database: Database, actor: Member) -> list[User]:
    """The users of the actor's merchant."""
    return await database.read(lambda conn: store.users_of(conn, actor.merchant_id))


async def change_role(
    ctx: Context, database: Database, actor: Member, user_id: int, role: Role, ip: str | None
) -> User:
    """Give a user another role (owners only grant or take ownership; one owner stays)."""
    now = ctx.clock()

    def command(conn: Connection) -> User:
        user = _member(conn, actor, user_id)
        check_team_change(store.count_owners(conn, actor.merchant_id), user, role, actor)
        if role is not user.role:
            store.update_user(conn, user_id, now, role=role.value)
            record_change(conn, ChangeKind.USER, str(user_id), now)
            _audit(
                conn,
                ctx,
                actor,
                "user.change_role",
                user_id,
                ip,
                old_role=user.role.value,
                role=role.value,
            )
        changed = store.user_by_id(conn, user_id)
        assert changed is not None
        return changed

    return await database.write(command)


async def transfer_ownership(
    ctx: Context, database: Database, actor: Member, user_id: int, ip: str | None
) -> None:
    """An owner makes another member owner and becomes an admin, in one step."""
    now = ctx.clock()

    def command(conn: Connection) -> None:
        target = _member(conn, actor, user_id)
        if target.id == actor.user_id:
            raise Conflict("You already own this merchant", code="already_owner")
        if target.status is not UserStatus.ACTIVE:
            raise Conflict("Only an active member can become owner", code="member_not_active")
        store.update_user(conn, target.id, now, role=Role.OWNER.value)
        store.update_user(conn, actor.user_id, now, role=Role.ADMIN.value)
        for changed in (target.id, actor.user_id):
            record_change(conn, ChangeKind.USER, str(changed), now)
        _audit(conn, ctx, actor, "user.transfer_ownership", target.id, ip, old_owner=actor.user_id)

    await database.write(command)


async def remove_member(
    ctx: Context, database: Database, actor: Member, user_id: int, ip: str | None = None
) -> None:
    """Remove a user from the team: their tokens and sessions stop working within a second."""
    now = ctx.clock()

    def command(conn: Connection) -> None:
        user = _member(conn, actor, user_id)
        check_team_change(store.count_owners(conn, actor.merchant_id), user, None, actor)
        end_user_sessions(conn, user_id, now)
        store.delete_user(conn, user_id)
        record_change(conn, ChangeKind.USER, str(user_id), now)
        _audit(conn, ctx, actor, "user.remove", user_id, ip, email=user.email, role=user.role.value)

    await database.write(command)


async def require_mfa(
    ctx: Context, database: Database, actor: Member, required: bool, ip: str | None
) -> None:
    """Require (or stop requiring) a second factor of every member of the team."""
    now = ctx.clock()

    def command(conn: Connection) -> None:
        conn.execute(
            update(MerchantRow)
            .where(MerchantRow.id == actor.merchant_id)
            .values(require_mfa=required, updated_at=now)
        )
        record_change(conn, ChangeKind.MERCHANT, str(actor.merchant_id), now)
        record(
            conn,
            now,
            Actor.user(actor.user_id),
            actor.merchant_id,
            "merchant.require_mfa",
            f"merchant:{actor.merchant_id}",
            client_ip=ip,
            details={"required": required},
        )

    await database.write(command)


async def mfa_required(database: Database, merchant_id: int) -> bool:
    """Whether the merchant requires a second factor of its members."""
    return bool(
        await database.read(
            lambda conn: conn.execute(
                select(MerchantRow.require_mfa).where(MerchantRow.id == merchant_id)
            ).scalar()
        )
    )


async def set_user_status(
    ctx: Context, database: Database, user_id: int, status: UserStatus
) -> None:
    """Operator: disable or re-enable a user (a disabled user's tokens end within a second)."""
    now = ctx.clock()

    def command(conn: Connection) -> None:
        user = store.user_by_id(conn, user_id)
        if user is None:
            raise user_not_found()
        store.update_user(conn, user_id, now, status=status.value)
        if status is not UserStatus.ACTIVE:
            end_user_sessions(conn, user_id, now)
        record_change(conn, ChangeKind.USER, str(user_id), now)
        record(
            conn,
            now,
            OPERATOR,
            user.merchant_id,
            "user.set_status",
            f"user:{user_id}",
            details={"status": status.value},
        )

    await database.write(command)
