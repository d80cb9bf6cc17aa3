"""The merchant API over real HTTP on two server processes: a merchant's change bites on both."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from jpay_server.domain.members import Role
from tests.e2e.test_multiprocess import get_tokens, status, wait_for
from tests.members import create_member

pytestmark = pytest.mark.e2e
API = "/api/v1"


def test_a_merchant_allowlist_change_bites_within_a_second_on_every_process(deployment):
    a, b = deployment.servers
    member = asyncio.run(create_member(deployment.env["JPAY_DATABASE_URL"], Role.DEVELOPER))
    login = httpx.post(
        f"{a.base_url}{API}/auth/login",
        json={"email": member.email, "password": member.password},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    user = {"Authorization": f"Bearer {login.json()['access']}"}
    created = httpx.post(
        f"{b.base_url}{API}/merchant/apps", json={"name": "E2E"}, headers=user, timeout=10
    )
    assert created.status_code == 201, created.text
    app = created.json()
    base = f"{a.base_url}{API}/merchant/apps/{app['app_code']}"
    enabled = httpx.put(
        f"{base}/products", json={"products": ["collections"]}, headers=user, timeout=10
    )
    assert enabled.status_code == 200, enabled.text
    access = get_tokens(a.base_url, app)["access"]
    for server in (a, b):
        wait_for(lambda server=server: status(server.base_url, access) == (200, None))

    changed = httpx.put(
        f"{base}/allowed-ips", json={"allowed_ips": ["192.0.2.0/24"]}, headers=user, timeout=10
    )
    assert changed.status_code == 200, changed.text
    committed = time.monotonic()
    for server in (a, b):
        wait_for(lambda server=server: status(server.base_url, access) == (403, "ip_not_allowed"))
    assert time.monotonic() - committed < 1.0

    # Each process records its refusals; the merchant reads them from either, with the fix.
    def refused() -> list[dict[str, str]]:
        answer = httpx.get(f"{base}/refused-requests", headers=user, timeout=10)
        results: list[dict[str, str]] = answer.json()["results"]
        return results

    wait_for(lambda: len(refused()) >= 2, limit=5.0)
    assert {r["code"] for r in refused()} == {"ip_not_allowed"}
    assert all(r["hint"].startswith("127.0.0.1 is not on this app's allowlist") for r in refused())
    audit = httpx.get(f"{b.base_url}{API}/merchant/audit", headers=user, timeout=10).json()
    assert [e["action"] for e in audit["results"][:3]] == [
        "app.set_allowed_ips",
        "app.set_products",
        "app.create",
    ]
