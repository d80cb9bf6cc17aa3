"""Retiring a compromised signing key, and key expiry judged on every sync, not at start."""

from __future__ import annotations

import base64
import json

import pytest

from jpay_server.errors import NotFound
from jpay_server.services import keys
from tests.security.forge import forge, parts

pytestmark = pytest.mark.anyio


def kid(token: str) -> str:
    return str(json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"])


async def test_retiring_the_signing_key_ends_its_tokens_and_a_new_key_signs(any_harness, clock):
    h = any_harness
    creds = await h.app_credentials()
    tokens = await h.tokens(creds)
    old = kid(tokens["access"])
    retired = await h.run(lambda c, d: keys.retire_key(c, d, old))
    assert retired.kid == old
    assert retired.replaced_by is not None
    await h.sync()
    assert (await h.checkouts(tokens["access"])).json()["code"] == "token_invalid"
    assert (await h.refresh(tokens["refresh"])).json()["code"] == "token_invalid"
    fresh = await h.tokens(creds)  # logging in again works at once, under the new key
    assert kid(fresh["access"]) == retired.replaced_by
    assert (await h.checkouts(fresh["access"])).status_code == 200
    listed = await h.run(keys.list_keys)
    assert [k.kid for k in listed] == [retired.replaced_by]
    assert listed[0].status == "signing"


async def test_retiring_a_verifying_key_keeps_the_signer(harness, clock):
    h = harness
    creds = await h.app_credentials()
    old_tokens = await h.tokens(creds)
    clock.advance(1)
    rotated = await h.run(keys.rotate_key)
    clock.advance(h.settings.key_activation_delay)
    await h.sync()
    new_tokens = await h.tokens(creds)
    assert kid(new_tokens["access"]) == rotated.kid
    retired = await h.run(lambda c, d: keys.retire_key(c, d, kid(old_tokens["access"])))
    assert retired.replaced_by is None
    await h.sync()
    assert (await h.checkouts(old_tokens["access"])).json()["code"] == "token_invalid"
    assert (await h.checkouts(new_tokens["access"])).status_code == 200


async def test_an_unknown_kid_is_refused(harness):
    with pytest.raises(NotFound):
        await harness.run(lambda c, d: keys.retire_key(c, d, "0123456789abcdef"))


async def test_an_expired_key_stops_verifying_without_a_restart(harness, clock):
    """A process running for weeks must drop a key once its horizon passes, on its own."""
    h = harness
    creds = await h.app_credentials()
    tokens = await h.tokens(creds)
    old = kid(tokens["access"])
    old_secret = h.runtime.access.codec.keyring.key(old).secret
    clock.advance(1)
    await h.run(keys.rotate_key)
    await h.sync()
    s = h.settings
    clock.advance(s.key_activation_delay + s.refresh_token_lifetime + s.token_leeway + 1)
    fresh = await h.tokens(creds)  # keep the process's app state warm
    await h.sync()
    # A token forged today with the old key's material (leaked after its retirement age).
    header, claims = parts(fresh["access"])
    now = int(clock().timestamp())
    forged = forge(header | {"kid": old}, claims | {"iat": now, "exp": now + 600}, old_secret)
    response = await h.checkouts(forged)
    assert (response.status_code, response.json()["code"]) == (401, "token_invalid")
    assert (await h.checkouts(fresh["access"])).status_code == 200
