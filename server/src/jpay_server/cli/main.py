"""The `jpay-server` command's CLI commands (jpay_server.main adds `worker` and runs it)."""

from __future__ import annotations

import sys

import typer
from typer.exceptions import TyperException

from jpay_server.cli import (
    apps,
    audit,
    channels,
    db,
    demo,
    events,
    keys,
    mail,
    merchants,
    serve,
    wallets,
    webhooks,
)

app = typer.Typer(
    name="jpay-server",
    help="Run and operate a JPay-compatible payments API server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(merchants.app, name="merchants")
app.add_typer(apps.app, name="apps")
app.add_typer(keys.app, name="keys")
app.add_typer(events.app, name="events")
app.add_typer(wallets.app, name="wallets")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(channels.app, name="channels")
app.add_typer(demo.app, name="demo")
app.add_typer(audit.app, name="audit")
app.add_typer(mail.app, name="mail")


def main() -> None:
    """Entry point: usage errors are one line on stderr, exit status 2."""
    try:
        code = app(standalone_mode=False)
    except TyperException as exc:
        sys.stderr.write(f"error: {exc.format_message()}\n")
        sys.exit(exc.exit_code if exc.exit_code != 1 else 2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
