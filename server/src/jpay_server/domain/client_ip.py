"""Which address a request came from, believing X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from jpay_server.domain.allowlists import IPAddress, Network


@functools.lru_cache(maxsize=4096)  # addresses are immutable; parsing one costs microseconds
def parse_ip(text: str) -> IPAddress | None:
    """An address, IPv4-mapped IPv6 folded to IPv4; None if it is not an address."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=4096)
def parse_hop(text: str) -> IPAddress | None:
    """An X-Forwarded-For hop: an address, `a.b.c.d:port` or `[v6]` / `[v6]:port`.

    Some cloud load balancers append the client's port; RFC 7239 §6 writes IPv6 in brackets.
    """
    hop = text.strip()
    if hop.startswith("["):
        inside, bracket, rest = hop[1:].partition("]")
        if not bracket or ":" not in inside or (rest and not _is_port(rest.removeprefix(":"))):
            return None
        return parse_ip(inside) if not rest or rest.startswith(":") else None
    if hop.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has at least two colons
        host, _, port = hop.partition(":")
        return parse_ip(host) if _is_port(port) and "." in host else None
    return parse_ip(hop)


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and 0 < int(text) < 65_536


def _trusted(address: IPAddress, proxies: Sequence[Network]) -> bool:
    return any(address in network for network in proxies)


def from_trusted_proxy(peer: str | None, proxies: Sequence[Network]) -> bool:
    """True when the peer is one of our proxies, whose X-Forwarded-* headers count."""
    address = parse_ip(peer) if peer and proxies else None
    return address is not None and _trusted(address, proxies)


def resolve(
    peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]
) -> IPAddress | None:
    """The client address: the peer, or the rightmost untrusted X-Forwarded-For hop.

    Hops are read right to left because only the ones our own proxies appended can be
    believed; anything further left was written by the client. An unparseable hop ends the
    walk with None (unknown), which an allowlist refuses.
    """
    address = parse_ip(peer) if peer else None
    if address is None or not proxies or not _trusted(address, proxies):
        return address
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        hop_address = parse_hop(hop)
        if hop_address is None:
            return None
        if not _trusted(hop_address, proxies):
            return hop_address
        address = hop_address
    return address
