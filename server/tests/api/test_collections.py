"""Collections through the real app: validation with the documented strings, lists, lifecycle."""

from __future__ import annotations

import re

import pytest

from jpay_server.services import apps, merchants

pytestmark = pytest.mark.anyio
INITIATE = "/payments/collections/checkouts/initiate"
LIST = "/payments/collections/checkouts"


@pytest.fixture
async def shop(harness):
    """An app with both products, and its access token."""
    creds = await harness.app_credentials(products=("collections", "payouts"))
    tokens = await harness.tokens(creds)
    return creds, tokens["access"]


def body(creds, **changes):
    values = {
        "payfrom": "+254712345678",
        "amount": "1000.00",
        "ref_no": "ORDER-2024-001",
        "callback_url": "https://yourdomain.com/webhook",
        "app_code": creds.app.app_code,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not ...}


async def test_initiate_answers_the_documented_shape(harness, shop):
    creds, access = shop
    response = await harness.call("POST", INITIATE, access, json=body(creds, category="ecommerce"))
    assert response.status_code == 200
    got = response.json()
    assert set(got) == {
        "id",
        "payfrom",
        "amount",
        "ref_no",
        "account_number",
        "callback_url",
        "status",
        "status_code",
        "category",
        "narration",
        "channel",
        "channel_name",
        "channel_type",
        "app_code",
        "failure_reason",
        "created_at",
        "updated_at",
    }
    assert re.fullmatch(r"COLL-\d{8}-[0-9A-Z]{10}", got["id"])
    assert (got["status"], got["status_code"]) == ("pending", 0)
    assert (got["channel"], got["channel_name"], got["channel_type"]) == (
        63902,
        "M-Pesa",
        "Mobile Money",
    )
    assert (got["account_number"], got["narration"], got["category"]) == (
        "JPay",
        "Request Payment",
        "ecommerce",
    )
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", got["created_at"])
    detail = await harness.call("GET", f"{LIST}/{got['id']}", access)
    assert detail.json() == got


@pytest.mark.parametrize(
    ("changes", "status", "detail"),
    [
        ({"payfrom": ...}, 400, "payfrom field is required"),
        ({"amount": ...}, 400, "amount field is required"),
        ({"ref_no": ...}, 400, "ref_no field is required"),
        ({"callback_url": ...}, 400, "callback_url field is required"),
        ({"app_code": ...}, 400, "app_code field is required"),
        ({"payfrom": "0712345678"}, 400, "Invalid phone number"),
        ({"payfrom": "254712345678"}, 400, "Invalid phone number"),
        ({"payfrom": "+2547123456"}, 400, "Invalid phone number"),
        ({"payfrom": 254712345678}, 400, "Invalid phone number"),
        ({"amount": "1000"}, 400, "Invalid amount"),
        ({"amount": "1000.5"}, 400, "Invalid amount"),
        ({"amount": "1000.123"}, 400, "Invalid amount"),
        ({"amount": 1000}, 400, "Invalid amount"),
        ({"amount": "0.99"}, 400, "Invalid amount"),
        ({"amount": "1000000.00"}, 400, "Invalid amount"),
        ({"ref_no": "R" * 51}, 400, "ref_no is too long (at most 50 characters)"),
        ({"narration": "N" * 201}, 400, "narration is too long (at most 200 characters)"),
        ({"account_number": "A" * 51}, 400, "account_number is too long (at most 50 characters)"),
        ({"category": "groceries"}, 400, "Invalid category"),
        ({"channel": 1}, 400, "Collections support mobile money channels only"),
        ({"channel": 99999}, 400, "Invalid channel"),
        ({"channel": "63902"}, 400, "channel must be an integer"),
        (
            {"payfrom": "+255712345678"},
            400,
            "Cannot infer a channel for this phone number; pass channel",
        ),
        ({"callback_url": "not-a-url"}, 400, "callback_url must be an absolute http(s) URL"),
        ({"app_code": 1}, 404, "App not found"),
    ],
)
async def test_every_field_is_validated(harness, shop, changes, status, detail):
    creds, access = shop
    response = await harness.call("POST", INITIATE, access, json=body(creds, **changes))
    assert (response.status_code, response.json()["detail"]) == (status, detail)


async def test_explicit_channel_and_other_carriers(harness, shop):
    creds, access = shop
    airtel = await harness.call("POST", INITIATE, access, json=body(creds, payfrom="+254733123456"))
    assert airtel.json()["channel_name"] == "Airtel Money"
    telkom = await harness.call(
        "POST", INITIATE, access, json=body(creds, payfrom="+254770123456", ref_no="R2")
    )
    assert telkom.json()["channel_name"] == "T-Kash"
    abroad = await harness.call(
        "POST",
        INITIATE,
        access,
        json=body(creds, payfrom="+255712345678", channel=63903, ref_no="R3"),
    )
    assert abroad.json()["channel"] == 63903


async def test_ref_no_is_unique_per_app(harness, shop):
    creds, access = shop
    assert (await harness.call("POST", INITIATE, access, json=body(creds))).status_code == 200
    again = await harness.call("POST", INITIATE, access, json=body(creds, amount="5.00"))
    assert again.status_code == 409
    assert again.json() == {
        "detail": "A collection with this ref_no already exists",
        "code": "duplicate_ref_no",
    }
    other = await harness.app_credentials()
    other_access = (await harness.tokens(other))["access"]
    assert (await harness.call("POST", INITIATE, other_access, json=body(other))).status_code == 200


