"""POST /auth/app/token, /auth/refresh and /auth/revoke through the real app and database."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from jpay_server.services import apps, keys
from jpay_server.services.events import list_events
from jpay_server.store.tokens import use_of
from tests.harness import API, running, stop_polling

pytestmark = pytest.mark.anyio


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def test_token_response_is_the_documented_shape(harness):
    creds = await harness.app_credentials(products=("collections", "payouts"))
    response = await harness.token(creds)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access",
        "refresh",
        "merchant_id",
        "app_code",
        "products",
        "expires_in",
        "token_type",
    }
    assert body["merchant_id"] == creds.app.merchant_id
    assert body["app_code"] == creds.app.app_code
    assert body["products"] == ["collections", "payouts"]
    assert body["expires_in"] == 900
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    access, refresh = claims(body["access"]), claims(body["refresh"])
    assert access["exp"] - access["iat"] == 900
    assert access["user_id"] == creds.app.merchant_id
    assert refresh["exp"] - refresh["iat"] == 7 * 86400
    assert refresh["refresh"] is True


async def test_wrong_secret_and_unknown_key_look_the_same(harness):
    creds = await harness.app_credentials()
    wrong = await harness.client.post(
        f"{API}/auth/app/token", json={"app_key": creds.app.app_key, "app_secret": "jpay_sk_nope"}
    )
    unknown = await harness.client.post(
        f"{API}/auth/app/token", json={"app_key": "jpay_ak_nope", "app_secret": creds.app_secret}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {"detail": "Invalid or missing credentials", "code": "invalid_credentials"}
    )
    assert wrong.headers["www-authenticate"] == 'Bearer realm="jpay"'


async def test_access_token_expires_after_15_minutes(harness, clock):
    tokens = await harness.tokens(await harness.app_credentials())
    clock.advance(899)
    assert (await harness.checkouts(tokens["access"])).status_code == 200
    clock.advance(1 + harness.settings.token_leeway)
    response = await harness.checkouts(tokens["access"])
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_refresh_rotates_and_repeat_in_grace_returns_the_same_pair(harness, clock):
    tokens = await harness.tokens(await harness.app_credentials())
    first = await harness.refresh(tokens["refresh"])
    assert first.status_code == 200
    assert set(first.json()) == {
        "access",
        "refresh",
        "expires_in",
        "token_type",
    }
    assert first.json()["refresh"] != tokens["refresh"]
    clock.advance(harness.settings.refresh_reuse_grace)
    again = await harness.refresh(tokens["refresh"])
    assert again.status_code == 200
    assert again.json() == first.json()
    assert (await harness.checkouts(first.json()["access"])).status_code == 200


async def test_reuse_after_grace_revokes_the_whole_family(harness, clock):
    creds = await harness.app_credentials()
    tokens = await harness.tokens(creds)
    successor = (await harness.refresh(tokens["refresh"])).json()
    clock.advance(harness.settings.refresh_reuse_grace + 1)
    reused = await harness.refresh(tokens["refresh"])
    assert reused.status_code == 401
    assert reused.json()["code"] == "refresh_token_reused"
    await harness.sync()
    for access in (tokens["access"], successor["access"]):
        response = await harness.checkouts(access)
        assert response.json()["code"] == "token_revoked"
    assert (await harness.refresh(successor["refresh"])).json()["code"] == "token_revoked"
    events = await harness.run(lambda c, d: list_events(d, creds.app.app_code))
    assert [e.kind for e in events] == ["refresh_token.reused"]
    assert events[0].detail["jti"] == claims(tokens["refresh"])["jti"]
    # A new login starts a new, working family.
    fresh = await harness.tokens(creds)
    assert (await harness.checkouts(fresh["access"])).status_code == 200


async def test_parent_replayed_after_successor_was_used_is_reuse(harness):
    tokens = await harness.tokens(await harness.app_credentials())
    successor = (await harness.refresh(tokens["refresh"])).json()
    assert (await harness.refresh(successor["refresh"])).status_code == 200
    replay = await harness.refresh(tokens["refresh"])
    assert replay.json()["code"] == "refresh_token_reused"


async def test_concurrent_refreshes_make_exactly_one_successor(harness):
    tokens = await harness.tokens(await harness.app_credentials())
    responses = await asyncio.gather(*(harness.refresh(tokens["refresh"]) for _ in range(20)))
    assert {r.status_code for r in responses} == {200}
    assert len({json.dumps(r.json(), sort_keys=True) for r in responses}) == 1
    jti = str(claims(tokens["refresh"])["jti"])
    winner = await harness.runtime.database.read(lambda c: use_of(c, jti))
    assert winner is not None
    assert winner.successor is not None
    assert winner.successor.jti == claims(responses[0].json()["refresh"])["jti"]


async def test_family_has_an_absolute_end(harness, clock):
    tokens = await harness.tokens(await harness.app_credentials())
    refresh = tokens["refresh"]
    for _ in range(6):
        clock.advance(86400)
        refresh = (await harness.refresh(refresh)).json()["refresh"]
    assert claims(refresh)["exp"] == claims(tokens["refresh"])["exp"]
    clock.advance(86400 + harness.settings.token_leeway)
    response = await harness.refresh(refresh)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


async def test_reusable_policy_serves_the_docs_sample_client(harness):
    """The docs' JPayClient never stores the rotated refresh token."""
    creds = await harness.app_credentials(refresh_policy="reusable")
    tokens = await harness.tokens(creds)
    for _ in range(3):
        response = await harness.refresh(tokens["refresh"])
        assert response.status_code == 200
        assert (await harness.checkouts(response.json()["access"])).status_code == 200
    events = await harness.run(lambda c, d: list_events(d, creds.app.app_code))
    assert [e.kind for e in events] == ["refresh_token.replayed"] * 2


