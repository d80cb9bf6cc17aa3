"""Merchant user changes bite on live user tokens within a second on every process."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from jpay_server.domain.members import Role
from tests.e2e.test_multiprocess import wait_for
from tests.members import create_member

pytestmark = pytest.mark.e2e
API = "/api/v1"


def login(base: str, member) -> str:
    body = {"email": member.email, "password": member.password}
    response = httpx.post(f"{base}{API}/auth/login", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["access"])


def team_status(base: str, access: str) -> tuple[int, str | None]:
    response = httpx.get(
        f"{base}{API}/merchant/users", headers={"Authorization": f"Bearer {access}"}, timeout=10
    )
    return response.status_code, response.json().get(
        "code"
    ) if response.status_code != 200 else None


def test_removing_a_member_ends_its_tokens_on_both_processes(deployment):
    a, b = deployment.servers
    url = deployment.env["JPAY_DATABASE_URL"]
    owner = asyncio.run(create_member(url, Role.OWNER))
    viewer = asyncio.run(create_member(url, Role.VIEWER, merchant_id=owner.merchant_id))
    owner_access, viewer_access = login(a.base_url, owner), login(b.base_url, viewer)
    assert (
        team_status(a.base_url, viewer_access)
        == team_status(b.base_url, viewer_access)
        == (
            200,
            None,
        )
    )
    removed = httpx.delete(
        f"{b.base_url}{API}/merchant/users/{viewer.user_id}",
        headers={"Authorization": f"Bearer {owner_access}"},
        timeout=10,
    )
    assert removed.status_code == 204
    committed = time.monotonic()
    for server in (a, b):
        wait_for(
            lambda server=server: (
                team_status(server.base_url, viewer_access) == (401, "token_revoked")
            )
        )
    assert time.monotonic() - committed < 1.0


def test_a_role_change_bites_within_a_second_on_both_processes(deployment):
    a, b = deployment.servers
    url = deployment.env["JPAY_DATABASE_URL"]
    owner = asyncio.run(create_member(url, Role.OWNER))
    admin = asyncio.run(create_member(url, Role.ADMIN, merchant_id=owner.merchant_id))
    owner_access, admin_access = login(a.base_url, owner), login(a.base_url, admin)
    require = f"{API}/merchant/users/require-mfa"

    def may_manage(base: str) -> int:
        return httpx.put(
            f"{base}{require}",
            json={"required": False},
            headers={"Authorization": f"Bearer {admin_access}"},
            timeout=10,
        ).status_code

    assert may_manage(a.base_url) == may_manage(b.base_url) == 200
    changed = httpx.put(
        f"{a.base_url}{API}/merchant/users/{admin.user_id}/role",
        json={"role": "viewer"},
        headers={"Authorization": f"Bearer {owner_access}"},
        timeout=10,
    )
    assert changed.status_code == 200
    committed = time.monotonic()
    for server in (a, b):
        wait_for(lambda server=server: may_manage(server.base_url) == 403)
    assert time.monotonic() - committed < 1.0
