"""Payments (filters, pages, CSV export) and webhooks (URL, test event, redelivery) pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from jpay_server.domain.members import Role
from tests.receiver import Receiver, receiving
from tests.web.conftest import Dashboard, assert_accessible
from tests.web.test_apps_journey import app_token, member, sign_in, wait_for


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def new_app(page: Page, name: str) -> tuple[str, str]:
    """Create an app with collections enabled; its key and secret."""
    page.get_by_role("navigation").get_by_role("link", name="Apps").click()
    page.get_by_role("button", name="Create app").click()
    page.get_by_label("App name").fill(name)
    page.get_by_role("button", name="Create app").click()
    key = page.get_by_test_id("app-key").inner_text().strip()
    secret = page.get_by_test_id("app-secret").inner_text().strip()
    page.get_by_label("collections").check()
    page.get_by_role("button", name="Save products").click()
    expect(page.get_by_text("Products saved.")).to_be_visible()
    return key, secret


def test_payments_are_filtered_paged_and_exported(dashboard: Dashboard, page: Page) -> None:
    sign_in(page, dashboard, member(dashboard, Role.OWNER))
    key, secret = new_app(page, "Till")
    code = page.get_by_text("App code").locator("xpath=following-sibling::dd[1]").inner_text()
    wait_for(lambda: "collections" in app_token(dashboard, key, secret).text)
    access = app_token(dashboard, key, secret).json()["access"]
    for n in range(3):
        done = httpx.post(
            f"{dashboard.server.base_url}/api/v1/payments/collections/checkouts/initiate",
            headers={"authorization": f"Bearer {access}"},
            json={
                "payfrom": "+254712345678",
                "amount": f"{10 + n}.00",
                "ref_no": f"=ORDER-{n}",
                "callback_url": "http://127.0.0.1:9/none",
                "app_code": int(code),
            },
            timeout=10,
        )
        assert done.status_code in (200, 201), done.text
    page.get_by_role("navigation").get_by_role("link", name="Payments").click()
    expect(page.get_by_text("3 collections.")).to_be_visible()
    expect(page.get_by_role("cell", name="=ORDER-1")).to_be_visible()
    page.get_by_label("Reference").fill("=ORDER-2")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("1 collection.")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "'=ORDER-2" in text  # a formula-looking cell is defused
    assert "ORDER-1" not in text


def test_webhook_url_test_event_and_redelivery(
    dashboard: Dashboard, page: Page, receiver: Receiver
) -> None:
    sign_in(page, dashboard, member(dashboard, Role.DEVELOPER))
    new_app(page, "Hooks")
    page.get_by_role("navigation").get_by_role("link", name="Webhooks").click()
    page.get_by_role("link", name="Hooks", exact=True).click()
    page.get_by_label("Webhook URL").fill(receiver.url)
    page.get_by_role("button", name="Save URL").click()
    expect(page.get_by_text("Webhook URL saved.")).to_be_visible()
    page.get_by_role("button", name="Send a test event").click()
    expect(page.get_by_text("Test event queued")).to_be_visible()
    receiver.wait_for(1)

    def delivered() -> bool:
        page.reload()
        return page.get_by_text(re.compile(r"HTTP 2\d\d")).count() > 0

    wait_for(delivered, 15)
    assert_accessible(page)
    page.get_by_role("button", name="Redeliver event", exact=False).first.click()
    expect(page.get_by_text("Redelivery queued.")).to_be_visible()
    receiver.wait_for(2)
    page.get_by_label("Overlap (seconds)").fill("60")
    page.get_by_role("button", name="Rotate webhook secret").click()
    expect(page.get_by_test_id("webhook-secret")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
