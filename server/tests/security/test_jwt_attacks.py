"""One test per JWT attack class of anchors-auth.md §5, each through the real app.

Where an attack needs a token that is validly signed (to prove that a check other than the
signature stops it), the test signs with the server's own key, the strongest attacker there is.
Every attack runs against an app's token and against a merchant user's token (`victim`).
"""

from __future__ import annotations

import hmac
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from jpay_server.domain import credentials
from jpay_server.services import apps, merchants
from tests.harness import API, running
from tests.members import create_member, login_tokens
from tests.security.forge import b64, forge, parts

pytestmark = pytest.mark.anyio
CHECKOUTS = f"{API}/payments/collections/checkouts"
ACCOUNT = f"{API}/account"  # what a merchant user's token opens


async def holder_tokens(harness, kind: str):
    """Live tokens of a new app or a new merchant user, and what made them."""
    if kind == "app":
        creds = await harness.app_credentials()
        return creds, await harness.tokens(creds)
    member = await create_member(harness)
    return member, await login_tokens(harness.client, member)


@pytest.fixture(params=["app", "user"])
async def victim(request, harness):
    """An app's or a merchant user's live tokens, and the server's signing key."""
    creds, tokens = await holder_tokens(harness, request.param)
    key = harness.runtime.access.codec.keyring.signing_at(harness.ctx.clock())
    return creds, tokens, key


def target(token: str) -> str:
    """The route the token's holder may call: a user token is tried where users are let in."""
    try:
        is_user = parts(token)[1].get("kind") == "user"
    except (ValueError, AttributeError, IndexError, RecursionError):
        is_user = False
    return ACCOUNT if is_user else CHECKOUTS


async def status_code(harness, token: str) -> tuple[int, str]:
    response = await harness.client.get(target(token), headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json().get("code", "")


async def test_1_alg_none_in_every_spelling(harness, victim):
    _, tokens, _ = victim
    header, payload = parts(tokens["access"])
    signature = tokens["access"].split(".")[2]
    for alg in ("none", "None", "NONE", "nOnE"):
        unsigned = forge(header | {"alg": alg}, payload, None)
        assert await status_code(harness, unsigned) == (401, "token_invalid")
        kept = unsigned + signature
        assert await status_code(harness, kept) == (401, "token_invalid")


async def test_2_signature_stripped_null_truncated_or_borrowed(harness, victim):
    _, tokens, _ = victim
    head, body, signature = tokens["access"].split(".")
    other = (await harness.tokens(await harness.app_credentials()))["access"].split(".")[2]
    for forged in (
        f"{head}.{body}.",
        f"{head}.{body}",
        f"{head}.{body}.{signature[:-6]}",
        f"{head}.{body}.{b64(bytes(32))}",
        f"{head}.{body}.{other}",
    ):
        assert (await status_code(harness, forged))[0] == 401


async def test_3_hs256_signed_with_a_public_key_is_refused(harness, victim):
    _, tokens, _ = victim
    header, payload = parts(tokens["access"])
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk = json.dumps(json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))).encode()
    for secret in (pem, jwk):
        assert (await status_code(harness, forge(header, payload, secret)))[0] == 401
    rs256 = jwt.encode(
        payload, private, algorithm="RS256", headers={"kid": header["kid"], "typ": "at+jwt"}
    )
    assert (await status_code(harness, rs256))[0] == 401


async def test_4_other_hmac_algorithms_with_the_right_key_are_refused(harness, victim):
    _, tokens, key = victim
    header, payload = parts(tokens["access"])
    for alg in ("HS384", "HS512"):
        forged = forge(header | {"alg": alg}, payload, key.secret, alg)
        assert await status_code(harness, forged) == (401, "token_invalid")


@pytest.mark.parametrize(
    "kid",
    [
        "../../../../dev/null",
        "/dev/null",
        "' UNION SELECT 'x' --",
        "$(sleep 5)",
        "`id`",
        "unknown",
        "",
        7,
        ["a"],
        {"k": 1},
        None,
        "k" * 10_000,
    ],
)
async def test_5_kid_injection_is_just_an_unknown_key(harness, victim, kid):
    _, tokens, _ = victim
    header, payload = parts(tokens["access"])
    for secret in (b"", b"x"):
        forged = forge(header | {"kid": kid}, payload, secret)
        assert (await status_code(harness, forged))[0] == 401


