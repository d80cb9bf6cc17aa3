"""Server-side secrets: keys derived from the master secret, and sealing of stored secrets."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12


@dataclass(frozen=True, slots=True)
class ServerKeys:
    """The pepper that keys secret hashes, and the key that seals secrets at rest."""

    pepper: bytes
    kek: bytes

    def __repr__(self) -> str:
        return "ServerKeys(<redacted>)"


def derive_server_keys(master: bytes) -> ServerKeys:
    """Derive independent subkeys from the master secret (HKDF, RFC 5869)."""
    return ServerKeys(pepper=_hkdf(master, b"jpay/pepper/v1"), kek=_hkdf(master, b"jpay/kek/v1"))


def _hkdf(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def seal(kek: bytes, plaintext: bytes, context: bytes, nonce: bytes) -> bytes:
    """Encrypt with AES-256-GCM, binding `context` (e.g. the key id) as associated data."""
    if len(nonce) != NONCE_BYTES:
        raise ValueError("nonce must be 12 bytes")
    return nonce + AESGCM(kek).encrypt(nonce, plaintext, context)


def unseal(kek: bytes, sealed: bytes, context: bytes) -> bytes:
    """Decrypt what `seal` produced; raises if the key, context or ciphertext is wrong."""
    return AESGCM(kek).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
