"""TOTP second factor (RFC 6238) and single-use recovery codes.

Codes are 6 digits over 30-second steps (RFC 6238 §4, the authenticator apps' defaults). One
step either side is accepted for clock drift (§5.2), and a step once used is refused after
(§5.2: "the verifier MUST NOT accept the second attempt of the same OTP").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime

import pyotp

ISSUER = "JPay"
STEP = 30
DIGITS = 6
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, RFC 4226 §4's recommendation
RECOVERY_CODES = 10
RECOVERY_BYTES = 8  # 64 bits each, shown as xxxx-xxxx-xxxx-x


def new_secret(rand: Callable[[int], bytes]) -> str:
    """A base32 TOTP secret."""
    return base64.b32encode(rand(SECRET_BYTES)).decode().rstrip("=")


def otpauth_uri(secret: str, email: str) -> str:
    """The `otpauth://totp/...` URI authenticator apps read (from the QR code)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP).provisioning_uri(
        name=email, issuer_name=ISSUER
    )


def step_of(now: datetime) -> int:
    """The TOTP time step `now` falls in."""
    return int(now.timestamp()) // STEP


def matching_step(secret: str, code: str, now: datetime, last_used: int | None) -> int | None:
    """The step whose code `code` is (within the drift window, newer than the last used)."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP)
    current = step_of(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Every candidate is compared, in constant time, whatever matched before.
        if hmac.compare_digest(totp.at(step * STEP), code) and (
            last_used is None or step > last_used
        ):
            found = step
    return found


def new_recovery_codes(rand: Callable[[int], bytes]) -> list[str]:
    """Ten fresh recovery codes, shown once."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base64.b32encode(rand(RECOVERY_BYTES)).decode().rstrip("=").lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, len(raw), 4)))
    return codes


def recovery_digest(pepper: bytes, code: str) -> bytes:
    """What is stored: HMAC-SHA256 of the code (spaces, dashes and case ignored)."""
    normal = code.strip().lower().replace("-", "").replace(" ", "")
    return hmac.new(pepper, b"jpay/recovery/" + normal.encode(), hashlib.sha256).digest()


def looks_like_totp(code: str) -> bool:
    """A 6-digit code (else it is tried as a recovery code)."""
    code = code.strip().replace(" ", "")
    return len(code) == DIGITS and code.isdigit()