async def test_6_header_supplied_keys_are_ignored(harness, victim):
    _, tokens, key = victim
    header, payload = parts(tokens["access"])
    attacker = b"attacker-key-attacker-key-attacker"
    embedded = {"kty": "oct", "k": b64(attacker)}
    for extra in (
        {"jku": "https://evil.example/jwks.json"},
        {"x5u": "https://evil.example/c.pem"},
        {"jwk": embedded},
        {"x5c": ["MIIB"]},
    ):
        assert (await status_code(harness, forge(header | extra, payload, attacker)))[0] == 401
        # Even signed with the real key, a token naming a key source is not ours.
        assert (await status_code(harness, forge(header | extra, payload, key.secret)))[0] == 401


async def test_7_weak_secrets_do_not_sign_and_keys_are_256_random_bits(harness, victim):
    _, tokens, key = victim
    header, payload = parts(tokens["access"])
    for guess in (b"", b"secret", b"jpay", b"password", harness.settings.master_secret()):
        assert (await status_code(harness, forge(header, payload, guess)))[0] == 401
    assert len(key.secret) == 32
    assert key.secret != harness.settings.master_secret()[:32]


async def test_8_exp_nbf_iat_abuse(harness, victim, clock):
    _, tokens, key = victim
    header, payload = parts(tokens["access"])
    now = int(clock().timestamp())
    cases = {
        "expired": ({"exp": now - 60, "iat": now - 960}, "token_expired"),
        "missing exp": ({"exp": None}, "token_invalid"),
        "string exp": ({"exp": str(now + 600)}, "token_invalid"),
        "float exp": ({"exp": now + 600.5}, "token_invalid"),
        "bool exp": ({"exp": True}, "token_invalid"),
        "huge exp": ({"exp": 2**63}, "token_invalid"),
        "iat in future": ({"iat": now + 3600, "exp": now + 4000}, "token_invalid"),
        "nbf ignored but iat future": ({"nbf": now + 3600, "iat": now + 3600}, "token_invalid"),
    }
    for name, (changes, expected) in cases.items():
        claims = {k: v for k, v in (payload | changes).items() if v is not None}
        result = await status_code(harness, forge(header, claims, key.secret))
        assert result == (401, expected), name


async def test_9_token_type_confusion(harness, victim):
    _, tokens, key = victim
    assert await status_code(harness, tokens["refresh"]) == (401, "token_invalid")
    response = await harness.refresh(tokens["access"])
    assert (response.status_code, response.json()["code"]) == (401, "token_invalid")
    header, payload = parts(tokens["access"])
    relabelled = forge(
        header | {"typ": "JWT"}, payload | {"token_type": "refresh", "refresh": True}, key.secret
    )
    assert (await harness.refresh(relabelled)).status_code == 401


async def test_10_issuer_audience_and_cross_tenant_confusion(
    harness, victim, make_settings, database_url, clock
):
    _, tokens, key = victim
    header, payload = parts(tokens["access"])
    kind = "user" if payload.get("kind") == "user" else "app"
    for changes in ({"iss": "jpay-sandbox"}, {"aud": "jpay:auth/refresh"}, {"aud": ["jpay:api"]}):
        assert (await status_code(harness, forge(header, payload | changes, key.secret)))[0] == 401
    if kind == "app":
        other = await harness.app_credentials()
        crosses = [
            payload | {"user_id": other.app.merchant_id, "merchant_id": other.app.merchant_id}
        ]
    else:
        other_member = await create_member(harness)
        crosses = [
            payload | {"merchant_id": other_member.merchant_id},
            payload | {"user_id": other_member.user_id},
        ]
    for cross in crosses:
        assert await status_code(harness, forge(header, cross, key.secret)) == (
            401,
            "token_invalid",
        )
    # A token from another deployment (another issuer and keys) is refused here.
    settings = make_settings(database_url=database_url, token_issuer="other-deployment")
    async with running(settings, clock) as elsewhere:
        foreign = (await holder_tokens(elsewhere, kind))[1]["access"]
    assert (await status_code(harness, foreign))[0] == 401


