"""Signup, email verification, password reset and invitations, with a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jpay_server.domain.audit import BY_OPERATOR
from jpay_server.domain.members import Role
from jpay_server.services import accounts, mail, merchants
from jpay_server.services.audit import list_audit
from tests.harness import API, running
from tests.members import create_member, login_tokens, new_password
from tests.smtp import body, smtp_server

pytestmark = pytest.mark.anyio


@pytest.fixture
async def mailed(make_settings, database_url, clock):
    """The app with JPAY_SMTP_URL pointing at an in-process SMTP server."""
    with smtp_server() as mailbox:
        settings = make_settings(
            database_url=database_url,
            rate_limit_enabled=False,
            worker_in_process=False,
            smtp_url=mailbox.url,
            public_url="http://jpay.test",
        )
        async with running(settings, clock) as h:
            h.mailbox = mailbox
            yield h


async def send_mail(h) -> None:
    """One worker round of the outbox."""
    await mail.deliver_due(h.ctx, h.runtime.database)


async def post(h, path: str, body: dict) -> tuple[int, dict]:
    response = await h.client.post(f"{API}{path}", json=body)
    return response.status_code, response.json()


async def test_signup_verify_approve_and_log_in(mailed):
    h, password = mailed, new_password()
    signup = {"business_name": "Duka Ltd", "email": "Founder@Duka.example", "password": password}
    assert await post(h, "/auth/signup", signup) == (
        202,
        {"detail": "Check your email for a link to continue"},
    )
    login = {"email": "founder@duka.example", "password": password}
    assert (await post(h, "/auth/login", login))[1]["code"] == "email_not_verified"
    await send_mail(h)
    (message,) = h.mailbox.to("Founder@Duka.example")
    assert "http://jpay.test/dashboard/verify-email?token=jpay_lt_" in body(message)
    token = h.mailbox.last_token("Founder@Duka.example")
    assert await post(h, "/auth/verify-email", {"token": token}) == (
        200,
        {"detail": "Email address confirmed"},
    )
    assert (await post(h, "/auth/verify-email", {"token": token}))[1]["code"] == "invalid_link"
    status, tokens = await post(h, "/auth/login", login)
    assert (status, tokens["role"]) == (200, "owner")
    account = await h.client.get(
        f"{API}/account", headers={"Authorization": f"Bearer {tokens['access']}"}
    )
    assert account.json()["merchant_status"] == "pending"
    await h.run(lambda c, d: merchants.approve_merchant(c, d, tokens["merchant_id"]))
    actions = [e.action for e in await list_audit(h.runtime.database, tokens["merchant_id"])]
    assert {"merchant.create", "user.signup", "user.verify_email"} <= set(actions)


async def test_signup_with_a_taken_email_answers_alike_and_tells_the_owner(mailed):
    h = mailed
    member = await create_member(h)
    again = {"business_name": "Other", "email": member.email.upper(), "password": new_password()}
    fresh = {"business_name": "New", "email": "new@example.com", "password": new_password()}
    assert await post(h, "/auth/signup", again) == await post(h, "/auth/signup", fresh)
    await send_mail(h)
    (notice,) = h.mailbox.to(member.email)
    assert notice["Subject"] == "You already have a JPay account"
    assert "token=" not in body(notice)
    assert len(await h.run(lambda c, d: merchants.list_merchants(d))) == 2  # no third merchant


async def test_signup_refuses_weak_passwords_and_is_closed_by_invite_mode(
    mailed, make_settings, database_url, clock
):
    weak = {"business_name": "Weak", "email": "weak@example.com", "password": "qwerty123456"}
    status, refused = await post(mailed, "/auth/signup", weak)
    assert (status, refused["code"], refused["field"]) == (400, "weak_password", "password")
    settings = make_settings(database_url=database_url, signup="invite")
    async with running(settings, clock) as closed:
        good = weak | {"password": new_password()}
        assert (await post(closed, "/auth/signup", good))[1]["code"] == "signup_invite_only"
    assert make_settings(env="production", secret_key="Zq4r" * 12).signup_mode == "invite"
    assert make_settings().signup_mode == "open"


async def test_forgot_answers_alike_and_reset_ends_every_session(mailed, clock):
    h = mailed
    member = await create_member(h)
    tokens = await login_tokens(h.client, member)
    unknown = await post(h, "/auth/password/forgot", {"email": "nobody@example.com"})
    known = await post(h, "/auth/password/forgot", {"email": member.email})
    malformed = await post(h, "/auth/password/forgot", {"email": "not an address"})
    assert unknown == known == malformed
    assert known[0] == 202
    await send_mail(h)
    assert [m["To"] for m in h.mailbox.messages] == [member.email]
    token = h.mailbox.last_token(member.email)
    weak = await post(h, "/auth/password/reset", {"token": token, "password": "short"})
    assert weak[1]["code"] == "weak_password"
    new = new_password()
    assert (await post(h, "/auth/password/reset", {"token": token, "password": new}))[0] == 200
    again = await post(h, "/auth/password/reset", {"token": token, "password": new_password()})
    assert again[1]["code"] == "invalid_link"
    await h.sync()
    headers = {"Authorization": f"Bearer {tokens['access']}"}
    assert (await h.client.get(f"{API}/account", headers=headers)).json()["code"] == (
        "token_revoked"
    )
    assert (await h.refresh(tokens["refresh"])).json()["code"] == "token_revoked"
    old = {"email": member.email, "password": member.password}
    assert (await post(h, "/auth/login", old))[1]["code"] == "invalid_credentials"
    assert (await post(h, "/auth/login", {"email": member.email, "password": new}))[0] == 200
    # A reset link lives 30 minutes.
    await post(h, "/auth/password/forgot", {"email": member.email})
    await send_mail(h)
    late = h.mailbox.last_token(member.email)
    clock.advance(timedelta(minutes=30).total_seconds())
    expired = await post(h, "/auth/password/reset", {"token": late, "password": new_password()})
    assert expired[1]["code"] == "invalid_link"
    actions = [e.action for e in await list_audit(h.runtime.database, member.merchant_id)]
    assert "user.password_reset" in actions


async def test_an_operator_invitation_is_emailed_and_accepted_once(mailed):
    h = mailed
    merchant = await h.merchant()
    invitation = await accounts.invite(
        h.ctx, h.runtime.database, merchant.id, "dev@shop.example", Role.DEVELOPER, BY_OPERATOR
    )
    assert invitation.invite_url.startswith("http://jpay.test/dashboard/accept-invite?token=")
    await send_mail(h)
    token = h.mailbox.last_token("dev@shop.example")
    assert token in invitation.invite_url
    password = new_password()
    status, joined = await post(h, "/auth/accept-invite", {"token": token, "password": password})
    assert (status, joined["merchant_id"], joined["role"]) == (201, merchant.id, "developer")
    again = await post(h, "/auth/accept-invite", {"token": token, "password": password})
    assert again[1]["code"] == "invalid_link"
    login = await post(h, "/auth/login", {"email": "dev@shop.example", "password": password})
    assert login[1]["role"] == "developer"


async def test_without_smtp_development_logs_the_message_and_keeps_it(
    make_settings, database_url, clock, caplog
):
    settings = make_settings(
        database_url=database_url, rate_limit_enabled=False, worker_in_process=False
    )
    async with running(settings, clock) as h:
        await post(h, "/auth/password/forgot", {"email": "x@example.com"})  # no account: nothing
        member = await create_member(h)
        await post(h, "/auth/password/forgot", {"email": member.email})
        with caplog.at_level("INFO", logger="jpay_server.mail"):
            await send_mail(h)
        kept = await mail.list_mail(h.runtime.database)
        assert [(q.email.to, q.status) for q in kept] == [(member.email, "logged")]
        (record,) = [r for r in caplog.records if r.name == "jpay_server.mail"]
        assert "reset-password?token=jpay_lt_" in record.getMessage()
