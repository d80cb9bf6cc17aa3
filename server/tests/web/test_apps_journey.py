"""A merchant's developer journey in the browser: sign in, create an app, use its key and
secret, lock it to an address, see the refusal and fix it from the page, rotate the secret."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from jpay_server.domain.members import Role
from tests.members import MemberLogin, create_member
from tests.web.conftest import Dashboard, assert_accessible

SHOTS = os.environ.get("JPAY_SCREENSHOTS")  # a directory: save the main pages there


def shot(page: Page, name: str) -> None:
    """Save a screenshot for docs/ when asked to (make screenshots)."""
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def member(dashboard: Dashboard, role: Role = Role.OWNER, **options: object) -> MemberLogin:
    """A merchant user on the dashboard's database."""
    url = dashboard.env["JPAY_DATABASE_URL"]
    found: MemberLogin = dashboard.run(create_member(url, role, **options))
    return found


def sign_in(page: Page, dashboard: Dashboard, login: MemberLogin) -> None:
    """Sign in through the sign-in page."""
    page.goto(f"{dashboard.url}/login")
    page.get_by_label("Email").fill(login.email)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def app_token(dashboard: Dashboard, key: str, secret: str) -> httpx.Response:
    """What a merchant's server does with the key and secret (from 127.0.0.1)."""
    return httpx.post(
        f"{dashboard.server.base_url}/api/v1/auth/app/token",
        json={"app_key": key, "app_secret": secret},
        timeout=10,
    )


def wait_for(check: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll `check()` until it is true (bounded)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def token_status(dashboard: Dashboard, key: str, secret: str, wanted: int) -> Callable[[], bool]:
    """A check that the token endpoint answers `wanted` (printing what it answered)."""

    def check() -> bool:
        got = app_token(dashboard, key, secret)
        print("token endpoint:", got.status_code, got.text[:200])  # noqa: T201
        return got.status_code == wanted

    return check


def test_wrong_password_is_refused_without_saying_which(dashboard: Dashboard, page: Page) -> None:
    login = member(dashboard)
    page.goto(f"{dashboard.url}/login")
    page.get_by_label("Email").fill(login.email)
    page.get_by_label("Password").fill("not-the-password-at-all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    page.get_by_label("Email").fill("nobody-here@example.com")
    page.get_by_label("Password").fill("not-the-password-at-all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")


def develop_an_app(page: Page, dashboard: Dashboard) -> None:
    """From the overview: create an app, use it, lock it, fix a refusal, rotate its secret."""
    # Create an app: the key and, once, the secret.
    page.get_by_role("navigation").get_by_role("link", name="Apps").click()
    assert_accessible(page)
    page.get_by_role("button", name="Create app").click()
    assert_accessible(page)
    page.get_by_label("App name").fill("Online shop")
    page.get_by_role("button", name="Create app").click()
    key = page.get_by_test_id("app-key").inner_text().strip()
    secret = page.get_by_test_id("app-secret").inner_text().strip()
    assert_accessible(page)
    shot(page, "app-created")
    assert app_token(dashboard, key, secret).status_code == 200

    # Shown once: a reload shows it no more.
    page.reload()
    expect(page.get_by_test_id("app-key")).to_have_text(key)
    expect(page.get_by_test_id("app-secret")).to_have_count(0)
    assert secret not in page.content()

    # Lock the app to another address: our own request is refused and listed with its reason.
    page.get_by_label("IP address or CIDR").fill("203.0.113.7")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("203.0.113.7 added to the allowlist.")).to_be_visible()
    # From outside the allowlist the token endpoint answers as for a wrong secret (so no
    # leaked secret is confirmed); the refused-requests log keeps the real reason.
    wait_for(token_status(dashboard, key, secret, 401))

    fix = page.get_by_role("button", name="Add 127.0.0.1 to the allowlist")

    def listed() -> bool:
        page.reload()
        return fix.count() > 0

    wait_for(listed, 10)
    refused = page.get_by_test_id("refused-requests")
    expect(refused).to_contain_text("ip_not_allowed")
    expect(refused).to_contain_text("127.0.0.1")
    assert_accessible(page)
    shot(page, "app-detail")
    fix.click()
    expect(page.get_by_text("127.0.0.1 added to the allowlist.")).to_be_visible()
    wait_for(token_status(dashboard, key, secret, 200))

    # Rotate with an overlap: both work, then only the new one.
    page.get_by_role("button", name="Rotate secret").click()
    assert_accessible(page)
    page.get_by_label("Overlap (seconds)").fill("3")
    page.get_by_role("button", name="Rotate", exact=True).click()
    new_secret = page.get_by_test_id("app-secret").inner_text().strip()
    assert new_secret != secret
    expect(page.get_by_text("stops working in", exact=False)).to_be_visible()
    assert app_token(dashboard, key, new_secret).status_code == 200
    assert app_token(dashboard, key, secret).status_code == 200
    wait_for(token_status(dashboard, key, secret, 401), 10)
    assert app_token(dashboard, key, new_secret).status_code == 200

    # The logins those calls started are listed (within a second), and can be ended.
    end_all = page.get_by_role("button", name="End every login")

    def logins_listed() -> bool:
        page.reload()
        return end_all.count() > 0

    wait_for(logins_listed, 10)
    assert_accessible(page)
    end_all.click()
    expect(page.get_by_text("ended.", exact=False)).to_be_visible()


def test_every_signed_in_page_passes_axe(dashboard: Dashboard, page: Page) -> None:
    login = member(dashboard, Role.OWNER)
    sign_in(page, dashboard, login)
    for name in ("Overview", "Apps", "Payments", "Webhooks", "Team", "Account"):
        page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        assert_accessible(page)
        shot(page, name.lower())
    page.set_viewport_size({"width": 375, "height": 740})
    page.get_by_role("navigation").get_by_role("link", name="Payments").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "payments-phone")


