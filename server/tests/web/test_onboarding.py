"""A new merchant's whole journey, the second factor, and a forgotten password, in Chromium.

Email goes to a real SMTP server in this process (aiosmtpd); the links are read from it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from jpay_server.domain.members import Role
from tests.e2e.servers import cli
from tests.smtp import Mailbox, smtp_server
from tests.web.conftest import Dashboard, assert_accessible, start_dashboard
from tests.web.test_apps_journey import develop_an_app, member, shot, sign_in

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="module")
def dashboard(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[Dashboard]:
    """A dashboard whose server sends its email to the in-process SMTP server."""
    root = tmp_path_factory.mktemp("onboarding")
    yield from start_dashboard(request, root, JPAY_SMTP_URL=mailbox.url, JPAY_SIGNUP="open")


def emailed_token(mailbox: Mailbox, address: str, count: int = 1) -> str:
    """The token of the newest link emailed to `address`, once `count` messages arrived."""
    deadline = time.monotonic() + 15
    while len(mailbox.to(address)) < count:
        assert time.monotonic() < deadline, f"no email to {address}"
        time.sleep(0.2)
    return mailbox.last_token(address)


def test_a_new_merchant_signs_up_verifies_is_approved_and_builds_an_app(
    dashboard: Dashboard, mailbox: Mailbox, page: Page
) -> None:
    email = "founder@shop.example"
    page.goto(f"{dashboard.url}/signup")
    assert_accessible(page)
    shot(page, "signup")
    page.get_by_label("Business name").fill("Mama Mboga Ltd")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_accessible(page)

    token = emailed_token(mailbox, email)
    page.goto(f"{dashboard.url}/verify-email?token={token}")
    assert_accessible(page)
    page.get_by_role("button", name="Verify email").click()
    expect(page.get_by_text("Email verified.")).to_be_visible()

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Account status: pending")).to_be_visible()

    # The operator approves the merchant (as the README's walk-through does, by CLI).
    listed = cli(dashboard.env, "merchants", "list")["merchants"]
    (found,) = [m for m in listed if m["name"] == "Mama Mboga Ltd"]
    cli(dashboard.env, "merchants", "approve", str(found["merchant_id"]))
    page.reload()
    expect(page.get_by_text("Account status: approved")).to_be_visible()

    develop_an_app(page, dashboard)


def test_mfa_enrolment_then_sign_in_with_the_second_factor(
    dashboard: Dashboard, page: Page
) -> None:
    login = member(dashboard, Role.OWNER)
    sign_in(page, dashboard, login)
    page.get_by_role("navigation").get_by_role("link", name="Account").click()
    page.get_by_role("button", name="Set up two-factor authentication").click()
    expect(page.get_by_role("img", name="QR code", exact=False)).to_be_visible()
    assert_accessible(page)
    shot(page, "mfa-enrol")
    secret = page.get_by_test_id("mfa-secret").inner_text().strip()
    page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    codes = page.get_by_test_id("recovery-codes").inner_text().split()
    assert len(codes) == 10
    expect(page.get_by_text("Two-factor authentication is on.")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("recovery-codes")).to_have_count(0)
    page.get_by_role("button", name="Sign out", exact=True).click()

    page.get_by_label("Email").fill(login.email)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Authentication code")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{dashboard.url}/")  # the password alone opens nothing
    expect(page).to_have_url(f"{dashboard.url}/login")

    page.get_by_label("Email").fill(login.email)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Authentication code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("did not work")
    page.get_by_label("Authentication code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_a_forgotten_password_is_reset_from_the_email(
    dashboard: Dashboard, mailbox: Mailbox, page: Page, browser: Browser
) -> None:
    login = member(dashboard, Role.DEVELOPER)
    elsewhere = browser.new_context().new_page()  # signed in on another browser before
    sign_in(elsewhere, dashboard, login)
    page.goto(f"{dashboard.url}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    assert_accessible(page)
    page.get_by_label("Email").fill(login.email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    token = emailed_token(mailbox, login.email)
    page.goto(f"{dashboard.url}/reset-password?token={token}")
    assert_accessible(page)
    page.get_by_label("New password").fill(PASSWORD + " new")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()
    page.get_by_label("Email").fill(login.email)
    page.get_by_label("Password").fill(PASSWORD + " new")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    elsewhere.reload()  # the reset ended every other session
    expect(elsewhere).to_have_url(f"{dashboard.url}/login")
    elsewhere.context.close()


def test_an_invited_developer_joins_from_the_email(
    dashboard: Dashboard, mailbox: Mailbox, page: Page
) -> None:
    owner = member(dashboard, Role.OWNER)
    sign_in(page, dashboard, owner)
    page.get_by_role("navigation").get_by_role("link", name="Team").click()
    page.get_by_label("Email").fill("new-dev@shop.example")
    page.get_by_label("Role", exact=True).select_option("developer")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation emailed to new-dev@shop.example")).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()

    token = emailed_token(mailbox, "new-dev@shop.example")
    page.goto(f"{dashboard.url}/accept-invite?token={token}")
    assert_accessible(page)
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Accept invitation").click()
    expect(page.get_by_text("Welcome to the team.")).to_be_visible()
    page.get_by_label("Email").fill("new-dev@shop.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation").get_by_role("link", name="Team").click()
    expect(page.get_by_role("cell", name="new-dev@shop.example (you)")).to_be_visible()
    expect(page.get_by_role("button", name="Send invitation")).to_have_count(0)
