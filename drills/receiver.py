"""The merchants' webhook receivers, on the hooks host: record every request, answer by path.

- `/fast/...` answers 204 at once.
- `/hold/...` waits 1.5 s, then 204: a delivery is in flight long enough to kill its worker.
- `/drip/...` answers the first attempt of each webhook-id one byte a second (for up to 30 s),
  later attempts at once: a receiver that would hold a per-read timeout for as long as it likes.

Each request is appended to the record file as one JSON line when it arrives (a Standard
Webhooks receiver has the event then, and dedupes a repeat by its webhook-id).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOLD_SECONDS = 1.5
DRIP_BYTES = 30


def main() -> None:
    """Serve until killed (the harness tears the host down)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", type=Path, required=True)
    args = parser.parse_args()
    lock = threading.Lock()
    dripped: set[str] = set()
    record = args.record.open("a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            arrived = time.time()
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            webhook_id = headers.get("webhook-id", "")
            with lock:
                first = webhook_id not in dripped
                dripped.add(webhook_id)
                line = {"t": arrived, "path": self.path, "headers": headers, "body": body.decode()}
                record.write(json.dumps(line) + "\n")
            if self.path.startswith("/hold/"):
                time.sleep(HOLD_SECONDS)
            if self.path.startswith("/drip/") and first:
                self._drip()
                return
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def _drip(self) -> None:
            answer = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nx-pad: " + b"." * DRIP_BYTES
            try:
                for byte in answer[:DRIP_BYTES]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(1)
                self.wfile.write(answer[DRIP_BYTES:] + b"\r\n\r\n")
            except OSError:
                pass  # the sender gave up: what a deadline is for
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the record file is the output."""

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
