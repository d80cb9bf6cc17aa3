"""Per-app IP allowlists: CIDR ranges; an empty list allows any address."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from jpay_server.errors import InvalidRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_ENTRIES = 100


def parse_network(text: str) -> Network:
    """Parse an IP or CIDR; host bits set (10.0.0.5/24) is refused rather than widened."""
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        try:
            wider = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            raise InvalidRequest(f"invalid IP address or CIDR: {text!r}", field="cidr") from None
        raise InvalidRequest(
            f"{text} has host bits set; did you mean {wider}?", field="cidr"
        ) from None


@dataclass(frozen=True, slots=True)
class Allowlist:
    """The networks an app's callers must come from."""

    networks: tuple[Network, ...] = ()

    @classmethod
    def of(cls, entries: Iterable[str]) -> Allowlist:
        """Build from stored CIDR strings."""
        return cls(tuple(parse_network(entry) for entry in entries))

    def allows(self, address: IPAddress | None) -> bool:
        """True if the list is empty or `address` is in one of its networks."""
        if not self.networks:
            return True
        if address is None:
            return False
        return any(address in network for network in self.networks)


def add(entries: tuple[str, ...], cidr: str) -> tuple[str, ...]:
    """The entries with `cidr` added (normalised, deduplicated, sorted)."""
    network = str(parse_network(cidr))
    if network in entries:
        return entries
    if len(entries) >= MAX_ENTRIES:
        raise InvalidRequest(f"an allowlist holds at most {MAX_ENTRIES} entries", field="cidr")
    return tuple(sorted((*entries, network)))


def remove(entries: tuple[str, ...], cidr: str) -> tuple[str, ...]:
    """The entries without `cidr`; removing an absent entry is an error, to catch typos."""
    network = str(parse_network(cidr))
    if network not in entries:
        raise InvalidRequest(f"{network} is not on the allowlist", field="cidr")
    return tuple(entry for entry in entries if entry != network)


def replace_all(entries: Iterable[str]) -> tuple[str, ...]:
    """A whole new list, each entry checked and normalised as `add` does."""
    result: tuple[str, ...] = ()
    for entry in entries:
        result = add(result, entry)
    return result
