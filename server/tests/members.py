"""Merchant users for tests: a merchant and a user of a given role, with a known password.

    login = await create_member(harness, Role.DEVELOPER)            # in-process harness
    login = await create_member(database_url, "viewer", status="pending")   # any database
    tokens = await login_tokens(harness.client, login)

`status` is the merchant's (approved, pending or suspended); pass `merchant_id` to add
another user to an existing merchant instead of creating one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx

from jpay_server.domain.members import Role
from jpay_server.domain.merchants import MerchantStatus
from jpay_server.services import merchants
from jpay_server.services.context import Context
from jpay_server.services.users import add_member
from jpay_server.settings import Settings
from jpay_server.store.db import Database, open_database

API = "/api/v1"
SECRET_KEY = "test-secret-key-with-at-least-32-characters-0123456789"


@dataclass(frozen=True)
class MemberLogin:
    """What a test needs to act as the user: email and password (and the ids)."""

    email: str
    password: str
    user_id: int
    merchant_id: int
    role: Role


def new_password() -> str:
    """A password the rules accept (long, random, never a common one)."""
    return "pw-" + secrets.token_urlsafe(18)


async def _on(
    database: Database,
    ctx: Context,
    role: Role,
    status: MerchantStatus,
    merchant_id: int | None,
    email: str | None,
    password: str,
) -> MemberLogin:
    if merchant_id is None:
        merchant = await merchants.create_merchant(
            ctx, database, "Member test merchant", status is not MerchantStatus.PENDING
        )
        merchant_id = merchant.id
        if status is MerchantStatus.SUSPENDED:
            await merchants.suspend_merchant(ctx, database, merchant_id)
    email = email or f"{role.value}-{secrets.token_hex(4)}@example.com"
    user = await add_member(ctx, database, merchant_id, email, password, role)
    return MemberLogin(email, password, user.id, merchant_id, role)


async def create_member(
    target: Any,
    role: Role | str = Role.OWNER,
    *,
    status: MerchantStatus | str = MerchantStatus.APPROVED,
    merchant_id: int | None = None,
    email: str | None = None,
    password: str | None = None,
) -> MemberLogin:
    """Create (a merchant and) a user on a harness or a database URL; return how to log in."""
    role, status, password = Role(role), MerchantStatus(status), password or new_password()
    if isinstance(target, str):
        ctx = Context.from_settings(Settings(secret_key=SECRET_KEY))  # type: ignore[arg-type]
        database = open_database(target)
        try:
            return await _on(database, ctx, role, status, merchant_id, email, password)
        finally:
            await database.dispose()
    rt = target.runtime
    return await _on(rt.database, rt.ctx, role, status, merchant_id, email, password)


async def login_tokens(client: httpx.AsyncClient, member: MemberLogin) -> dict[str, Any]:
    """POST /auth/login as the member; the 200 body (access, refresh, ...)."""
    response = await client.post(
        f"{API}/auth/login", json={"email": member.email, "password": member.password}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
