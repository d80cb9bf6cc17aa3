"""The permission table, route by route and role by role, and the audit entry of each change."""

from __future__ import annotations

import pytest

from jpay_server.domain.members import Role, allows
from tests.harness import API, Harness
from tests.merchant.conftest import call, fill, fill_body, seat
from tests.merchant.routes import ROUTES

pytestmark = pytest.mark.anyio


async def served_merchant_routes(h: Harness) -> set[tuple[str, str]]:
    """Every (method, path) under /api/v1/merchant the app documents (so, serves)."""
    paths = (await h.client.get("/openapi.json")).json()["paths"]
    found = set()
    for path, operations in paths.items():
        short = path.removeprefix(API)
        if short == "/merchant" or short.startswith("/merchant/"):
            found |= {(method.upper(), short) for method in operations}
    return found


async def test_the_table_covers_every_merchant_route(harness: Harness) -> None:
    assert await served_merchant_routes(harness) == {(r.method, r.path) for r in ROUTES}


@pytest.mark.parametrize("role", list(Role))
async def test_every_route_answers_each_role_as_the_permission_table_says(
    harness: Harness, role: Role
) -> None:
    h = harness
    s = await seat(h, role)
    for route in ROUTES:
        response = await call(h, s, route.method, route.path, route.body)
        where = f"{role} {route.method} {route.path}: {response.status_code} {response.text}"
        if allows(role, route.permission):
            assert response.status_code in (200, 201, 202, 204), where
        else:
            assert response.status_code == 403, where
            assert response.json()["code"] == "permission_denied", where


async def test_each_change_writes_its_audit_entry(harness: Harness) -> None:
    h = harness
    s = await seat(h, Role.OWNER)
    before = (await call(h, s, "GET", "/merchant/audit?limit=1")).json()["results"][0]["id"]
    for route in ROUTES:
        response = await call(h, s, route.method, route.path, route.body)
        assert response.status_code in (200, 201, 202, 204), f"{route.path}: {response.text}"
        newest = (await call(h, s, "GET", "/merchant/audit?limit=1")).json()["results"]
        if route.action is None:
            continue
        [entry] = newest
        assert entry["action"] == route.action, route.path
        assert entry["actor"] == f"user:{s.login.user_id}"
        assert entry["client_ip"] == "127.0.0.1"
        assert entry["target"].startswith(("app:", "user:", "merchant:", "email:"))
    # Reads write nothing: the entries are exactly the changes, in order.
    entries = (await call(h, s, "GET", "/merchant/audit?limit=200")).json()["results"]
    mine = [e["action"] for e in entries if e["id"] > before]
    assert {e["actor"] for e in entries if e["id"] > before} == {f"user:{s.login.user_id}"}
    assert mine == [r.action for r in reversed(ROUTES) if r.action]


async def test_an_app_token_gets_user_token_required(harness: Harness) -> None:
    h = harness
    s = await seat(h, Role.OWNER)
    creds = await h.app_credentials()
    app_access = (await h.tokens(creds))["access"]
    for route in ROUTES:
        response = await h.client.request(
            route.method,
            f"{API}{fill(route.path, s)}",
            headers={"Authorization": f"Bearer {app_access}"},
            json=fill_body(route.body, s),
        )
        assert response.status_code == 403, route.path
        assert response.json()["code"] == "user_token_required", route.path