async def test_11_replayed_refresh_after_logout_rotation_and_suspension(harness, clock):
    creds = await harness.app_credentials()
    logged_out = await harness.tokens(creds)
    await harness.client.post(f"{API}/auth/revoke", json={"token": logged_out["access"]})
    assert (await harness.refresh(logged_out["refresh"])).json()["code"] == "token_revoked"

    suspended = await harness.tokens(creds)
    await harness.run(lambda c, d: merchants.suspend_merchant(c, d, creds.app.merchant_id))
    await harness.sync()
    assert (await harness.refresh(suspended["refresh"])).json()["code"] == "account_suspended"
    await harness.run(lambda c, d: merchants.reinstate_merchant(c, d, creds.app.merchant_id))
    await harness.sync()

    rotated = await harness.tokens(creds)
    await harness.run(lambda c, d: apps.rotate_secret(c, d, creds.app.app_code, 0))
    await harness.sync()
    assert (await harness.refresh(rotated["refresh"])).json()["code"] == "token_revoked"


async def test_12_tampering_duplicates_encoding_and_size(harness, victim):
    _, tokens, key = victim
    head, body, signature = tokens["access"].split(".")
    header, payload = parts(tokens["access"])
    tampered = (
        forge(header, payload | {"products": ["collections", "payouts"]}, None)[:-1] + signature
    )
    assert (await status_code(harness, tampered))[0] == 401
    raw = json.dumps(payload)[:-1] + ', "merchant_id": 1}'  # a duplicate in both kinds
    assert (await status_code(harness, forge(header, raw, key.secret)))[0] == 401
    assert (await status_code(harness, f"{head}=.{body}.{signature}"))[0] == 401
    # A different last character that changes the signature's bytes...
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(signature[-1])
    changed = alphabet[(last + 4) % 64]  # +4 flips a data bit, not a padding bit
    assert (await status_code(harness, f"{head}.{body}.{signature[:-1]}{changed}"))[0] == 401
    # ...and one that spells the very same bytes differently (only padding bits change).
    variant = alphabet[last ^ 1]
    assert (await status_code(harness, f"{head}.{body}.{signature[:-1]}{variant}"))[0] == 401
    assert (await status_code(harness, tokens["access"]))[0] == 200
    nested = json.dumps(payload)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert (await status_code(harness, forge(header, nested, key.secret)))[0] == 401
    assert (await status_code(harness, forge(header, "[" * 500 + "]" * 500, key.secret)))[0] == 401


async def test_13_unknown_crit_header_is_refused(harness, victim):
    _, tokens, key = victim
    header, payload = parts(tokens["access"])
    for crit in (["exp"], ["b64"], []):
        forged = forge(header | {"crit": crit}, payload, key.secret)
        assert (await status_code(harness, forged))[0] == 401


async def test_14_authorization_header_parsing(harness, victim):
    _, tokens, _ = victim
    token = tokens["access"]
    path = target(token)
    for value in (f"bearer {token}", f"Bearer   {token}", f"BEARER {token}"):
        response = await harness.client.get(path, headers={"Authorization": value})
        assert response.status_code == 200, value
    twice = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    response = await harness.client.get(path, headers=twice)
    assert response.json()["code"] == "invalid_authorization_header"
    response = await harness.client.get(f"{path}?access_token={token}")
    assert response.json()["code"] == "not_authenticated"


async def test_15_secret_comparison_is_constant_time(harness, monkeypatch):
    """Every check goes through hmac.compare_digest, known app_key or not (no timing asserts).

    (A user's password is checked by argon2id, known email or not: tests/api/test_login.py.)
    """
    creds = await harness.app_credentials()
    calls: list[int] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(credentials.hmac, "compare_digest", spy)
    await harness.client.post(
        f"{API}/auth/app/token", json={"app_key": creds.app.app_key, "app_secret": "x"}
    )
    known = len(calls)
    await harness.client.post(
        f"{API}/auth/app/token", json={"app_key": "jpay_ak_unknown", "app_secret": "x"}
    )
    assert known == 1
    assert len(calls) - known == 1