async def test_rotate_policy_logs_the_docs_sample_client_out_at_its_second_refresh(harness, clock):
    tokens = await harness.tokens(await harness.app_credentials())
    assert (await harness.refresh(tokens["refresh"])).status_code == 200
    clock.advance(14 * 60)
    assert (await harness.refresh(tokens["refresh"])).json()["code"] == "refresh_token_reused"


async def test_policy_can_be_changed_for_an_existing_app(harness):
    creds = await harness.app_credentials()
    await harness.run(lambda c, d: apps.set_refresh_policy(c, d, creds.app.app_code, "reusable"))
    await harness.sync()
    tokens = await harness.tokens(creds)
    assert (await harness.refresh(tokens["refresh"])).status_code == 200
    assert (await harness.refresh(tokens["refresh"])).status_code == 200


async def test_switching_to_reusable_revives_no_rotated_out_token(any_harness, clock):
    """The policy applies from the switch on: a token spent under rotation stays spent."""
    harness = any_harness
    creds = await harness.app_credentials()
    tokens = await harness.tokens(creds)
    rotated = (await harness.refresh(tokens["refresh"])).json()
    untouched = await harness.tokens(creds)  # a login that never refreshed
    await harness.run(lambda c, d: apps.set_refresh_policy(c, d, creds.app.app_code, "reusable"))
    await harness.sync()
    clock.advance(harness.settings.refresh_reuse_grace + 1)
    spent = await harness.refresh(tokens["refresh"])
    assert spent.json()["code"] == "refresh_token_reused"  # as under rotation: it was stolen
    await harness.sync()
    assert (await harness.checkouts(rotated["access"])).json()["code"] == "token_revoked"
    # Tokens never used before the switch are reusable from now on.
    for _ in range(3):
        assert (await harness.refresh(untouched["refresh"])).status_code == 200
    fresh = await harness.tokens(creds)
    for _ in range(3):
        assert (await harness.refresh(fresh["refresh"])).status_code == 200


async def test_a_rotated_out_token_inside_the_grace_window_still_replays(any_harness):
    """A lost response retried across the switch gets the same pair, as under rotation."""
    harness = any_harness
    creds = await harness.app_credentials()
    tokens = await harness.tokens(creds)
    first = (await harness.refresh(tokens["refresh"])).json()
    await harness.run(lambda c, d: apps.set_refresh_policy(c, d, creds.app.app_code, "reusable"))
    await harness.sync()
    again = await harness.refresh(tokens["refresh"])
    assert again.status_code == 200
    assert again.json()["refresh"] == first["refresh"]


