"""`jpay-server demo`: seed the demo merchant and app once, and show how to call the API."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from jpay_server.cli import receiver
from jpay_server.cli.common import JsonFlag, fail, run, settings
from jpay_server.services.apps import rotate_app_webhook_secret
from jpay_server.services.demo import DEMO_OWNER, demo_exists, ensure_demo_owner, seed_demo

app = typer.Typer(help="The demo merchant and app (development and sandbox only).")
CREDENTIALS_FILE = "demo-credentials.json"


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)


@app.command()
def seed(
    base_url: Annotated[str, typer.Option("--base-url", help="Where the server listens.")] = (
        "http://127.0.0.1:8000"
    ),
    as_json: JsonFlag = False,
) -> None:
    """Create the demo merchant and app once; print their credentials and a curl walk-through.

    The demo secret is kept in var/demo-credentials.json (mode 0600) so later runs can show
    it again; real apps' secrets are never stored anywhere but as hashes.
    """
    current = settings()
    if current.is_production:
        raise fail("the demo is not available in production")
    path = current.var_dir / CREDENTIALS_FILE
    saved = _read(path) or {}
    code, key = int(saved.get("app_code", 0)), str(saved.get("app_key"))
    if not saved or not run(lambda _ctx, db: demo_exists(db, code, key)):
        created = run(seed_demo)
        saved = {
            "merchant_id": created.app.merchant_id,
            "app_code": created.app.app_code,
            "app_key": created.app.app_key,
            "app_secret": created.app_secret,
            "webhook_secret": created.webhook_secret,
            "products": list(created.app.products),
        }
        _write(path, saved)
    elif not saved.get("webhook_secret"):  # seeded before webhooks existed
        rotated = run(lambda ctx, db: rotate_app_webhook_secret(ctx, db, code))
        saved["webhook_secret"] = rotated.webhook_secret
        _write(path, saved)
    if not saved.get("owner_password") or saved.get("owner_email") != DEMO_OWNER:
        # The demo's owner user (merchant API and dashboard login), set once per seed file.
        password = "demo-" + secrets.token_urlsafe(12)
        merchant_id = int(saved["merchant_id"])
        run(lambda ctx, db: ensure_demo_owner(ctx, db, merchant_id, password))
        saved |= {"owner_email": DEMO_OWNER, "owner_password": password}
        _write(path, saved)
    if as_json:
        typer.echo(json.dumps(saved))
        return
    # Plain text, never wrapped: the commands must survive copy and paste.
    sys.stdout.write(walkthrough(saved, base_url.rstrip("/")))


def walkthrough(demo: dict[str, Any], base: str) -> str:
    """The documented flow as curl commands, with the demo's credentials filled in."""
    api = f"{base}/api/v1"
    auth = '-H "Authorization: Bearer $ACCESS"'
    json = "-H 'Content-Type: application/json'"
    # The body sits in single quotes; $RANDOM is spliced in unquoted so that each run of the
    # walk-through gets its own ref_no (a repeated one is a 409).
    collect = (
        f'{{"payfrom": "+254712345678", "amount": "100.00", "ref_no": "ORDER-\'"$RANDOM"\'", '
        f'"callback_url": "http://127.0.0.1:9000/webhook", "app_code": {demo["app_code"]}}}'
    )
    return f"""
Demo merchant {demo["merchant_id"]}, app {demo["app_code"]} ({", ".join(demo["products"])})
  app_key:        {demo["app_key"]}
  app_secret:     {demo["app_secret"]}
  webhook_secret: {demo.get("webhook_secret")}
Demo owner user (merchant login: POST {api}/auth/login)
  email:          {demo.get("owner_email")}
  password:       {demo.get("owner_password")}

Try the documented flow (needs jq), in a second terminal:
  # 1. Get tokens
  TOKENS=$(curl -s -X POST {api}/auth/app/token {json} \\
    -d '{{"app_key": "{demo["app_key"]}", "app_secret": "{demo["app_secret"]}"}}')
  ACCESS=$(echo "$TOKENS" | jq -r .access); REFRESH=$(echo "$TOKENS" | jq -r .refresh)
  # 2. Call the API with the access token
  curl -s {api}/payments/collections/checkouts {auth}
  # 3. Refresh (keep the NEW refresh token: the old one is now spent)
  TOKENS=$(curl -s -X POST {api}/auth/refresh {json} -d "{{\\"refresh\\": \\"$REFRESH\\"}}")
  ACCESS=$(echo "$TOKENS" | jq -r .access); REFRESH=$(echo "$TOKENS" | jq -r .refresh)
  # 4. Receive verified webhooks: in a third terminal
  uv run jpay-server demo receive --port 9000
  # 5. Collect 100.00; the sandbox completes it in a few seconds and sends a webhook
  ID=$(curl -s -X POST {api}/payments/collections/checkouts/initiate {auth} {json} \\
    -d '{collect}' | jq -r .id)
  sleep 5; curl -s {api}/payments/collections/checkouts/$ID {auth} | jq .status
  curl -s {api}/wallets/balance {auth}
  # 6. Suspend the merchant and call again: 403 within a second
  uv run jpay-server merchants suspend {demo["merchant_id"]}
  curl -s {api}/payments/collections/checkouts {auth}
  uv run jpay-server merchants reinstate {demo["merchant_id"]}

API docs: {base}/docs
"""


@app.command()
def receive(
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 9000,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
) -> None:
    """A local webhook receiver for the demo app: verifies each event's signature and prints it."""
    current = settings()
    saved = _read(current.var_dir / CREDENTIALS_FILE) or {}
    secret = saved.get("webhook_secret")
    if not secret:
        raise fail("no demo webhook secret: run `jpay-server demo seed` first")
    sys.stdout.write(f"Listening on http://{host}:{port}/webhook (Ctrl-C to stop)\n")
    sys.stdout.flush()
    receiver.serve(host, port, str(secret))
