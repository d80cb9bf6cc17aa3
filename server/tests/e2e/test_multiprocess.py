"""Rules about many processes, proven with two real server processes over HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable

import httpx
import pytest

from jpay_server.services.events import list_events
from tests.e2e.servers import cli

pytestmark = pytest.mark.e2e
API = "/api/v1"


def get_tokens(base: str, app: dict[str, object]) -> dict[str, str]:
    body = {"app_key": app["app_key"], "app_secret": app["app_secret"]}
    response = httpx.post(f"{base}{API}/auth/app/token", json=body, timeout=10)
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


def status(base: str, access: str) -> tuple[int, str | None]:
    response = httpx.get(
        f"{base}{API}/payments/collections/checkouts",
        headers={"Authorization": f"Bearer {access}"},
        timeout=10,
    )
    return response.status_code, response.json().get("code")


def wait_for(condition: Callable[[], bool], limit: float = 5.0) -> None:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < limit, "condition never held"
        time.sleep(0.01)


def test_concurrent_refreshes_across_processes_make_one_successor(deployment):
    a, b = deployment.servers
    tokens = get_tokens(a.base_url, deployment.new_app())

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            calls = [
                client.post(f"{base}{API}/auth/refresh", json={"refresh": tokens["refresh"]})
                for base in [a.base_url, b.base_url] * 15
            ]
            return await asyncio.gather(*calls)

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * 30
    pairs = {json.dumps(r.json(), sort_keys=True) for r in responses}
    assert len(pairs) == 1
    successor = json.loads(pairs.pop())
    assert (
        status(a.base_url, successor["access"])
        == status(b.base_url, successor["access"])
        == (200, None)
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda app: ("merchants", "suspend", str(app["merchant_id"])), (403, "account_suspended")),
        (lambda app: ("apps", "deactivate", str(app["app_code"])), (403, "app_inactive")),
        (
            lambda app: ("apps", "set-products", str(app["app_code"]), "--product", "payouts"),
            (403, "product_not_enabled"),
        ),
        (
            lambda app: ("apps", "allow-ip", str(app["app_code"]), "192.0.2.0/24"),
            (403, "ip_not_allowed"),
        ),
        (lambda app: ("apps", "rotate-secret", str(app["app_code"])), (401, "token_revoked")),
    ],
    ids=["suspend", "deactivate", "remove-product", "allowlist", "rotate-secret"],
)
def test_operator_changes_bite_within_a_second_on_every_process(deployment, change, expected):
    a, b = deployment.servers
    app = deployment.new_app()
    access = get_tokens(a.base_url, app)["access"]
    assert status(a.base_url, access) == status(b.base_url, access) == (200, None)
    cli(deployment.env, *change(app))  # the real CLI; it returns once the change is committed
    committed = time.monotonic()
    for server in (a, b):
        wait_for(lambda server=server: status(server.base_url, access) == expected)
    assert time.monotonic() - committed < 1.0


def test_a_retired_key_stops_verifying_within_a_second_on_every_process(deployment):
    """`keys retire` for a compromised key: its tokens die everywhere, logins go on."""
    a, b = deployment.servers
    app = deployment.new_app()
    access = get_tokens(a.base_url, app)["access"]
    header = access.split(".")[0]
    kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    cli(deployment.env, "keys", "retire", kid)
    committed = time.monotonic()
    for server in (a, b):
        wait_for(lambda server=server: status(server.base_url, access) == (401, "token_invalid"))
    assert time.monotonic() - committed < 1.0
    fresh = get_tokens(b.base_url, app)["access"]
    for server in (a, b):
        wait_for(lambda server=server: status(server.base_url, fresh) == (200, None))


def test_refresh_reuse_on_one_process_revokes_access_on_the_other(deployment):
    a, b = deployment.servers
    app = deployment.new_app()
    tokens = get_tokens(a.base_url, app)
    successor = httpx.post(
        f"{a.base_url}{API}/auth/refresh", json={"refresh": tokens["refresh"]}
    ).json()
    time.sleep(2.1)  # past the deployment's 1-second grace window
    reused = httpx.post(f"{b.base_url}{API}/auth/refresh", json={"refresh": tokens["refresh"]})
    assert reused.json()["code"] == "refresh_token_reused"
    detected = time.monotonic()
    wait_for(lambda: status(a.base_url, successor["access"]) == (401, "token_revoked"))
    assert time.monotonic() - detected < 1.0
    events = deployment.operate(lambda _c, d: list_events(d, int(app["app_code"])))
    assert [e.kind for e in events] == ["refresh_token.reused"]
