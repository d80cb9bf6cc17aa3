"""Passwords: the rules a new one must meet, and argon2id hashing with fixed parameters.

Parameters follow the OWASP Password Storage Cheat Sheet's first argon2id option: 19 MiB of
memory, 2 passes, 1 lane (RFC 9106 §4 allows any; this one costs about 50 ms per check here and
keeps a login burst from exhausting memory). They are written into every hash, so raising
them later rehashes each password at its next successful login.
"""

from __future__ import annotations

import functools
import secrets
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from jpay_server.errors import InvalidRequest

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes any length; a bound keeps a request's cost bounded
TIME_COST = 2
MEMORY_COST_KIB = 19_456
PARALLELISM = 1
HASH_BYTES = 32
SALT_BYTES = 16

_HASHER = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    hash_len=HASH_BYTES,
    salt_len=SALT_BYTES,
    type=Type.ID,
)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords shipped in `jpay_server/data` (case-folded)."""
    text = resources.files("jpay_server.data").joinpath("common-passwords.txt").read_text()
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip())


def weak_password(detail: str) -> InvalidRequest:
    """A new password that breaks one of the rules."""
    return InvalidRequest(detail, code="weak_password", field="password")


def check_new_password(password: str, email: str) -> None:
    """Refuse a password that is short, too long, the email itself, or a common one."""
    if len(password) < MIN_LENGTH:
        raise weak_password(f"Password must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise weak_password(f"Password must be at most {MAX_LENGTH} characters")
    folded = password.strip().casefold()
    address = email.strip().casefold()
    if folded in (address, address.partition("@")[0]):
        raise weak_password("Password must not be your email address")
    if folded in common_passwords():
        raise weak_password("This password is too common; choose another")


def hash_password(password: str) -> str:
    """An argon2id hash in PHC string form (parameters and salt included)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if `password` matches; a malformed hash matches nothing."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True if the hash was made with other parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@functools.cache
def dummy_hash() -> str:
    """A hash of a random password, verified against when an email is unknown.

    An unknown email then costs exactly the hashing work of a wrong password, so response
    time does not tell whether an account exists.
    """
    return _HASHER.hash(secrets.token_urlsafe(32))
