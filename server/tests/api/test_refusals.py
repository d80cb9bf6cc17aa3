"""The refused-requests log: each 401/403 an app's callers get, with its fix, and no secret."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, select

from jpay_server.domain.refusals import KEEP_PER_APP, refusal
from jpay_server.services.refusals import MAX_PENDING, list_refusals
from jpay_server.store.tables import RefusedRequestRow
from tests.harness import API, Harness

pytestmark = pytest.mark.anyio
CHECKOUTS = f"{API}/payments/collections/checkouts"


async def logged(h: Harness, app_code: int) -> list[dict[str, object]]:
    await h.runtime.refusals.flush()
    found = await list_refusals(h.runtime.database, app_code)
    return [
        {"client_ip": r.client_ip, "path": r.path, "code": r.code, "hint": r.hint} for r in found
    ]


async def every_stored_row(h: Harness) -> str:
    def rows(conn: Connection) -> str:
        return repr([tuple(r) for r in conn.execute(select(RefusedRequestRow.__table__))])

    return await h.runtime.database.read(rows)


async def test_each_refusal_is_logged_with_its_fix_and_no_token(harness: Harness) -> None:
    h = harness
    creds = await h.app_credentials(allowed_ips=("127.0.0.1", "198.51.100.0/24"))
    code = creds.app.app_code
    tokens = await h.tokens(creds)
    outsider = h.client_from("203.0.113.7")

    wrong = {"app_key": creds.app.app_key, "app_secret": creds.app_secret[:-2] + "xx"}
    assert (await h.client.post(f"{API}/auth/app/token", json=wrong)).status_code == 401
    assert (await h.token(creds, outsider)).status_code == 401  # the reason is logged, not told
    assert (await h.checkouts(tokens["access"], outsider)).status_code == 403
    refreshed = await h.refresh(tokens["refresh"])
    assert refreshed.status_code == 200
    h.clock.advance(h.settings.refresh_reuse_grace + 1)
    assert (await h.refresh(tokens["refresh"])).status_code == 401  # reuse: family revoked
    h.clock.advance(h.settings.access_token_lifetime + h.settings.token_leeway + 1)
    assert (await h.checkouts(refreshed.json()["access"])).status_code == 401  # expired

    entries = await logged(h, code)
    assert [e["code"] for e in entries] == [
        "token_expired",
        "refresh_token_reused",
        "ip_not_allowed",
        "ip_not_allowed",
        "invalid_credentials",
    ]
    assert entries[2] == {
        "client_ip": "203.0.113.7",
        "path": CHECKOUTS,
        "code": "ip_not_allowed",
        "hint": "203.0.113.7 is not on this app's allowlist: add it if the request was yours",
    }
    assert entries[3]["path"] == f"{API}/auth/app/token"
    assert entries[1]["path"] == f"{API}/auth/refresh"
    assert "refresh" in str(entries[0]["hint"])
    assert "overlap" in str(entries[4]["hint"])

    stored = await every_stored_row(h)
    for secret in (creds.app_secret, tokens["access"], tokens["refresh"], wrong["app_secret"]):
        assert secret not in stored
    for fragment in ("eyJ", "jpay_sk_", "whsec_", "Bearer"):
        assert fragment not in stored


async def test_refusals_that_name_no_app_are_not_logged(harness: Harness) -> None:
    h = harness
    creds = await h.app_credentials()
    tokens = await h.tokens(creds)
    forged = tokens["access"][:-4] + "AAAA"
    assert (await h.checkouts(forged)).status_code == 401
    unknown = {"app_key": "jpay_ak_unknown", "app_secret": creds.app_secret}
    assert (await h.client.post(f"{API}/auth/app/token", json=unknown)).status_code == 401
    assert (await h.checkouts(tokens["access"])).status_code == 200
    await h.runtime.refusals.flush()
    assert await every_stored_row(h) == "[]"


async def test_a_product_refusal_names_the_product(harness: Harness) -> None:
    h = harness
    creds = await h.app_credentials(products=("collections",))
    tokens = await h.tokens(creds)
    response = await h.call("GET", "/payments/payouts", tokens["access"])
    assert response.status_code == 403
    [entry] = await logged(h, creds.app.app_code)
    assert (
        entry["hint"] == "this app does not have payouts enabled: enable it in the app's products"
    )


async def test_the_log_keeps_the_newest_thousand_per_app(any_harness: Harness) -> None:
    h = any_harness
    log = h.runtime.refusals
    now = datetime.now(UTC)
    for i in range(KEEP_PER_APP + 5):
        log.note(refusal(1, now, f"192.0.2.{i % 250}", f"/p/{i}", "app_inactive", "d"))
        if i % 250 == 249:  # under the queue's bound: each batch is written whole
            await log.flush()
    await log.flush()
    for i in range(3):
        log.note(refusal(1, now, None, f"/q/{i}", "app_inactive", "d"))
    log.note(refusal(2, now, None, "/other", "app_inactive", "d"))
    await log.flush()
    kept = await list_refusals(h.runtime.database, 1)
    assert len(kept) == KEEP_PER_APP
    assert [r.path for r in kept[:4]] == ["/q/2", "/q/1", "/q/0", f"/p/{KEEP_PER_APP + 4}"]
    assert kept[-1].path == "/p/8"
    assert len(await list_refusals(h.runtime.database, 2)) == 1


async def test_a_flood_is_bounded_in_memory(harness: Harness) -> None:
    h = harness
    log = h.runtime.refusals
    now = datetime.now(UTC)
    limit = MAX_PENDING
    for i in range(limit + 10):
        log.note(refusal(3, now, None, f"/f/{i}", "app_inactive", "d"))
    assert log.dropped == 10  # the oldest ten; the queue holds the newest `limit`
    assert await log.flush() == min(limit, KEEP_PER_APP)
