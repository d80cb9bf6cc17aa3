"""Emails the server sends: what each says, and where the SMTP server is."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from jpay_server.domain.members import Role


@dataclass(frozen=True, slots=True)
class Email:
    """One message to one address, plain text."""

    kind: str
    to: str
    subject: str
    body: str

    def __repr__(self) -> str:  # the body may hold a link token
        return f"Email({self.kind!r}, to={self.to!r})"


def verification_email(to: str, business: str, link: str) -> Email:
    """Sent on signup: confirm the address."""
    body = (
        f"Welcome to JPay, {business}.\n\n"
        f"Confirm your email address to finish signing up:\n\n{link}\n\n"
        "The link works once, for 24 hours. Your account is reviewed before it can take "
        "payments.\nIf you did not sign up, ignore this email.\n"
    )
    return Email("verify_email", to, "Confirm your email address", body)


def account_exists_email(to: str, login_link: str, reset_link: str) -> Email:
    """Sent when someone signs up with an address that already has an account."""
    body = (
        "Someone (maybe you) tried to sign up for JPay with this email address, which "
        f"already has an account.\n\nSign in: {login_link}\n"
        f"Forgot your password? {reset_link}\n\nIf it was not you, ignore this email.\n"
    )
    return Email("account_exists", to, "You already have a JPay account", body)


def reset_email(to: str, link: str) -> Email:
    """Sent on a password reset request for a known address."""
    body = (
        f"Reset your JPay password:\n\n{link}\n\n"
        "The link works once, for 30 minutes. Resetting signs you out everywhere.\n"
        "If you did not ask for this, ignore this email: your password is unchanged.\n"
    )
    return Email("reset_password", to, "Reset your JPay password", body)


def invite_email(to: str, merchant: str, role: Role, link: str) -> Email:
    """Sent to a new team member."""
    body = (
        f"You are invited to join {merchant} on JPay as {role.value}.\n\n"
        f"Accept the invitation and choose a password:\n\n{link}\n\n"
        "The link works once, for 7 days.\n"
    )
    return Email("invite", to, f"Join {merchant} on JPay", body)


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """Where and how to send: parsed from JPAY_SMTP_URL."""

    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    tls: bool

    def __repr__(self) -> str:
        return f"SmtpTarget({self.host}:{self.port}, starttls={self.starttls}, tls={self.tls})"


def parse_smtp_url(url: str) -> SmtpTarget:
    """`smtp://user:pass@host:587?starttls=true` (or `smtps://` for TLS from the start)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("JPAY_SMTP_URL must look like smtp://user:pass@host:587?starttls=true")
    query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    tls = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=query.get("starttls") in ("true", "1", "yes"),
        tls=tls,
    )
