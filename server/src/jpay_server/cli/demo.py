"""`jpay-server demo`: seed the demo merchant and app once, and show how to call the API."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from jpay_server.cli.common import JsonFlag, fail, settings, transact
from jpay_server.services.demo import demo_exists, seed_demo

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
    if not saved or not transact(lambda _ctx, s: demo_exists(s, code, key)):
        created = transact(seed_demo)
        saved = {
            "merchant_id": created.app.merchant_id,
            "app_code": created.app.app_code,
            "app_key": created.app.app_key,
            "app_secret": created.app_secret,
            "products": list(created.app.products),
        }
        _write(path, saved)
    if as_json:
        typer.echo(json.dumps(saved))
        return
    # Plain text, never wrapped: the commands must survive copy and paste.
    sys.stdout.write(walkthrough(saved, base_url.rstrip("/")))


def walkthrough(demo: dict[str, Any], base: str) -> str:
    """The documented flow as curl commands, with the demo's credentials filled in."""
    api = f"{base}/api/v1"
    return f"""
Demo merchant {demo["merchant_id"]}, app {demo["app_code"]} ({", ".join(demo["products"])})
  app_key:    {demo["app_key"]}
  app_secret: {demo["app_secret"]}

Try the documented flow (needs jq):
  # 1. Get tokens
  TOKENS=$(curl -s -X POST {api}/auth/app/token -H 'Content-Type: application/json' \\
    -d '{{"app_key": "{demo["app_key"]}", "app_secret": "{demo["app_secret"]}"}}')
  ACCESS=$(echo "$TOKENS" | jq -r .access); REFRESH=$(echo "$TOKENS" | jq -r .refresh)
  # 2. Call the API with the access token
  curl -s {api}/payments/collections/checkouts -H "Authorization: Bearer $ACCESS"
  # 3. Refresh (keep the NEW refresh token: the old one is now spent)
  TOKENS=$(curl -s -X POST {api}/auth/refresh -H 'Content-Type: application/json' \\
    -d "{{\\"refresh\\": \\"$REFRESH\\"}}")
  ACCESS=$(echo "$TOKENS" | jq -r .access)
  # 4. Suspend the merchant (another terminal) and call again: 403 within a second
  uv run jpay-server merchants suspend {demo["merchant_id"]}
  curl -s {api}/payments/collections/checkouts -H "Authorization: Bearer $ACCESS"
  uv run jpay-server merchants reinstate {demo["merchant_id"]}

API docs: {base}/docs
"""
