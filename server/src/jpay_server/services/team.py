"""Team use cases: a merchant's users as its owners and admins manage them.

Every change ends or changes what the user's live tokens may do within a second on every
process: the change log names the user, and each process drops its cached state.
"""

from __future__ import annotations

from sqlalchemy import Connection

from jpay_server.domain.members import Member, Role
from jpay_server.domain.users import User, UserStatus, check_team_change
from jpay_server.errors import NotFound
from jpay_server.services.context import Context
from jpay_server.store import users as store
from jpay_server.store.changes import ChangeKind, record_change
from jpay_server.store.db import Database


def user_not_found() -> NotFound:
    """No such user on the caller's merchant (another merchant's ids look the same)."""
    return NotFound("User not found", code="user_not_found")


def _member(conn: Connection, actor: Member, user_id: int) -> User:
    user = store.user_by_id(conn, user_id)
    if user is None or user.merchant_id != actor.merchant_id:
        raise user_not_found()
    return user


async def list_team(database: Database, actor: Member) -> list[User]:
    """The users of the actor's merchant."""
    return await database.read(lambda conn: store.users_of(conn, actor.merchant_id))


async def change_role(
    ctx: Context, database: Database, actor: Member, user_id: int, role: Role
) -> User:
    """Give a user another role (owners only grant or take ownership)."""
    now = ctx.clock()

    def command(conn: Connection) -> User:
        user = _member(conn, actor, user_id)
        check_team_change(store.count_owners(conn, actor.merchant_id), user, role, actor)
        if role is not user.role:
            store.update_user(conn, user_id, now, role=role.value)
            record_change(conn, ChangeKind.USER, str(user_id), now)
            # audit: record(conn, actor, "user.role_changed", ...) once the audit log is on main
        changed = store.user_by_id(conn, user_id)
        assert changed is not None
        return changed

    return await database.write(command)


async def remove_member(ctx: Context, database: Database, actor: Member, user_id: int) -> None:
    """Remove a user from the team: their tokens stop working within a second."""
    now = ctx.clock()

    def command(conn: Connection) -> None:
        user = _member(conn, actor, user_id)
        check_team_change(store.count_owners(conn, actor.merchant_id), user, None, actor)
        store.delete_user(conn, user_id)
        record_change(conn, ChangeKind.USER, str(user_id), now)
        # audit: record(conn, actor, "user.removed", ...) once the audit log is on main

    await database.write(command)


async def set_user_status(
    ctx: Context, database: Database, user_id: int, status: UserStatus
) -> None:
    """Operator: disable or re-enable a user (a disabled user's tokens end within a second)."""
    now = ctx.clock()

    def command(conn: Connection) -> None:
        if store.user_by_id(conn, user_id) is None:
            raise user_not_found()
        store.update_user(conn, user_id, now, status=status.value)
        record_change(conn, ChangeKind.USER, str(user_id), now)

    await database.write(command)
