"""JPAY_SMTP_URL parsing, the link shape, and TOTP steps."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import pytest

from jpay_server.domain import mfa
from jpay_server.domain.links import LinkPurpose, link_url, new_link_token
from jpay_server.domain.mail import parse_smtp_url
from jpay_server.settings import Settings


def test_smtp_urls_parse_and_bad_ones_are_refused_at_start():
    target = parse_smtp_url("smtp://user:p%40ss@mail.example:587?starttls=true")
    assert (target.host, target.port, target.username, target.password) == (
        "mail.example",
        587,
        "user",
        "p@ss",
    )
    assert (target.starttls, target.tls) == (True, False)
    assert "p@ss" not in repr(target)
    local = parse_smtp_url("smtp://127.0.0.1:2525")
    assert (local.port, local.username, local.starttls) == (2525, None, False)
    assert parse_smtp_url("smtps://mail.example").port == 465
    with pytest.raises(ValueError, match="smtp://"):
        Settings(smtp_url="http://mail.example")  # type: ignore[arg-type]


def test_links_carry_the_token_as_token_parameter():
    token = new_link_token(lambda n: bytes(n))
    assert token.startswith("jpay_lt_")
    url = link_url("https://pay.example/", LinkPurpose.RESET_PASSWORD, token)
    assert url == f"https://pay.example/dashboard/reset-password?token={token}"


def test_totp_accepts_one_step_of_drift_and_never_a_used_step():
    secret = mfa.new_secret(lambda n: b"\x01" * n)
    now = datetime(2026, 11, 30, 1, 0, 15, tzinfo=UTC)
    step = mfa.step_of(now)
    totp = pyotp.TOTP(secret)
    assert mfa.matching_step(secret, totp.at(now), now, None) == step
    assert mfa.matching_step(secret, totp.at(now.timestamp() - 30), now, None) == step - 1
    assert mfa.matching_step(secret, totp.at(now.timestamp() + 30), now, None) == step + 1
    assert mfa.matching_step(secret, totp.at(now.timestamp() - 60), now, None) is None
    assert mfa.matching_step(secret, totp.at(now), now, step) is None  # used already
    assert mfa.matching_step(secret, "12345", now, None) is None
    codes = mfa.new_recovery_codes(lambda n: bytes(range(n)))
    assert len(codes) == 10
    assert mfa.recovery_digest(b"k", codes[0].upper()) == mfa.recovery_digest(
        b"k", codes[0].replace("-", "")
    )