async def test_rotating_the_secret_without_overlap_revokes_old_tokens(harness):
    creds = await harness.app_credentials()
    tokens = await harness.tokens(creds)
    new = await harness.run(lambda c, d: apps.rotate_secret(c, d, creds.app.app_code, 0))
    await harness.sync()
    assert (await harness.checkouts(tokens["access"])).json()["code"] == "token_revoked"
    assert (await harness.refresh(tokens["refresh"])).json()["code"] == "token_revoked"
    assert (await harness.token(creds)).json()["code"] == "invalid_credentials"
    assert (await harness.checkouts((await harness.tokens(new))["access"])).status_code == 200


async def test_a_rotated_secret_works_before_the_change_log_reaches_the_process(harness):
    creds = await harness.app_credentials()
    assert (await harness.token(creds)).status_code == 200  # the app is now held in memory
    await stop_polling(harness)  # no sync: the process still holds the old generation only
    new = await harness.run(lambda c, d: apps.rotate_secret(c, d, creds.app.app_code, 60))
    assert (await harness.token(new)).status_code == 200
    assert (await harness.token(creds)).status_code == 200  # inside its overlap


async def test_rotating_with_overlap_keeps_old_secret_and_tokens_until_it_ends(harness, clock):
    creds = await harness.app_credentials()
    tokens = await harness.tokens(creds)
    new = await harness.run(lambda c, d: apps.rotate_secret(c, d, creds.app.app_code, 60))
    await harness.sync()
    assert (await harness.checkouts(tokens["access"])).status_code == 200
    old_secret_tokens = await harness.tokens(creds)
    assert (await harness.tokens(new))["access"]
    clock.advance(60)
    for access in (tokens["access"], old_secret_tokens["access"]):
        assert (await harness.checkouts(access)).json()["code"] == "token_revoked"
    assert (await harness.refresh(old_secret_tokens["refresh"])).json()["code"] == "token_revoked"
    assert (await harness.token(creds)).status_code == 401


