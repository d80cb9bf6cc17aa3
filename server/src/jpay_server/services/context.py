"""What every use case may depend on: settings, derived keys, the clock and randomness."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from jpay_server.clock import Clock, system_clock
from jpay_server.domain.randomness import TokenBytes
from jpay_server.domain.secrets import ServerKeys, derive_server_keys
from jpay_server.settings import Settings


def new_id(rand: TokenBytes, size: int = 16) -> str:
    """A random, URL-safe identifier (jti, family id)."""
    return rand(size).hex()


@dataclass(frozen=True, slots=True)
class Context:
    """The injected dependencies of the services."""

    settings: Settings
    keys: ServerKeys = field(repr=False)
    clock: Clock = system_clock
    rand: TokenBytes = secrets.token_bytes

    @classmethod
    def from_settings(
        cls, settings: Settings, clock: Clock = system_clock, rand: TokenBytes = secrets.token_bytes
    ) -> Context:
        """Derive the server keys from the settings' master secret."""
        return cls(settings, derive_server_keys(settings.master_secret()), clock, rand)