def test_a_viewer_sees_no_developer_buttons_and_a_forced_post_gets_403(
    dashboard: Dashboard, page: Page
) -> None:
    owner = member(dashboard, Role.OWNER)
    viewer = member(dashboard, Role.VIEWER, merchant_id=owner.merchant_id)
    sign_in(page, dashboard, owner)
    page.get_by_role("navigation").get_by_role("link", name="Apps").click()
    page.get_by_role("button", name="Create app").click()
    page.get_by_label("App name").fill("Viewer test")
    page.get_by_role("button", name="Create app").click()
    app_url = page.url
    page.get_by_role("button", name="Sign out", exact=True).click()

    sign_in(page, dashboard, viewer)
    page.goto(app_url)
    expect(page.get_by_test_id("app-key")).to_be_visible()
    for name in ("Rotate secret", "Add", "Deactivate app", "Save products"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(page.get_by_label("IP address or CIDR")).to_have_count(0)
    page.goto(f"{dashboard.url}/apps")
    expect(page.get_by_role("button", name="Create app")).to_have_count(0)

    # Forcing the request with a valid session and token still gets 403.
    page.goto(app_url)
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    forced = page.request.post(
        f"{app_url}/allowed-ips",
        form={"csrf": csrf or "", "entry": "198.51.100.1"},
        headers={"origin": dashboard.server.base_url},
    )
    assert forced.status == 403
    page.goto(app_url)
    expect(page.get_by_text("198.51.100.1")).to_have_count(0)


def test_the_password_is_changed_from_the_account_page(dashboard: Dashboard, page: Page) -> None:
    login = member(dashboard)
    sign_in(page, dashboard, login)
    page.get_by_role("navigation").get_by_role("link", name="Account", exact=True).click()
    current, new = page.get_by_label("Current password"), page.get_by_label("New password")
    change = page.get_by_role("button", name="Change password")
    current.fill("not-the-password-at-all")
    new.fill(login.password + " changed")
    change.click()
    expect(page.get_by_role("alert")).to_contain_text("current password is not right")
    current.fill(login.password)
    new.fill(login.email)
    change.click()
    expect(page.get_by_role("alert")).to_contain_text("must not be your email address")
    assert_accessible(page)  # the account page with its password form and an error
    current.fill(login.password)
    new.fill(login.password + " changed")
    change.click()
    expect(page.get_by_role("status")).to_contain_text("API token of yours has ended")
    page.goto(f"{dashboard.url}/account")  # the change signed this browser out
    expect(page).to_have_url(f"{dashboard.url}/login")
    page.get_by_label("Email").fill(login.email)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    sign_in(page, dashboard, replace(login, password=login.password + " changed"))
