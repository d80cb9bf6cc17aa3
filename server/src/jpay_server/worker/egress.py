"""Where webhooks may go: outside development, only to public addresses, checked at send time.

The host is resolved here and the request is sent to the address that was checked (with the
original Host header and TLS server name), so DNS cannot change the answer in between.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from jpay_server.domain.webhooks import is_public


class Blocked(Exception):
    """The destination is, or resolves to, a non-public address."""


@dataclass(frozen=True, slots=True)
class Target:
    """What to connect to, and what to tell the server we meant."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)


async def resolve(url: str, allow_private: bool) -> Target:
    """The target for a callback URL; Blocked if it leads anywhere non-public."""
    if allow_private:
        return Target(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if not is_public(literal):
            raise Blocked(host)
        return Target(url)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Blocked(f"cannot resolve {host}") from exc
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses or not all(is_public(a) for a in addresses):
        raise Blocked(host)
    chosen = addresses[0]
    netloc = f"[{chosen}]:{port}" if chosen.version == 6 else f"{chosen}:{port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return Target(pinned, {"host": parts.netloc.rsplit("@", 1)[-1]}, {"sni_hostname": host})
