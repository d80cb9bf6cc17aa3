"""Account flows finished by emailed links: signup and verification, password reset, invites.

Each action writes its link token (as a digest), its email (in the outbox) and its audit
entry in one transaction: either all of it happened or none did. Answers never say whether
an address has an account: signup and forgot-password answer alike for every address.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from jpay_server.domain.allowlists import IPAddress
from jpay_server.domain.audit import Origin
from jpay_server.domain.links import (
    LIFETIMES,
    LinkPurpose,
    LinkToken,
    link_digest,
    link_url,
    new_link_token,
)
from jpay_server.domain.mail import (
    account_exists_email,
    invite_email,
    reset_email,
    verification_email,
)
from jpay_server.domain.members import Member, Role
from jpay_server.domain.merchants import clean_name
from jpay_server.domain.passwords import check_new_password, hash_password
from jpay_server.domain.users import UserStatus, clean_email
from jpay_server.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    invalid_link,
    permission_denied,
)
from jpay_server.services import limits
from jpay_server.services.audit import record, record_own
from jpay_server.services.context import Context
from jpay_server.services.mail import queue
from jpay_server.services.merchants import new_merchant
from jpay_server.services.users import email_taken
from jpay_server.store import links, users
from jpay_server.store.changes import ChangeKind, record_change
from jpay_server.store.dashboard_sessions import end_user_sessions
from jpay_server.store.db import Database
from jpay_server.store.ratelimits import RateLimiter
from jpay_server.store.tables import MerchantRow


@dataclass(frozen=True, slots=True)
class Invitation:
    """What an inviter is shown: the link (also emailed) and when it stops working."""

    invite_url: str
    expires_at: datetime
    email: str
    role: Role

    def __repr__(self) -> str:
        return f"Invitation(<redacted>, expires_at={self.expires_at})"


def signup_closed() -> PermissionDenied:
    """JPAY_SIGNUP=invite: merchants join by the operator's invitation."""
    return PermissionDenied(
        "Sign-up is by invitation only on this server", code="signup_invite_only"
    )


def _new_link(
    ctx: Context,
    conn: Connection,
    purpose: LinkPurpose,
    merchant_id: int,
    email: str,
    *,
    user_id: int | None = None,
    role: Role | None = None,
    created_by: int | None = None,
) -> tuple[str, LinkToken]:
    """Make and store a link token; returns the URL to email and what was stored."""
    now = ctx.clock()
    token = new_link_token(ctx.rand)
    link = LinkToken(
        digest=link_digest(ctx.keys.pepper, token),
        purpose=purpose,
        merchant_id=merchant_id,
        user_id=user_id,
        email=email,
        role=role,
        created_by=created_by,
        created_at=now,
        expires_at=now + LIFETIMES[purpose],
    )
    links.add_link(conn, link)
    return link_url(ctx.settings.public_url, purpose, token), link


def _url(ctx: Context, path: str) -> str:
    return ctx.settings.public_url.rstrip("/") + path


def _text(client: IPAddress | None) -> str | None:
    return str(client) if client is not None else None


async def _limit_emails(
    ctx: Context, limiter: RateLimiter, email: str, client: IPAddress | None
) -> None:
    """What sends email counts per client address and per recipient."""
    await limits.hit(
        limiter, limits.logins_from(ctx.settings, client), limits.emails_to(ctx.settings, email)
    )


