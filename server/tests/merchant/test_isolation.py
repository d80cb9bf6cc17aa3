"""Tenant isolation: another merchant's ids answer 404 on every merchant route, and lists and
exports hold only the caller's merchant's data."""

from __future__ import annotations

import pytest

from jpay_server.domain.members import Role
from tests.harness import API, Harness
from tests.merchant.conftest import Seat, call, fill, fill_body, names_ids, seat
from tests.merchant.routes import ROUTES

pytestmark = pytest.mark.anyio


async def test_every_route_with_a_foreign_id_answers_404(harness: Harness) -> None:
    h = harness
    mine = await seat(h, Role.OWNER)
    theirs = await seat(h, Role.OWNER)
    walked = 0
    for route in ROUTES:
        if not names_ids(route.path, route.body):
            continue
        path = fill(route.path, theirs)
        response = await h.client.request(
            route.method,
            f"{API}{path}",
            headers=mine.headers(),
            json=fill_body(route.body, theirs),
        )
        assert response.status_code == 404, f"{route.method} {path}: {response.text}"
        walked += 1
    assert walked == sum(names_ids(r.path, r.body) for r in ROUTES) >= 18
    # Their own ids, mixed with mine, are not found either: my app, their login or event.
    mixed = Seat(**{**vars(mine), "family_id": theirs.family_id, "event_id": theirs.event_id})
    for path in (
        "/merchant/apps/{app_code}/logins/{family_id}/revoke",
        "/merchant/apps/{app_code}/webhook-events/{event_id}/redeliver",
    ):
        assert (await call(h, mixed, "POST", path)).status_code == 404
    # Nothing of theirs changed, and nothing of theirs shows in my lists.
    theirs_now = await call(h, theirs, "GET", "/merchant/apps/{app_code}")
    assert theirs_now.json()["name"] == "App"
    listed = (await call(h, mine, "GET", "/merchant/apps")).json()["results"]
    assert [a["app_code"] for a in listed] == [mine.app_code]
    audit = (await call(h, mine, "GET", "/merchant/audit?limit=200")).json()["results"]
    assert all(str(theirs.app_code) not in e["target"] for e in audit)


async def test_payments_and_exports_hold_only_the_callers_merchant(harness: Harness) -> None:
    from jpay_server.services import apps

    h = harness
    mine = await seat(h, Role.VIEWER)
    theirs = await seat(h, Role.OWNER)
    creds = await h.run(
        lambda c, d: apps.create_app(c, d, theirs.login.merchant_id, products=("collections",))
    )
    access = (await h.tokens(creds))["access"]
    body = {
        "payfrom": "+254712345678",
        "amount": "5.00",
        "ref_no": "THEIRS",
        "callback_url": "http://127.0.0.1:9/cb",
        "app_code": creds.app.app_code,
    }
    started = await h.call("POST", "/payments/collections/checkouts/initiate", access, json=body)
    assert started.status_code in (200, 201), started.text
    assert (await call(h, theirs, "GET", "/merchant/collections")).json()["count"] == 1
    for path in ("/merchant/collections", f"/merchant/collections?app_code={creds.app.app_code}"):
        assert (await call(h, mine, "GET", path)).json()["count"] == 0
    exported = await call(h, mine, "GET", "/merchant/collections.csv")
    assert "THEIRS" not in exported.text
    assert len(exported.text.splitlines()) == 1  # the header alone
