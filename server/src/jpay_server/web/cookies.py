"""The dashboard's two cookies: the session, and the pre-sign-in CSRF seed.

Outside development both are `Secure` and carry the `__Host-` prefix, which browsers accept
only from HTTPS, with `Path=/` and no `Domain`: no subdomain can plant or shadow them
(RFC 6265bis §4.1.3.2). Both are HttpOnly, so no script can read them, and `SameSite=Lax`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from jpay_server.settings import Settings


def _name(settings: Settings, base: str) -> str:
    return base if settings.env == "development" else f"__Host-{base}"


def session_cookie(settings: Settings) -> str:
    """The session cookie's name."""
    return _name(settings, "jpay_session")


def seed_cookie(settings: Settings) -> str:
    """The name of the cookie that anchors CSRF tokens on the sign-in and sign-up forms."""
    return _name(settings, "jpay_csrf")


def _set(response: Response, settings: Settings, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        path="/",
        httponly=True,
        secure=settings.env != "development",
        samesite="lax",
    )


def set_session(response: Response, settings: Settings, token: str) -> None:
    """Give the browser its session token (a session cookie: it ends with the browser too)."""
    _set(response, settings, session_cookie(settings), token)


def clear_session(response: Response, settings: Settings) -> None:
    """Make the browser forget its session token."""
    response.delete_cookie(
        session_cookie(settings),
        path="/",
        httponly=True,
        secure=settings.env != "development",
        samesite="lax",
    )


def session_token(request: Request, settings: Settings) -> str | None:
    """The session token the browser sent, if any."""
    return request.cookies.get(session_cookie(settings)) or None


def seed(request: Request, settings: Settings) -> str | None:
    """The CSRF seed the browser sent, if any."""
    return request.cookies.get(seed_cookie(settings)) or None


def new_seed() -> str:
    """A fresh CSRF seed."""
    return secrets.token_urlsafe(32)


def set_seed(response: Response, settings: Settings, value: str) -> None:
    """Give the browser its CSRF seed."""
    _set(response, settings, seed_cookie(settings), value)


def seed_token(pepper: bytes, value: str) -> str:
    """The form token bound to a seed: only a page of ours, which knows the pepper, has it."""
    return hmac.new(pepper, b"dashboard-csrf:" + value.encode(), hashlib.sha256).hexdigest()
