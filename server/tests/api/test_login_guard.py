"""/auth/app/token tells a guesser nothing: the per-key limit comes first, the allowlist hides."""

from __future__ import annotations

import pytest

from jpay_server.services.refusals import list_refusals
from tests.harness import API, running

pytestmark = pytest.mark.anyio
TOKEN = f"{API}/auth/app/token"


@pytest.fixture
async def guarded(make_settings, database_url, clock):
    settings = make_settings(database_url=database_url, rate_limit_token_per_key="3/minute")
    async with running(settings, clock) as h:
        yield h


async def test_a_key_over_its_limit_is_refused_before_its_secret_is_checked(guarded):
    h = guarded
    creds = await h.app_credentials()
    wrong = {"app_key": creds.app.app_key, "app_secret": "jpay_sk_" + "x" * 43}
    statuses = [
        (await h.client_from(f"192.0.2.{n}").post(TOKEN, json=wrong)).status_code
        for n in range(1, 5)
    ]
    assert statuses == [401, 401, 401, 429]
    # The right secret, guessed now, is not confirmed: the key is over its limit.
    right = await h.token(creds, h.client_from("192.0.2.99"))
    assert (right.status_code, right.json()["code"]) == (429, "rate_limited")
    assert "retry-after" in right.headers


async def test_logins_that_succeed_do_not_use_up_the_key_limit(guarded):
    h = guarded
    creds = await h.app_credentials()
    assert [(await h.token(creds)).status_code for _ in range(6)] == [200] * 6


async def test_a_right_secret_from_outside_the_allowlist_looks_like_a_wrong_one(guarded):
    h = guarded
    creds = await h.app_credentials(allowed_ips=["192.0.2.0/24"])
    outside = h.client_from("198.51.100.7")
    wrong = {"app_key": creds.app.app_key, "app_secret": creds.app_secret[:-2] + "xx"}
    guessed_wrong = await outside.post(TOKEN, json=wrong)
    guessed_right = await h.token(creds, outside)
    assert guessed_right.status_code == guessed_wrong.status_code == 401
    assert (
        guessed_right.json()
        == guessed_wrong.json()
        == {
            "detail": "Invalid or missing credentials",
            "code": "invalid_credentials",
        }
    )
    assert guessed_right.headers["www-authenticate"] == guessed_wrong.headers["www-authenticate"]
    # No guess from outside can succeed, so a flood from there does not lock the app out.
    for _ in range(5):
        assert (await h.token(creds, outside)).status_code == 401
    assert (await h.token(creds, h.client_from("192.0.2.1"))).status_code == 200
    # The merchant's refused-requests log tells its own team the real reason.
    await h.runtime.refusals.flush()
    logged = await list_refusals(h.runtime.database, creds.app.app_code)
    assert {r.code for r in logged} == {"ip_not_allowed"}
    assert {r.client_ip for r in logged} == {"198.51.100.7"}
