"""The rate limits on guessable steps, each named once and counted by its use case.

The API and the dashboard reach the same use cases, so they share one count per key.
"""

from __future__ import annotations

from jpay_server.domain.allowlists import IPAddress
from jpay_server.domain.ratelimits import Rate, client_bucket
from jpay_server.domain.users import email_key
from jpay_server.errors import RateLimited
from jpay_server.settings import Settings
from jpay_server.store.ratelimits import RateLimiter

# A key and the rate it may be hit at.
Limit = tuple[str, Rate]


async def hit(limiter: RateLimiter, *limits: Limit) -> None:
    """Count one hit on each limit; the first refused one raises 429 with Retry-After."""
    for key, rate in limits:
        decision = await limiter.hit(key, rate)
        if not decision.allowed:
            raise RateLimited(decision.retry_after)


async def check(limiter: RateLimiter, limit: Limit) -> None:
    """Raise 429 if a hit on `limit` would be refused, counting nothing."""
    decision = await limiter.peek(*limit)
    if not decision.allowed:
        raise RateLimited(decision.retry_after)


async def hit_and_check(limiter: RateLimiter, counted: Limit, ahead: Limit) -> None:
    """`hit(counted)` then `check(ahead)`, asked of the limiter at once (one Redis round trip)."""
    hit_decision, peek_decision = await limiter.hit_and_peek(counted, ahead)
    for decision in (hit_decision, peek_decision):
        if not decision.allowed:
            raise RateLimited(decision.retry_after)


def logins_from(settings: Settings, client: IPAddress | None) -> Limit:
    """Logins, sign-ups and reset requests from one client address."""
    return f"login:ip:{client_bucket(client)}", settings.rate_limit_login_per_ip


def passwords_for(settings: Settings, email: str) -> Limit:
    """Password tries for one email address."""
    return f"login:email:{email_key(email)}", settings.rate_limit_login_per_account


def codes_for(settings: Settings, user_id: int) -> Limit:
    """Second-factor codes and current passwords tried for one user."""
    return f"mfa:user:{user_id}", settings.rate_limit_login_per_account


def emails_to(settings: Settings, email: str) -> Limit:
    """Emails sent to one address (sign-up, reset, invitation)."""
    return f"email:{email_key(email)}", settings.rate_limit_email_per_address


def links_from(settings: Settings, client: IPAddress | None) -> Limit:
    """Emailed link tokens tried from one client address."""
    return f"link:ip:{client_bucket(client)}", settings.rate_limit_login_per_ip


def app_logins_from(settings: Settings, client: IPAddress | None) -> Limit:
    """App credential tries from one client address."""
    return f"token:ip:{client_bucket(client)}", settings.rate_limit_token_per_ip


def failed_logins_of(settings: Settings, app_key: str) -> Limit:
    """Failed logins with one app key (only failures count)."""
    return f"token:key:{app_key}", settings.rate_limit_token_per_key


def refreshes_from(settings: Settings, client: IPAddress | None) -> Limit:
    """Refresh and revoke requests from one client address."""
    return f"refresh:ip:{client_bucket(client)}", settings.rate_limit_refresh_per_ip
