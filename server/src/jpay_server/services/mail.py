"""Email use cases: queue a message in the action's transaction; the worker sends it.

With JPAY_SMTP_URL set, each due message goes out through aiosmtplib and its body (which may
hold a link token) is wiped once delivered. Without it, development and sandbox print each
message to the log and keep it for `jpay-server mail list`; production keeps it unsent and
logs only that it could not be sent.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy import Connection

from jpay_server.domain.mail import Email, parse_smtp_url
from jpay_server.services.context import Context
from jpay_server.store import mail as store
from jpay_server.store.db import Database

log = logging.getLogger("jpay_server.mail")
LEASE = timedelta(minutes=2)
RETRIES = (30, 120, 600, 1800, 3600)  # seconds before each retry; then the message fails
BATCH = 20


def queue(ctx: Context, conn: Connection, email: Email) -> int:
    """Put a message in the outbox inside the caller's write transaction."""
    return store.queue_email(conn, email, ctx.clock())


def _message(ctx: Context, email: Email) -> EmailMessage:
    message = EmailMessage()
    message["From"] = ctx.settings.mail_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message.set_content(email.body)
    return message


async def _send(ctx: Context, email: Email) -> None:
    assert ctx.settings.smtp_url is not None
    target = parse_smtp_url(ctx.settings.smtp_url.get_secret_value())
    await aiosmtplib.send(
        _message(ctx, email),
        hostname=target.host,
        port=target.port,
        username=target.username,
        password=target.password,
        start_tls=target.starttls,
        use_tls=target.tls,
        timeout=ctx.settings.smtp_timeout,
    )


async def deliver_due(ctx: Context, database: Database) -> int:
    """Send (or, without SMTP, print) every due message; returns how many were settled."""
    now = ctx.clock()
    due = await database.write(lambda conn: store.claim_due(conn, now, now + LEASE, BATCH))
    for queued in due:
        await _deliver_one(ctx, database, queued)
    return len(due)


async def _deliver_one(ctx: Context, database: Database, queued: store.QueuedEmail) -> None:
    email, settings = queued.email, ctx.settings
    if settings.smtp_url is None:
        if settings.is_production:
            log.warning("email not sent: JPAY_SMTP_URL is not set", extra={"email_id": queued.id})
            status = "unsent"
        else:
            # Development: the log is the mailbox (the `_dev_mail` flag lets its link through).
            log.info(
                "email %s to %s: %s\n%s",
                queued.id,
                email.to,
                email.subject,
                email.body,
                extra={"_dev_mail": True},
            )
            status = "logged"
        await database.write(lambda conn: store.settle(conn, queued.id, status, ctx.clock()))
        return
    try:
        await _send(ctx, email)
    except (aiosmtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {str(exc)[:150]}"
        retry = RETRIES[queued.attempts - 1] if queued.attempts <= len(RETRIES) else None
        now = ctx.clock()
        status = store.PENDING if retry is not None else "failed"
        at = now + timedelta(seconds=retry) if retry is not None else None
        await database.write(
            lambda conn: store.settle(conn, queued.id, status, now, error=error, retry_at=at)
        )
        log.warning("email not sent", extra={"email_id": queued.id, "error": error})
        return
    await database.write(
        lambda conn: store.settle(conn, queued.id, "sent", ctx.clock(), wipe_body=True)
    )
    log.info("email sent", extra={"email_id": queued.id, "kind": email.kind})


async def list_mail(
    database: Database, limit: int = 20, to: str | None = None
) -> list[store.QueuedEmail]:
    """The newest messages in the outbox (what development's log showed)."""
    return await database.read(lambda conn: store.recent_emails(conn, limit, to))