async def signup(
    ctx: Context,
    database: Database,
    limiter: RateLimiter,
    business_name: str,
    email: str,
    password: str,
    client: IPAddress | None,
) -> None:
    """Open signup: a pending merchant, its unverified owner and a verification email.

    An address that already has an account gets an email saying so, and the caller gets the
    same answer as for a new one (after the same password hashing).
    """
    await _limit_emails(ctx, limiter, email, client)
    if ctx.settings.signup_mode != "open":
        raise signup_closed()
    name, email = clean_name(business_name), clean_email(email)
    check_new_password(password, email)
    hashed = await asyncio.to_thread(hash_password, password)
    now = ctx.clock()
    ip = _text(client)

    def command(conn: Connection) -> None:
        existing = users.user_by_email(conn, email)
        if existing is not None:
            notice = account_exists_email(
                existing.email,
                _url(ctx, "/dashboard/login"),
                _url(ctx, "/dashboard/forgot-password"),
            )
            queue(ctx, conn, notice)
            return
        merchant = new_merchant(ctx, conn, name, approved=False)
        user = users.add_user(
            conn, merchant.id, email, hashed, Role.OWNER, UserStatus.UNVERIFIED, now
        )
        url, _ = _new_link(ctx, conn, LinkPurpose.VERIFY_EMAIL, merchant.id, email, user_id=user.id)
        queue(ctx, conn, verification_email(email, name, url))
        details = {"email": email, "role": Role.OWNER.value}
        record_own(conn, now, user.id, merchant.id, "user.signup", client_ip=ip, details=details)

    await database.write(command)


def _take_link(ctx: Context, conn: Connection, token: str, purpose: LinkPurpose) -> LinkToken:
    """The usable link token, marked used now; else 400 invalid_link (which way is not said)."""
    digest = link_digest(ctx.keys.pepper, token)
    link = links.link_by_digest(conn, digest)
    now = ctx.clock()
    if link is None or not link.usable(purpose, now) or not links.use_link(conn, digest, now):
        raise invalid_link()
    return link


async def verify_email(
    ctx: Context, database: Database, limiter: RateLimiter, token: str, client: IPAddress | None
) -> None:
    """Confirm a signed-up user's address; the user can then log in."""
    await limits.hit(limiter, limits.links_from(ctx.settings, client))
    now = ctx.clock()

    def command(conn: Connection) -> None:
        link = _take_link(ctx, conn, token, LinkPurpose.VERIFY_EMAIL)
        user = users.user_by_id(conn, link.user_id) if link.user_id is not None else None
        if user is None:
            raise invalid_link()
        if user.status is UserStatus.UNVERIFIED:
            users.update_user(conn, user.id, now, status=UserStatus.ACTIVE.value)
            record_change(conn, ChangeKind.USER, str(user.id), now)
        record_own(conn, now, user.id, user.merchant_id, "user.verify_email")

    await database.write(command)


async def forgot_password(
    ctx: Context, database: Database, limiter: RateLimiter, email: str, client: IPAddress | None
) -> None:
    """Email a reset link if the address has an account; answer the same either way."""
    await _limit_emails(ctx, limiter, email, client)
    try:
        email = clean_email(email)
    except InvalidRequest:  # a malformed address has no account: the same silent answer
        return

    def command(conn: Connection) -> None:
        user = users.user_by_email(conn, email)
        if user is None or user.status is UserStatus.DISABLED:
            return
        links.end_links(conn, user.id, LinkPurpose.RESET_PASSWORD, ctx.clock())
        url, _ = _new_link(
            ctx, conn, LinkPurpose.RESET_PASSWORD, user.merchant_id, user.email, user_id=user.id
        )
        queue(ctx, conn, reset_email(user.email, url))

    await database.write(command)


async def _password_for_link(
    ctx: Context,
    database: Database,
    limiter: RateLimiter,
    token: str,
    purpose: LinkPurpose,
    password: str,
    client: IPAddress | None,
) -> str:
    """The hash of a new password chosen with a usable link (hashed before the write, which
    takes the link; a wrong token costs no hashing)."""
    await limits.hit(limiter, limits.links_from(ctx.settings, client))
    digest = link_digest(ctx.keys.pepper, token)
    found = await database.read(lambda conn: links.link_by_digest(conn, digest))
    if found is None or not found.usable(purpose, ctx.clock()):
        raise invalid_link()
    check_new_password(password, found.email)
    return await asyncio.to_thread(hash_password, password)


