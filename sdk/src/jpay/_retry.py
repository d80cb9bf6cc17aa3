"""The one retry policy: which failures are retried, and how long to wait before each retry.

Retried: connection failures (refused, reset, timed out), 429 and 5xx. Nothing else: a 4xx
other than 429 would fail the same way again. POSTs are retried too, which is safe only
because every POST the SDK sends carries an `Idempotency-Key` that stays the same across the
attempts of one call, so the server applies it once (token calls are safe to repeat as they
are: a login makes a new family, and a refresh repeated within the grace window gets the
same pair).

The wait is capped exponential backoff with jitter (`initial_delay * 2**attempt`, at most
`max_delay`, times a factor in [0.5, 1)), or the server's `Retry-After` when that is longer.
A `Retry-After` longer than `max_retry_after` is not waited for: the error is raised so
that the caller decides.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from jpay._errors import retry_after

DEFAULT_MAX_RETRIES = 2

# Failures after which the request may not have reached the server, or its answer was lost.
RETRYABLE_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


@dataclass
class RetryPolicy:
    """How many times to retry, and the backoff between attempts (jitter is injectable)."""

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")

    def backoff(self, attempt: int) -> float:
        """The wait before retry number `attempt + 1` (attempt counts from 0)."""
        base: float = min(self.initial_delay * 2.0**attempt, self.max_delay)
        return base * (0.5 + 0.5 * self.jitter())

    def after_error(self, attempt: int, error: Exception) -> float | None:
        """Seconds to wait before retrying after a transport error, or None to give up."""
        if attempt >= self.max_retries or not isinstance(error, RETRYABLE_ERRORS):
            return None
        return self.backoff(attempt)

    def after_response(self, attempt: int, response: httpx.Response) -> float | None:
        """Seconds to wait before retrying after this response, or None to give up."""
        status = response.status_code
        if attempt >= self.max_retries or not (status == 429 or status >= 500):
            return None
        asked = retry_after(response)
        if asked is None:
            return self.backoff(attempt)
        if asked > self.max_retry_after:
            return None
        return max(asked, self.backoff(attempt) if status >= 500 else 0.0)
