"""JWT access and refresh tokens: claims, encoding, and strict verification.

The signature is checked by PyJWT (PyJWS) with the one algorithm bound to the key the `kid`
names; the claims are then validated here against an injected `now`, so that expiry rules are
testable without sleeping and the hot path does only the checks a pinned HS256 token needs.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm
from jwt.api_jws import PyJWS

from jpay_server.domain.keys import ALGORITHM, Keyring, SigningKey
from jpay_server.errors import (
    JPayError,
    app_token_required,
    token_expired,
    token_invalid,
    user_token_required,
)

ACCESS_TYP = "at+jwt"  # RFC 9068 §2.1: explicit typing of access tokens
REFRESH_TYP = "JWT"
MFA_TYP = "mfa+jwt"
ACCESS_AUDIENCE = "jpay:api"
REFRESH_AUDIENCE = "jpay:auth/refresh"
MFA_AUDIENCE = "jpay:auth/login/mfa"
MFA_LIFETIME = 300  # seconds to type the code after the password
USER_KIND = "user"  # the `kind` claim of a merchant user's tokens; app tokens have none
MAX_TOKEN_CHARS = 4096
MAX_ID_CHARS = 64
_HEADER_KEYS = frozenset({"alg", "typ", "kid"})
VERIFIED_MEMO = 4096  # entries; ~2 KiB each
REFUSED_MEMO = 1024  # entries of at most MAX_TOKEN_CHARS


class _PreparedHS256(HMACAlgorithm):
    """PyJWT's HS256, vetting each secret once instead of on every sign and verify.

    `prepare_key` refuses secrets shaped like PEM, SSH or DER public keys (the algorithm
    confusion guard); that answer depends on the bytes alone, and our handful of keys was a
    tenth of a token's cost. Signing and verifying are PyJWT's own.
    """

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        self._prepared: dict[bytes, bytes] = {}

    def prepare_key(self, key: str | bytes) -> bytes:
        raw = key.encode() if isinstance(key, str) else key
        prepared = self._prepared.get(raw)
        if prepared is None:
            prepared = super().prepare_key(raw)
            if len(self._prepared) >= 64:  # keys come from the keyring, never from tokens
                self._prepared.clear()
            self._prepared[raw] = prepared
        return prepared


_JWS = PyJWS(algorithms=[ALGORITHM])
_JWS.unregister_algorithm(ALGORITHM)
_JWS.register_algorithm(ALGORITHM, _PreparedHS256())


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What an access token says: who, which products, which family and generation.

    A merchant user's token has `user_id` set and `app_code` 0 (no app, no products); its
    generation is the user's token epoch rather than an app secret's generation.
    """

    app_code: int
    merchant_id: int
    products: tuple[str, ...]
    family: str
    generation: int
    jti: str
    issued_at: int
    expires_at: int
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class RefreshClaims:
    """What a refresh token says; `family_end` is its family's absolute end (claim `fex`)."""

    app_code: int
    merchant_id: int
    family: str
    generation: int
    jti: str
    issued_at: int
    expires_at: int
    family_end: int
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class MfaClaims:
    """A password that checked out, waiting for its second factor (claim set of mfa_token)."""

    user_id: int
    epoch: int
    jti: str
    issued_at: int
    expires_at: int