async def reset_password(
    ctx: Context,
    database: Database,
    limiter: RateLimiter,
    token: str,
    password: str,
    client: IPAddress | None,
) -> None:
    """Set a new password with a reset link; every session and token of the user ends."""
    hashed = await _password_for_link(
        ctx, database, limiter, token, LinkPurpose.RESET_PASSWORD, password, client
    )
    now = ctx.clock()
    ip = _text(client)

    def command(conn: Connection) -> None:
        link = _take_link(ctx, conn, token, LinkPurpose.RESET_PASSWORD)
        user = users.user_by_id(conn, link.user_id) if link.user_id is not None else None
        if user is None:
            raise invalid_link()
        values: dict[str, object] = {"password_hash": hashed}
        if user.status is UserStatus.UNVERIFIED:  # the link proved the address too
            values["status"] = UserStatus.ACTIVE.value
        users.update_user(conn, user.id, now, **values)
        users.end_tokens(conn, user.id, now)  # every token family of the user, everywhere
        end_user_sessions(conn, user.id, now)  # and every dashboard session
        record_change(conn, ChangeKind.USER, str(user.id), now)
        record_own(conn, now, user.id, user.merchant_id, "user.password_reset", client_ip=ip)

    await database.write(command)


def _merchant_name(conn: Connection, merchant_id: int) -> str | None:
    return conn.execute(select(MerchantRow.name).where(MerchantRow.id == merchant_id)).scalar()


async def invite(
    ctx: Context,
    database: Database,
    merchant_id: int,
    email: str,
    role: Role,
    by: Origin,
    inviter: Member | None = None,
) -> Invitation:
    """Invite someone to a merchant's team (operator or team admin): a link, emailed.

    An address already on this team is a 409; one with an account elsewhere is invited like
    any other (accepting then fails), so an invitation tells the inviter nothing about it.
    """
    email = clean_email(email)
    now = ctx.clock()

    def command(conn: Connection) -> Invitation:
        name = _merchant_name(conn, merchant_id)
        if name is None:
            raise NotFound(f"merchant {merchant_id} not found", code="merchant_not_found")
        existing = users.user_by_email(conn, email)
        if existing is not None and existing.merchant_id == merchant_id:
            raise Conflict("This person is already on the team", code="already_member")
        if inviter is not None and role is Role.OWNER and inviter.role is not Role.OWNER:
            raise permission_denied()
        creator = inviter.user_id if inviter is not None else None
        url, link = _new_link(
            ctx, conn, LinkPurpose.INVITE, merchant_id, email, role=role, created_by=creator
        )
        queue(ctx, conn, invite_email(email, name, role, url))
        record(
            conn,
            now,
            by.actor,
            merchant_id,
            "user.invite",
            f"email:{email}",
            client_ip=by.client_ip,
            details={"email": email, "role": role.value},
        )
        return Invitation(url, link.expires_at, email, role)

    return await database.write(command)


async def accept_invite(
    ctx: Context,
    database: Database,
    limiter: RateLimiter,
    token: str,
    password: str,
    client: IPAddress | None,
) -> tuple[int, int, Role]:
    """Join the team with an invitation: the user (active: the link proved the address)."""
    hashed = await _password_for_link(
        ctx, database, limiter, token, LinkPurpose.INVITE, password, client
    )
    now = ctx.clock()
    ip = _text(client)

    def command(conn: Connection) -> tuple[int, int, Role]:
        link = _take_link(ctx, conn, token, LinkPurpose.INVITE)
        if users.user_by_email(conn, link.email) is not None:
            raise email_taken()
        role = link.role or Role.VIEWER
        user = users.add_user(
            conn, link.merchant_id, link.email, hashed, role, UserStatus.ACTIVE, now
        )
        details = {"role": role.value}
        action = "user.accept_invite"
        record_own(conn, now, user.id, link.merchant_id, action, client_ip=ip, details=details)
        return user.id, link.merchant_id, role

    return await database.write(command)
