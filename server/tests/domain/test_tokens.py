"""Token encoding and verification, without app or database."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jpay_server.domain import tokens
from jpay_server.domain.keys import Keyring, SigningKey
from jpay_server.domain.tokens import AccessClaims, RefreshClaims, TokenCodec
from jpay_server.errors import AuthenticationFailed

T0 = 1_800_000_000
KEY = SigningKey("k1", b"k" * 32, datetime(2026, 1, 1, tzinfo=UTC))


def codec(leeway: int = 0, *keys: SigningKey) -> TokenCodec:
    return TokenCodec(Keyring(list(keys) or [KEY]), "jpay", leeway)


def access(**changes: object) -> AccessClaims:
    values: dict[str, object] = dict(
        app_code=12345678,
        merchant_id=7,
        products=("collections",),
        family="f" * 32,
        generation=1,
        jti="a" * 32,
        issued_at=T0,
        expires_at=T0 + 900,
    )
    values.update(changes)
    return AccessClaims(**values)  # type: ignore[arg-type]


def refresh(**changes: object) -> RefreshClaims:
    values: dict[str, object] = dict(
        app_code=12345678,
        merchant_id=7,
        family="f" * 32,
        generation=1,
        jti="r" * 32,
        issued_at=T0,
        expires_at=T0 + 604800,
        family_end=T0 + 604800,
    )
    values.update(changes)
    return RefreshClaims(**values)  # type: ignore[arg-type]


def parts(token: str) -> tuple[dict[str, object], dict[str, object]]:
    def load(segment: str) -> dict[str, object]:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))

    header, payload, _ = token.split(".")
    return load(header), load(payload)


def test_access_round_trip_keeps_every_claim() -> None:
    claims = access()
    assert codec().decode_access(codec().encode_access(claims), T0 + 1) == claims


def test_access_token_carries_the_documented_claim_names() -> None:
    header, payload = parts(codec().encode_access(access()))
    assert header == {"alg": "HS256", "kid": "k1", "typ": "at+jwt"}
    assert payload["user_id"] == 7
    assert payload["app_code"] == 12345678
    assert payload["products"] == ["collections"]
    assert payload["token_type"] == "access"
    for claim in ("exp", "iat", "jti", "iss", "aud", "sub", "fam", "ep"):
        assert claim in payload


def test_refresh_token_says_refresh_true() -> None:
    header, payload = parts(codec().encode_refresh(refresh()))
    assert payload["refresh"] is True
    assert payload["token_type"] == "refresh"
    assert header["typ"] == "JWT"
    assert "products" not in payload


def test_encoding_is_deterministic() -> None:
    assert codec().encode_refresh(refresh()) == codec().encode_refresh(refresh())


def test_expired_token_is_reported_as_expired() -> None:
    token = codec().encode_access(access())
    with pytest.raises(AuthenticationFailed) as caught:
        codec().decode_access(token, T0 + 900)
    assert caught.value.code == "token_expired"


def test_leeway_tolerates_small_skew_only() -> None:
    token = codec(leeway=5).encode_access(access())
    codec(leeway=5).decode_access(token, T0 + 904)
    with pytest.raises(AuthenticationFailed):
        codec(leeway=5).decode_access(token, T0 + 905)


def test_token_issued_in_the_future_is_invalid() -> None:
    token = codec().encode_access(access(issued_at=T0 + 60, expires_at=T0 + 960))
    with pytest.raises(AuthenticationFailed) as caught:
        codec().decode_access(token, T0)
    assert caught.value.code == "token_invalid"


def test_refresh_token_is_not_an_access_token_and_back() -> None:
    with pytest.raises(AuthenticationFailed):
        codec().decode_access(codec().encode_refresh(refresh()), T0)
    with pytest.raises(AuthenticationFailed):
        codec().decode_refresh(codec().encode_access(access()), T0)


def test_other_issuer_is_refused() -> None:
    other = TokenCodec(Keyring([KEY]), "someone-else", 0)
    with pytest.raises(AuthenticationFailed):
        codec().decode_access(other.encode_access(access()), T0)


def test_older_key_verifies_and_newest_signs() -> None:
    old = SigningKey("old", b"o" * 32, datetime(2025, 1, 1, tzinfo=UTC))
    token = codec(0, old).encode_access(access())
    ring = codec(0, old, KEY)
    assert ring.keyring.signing_at(datetime(2026, 6, 1, tzinfo=UTC)).kid == "k1"
    assert ring.decode_access(token, T0).jti == access().jti


def test_token_signed_with_a_dropped_key_is_refused() -> None:
    old = SigningKey("old", b"o" * 32, datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(AuthenticationFailed):
        codec().decode_access(codec(0, old).encode_access(access()), T0)


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_garbage_never_escapes_as_anything_but_401(text: str) -> None:
    with pytest.raises(AuthenticationFailed):
        codec().decode_access(text, T0)


@settings(max_examples=200)
@given(st.binary(min_size=1, max_size=200), st.binary(max_size=200))
def test_segments_of_random_bytes_are_refused(header: bytes, payload: bytes) -> None:
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    with pytest.raises(AuthenticationFailed):
        codec().decode_refresh(f"{b64(header)}.{b64(payload)}.{b64(b'sig')}", T0)


def test_a_refresh_token_may_not_outlive_its_family() -> None:
    token = codec().encode_refresh(refresh(family_end=T0 + 100))
    with pytest.raises(AuthenticationFailed):
        codec().decode_refresh(token, T0)


def test_a_remembered_token_still_expires() -> None:
    # Verification is remembered per codec; the time-dependent checks run on every use.
    one = codec()
    token = one.encode_access(access())
    assert one.decode_access(token, T0).jti == access().jti
    assert one.decode_access(token, T0 + 899).jti == access().jti
    with pytest.raises(AuthenticationFailed) as caught:
        one.decode_access(token, T0 + 900)
    assert caught.value.code == "token_expired"


def test_a_refused_token_stays_refused_and_taints_nothing_else() -> None:
    one = codec()
    token = one.encode_access(access())
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    for _ in range(2):
        with pytest.raises(AuthenticationFailed) as caught:
            one.decode_access(forged, T0)
        assert caught.value.code == "token_invalid"
    assert one.decode_access(token, T0).jti == access().jti
    with pytest.raises(AuthenticationFailed):
        one.decode_access(forged, T0)


def test_a_token_for_a_key_added_later_verifies_under_the_new_keyring() -> None:
    # The access state builds a new codec when the keyring changes; nothing carries over.
    new = SigningKey("new", b"n" * 32, datetime(2026, 6, 1, tzinfo=UTC))
    token = codec(0, new).encode_access(access())
    before = codec()
    with pytest.raises(AuthenticationFailed):
        before.decode_access(token, T0)
    assert codec(0, KEY, new).decode_access(token, T0).jti == access().jti


def test_the_memos_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_MEMO", 3)
    monkeypatch.setattr(tokens, "REFUSED_MEMO", 2)
    one = codec()
    issued = [one.encode_access(access(jti=f"{n:032d}")) for n in range(6)]
    for n, token in enumerate(issued):
        assert one.decode_access(token, T0).jti == f"{n:032d}"
        with pytest.raises(AuthenticationFailed):
            one.decode_access(token[:-2] + ("BA" if token.endswith("AA") else "AA"), T0)
    assert len(one._verified) == 3
    assert len(one._refused) == 2
    assert one.decode_access(issued[0], T0).jti == f"{0:032d}"  # evicted, verified again