async def test_product_and_state_gate_the_endpoint(harness):
    payouts_only = await harness.app_credentials(products=("payouts",))
    access = (await harness.tokens(payouts_only))["access"]
    response = await harness.call("POST", INITIATE, access, json=body(payouts_only))
    assert response.json()["code"] == "product_not_enabled"
    no_token = await harness.client.post(f"/api/v1{INITIATE}", json=body(payouts_only))
    assert no_token.status_code == 401


async def test_lifecycle_to_completed_credits_the_collection_wallet(harness, shop):
    creds, access = shop
    created = (await harness.call("POST", INITIATE, access, json=body(creds))).json()
    await harness.step_network()
    assert (await harness.call("GET", f"{LIST}/{created['id']}", access)).json()[
        "status"
    ] == "processing"
    await harness.step_network()
    done = (await harness.call("GET", f"{LIST}/{created['id']}", access)).json()
    assert (done["status"], done["status_code"], done["failure_reason"]) == ("completed", 2, None)
    balance = (await harness.call("GET", "/wallets/balance", access)).json()
    assert balance == {
        "collection_wallet_balance": "1000.00",
        "payout_wallet_balance": "0.00",
        "total_balance": "1000.00",
    }
    ledger = (await harness.call("GET", "/wallets/transactions", access)).json()["results"]
    assert [(e["type"], e["amount"], e["reference"]) for e in ledger] == [
        ("collection", "1000.00", created["id"])
    ]


@pytest.mark.parametrize(
    ("payfrom", "reason"),
    [
        ("+254712000002", "declined: the customer cancelled the request"),
        ("+254733000003", "timeout: the customer could not be reached"),
        ("+254770000004", "insufficient_funds: the customer's balance is too low"),
    ],
)
async def test_sandbox_numbers_fail_deterministically(harness, shop, payfrom, reason):
    creds, access = shop
    created = (
        await harness.call("POST", INITIATE, access, json=body(creds, payfrom=payfrom))
    ).json()
    await harness.step_network(2)
    done = (await harness.call("GET", f"{LIST}/{created['id']}", access)).json()
    assert (done["status"], done["status_code"], done["failure_reason"]) == ("failed", 3, reason)
    balance = (await harness.call("GET", "/wallets/balance", access)).json()
    assert balance["collection_wallet_balance"] == "0.00"


async def test_list_filters_order_and_pagination(harness, shop):
    creds, access = shop
    ids = []
    for n in range(5):
        payfrom = "+254712000002" if n == 4 else "+254712345678"
        made = await harness.call(
            "POST", INITIATE, access, json=body(creds, ref_no=f"R{n}", payfrom=payfrom)
        )
        ids.append(made.json()["id"])
        harness.clock.advance(1)
    await harness.step_network(2)
    page = (await harness.call("GET", f"{LIST}?page_size=2", access)).json()
    assert page["count"] == 5
    assert [r["id"] for r in page["results"]] == ids[::-1][:2]
    assert page["previous"] is None
    assert "page=2" in page["next"]
    assert "page_size=2" in page["next"]
    last = (await harness.call("GET", f"{LIST}?page_size=2&page=3", access)).json()
    assert [r["id"] for r in last["results"]] == [ids[0]]
    assert last["next"] is None
    assert "page=2" in last["previous"]
    beyond = (await harness.call("GET", f"{LIST}?page_size=2&page=9", access)).json()
    assert (beyond["count"], beyond["results"], beyond["next"]) == (5, [], None)
    assert "page=3" in beyond["previous"]
    failed = (await harness.call("GET", f"{LIST}?status=failed", access)).json()
    assert [r["id"] for r in failed["results"]] == [ids[4]]
    by_ref = (await harness.call("GET", f"{LIST}?ref_no=R2", access)).json()
    assert [r["id"] for r in by_ref["results"]] == [ids[2]]
    by_phone = (await harness.call("GET", f"{LIST}?phone=%2B254712000002", access)).json()
    assert by_phone["count"] == 1
    today = harness.clock().date().isoformat()
    dated = (await harness.call("GET", f"{LIST}?date_from={today}&date_to={today}", access)).json()
    inverted = f"{LIST}?date_from={today}&date_to=2000-01-01"
    assert (await harness.call("GET", inverted, access)).json()["count"] == 0
    assert dated["count"] == 5
    for bad in (
        "page=0",
        "page_size=101",
        "status=done",
        "date_from=28/11/2026",
        "phone=0712345678",
        "date_to=0",
        "date_to=2026-13-45",
    ):
        response = await harness.call("GET", f"{LIST}?{bad}", access)
        assert response.status_code == 400
        assert response.json()["detail"].startswith("Invalid query parameter: ")


async def test_tenants_never_see_each_other(harness, shop):
    creds, access = shop
    mine = (await harness.call("POST", INITIATE, access, json=body(creds))).json()
    sibling = await harness.run(
        lambda c, d: apps.create_app(c, d, creds.app.merchant_id, products=("collections",))
    )
    stranger_merchant = await harness.run(
        lambda c, d: merchants.create_merchant(c, d, "Other", True)
    )
    stranger = await harness.run(
        lambda c, d: apps.create_app(c, d, stranger_merchant.id, products=("collections",))
    )
    for other in (sibling, stranger):
        other_access = (await harness.tokens(other))["access"]
        assert (await harness.call("GET", LIST, other_access)).json()["count"] == 0
        detail = await harness.call("GET", f"{LIST}/{mine['id']}", other_access)
        assert (detail.status_code, detail.json()["detail"]) == (404, "Collection not found")
        spoof = await harness.call("POST", INITIATE, other_access, json=body(creds))
        assert (spoof.status_code, spoof.json()["detail"]) == (404, "App not found")
