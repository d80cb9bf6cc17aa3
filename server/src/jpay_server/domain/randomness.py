"""The injected source of randomness: `secrets.token_bytes` in production, seeded in tests."""

from __future__ import annotations

from collections.abc import Callable

TokenBytes = Callable[[int], bytes]
