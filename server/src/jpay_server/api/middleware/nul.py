"""A NUL character in the path or query is refused (400): PostgreSQL text cannot hold one."""

from __future__ import annotations

from starlette.types import Scope


def has_nul(scope: Scope) -> bool:
    """Whether the path or the query string holds a NUL (raw or percent-encoded)."""
    return "\x00" in scope["path"] or b"%00" in scope["query_string"]
