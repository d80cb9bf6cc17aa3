"""Where a client keeps its tokens: in memory (the default) or in files shared by processes.

A store holds opaque text (the SDK's serialised tokens) under a key derived from the base URL
and the app key, and gives an exclusive lock per key. The client takes the lock around every
login or refresh and re-reads the store inside it, so processes sharing a store share one
login and refresh one at a time: a fleet of workers on one host holds a single token pair.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class TokenStore(Protocol):
    """The interface a token store implements (e.g. on Redis, for a fleet of hosts)."""

    def load(self, key: str) -> str | None:
        """The text saved under `key`, or None."""
        ...

    def save(self, key: str, value: str) -> None:
        """Replace the text under `key`."""
        ...

    def lock(self, key: str) -> AbstractContextManager[object]:
        """An exclusive lock on `key`, held while a client logs in or refreshes."""
        ...


class MemoryTokenStore:
    """Tokens in this process's memory; share one instance between clients to share tokens."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def load(self, key: str) -> str | None:
        """The text saved under `key`, or None."""
        return self._values.get(key)

    def save(self, key: str, value: str) -> None:
        """Replace the text under `key`."""
        self._values[key] = value

    def lock(self, key: str) -> AbstractContextManager[object]:
        """A per-key lock (threading.Lock: releasable from another thread)."""
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={len(self._values)})"


class FileTokenStore:
    """Tokens in files under `directory`, private to the user (0600), locked with flock.

    For several processes on one host (POSIX). Each key has a JSON file written atomically
    (a temporary file renamed over it) and a lock file; the lock is `flock(2)`, which the
    kernel releases if the holder dies.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, key: str, suffix: str) -> Path:
        if not key.replace("-", "").replace("_", "").isalnum():
            raise ValueError("token store keys are letters, digits, '-' and '_'")
        return self.directory / f"{key}{suffix}"

    def load(self, key: str) -> str | None:
        """The text saved under `key`, or None."""
        try:
            return self._path(key, ".json").read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def save(self, key: str, value: str) -> None:
        """Replace the text under `key` atomically, readable by this user only."""
        target = self._path(key, ".json")
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp makes it 0600
                handle.write(value)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    def lock(self, key: str) -> AbstractContextManager[object]:
        """An exclusive flock on the key's lock file (blocks until it is free)."""
        return self._flock(self._path(key, ".lock"))

    @contextlib.contextmanager
    def _flock(self, path: Path) -> Iterator[None]:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.directory)!r})"