class TokenCodec:
    """Encodes and verifies tokens with a keyring, an issuer and a clock-skew leeway."""

    def __init__(
        self,
        keyring: Keyring,
        issuer: str,
        leeway: int,
        access_lifetime: int = 900,
        refresh_lifetime: int = 604_800,
    ) -> None:
        self.keyring = keyring
        self.issuer = issuer
        self.leeway = leeway
        self._lifetimes = {
            "access": access_lifetime,
            "refresh": refresh_lifetime,
            "mfa": MFA_LIFETIME,
        }
        # Verification of an exact access-token string under this keyring always gives the same
        # answer, so it is remembered (a new keyring means a new codec and empty memos). Claims
        # that depend on time are still checked on every use.
        self._verified: dict[str, dict[str, Any]] = {}
        self._refused: dict[str, None] = {}

    def encode_access(self, claims: AccessClaims, key: SigningKey | None = None) -> str:
        """Sign an access token (with the newest key unless `key` is given)."""
        if claims.user_id is not None:
            return self._sign(_user_payload(self.issuer, "access", claims), ACCESS_TYP, key)
        payload = {
            "token_type": "access",
            "iss": self.issuer,
            "aud": ACCESS_AUDIENCE,
            "sub": str(claims.app_code),
            "user_id": claims.merchant_id,
            "merchant_id": claims.merchant_id,
            "app_code": claims.app_code,
            "products": list(claims.products),
            "iat": claims.issued_at,
            "exp": claims.expires_at,
            "jti": claims.jti,
            "fam": claims.family,
            "ep": claims.generation,
        }
        return self._sign(payload, ACCESS_TYP, key)

    def encode_refresh(self, claims: RefreshClaims, key: SigningKey | None = None) -> str:
        """Sign a refresh token."""
        if claims.user_id is not None:
            payload = _user_payload(self.issuer, "refresh", claims)
            payload |= {"refresh": True, "fex": claims.family_end}
            return self._sign(payload, REFRESH_TYP, key)
        payload = {
            "token_type": "refresh",
            "refresh": True,
            "iss": self.issuer,
            "aud": REFRESH_AUDIENCE,
            "sub": str(claims.app_code),
            "user_id": claims.merchant_id,
            "app_code": claims.app_code,
            "iat": claims.issued_at,
            "exp": claims.expires_at,
            "jti": claims.jti,
            "fam": claims.family,
            "fex": claims.family_end,
            "ep": claims.generation,
        }
        return self._sign(payload, REFRESH_TYP, key)

    def encode_mfa(self, claims: MfaClaims) -> str:
        """Sign the short-lived token that carries a checked password to the MFA step."""
        payload = {
            "token_type": "mfa",
            "iss": self.issuer,
            "aud": MFA_AUDIENCE,
            "sub": f"user:{claims.user_id}",
            "kind": USER_KIND,
            "user_id": claims.user_id,
            "iat": claims.issued_at,
            "exp": claims.expires_at,
            "jti": claims.jti,
            "ep": claims.epoch,
        }
        return self._sign(payload, MFA_TYP, None)

    def decode_mfa(self, token: str, now: int) -> MfaClaims:
        """Verify an mfa_token; raises token_invalid or token_expired."""
        p = self._verify(token, MFA_TYP)
        self._check_common(p, "mfa", MFA_AUDIENCE, now)
        if p.get("kind") != USER_KIND:
            raise token_invalid()
        return MfaClaims(
            user_id=_int(p, "user_id"),
            epoch=_int(p, "ep"),
            jti=_id(p, "jti"),
            issued_at=_int(p, "iat"),
            expires_at=_int(p, "exp"),
        )

    def _sign(self, payload: dict[str, Any], typ: str, key: SigningKey | None) -> str:
        key = key or self.keyring.signing_at(datetime.fromtimestamp(payload["iat"], UTC))
        body = json.dumps(payload, separators=(",", ":")).encode()
        return _JWS.encode(body, key.secret, ALGORITHM, headers={"typ": typ, "kid": key.kid})

    def decode_access(self, token: str, now: int) -> AccessClaims:
        """Verify an access token; raises token_invalid or token_expired."""
        p = self._verified.get(token)
        if p is None:
            p = self._verify_once(token)
        self._check_common(p, "access", ACCESS_AUDIENCE, now)
        if "kind" in p:
            if p["kind"] == USER_KIND:
                raise app_token_required()
            raise token_invalid()
        products = p.get("products")
        if not isinstance(products, list) or not all(isinstance(x, str) for x in products):
            raise token_invalid()
        return AccessClaims(
            app_code=_int(p, "app_code"),
            merchant_id=_int(p, "user_id"),
            products=tuple(products),
            family=_id(p, "fam"),
            generation=_int(p, "ep"),
            jti=_id(p, "jti"),
            issued_at=_int(p, "iat"),
            expires_at=_int(p, "exp"),
        )

    def decode_user_access(self, token: str, now: int) -> AccessClaims:
        """Verify a merchant user's access token; a valid app token is user_token_required."""
        p = self._verified.get(token)
        if p is None:
            p = self._verify_once(token)
        self._check_common(p, "access", ACCESS_AUDIENCE, now)
        if "kind" not in p:
            self.decode_access(token, now)  # a well-formed app token, or token_invalid
            raise user_token_required()
        if p["kind"] != USER_KIND:
            raise token_invalid()
        return AccessClaims(
            app_code=0,
            merchant_id=_int(p, "merchant_id"),
            products=(),
            family=_id(p, "fam"),
            generation=_int(p, "ep"),
            jti=_id(p, "jti"),
            issued_at=_int(p, "iat"),
            expires_at=_int(p, "exp"),
            user_id=_int(p, "user_id"),
        )

    def decode_refresh(self, token: str, now: int) -> RefreshClaims:
        """Verify a refresh token (an app's or a user's); raises token_invalid or expired."""
        p = self._verify(token, REFRESH_TYP)
        if p.get("refresh") is not True:
            raise token_invalid()
        self._check_common(p, "refresh", REFRESH_AUDIENCE, now)
        family_end = _int(p, "fex")
        if family_end < _int(p, "exp"):
            raise token_invalid()
        if "kind" in p:
            if p["kind"] != USER_KIND:
                raise token_invalid()
            return RefreshClaims(
                app_code=0,
                merchant_id=_int(p, "merchant_id"),
                family=_id(p, "fam"),
                generation=_int(p, "ep"),
                jti=_id(p, "jti"),
                issued_at=_int(p, "iat"),
                expires_at=_int(p, "exp"),
                family_end=family_end,
                user_id=_int(p, "user_id"),
            )
        return RefreshClaims(
            app_code=_int(p, "app_code"),
            merchant_id=_int(p, "user_id"),
            family=_id(p, "fam"),
            generation=_int(p, "ep"),
            jti=_id(p, "jti"),
            issued_at=_int(p, "iat"),
            expires_at=_int(p, "exp"),
            family_end=family_end,
        )

    def app_of(self, token: str, refresh: bool = False) -> int | None:
        """The app of a token whose signature checks out, whatever its claims; else None.

        For an access token this only looks in the memo (a refused request has just put it
        there), so attributing a refusal to its app costs no signature check.
        """
        if refresh:
            try:
                payload: dict[str, Any] | None = self._verify(token, REFRESH_TYP)
            except JPayError:
                return None
        else:
            payload = self._verified.get(token)
        if not payload or "kind" in payload:  # a merchant user's token names no app
            return None
        code = payload.get("app_code")
        return code if type(code) is int and code > 0 else None

    def _verify_once(self, token: str) -> dict[str, Any]:
        """Verify an access token's signature and header, remembering the answer."""
        if token in self._refused:
            raise token_invalid()
        try:
            payload = self._verify(token, ACCESS_TYP)
        except JPayError:
            if len(token) <= MAX_TOKEN_CHARS:
                _remember(self._refused, REFUSED_MEMO, token, None)
            raise
        _remember(self._verified, VERIFIED_MEMO, token, payload)
        return payload

    def _verify(self, token: str, typ: str) -> dict[str, Any]:
        """Check format, header and signature; return the payload (claims still unchecked)."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise token_invalid()
        try:
            key = self.keyring.verifier(_kid(token))
            if key is None:
                raise token_invalid()
            verified = _JWS.decode_complete(token, key, algorithms=[ALGORITHM])
            header = verified["header"]
            # Header-supplied keys (jku, x5u, jwk, x5c), crit and anything else are refused.
            if header.keys() - _HEADER_KEYS or header.get("typ") != typ:
                raise token_invalid()
            if header.get("alg") != ALGORITHM or header.get("kid") != key.key_id:
                raise token_invalid()
            # One token, one spelling: the signature's last character has two padding bits,
            # and a variant spelling of the same bytes is refused (RFC 8725 §2.6).
            if _b64url(verified["signature"]) != token.rsplit(".", 1)[1]:
                raise token_invalid()
            payload = json.loads(verified["payload"], object_pairs_hook=_unique_keys)
        except (jwt.PyJWTError, ValueError, TypeError, UnicodeError, RecursionError):
            raise token_invalid() from None
        if not isinstance(payload, dict):
            raise token_invalid()
        return payload

    def _check_common(self, p: dict[str, Any], token_type: str, audience: str, now: int) -> None:
        if p.get("token_type") != token_type or p.get("aud") != audience:
            raise token_invalid()
        if p.get("iss") != self.issuer:
            raise token_invalid()
        issued, expires = _int(p, "iat"), _int(p, "exp")
        # Nothing we issue lives longer than its kind's lifetime: a longer one is forged.
        if issued > now + self.leeway or not 0 < expires - issued <= self._lifetimes[token_type]:
            raise token_invalid()
        if now >= expires + self.leeway:
            raise token_expired()


def _user_payload(
    issuer: str, token_type: str, claims: AccessClaims | RefreshClaims
) -> dict[str, Any]:
    """The claims of a merchant user's token: `user_id` is the user, not the merchant."""
    return {
        "token_type": token_type,
        "iss": issuer,
        "aud": ACCESS_AUDIENCE if token_type == "access" else REFRESH_AUDIENCE,  # noqa: S105
        "sub": f"user:{claims.user_id}",
        "kind": USER_KIND,
        "user_id": claims.user_id,
        "merchant_id": claims.merchant_id,
        "iat": claims.issued_at,
        "exp": claims.expires_at,
        "jti": claims.jti,
        "fam": claims.family,
        "ep": claims.generation,
    }


def _remember(memo: dict[str, Any], size: int, token: str, value: Any) -> None:
    """Store in a bounded memo, evicting the oldest entry when full."""
    if len(memo) >= size:
        del memo[next(iter(memo))]
    memo[token] = value


def _kid(token: str) -> object:
    """The header's `kid`, read only to pick the key; PyJWT then parses and checks it all.

    PyJWT's own unverified-header read validates every segment, which doubled the cost of
    verification; the header is small and is read again, strictly, by decode_complete.
    """
    segment = token.split(".", 1)[0]
    header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return header.get("kid") if isinstance(header, dict) else None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON object hook refusing duplicate member names (RFC 8725 §2.6)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate JSON member")
    return result


def _int(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if type(value) is not int:  # bool is an int subclass; `true` is not a timestamp
        raise token_invalid()
    return value


def _id(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_CHARS:
        raise token_invalid()
    return value
