"""A merchant world for the merchant-API tests: members of each role, apps, logins, events."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx

from jpay_server.domain.members import Role
from jpay_server.services import apps
from tests.harness import API, Harness
from tests.members import MemberLogin, create_member, login_tokens


@dataclass
class Seat:
    """A member of one merchant, signed in, with one app of that merchant and its traces."""

    login: MemberLogin
    access: str
    app_code: int
    app_key: str
    app_secret: str
    family_id: str
    event_id: str
    user_id: int  # a viewer on the same team, for the team routes
    heir_id: int  # another viewer, to transfer ownership to

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


async def seat(h: Harness, role: Role | str, client: httpx.AsyncClient | None = None) -> Seat:
    """A new approved merchant, a member of `role` on it, and an app with a login and an event."""
    login = await create_member(h, role)
    tokens = await login_tokens(h.client, login)
    created = await h.run(lambda c, d: apps.create_app(c, d, login.merchant_id, name="App"))
    code = created.app.app_code
    await h.run(lambda c, d: apps.set_webhook_url(c, d, code, "https://example.com/jpay-hooks"))
    await h.sync()
    app_tokens = await h.tokens(created)
    await h.runtime.logins.flush()
    assert app_tokens["access"]
    owner = await _owner_headers(h, login)
    sent = await h.client.post(f"{API}/merchant/apps/{code}/webhook-events/test", headers=owner)
    assert sent.status_code == 202, sent.text
    listed = await h.client.get(f"{API}/merchant/apps/{code}/logins", headers=owner)
    [family] = listed.json()["results"]
    teammate = await create_member(h, Role.VIEWER, merchant_id=login.merchant_id)
    heir = await create_member(h, Role.VIEWER, merchant_id=login.merchant_id)
    return Seat(
        login,
        tokens["access"],
        code,
        created.app.app_key,
        created.app_secret,
        family["family_id"],
        sent.json()["id"],
        teammate.user_id,
        heir.user_id,
    )


async def _owner_headers(h: Harness, login: MemberLogin) -> dict[str, str]:
    if login.role is Role.OWNER:
        owner = login
    else:
        owner = await create_member(h, Role.OWNER, merchant_id=login.merchant_id)
    tokens = await login_tokens(h.client, owner)
    return {"Authorization": f"Bearer {tokens['access']}"}


def fill(path: str, s: Seat) -> str:
    """A route's path with a seat's ids."""
    return (
        path.replace("{app_code}", str(s.app_code))
        .replace("{family_id}", s.family_id)
        .replace("{event_id}", s.event_id)
        .replace("{user_id}", str(s.user_id))
    )


def fill_body(body: Any, s: Seat) -> Any:
    """A route's body with a seat's ids (and a new address for each invitation)."""
    if body is None:
        return None
    values = {"{heir_id}": s.heir_id, "{new_email}": f"new-{secrets.token_hex(4)}@example.com"}
    return {k: values.get(v, v) if isinstance(v, str) else v for k, v in body.items()}


def names_ids(route_path: str, body: Any) -> bool:
    """True if a route's path or body names an object by id."""
    return "{" in route_path or "{heir_id}" in str(body)


async def call(h: Harness, s: Seat, method: str, path: str, body: Any = None) -> httpx.Response:
    kwargs: dict[str, Any] = {"headers": s.headers()}
    if body is not None:
        kwargs["json"] = fill_body(body, s)
    return await h.client.request(method, f"{API}{fill(path, s)}", **kwargs)
