"""A real HTTP webhook receiver for tests: records every request, answers as scripted."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """What came in, and how to answer the next requests."""

    url: str
    received: list[Received] = field(default_factory=list)
    # Answers for the coming requests, in order: (status, headers, delay seconds); then 204.
    script: list[tuple[int, dict[str, str], float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self, secret: str) -> list[dict[str, Any]]:
        """Every request that carried a valid signature, verified with `standardwebhooks`."""
        verifier = Webhook(secret)
        return [verifier.verify(r.body, r.headers) for r in self.received if r.answered < 300]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Block until `count` requests arrived (or fail)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.received)} of {count} webhooks arrived")
            time.sleep(0.02)
        return list(self.received)


@contextmanager
def receiving() -> Iterator[Receiver]:
    """Run a receiver on a free loopback port for the duration of the block."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            with state.lock:
                status, extra, delay = state.script.pop(0) if state.script else (204, {}, 0.0)
            time.sleep(delay)
            headers = {name.lower(): value for name, value in self.headers.items()}
            state.received.append(Received(self.path, headers, body, status))
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Silent."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Drip:
    """A receiver that answers one byte a second, and what it saw."""

    url: str
    opened: int = 0
    open_now: int = 0
    most_open: int = 0
    closed_at: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def dripping(seconds: int = 60) -> Iterator[Drip]:
    """A loopback receiver that reads a request, then drips its answer one byte a second.

    A per-read timeout never fires against it: each byte arrives within a second. It stops
    when the client hangs up, or after `seconds` bytes.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    state = Drip(url=f"http://127.0.0.1:{listener.getsockname()[1]}/slow")
    stop = threading.Event()
    answer = b"HTTP/1.1 204 No Content\r\n" + b"x-padding: " + b"." * seconds + b"\r\n\r\n"

    def serve(conn: socket.socket) -> None:
        with state.lock:
            state.opened += 1
            state.open_now += 1
            state.most_open = max(state.most_open, state.open_now)
        try:
            conn.settimeout(5)
            for byte in answer[:seconds]:
                # Wait a second, reading (and ignoring) the request, but notice at once when
                # the client hangs up (EOF).
                due = time.monotonic() + 1.0
                while (left := due - time.monotonic()) > 0 and not stop.is_set():
                    readable, _, _ = select.select([conn], [], [], left)
                    if readable and not conn.recv(65536):
                        return
                if stop.is_set():
                    return
                conn.sendall(bytes([byte]))
        except OSError:
            pass  # the client gave up: what a deadline is for
        finally:
            conn.close()
            with state.lock:
                state.open_now -= 1
                state.closed_at.append(time.monotonic())

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