def kid(token: str) -> str:
    return str(json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"])


async def test_key_rotation_keeps_old_tokens_verifying(harness, clock):
    tokens = await harness.tokens(await harness.app_credentials())
    old_kid = kid(tokens["access"])
    clock.advance(1)  # a rotation comes after the install that made the first key
    info = await harness.run(keys.rotate_key)
    await harness.sync()
    assert info.kid != old_kid
    assert info.status == "pending"
    # Until every process can verify it, the new key does not sign.
    early = (await harness.refresh(tokens["refresh"])).json()
    assert kid(early["access"]) == old_kid
    clock.advance(harness.settings.key_activation_delay)
    later = (await harness.refresh(early["refresh"])).json()
    assert kid(later["access"]) == info.kid
    assert (await harness.checkouts(tokens["access"])).status_code == 200
    assert (await harness.checkouts(later["access"])).status_code == 200


async def test_a_new_key_never_fails_tokens_on_a_process_that_has_not_seen_it(
    make_settings, database_url, clock
):
    settings = make_settings(database_url=database_url, rate_limit_enabled=False)
    async with running(settings, clock) as a, running(settings, clock) as b:
        await stop_polling(b)  # b lags: it does not hear of the new key
        creds = await a.app_credentials()
        clock.advance(1)
        await a.run(keys.rotate_key)
        await a.sync()
        fresh = await a.tokens(creds)
        assert (await b.checkouts(fresh["access"])).status_code == 200


async def test_refresh_inside_the_leeway_after_the_family_end_is_expired(harness, clock):
    tokens = await harness.tokens(await harness.app_credentials())
    clock.advance(harness.settings.refresh_token_lifetime + 1)  # inside the 5 s leeway
    response = await harness.refresh(tokens["refresh"])
    assert (response.status_code, response.json()["code"]) == (401, "token_expired")


async def test_reuse_answer_names_the_bearer_error(harness, clock):
    tokens = await harness.tokens(await harness.app_credentials())
    await harness.refresh(tokens["refresh"])
    clock.advance(harness.settings.refresh_reuse_grace + 1)
    reused = await harness.refresh(tokens["refresh"])
    assert 'error="invalid_token"' in reused.headers["www-authenticate"]


async def test_a_key_sealed_under_another_master_secret_is_refused_and_ignored(
    harness, make_settings, database_url
):
    from jpay_server.domain.keys import new_signing_key
    from jpay_server.domain.secrets import seal
    from jpay_server.errors import InvalidRequest
    from jpay_server.services.context import Context
    from jpay_server.services.keys import load_keyring
    from jpay_server.store.keys import SealedKey, add_key

    other = Context.from_settings(make_settings(database_url=database_url, secret_key="x" * 40))
    with pytest.raises(InvalidRequest, match="another JPAY_SECRET_KEY"):
        await harness.run(lambda c, d: keys.rotate_key(other, d))
    # Should one get in anyway (a direct insert), processes skip it instead of failing.
    stray = new_signing_key(other.rand, other.clock())
    sealed = seal(
        other.keys.kek, stray.secret, b"jpay/signing-key/" + stray.kid.encode(), b"n" * 12
    )
    await harness.database.write(
        lambda c: add_key(c, SealedKey(stray.kid, "HS256", sealed, stray.created_at))
    )
    ring = await harness.run(load_keyring)
    assert stray.kid not in ring.kids
    assert len(ring.kids) == 1


async def test_revoke_ends_the_family_and_is_always_200(harness):
    tokens = await harness.tokens(await harness.app_credentials())
    for token in ("not-a-token", tokens["access"], tokens["access"]):
        response = await harness.client.post(f"{API}/auth/revoke", json={"token": token})
        assert response.status_code == 200
        assert response.json() == {"revoked": True}
    await harness.sync()
    assert (await harness.checkouts(tokens["access"])).json()["code"] == "token_revoked"
    assert (await harness.refresh(tokens["refresh"])).json()["code"] == "token_revoked"


async def test_revoke_with_a_refresh_token(harness):
    tokens = await harness.tokens(await harness.app_credentials())
    await harness.client.post(f"{API}/auth/revoke", json={"token": tokens["refresh"]})
    assert (await harness.refresh(tokens["refresh"])).json()["code"] == "token_revoked"


async def test_housekeeping_forgets_spent_refresh_state_and_old_changes(harness, clock):
    from jpay_server.services.access import AccessState
    from jpay_server.services.maintenance import housekeep
    from jpay_server.store.changes import changes_since

    creds = await harness.app_credentials()
    other = await harness.app_credentials()
    # A second process that will miss changes: it syncs only when told to.
    behind = AccessState(harness.runtime.ctx, harness.database)
    await behind.start()
    assert (await behind.app(creds.app.app_code)) is not None  # cached there
    tokens = await harness.tokens(creds)
    assert (await harness.refresh(tokens["refresh"])).status_code == 200  # one use remembered
    await harness.run(lambda c, d: apps.set_products(c, d, creds.app.app_code, ["payouts"]))
    assert (await harness.run(housekeep)).refresh_uses == 0
    clock.advance(8 * 86400 + 1)  # past the family's end and the retention day
    assert (await harness.run(housekeep)).refresh_uses == 1
    jti = str(claims(tokens["refresh"])["jti"])
    assert await harness.runtime.database.read(lambda c: use_of(c, jti)) is None
    assert await harness.database.read(lambda c: changes_since(c, 0)) == []
    # A process that missed pruned changes reloads everything rather than miss one: a newer
    # change to another app must not leave the missed one's stale state in its cache.
    await harness.run(lambda c, d: apps.set_products(c, d, other.app.app_code, ["collections"]))
    await behind.sync()
    missed = await behind.app(creds.app.app_code)
    assert missed is not None
    assert missed.products == frozenset({"payouts"})
