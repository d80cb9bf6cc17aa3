"""The merchant API's behaviour: the issue's journey, allowlists, grants, logins, payments."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from jpay_server.domain.members import Role
from jpay_server.settings import Settings
from tests.conftest import FrozenClock
from tests.harness import API, Harness, running
from tests.members import create_member, login_tokens
from tests.merchant.conftest import call, seat
from tests.receiver import receiving

pytestmark = pytest.mark.anyio


async def test_a_developer_creates_an_app_gets_a_token_and_fixes_a_refusal(
    harness: Harness,
) -> None:
    h = harness
    login = await create_member(h, Role.DEVELOPER)
    user = {"Authorization": f"Bearer {(await login_tokens(h.client, login))['access']}"}
    created = await h.client.post(f"{API}/merchant/apps", json={"name": "Shop"}, headers=user)
    assert created.status_code == 201, created.text
    app = created.json()
    assert {"app_code", "app_key", "app_secret", "products", "allowed_ips"} <= set(app)
    assert app["products"] == []
    assert app["allowed_ips"] == []
    code = app["app_code"]
    base = f"{API}/merchant/apps/{code}"
    # The secret is shown once: never again, in the app or its list.
    shown = await h.client.get(base, headers=user)
    assert app["app_secret"] not in shown.text
    assert [g["generation"] for g in shown.json()["secrets"]] == [1]
    assert app["app_secret"] not in (await h.client.get(f"{API}/merchant/apps", headers=user)).text
    enabled = await h.client.put(
        f"{base}/products", json={"products": ["collections"]}, headers=user
    )
    assert enabled.json() == {"app_code": code, "products": ["collections"]}
    token = await h.client.post(
        f"{API}/auth/app/token",
        json={"app_key": app["app_key"], "app_secret": app["app_secret"]},
    )
    assert token.status_code == 200
    access = token.json()["access"]
    assert (await h.checkouts(access)).status_code == 200

    # Allow one address; a request from elsewhere is refused, listed with its reason.
    allowed = await h.client.put(
        f"{base}/allowed-ips", json={"allowed_ips": ["198.51.100.7"]}, headers=user
    )
    assert allowed.json() == {"app_code": code, "allowed_ips": ["198.51.100.7/32"]}
    await h.sync()
    refused = await h.checkouts(access)
    assert (refused.status_code, refused.json()["code"]) == (403, "ip_not_allowed")
    await h.runtime.refusals.flush()
    [entry] = (await h.client.get(f"{base}/refused-requests", headers=user)).json()["results"]
    assert entry["client_ip"] == "127.0.0.1"
    assert entry["hint"].startswith("127.0.0.1 is not on this app's allowlist")
    assert access not in str(entry)
    # Fix it from the hint, and the same token works again.
    await h.client.put(
        f"{base}/allowed-ips", json={"allowed_ips": ["198.51.100.7", "127.0.0.1"]}, headers=user
    )
    await h.sync()
    assert (await h.checkouts(access)).status_code == 200

    # Rotate with an overlap: both secrets work, then only the new one.
    rotated = await h.client.post(
        f"{base}/rotate-secret", json={"overlap_seconds": 60}, headers=user
    )
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["app_secret"] != app["app_secret"]
    assert new["generation"] == 2
    assert new["previous_expires_at"] is not None
    await h.sync()
    old_body = {"app_key": app["app_key"], "app_secret": app["app_secret"]}
    new_body = {"app_key": app["app_key"], "app_secret": new["app_secret"]}
    assert (await h.client.post(f"{API}/auth/app/token", json=old_body)).status_code == 200
    h.clock.advance(61)
    assert (await h.client.post(f"{API}/auth/app/token", json=old_body)).status_code == 401
    assert (await h.client.post(f"{API}/auth/app/token", json=new_body)).status_code == 200
    secrets = (await h.client.get(base, headers=user)).json()["secrets"]
    assert [(g["generation"], g["live"]) for g in secrets] == [(2, True), (1, False)]
    assert secrets[1]["last_used_at"] is not None


async def test_bad_allowlist_entries_get_today_hints(harness: Harness) -> None:
    h = harness
    s = await seat(h, Role.DEVELOPER)
    response = await call(
        h, s, "PUT", "/merchant/apps/{app_code}/allowed-ips", {"allowed_ips": ["10.0.0.5/24"]}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "10.0.0.5/24 has host bits set; did you mean 10.0.0.0/24?"
    unchanged = await call(h, s, "GET", "/merchant/apps/{app_code}")
    assert unchanged.json()["allowed_ips"] == []


async def test_the_merchant_says_why_it_is_blocked(harness: Harness) -> None:
    h = harness
    pending = await create_member(h, Role.OWNER, status="pending")
    tokens = await login_tokens(h.client, pending)
    headers = {"Authorization": f"Bearer {tokens['access']}"}
    info = (await h.client.get(f"{API}/merchant", headers=headers)).json()
    assert info["status"] == "pending"
    assert info["blocked"] is True
    assert info["missing"] == ["approval"]
    assert "approval" in info["reason"]
    refused = await h.client.post(f"{API}/merchant/apps", json={"name": "X"}, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "merchant_not_approved")
    approved = await create_member(h, Role.VIEWER)
    tokens = await login_tokens(h.client, approved)
    headers = {"Authorization": f"Bearer {tokens['access']}"}
    info = (await h.client.get(f"{API}/merchant", headers=headers)).json()
    assert info["merchant_id"] == approved.merchant_id
    assert (info["status"], info["blocked"], info["reason"], info["missing"]) == (
        "approved",
        False,
        None,
        [],
    )
    assert info["granted_products"] == ["collections", "payouts"]  # development


@pytest.fixture
async def production(
    make_settings: Callable[..., Settings], database_url: str, clock: FrozenClock
) -> AsyncIterator[Harness]:
    settings = make_settings(
        database_url=database_url,
        env="production",
        secret_key="Qw7" * 16,
        rate_limit_enabled=False,
        worker_in_process=False,
    )
    async with running(settings, clock) as h:
        yield h


async def test_in_production_only_granted_products_can_be_enabled(production: Harness) -> None:
    from jpay_server.services import merchants

    h = production
    s = await seat(h, Role.DEVELOPER)
    path = "/merchant/apps/{app_code}/products"
    refused = await call(h, s, "PUT", path, {"products": ["payouts"]})
    assert refused.status_code == 403
    assert refused.json()["code"] == "product_not_granted"
    await h.run(lambda c, d: merchants.set_products(c, d, s.login.merchant_id, ["payouts"]))
    granted = await call(h, s, "PUT", path, {"products": ["payouts"]})
    assert granted.json()["products"] == ["payouts"]


async def test_live_logins_are_listed_and_revoked(harness: Harness) -> None:
    h = harness
    s = await seat(h, Role.DEVELOPER)
    creds_body = {"app_key": s.app_key, "app_secret": s.app_secret}
    h.clock.advance(1)
    second = await h.client_from("203.0.113.9").post(f"{API}/auth/app/token", json=creds_body)
    await h.runtime.logins.flush()
    listed = (await call(h, s, "GET", "/merchant/apps/{app_code}/logins")).json()["results"]
    assert len(listed) == 2
    newest = listed[0]
    assert newest["client_ip"] == "203.0.113.9"
    assert newest["last_refresh_at"] is None
    assert newest["ends_at"] > newest["started_at"]
    refreshed = await h.refresh(second.json()["refresh"])
    assert refreshed.status_code == 200
    again = (await call(h, s, "GET", "/merchant/apps/{app_code}/logins")).json()["results"]
    assert again[0]["last_refresh_at"] is not None
    revoke = f"/merchant/apps/{{app_code}}/logins/{newest['family_id']}/revoke"
    assert (await call(h, s, "POST", revoke)).json() == {"revoked": 1}
    await h.sync()
    assert (await h.checkouts(refreshed.json()["access"])).status_code == 401
    left = (await call(h, s, "GET", "/merchant/apps/{app_code}/logins")).json()["results"]
    assert [x["family_id"] for x in left] == [s.family_id]
    assert (await call(h, s, "POST", "/merchant/apps/{app_code}/logins/revoke-all")).json() == {
        "revoked": 1
    }


async def test_webhook_events_with_attempts_redelivery_and_a_test_event(harness: Harness) -> None:
    h = harness
    s = await seat(h, Role.DEVELOPER)
    with receiving() as receiver:
        url = await call(
            h, s, "PUT", "/merchant/apps/{app_code}/webhook-url", {"webhook_url": receiver.url}
        )
        assert url.json()["webhook_url"] == receiver.url
        rotated = await call(h, s, "POST", "/merchant/apps/{app_code}/rotate-webhook-secret", {})
        secret = rotated.json()["webhook_secret"]
        assert secret.startswith("whsec_")
        sent = await call(h, s, "POST", "/merchant/apps/{app_code}/webhook-events/test")
        assert sent.status_code == 202
        await h.deliver_webhooks()
        [event] = receiver.events(secret)
        assert event["type"] == "webhook.test"
    events = (await call(h, s, "GET", "/merchant/apps/{app_code}/webhook-events")).json()
    [newest] = [e for e in events["results"] if e["id"] == sent.json()["id"]]
    assert newest["status"] == "delivered"
    assert newest["type"] == "webhook.test"
    [attempt] = newest["deliveries"]
    assert attempt["status_code"] == 204
    assert attempt["latency_ms"] >= 0
    redo = f"/merchant/apps/{{app_code}}/webhook-events/{newest['id']}/redeliver"
    assert (await call(h, s, "POST", redo)).json()["status"] == "pending"


async def test_payments_across_apps_and_csv_exports(harness: Harness) -> None:
    h = harness
    s = await seat(h, Role.VIEWER)
    from jpay_server.services import apps

    others: list[Any] = []
    for _ in range(2):
        created = await h.run(
            lambda c, d: apps.create_app(c, d, s.login.merchant_id, products=("collections",))
        )
        others.append(created)
    for i, creds in enumerate(others):
        access = (await h.tokens(creds))["access"]
        body = {
            "payfrom": "+254712345678",
            "amount": f"{i + 1}.00",
            "ref_no": f"R{i}",
            "callback_url": "http://127.0.0.1:9/cb",
            "app_code": creds.app.app_code,
        }
        started = await h.call(
            "POST", "/payments/collections/checkouts/initiate", access, json=body
        )
        assert started.status_code in (200, 201), started.text
    page = (await call(h, s, "GET", "/merchant/collections")).json()
    assert page["count"] == 2
    assert {p["app_code"] for p in page["results"]} == {c.app.app_code for c in others}
    one = await call(h, s, "GET", f"/merchant/collections?app_code={others[0].app.app_code}")
    assert [p["ref_no"] for p in one.json()["results"]] == ["R0"]
    exported = await call(h, s, "GET", "/merchant/collections.csv?status=pending")
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["ref_no"] for r in rows) == ["R0", "R1"]
    assert rows[0]["payfrom"] == "+254712345678"
    balance = (await call(h, s, "GET", "/merchant/balance")).json()
    assert balance["total_balance"] == "0.00"
    ledger = await call(h, s, "GET", "/merchant/ledger.csv")
    assert ledger.text.splitlines()[0].startswith("id,created_at,wallet")


async def test_a_suspended_merchant_reads_but_cannot_change(harness: Harness) -> None:
    from jpay_server.services import merchants

    h = harness
    s = await seat(h, Role.OWNER)
    await h.run(lambda c, d: merchants.suspend_merchant(c, d, s.login.merchant_id))
    await h.sync()
    info = await call(h, s, "GET", "/merchant")
    assert info.status_code == 200
    assert (info.json()["status"], info.json()["missing"]) == ("suspended", ["reinstatement"])
    assert (await call(h, s, "GET", "/merchant/apps/{app_code}")).status_code == 200
    refused = await call(h, s, "POST", "/merchant/apps/{app_code}/deactivate")
    assert (refused.status_code, refused.json()["code"]) == (403, "account_suspended")


async def test_each_delivery_keeps_the_first_bytes_of_the_answer(harness: Harness) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Answer(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            body = b"rejected: bad signature\x07" + b"x" * 500
            self.send_response(400)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Silent."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        h = harness
        s = await seat(h, Role.DEVELOPER)
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        await call(h, s, "PUT", "/merchant/apps/{app_code}/webhook-url", {"webhook_url": url})
        sent = await call(h, s, "POST", "/merchant/apps/{app_code}/webhook-events/test")
        await h.deliver_webhooks()
    finally:
        server.shutdown()
        server.server_close()
    events = (await call(h, s, "GET", "/merchant/apps/{app_code}/webhook-events")).json()
    [event] = [e for e in events["results"] if e["id"] == sent.json()["id"]]
    [attempt] = event["deliveries"]
    assert attempt["status_code"] == 400
    excerpt = attempt["response_excerpt"]
    assert excerpt.startswith("rejected: bad signature\ufffd")
    assert len(excerpt) == 200
