"""A tiny webhook receiver for local development: verify, print, answer 204."""

from __future__ import annotations

import contextlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

MAX_BODY = 1_048_576


def serve(host: str, port: int, secret: str) -> None:
    """Serve until interrupted; each verified event is printed on one line."""
    verifier = Webhook(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("content-length") or 0), MAX_BODY)
            body = self.rfile.read(length)
            try:
                event = verifier.verify(body, dict(self.headers.items()))
            except WebhookVerificationError as exc:
                sys.stdout.write(f"REJECTED {self.headers.get('webhook-id')}: {exc}\n")
                self.send_response(400)
            else:
                data = event.get("data", {})
                summary = f"{data.get('id', '')} {data.get('status', '')} {data.get('amount', '')}"
                sys.stdout.write(f"verified {event.get('type')} {summary.strip()}\n")
                sys.stdout.write(json.dumps(event) + "\n")
                self.send_response(204)
            sys.stdout.flush()
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the verified events are the output."""

    server = ThreadingHTTPServer((host, port), Handler)
    with contextlib.suppress(KeyboardInterrupt), server:
        server.serve_forever()
