"""Rate limits as GCRA (generic cell rate algorithm): one number of state per key."""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass

_PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(second|minute|hour|day)\s*")


@dataclass(frozen=True, slots=True)
class Rate:
    """`count` requests per `period` seconds, with a burst of `count`."""

    count: int
    period: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Parse "30/minute" (units: second, minute, hour, day)."""
        match = _RATE.fullmatch(text)
        if not match or int(match.group(1)) < 1:
            raise ValueError(f"invalid rate {text!r}: expected e.g. '30/minute'")
        return cls(int(match.group(1)), _PERIODS[match.group(2)])

    @property
    def interval(self) -> float:
        """Seconds between requests at the sustained rate."""
        return self.period / self.count

    def __str__(self) -> str:
        unit = next(name for name, secs in _PERIODS.items() if secs == self.period)
        return f"{self.count}/{unit}"


def client_bucket(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> str:
    """What a per-client limit counts: an IPv4 address, or an IPv6 /64 (one subscriber)."""
    if address is None:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one hit: allowed or not, and the state to keep."""

    allowed: bool
    tat: float
    retry_after: int


def gcra(tat: float | None, now: float, rate: Rate) -> Decision:
    """Admit one request at `now` given the theoretical arrival time `tat` of the key."""
    tat = now if tat is None or tat < now else tat
    burst = rate.period - rate.interval
    if tat - now > burst:
        return Decision(False, tat, math.ceil(tat - now - burst))
    return Decision(True, tat + rate.interval, 0)
