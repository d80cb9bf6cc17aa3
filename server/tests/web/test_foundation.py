"""The dashboard's frame in a real browser: sign-in page, layout, headers, CSRF, sign out."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from jpay_server.domain.members import Role
from tests.members import create_member
from tests.web.conftest import Dashboard, assert_accessible, sign_in_with_cookie, start_dashboard

NAV_LINKS = ["Overview", "Apps", "Payments", "Webhooks", "Team", "Account"]


def test_sign_in_page_has_its_labelled_fields_and_passes_axe(
    dashboard: Dashboard, page: Page
) -> None:
    page.goto(f"{dashboard.url}/login")
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert_accessible(page)


def test_private_pages_send_anonymous_visitors_to_sign_in(dashboard: Dashboard, page: Page) -> None:
    page.goto(f"{dashboard.url}/")
    expect(page).to_have_url(f"{dashboard.url}/login")


def test_every_response_carries_the_security_headers(dashboard: Dashboard) -> None:
    token = dashboard.session_cookie()
    with httpx.Client(base_url=dashboard.server.base_url) as client:
        client.cookies.set("jpay_session", token)
        for path in ("/dashboard/login", "/dashboard/", "/dashboard/nowhere"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp
            assert "script-src 'self'" in csp
            assert "unsafe-inline" not in csp
            assert headers["referrer-policy"] == "same-origin"
            assert headers["cache-control"] == "no-store"


def test_the_session_cookie_is_httponly_and_lax(dashboard: Dashboard, page: Page) -> None:
    page.goto(f"{dashboard.url}/login")
    seed = next(c for c in page.context.cookies() if c["name"] == "jpay_csrf")
    assert seed["httpOnly"]
    assert seed["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""


def test_signed_in_layout_has_the_navigation_and_passes_axe(
    dashboard: Dashboard, context: BrowserContext, page: Page
) -> None:
    sign_in_with_cookie(context, dashboard, dashboard.session_cookie())
    page.goto(f"{dashboard.url}/")
    nav = page.get_by_role("navigation")
    for name in NAV_LINKS:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.evaluate("document.cookie") == ""
    assert_accessible(page)
    page.set_viewport_size({"width": 375, "height": 740})  # a phone
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_every_navigation_page_has_a_plain_title(
    dashboard: Dashboard, context: BrowserContext, page: Page
) -> None:
    sign_in_with_cookie(context, dashboard, dashboard.session_cookie())
    page.goto(f"{dashboard.url}/")
    for name in NAV_LINKS:
        page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
        expect(page).to_have_title(f"{name} · JPay dashboard")


def test_the_navigation_works_from_the_keyboard(
    dashboard: Dashboard, context: BrowserContext, page: Page
) -> None:
    sign_in_with_cookie(context, dashboard, dashboard.session_cookie())
    page.goto(f"{dashboard.url}/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Sign out":
            break
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{dashboard.url}/login?out=1")


def test_sign_out_ends_the_session_on_the_server(
    dashboard: Dashboard, context: BrowserContext, page: Page
) -> None:
    token = dashboard.session_cookie()
    sign_in_with_cookie(context, dashboard, token)
    page.goto(f"{dashboard.url}/")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You have been signed out.")).to_be_visible()
    # The old cookie, replayed, no longer opens anything.
    with httpx.Client(base_url=dashboard.server.base_url) as client:
        client.cookies.set("jpay_session", token)
        assert client.get("/dashboard/").headers["location"] == "/dashboard/login"


def test_sign_out_everywhere_ends_every_browser(
    dashboard: Dashboard, context: BrowserContext, page: Page
) -> None:
    login = dashboard.run(create_member(dashboard.env["JPAY_DATABASE_URL"], Role.VIEWER))
    sign_in_with_cookie(context, dashboard, dashboard.session_cookie(login))
    page.goto(f"{dashboard.url}/")
    with httpx.Client(base_url=dashboard.server.base_url) as other:
        other.cookies.set("jpay_session", dashboard.session_cookie(login))
        page_html = other.get("/dashboard/").text
        csrf = page_html.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        done = other.post(
            "/dashboard/logout-everywhere",
            data={"csrf": csrf},
            headers={"origin": dashboard.server.base_url},
        )
        assert done.status_code == 303
    page.reload()
    expect(page).to_have_url(f"{dashboard.url}/login")


def test_a_post_without_the_session_token_is_refused(dashboard: Dashboard) -> None:
    with httpx.Client(base_url=dashboard.server.base_url) as client:
        client.cookies.set("jpay_session", dashboard.session_cookie())
        origin = {"origin": dashboard.server.base_url}
        assert client.post("/dashboard/logout", data={}, headers=origin).status_code == 403
        assert client.post("/dashboard/logout", data={"csrf": "0" * 48}).status_code == 403
        assert client.get("/dashboard/").status_code == 200  # still signed in


class _Attacker(BaseHTTPRequestHandler):
    """Another origin serving a page that auto-submits a form to the dashboard."""

    target = ""

    def do_GET(self) -> None:
        body = (
            "<!doctype html><title>Win a prize</title>"
            f'<form id="f" method="post" action="{self.target}">'
            '<input name="csrf" value="guess"></form>'
            '<script>document.getElementById("f").submit()</script>'
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def attacker(dashboard: Dashboard) -> Iterator[str]:
    handler = type("Handler", (_Attacker,), {"target": f"{dashboard.url}/logout-everywhere"})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_forged_cross_origin_form_post_is_refused(
    dashboard: Dashboard, context: BrowserContext, page: Page, attacker: str
) -> None:
    # Same host, other port: same-site, so SameSite=Lax still sends the cookie; the
    # Origin check and the synchronizer token are what must refuse it.
    sign_in_with_cookie(context, dashboard, dashboard.session_cookie())
    with page.expect_response(f"{dashboard.url}/logout-everywhere") as posted:
        page.goto(attacker)
    assert posted.value.status == 403
    page.goto(f"{dashboard.url}/")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


@pytest.fixture(scope="module")
def short_lived(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    root = tmp_path_factory.mktemp("short-lived")
    yield from start_dashboard(request, root, JPAY_DASHBOARD_IDLE_TIMEOUT="2")


def test_an_idle_session_ends(short_lived: Dashboard, context: BrowserContext, page: Page) -> None:
    sign_in_with_cookie(context, short_lived, short_lived.session_cookie())
    page.goto(f"{short_lived.url}/")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.wait_for_timeout(2500)
    page.reload()
    expect(page).to_have_url(f"{short_lived.url}/login")
