"""Payouts, idempotency keys, wallets and channels through the real app."""

from __future__ import annotations

import asyncio

import pytest

from jpay_server.services.channels import set_channel_active

pytestmark = pytest.mark.anyio
INITIATE = "/payments/payouts/initiate"


@pytest.fixture
async def shop(harness):
    creds = await harness.app_credentials(products=("collections", "payouts"))
    return creds, (await harness.tokens(creds))["access"]


def body(creds, **changes):
    values = {
        "payto": "+254712345678",
        "amount": "100.00",
        "ref_no": "PAYOUT-2024-001",
        "callback_url": "https://yourdomain.com/webhook",
        "app_code": creds.app.app_code,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not ...}


async def balance(harness, access):
    return (await harness.call("GET", "/wallets/balance", access)).json()


async def test_a_payout_needs_money_and_debits_at_once(harness, shop):
    creds, access = shop
    broke = await harness.call("POST", INITIATE, access, json=body(creds))
    assert (broke.status_code, broke.json()) == (
        400,
        {
            "detail": "Insufficient balance in payout wallet",
            "code": "insufficient_balance",
            "field": "amount",
        },
    )
    await harness.fund(creds.app.merchant_id, "250.00")
    paid = await harness.call("POST", INITIATE, access, json=body(creds, narration="Commission"))
    assert paid.status_code == 200
    got = paid.json()
    assert set(got) == {
        "id",
        "payto",
        "amount",
        "ref_no",
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
    assert got["id"].startswith("PAYOUT-")
    assert got["status"] == "pending"
    assert (await balance(harness, access))["payout_wallet_balance"] == "150.00"
    await harness.step_network(2)
    done = (await harness.call("GET", f"/payments/payouts/{got['id']}", access)).json()
    assert done["status"] == "completed"
    assert (await balance(harness, access))["payout_wallet_balance"] == "150.00"


async def test_a_failed_payout_is_credited_back(harness, shop):
    creds, access = shop
    await harness.fund(creds.app.merchant_id, "100.00")
    made = (
        await harness.call("POST", INITIATE, access, json=body(creds, payto="+254712000003"))
    ).json()
    assert (await balance(harness, access))["payout_wallet_balance"] == "0.00"
    await harness.step_network(2)
    done = (await harness.call("GET", f"/payments/payouts/{made['id']}", access)).json()
    assert (done["status"], done["failure_reason"]) == (
        "failed",
        "timeout: the customer could not be reached",
    )
    assert (await balance(harness, access))["payout_wallet_balance"] == "100.00"
    ledger = (await harness.call("GET", "/wallets/transactions?wallet=payout", access)).json()
    assert [(e["type"], e["amount"], e["balance_after"]) for e in ledger["results"]] == [
        ("payout_reversal", "100.00", "100.00"),
        ("payout", "-100.00", "0.00"),
        ("funding", "100.00", "100.00"),
    ]


async def test_bank_payouts(harness, shop):
    creds, access = shop
    await harness.fund(creds.app.merchant_id, "1000.00")
    bank = await harness.call(
        "POST", INITIATE, access, json=body(creds, payto="0011223344", channel=68)
    )
    assert (bank.status_code, bank.json()["channel_name"], bank.json()["channel_type"]) == (
        200,
        "Equity Bank",
        "Bank",
    )
    cases = [
        (
            body(creds, payto="0011223344", ref_no="B2"),
            "channel field is required for bank transfers",
        ),
        (
            body(creds, payto="0011223344", ref_no="B3", channel=63902),
            "A bank account number needs a bank channel",
        ),
        (body(creds, ref_no="B4", channel=68), "A phone number needs a mobile money channel"),
        (body(creds, payto="12-34", ref_no="B5", channel=68), "Invalid account number"),
        (body(creds, payto="+2547123", ref_no="B6"), "Invalid phone number"),
        (body(creds, payto=..., ref_no="B7"), "payto field is required"),
        (body(creds, amount="100", ref_no="B8"), "Invalid amount"),
    ]
    for payload, detail in cases:
        response = await harness.call("POST", INITIATE, access, json=payload)
        assert (response.status_code, response.json()["detail"]) == (400, detail)


async def test_inactive_channels_are_refused(harness, shop):
    creds, access = shop
    await harness.fund(creds.app.merchant_id, "1000.00")
    await harness.run(lambda c, d: set_channel_active(d, 63902, False))
    response = await harness.call("POST", INITIATE, access, json=body(creds))
    assert response.json()["detail"] == "Invalid channel"


async def test_racing_payouts_never_overdraw(harness, shop):
    creds, access = shop
    await harness.fund(creds.app.merchant_id, "1000.00")
    results = await asyncio.gather(
        *(
            harness.call("POST", INITIATE, access, json=body(creds, ref_no=f"P{n}"))
            for n in range(25)
        )
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 10 + [400] * 15
    assert (await balance(harness, access))["payout_wallet_balance"] == "0.00"


async def test_idempotency_key_replays_and_refuses_changes(harness, shop):
    creds, access = shop
    await harness.fund(creds.app.merchant_id, "500.00")
    key = {"Idempotency-Key": "order-42-payout"}
    first = await harness.call("POST", INITIATE, access, json=body(creds), headers=key)
    again = await harness.call("POST", INITIATE, access, json=body(creds), headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert (await balance(harness, access))["payout_wallet_balance"] == "400.00"  # debited once
    changed = await harness.call(
        "POST", INITIATE, access, json=body(creds, amount="200.00"), headers=key
    )
    assert (changed.status_code, changed.json()["code"]) == (409, "idempotency_key_reused")
    elsewhere = await harness.call(
        "POST",
        "/payments/collections/checkouts/initiate",
        access,
        json={**body(creds), "payfrom": "+254712345678"},
        headers=key,
    )
    assert elsewhere.status_code == 409
    bad_key = await harness.call(
        "POST", INITIATE, access, json=body(creds), headers={"Idempotency-Key": "x" * 256}
    )
    assert bad_key.status_code == 400


async def test_a_failed_request_does_not_burn_its_key(harness, shop):
    creds, access = shop
    key = {"Idempotency-Key": "retry-after-topup"}
    broke = await harness.call("POST", INITIATE, access, json=body(creds), headers=key)
    assert broke.status_code == 400
    await harness.fund(creds.app.merchant_id, "100.00")
    assert (
        await harness.call("POST", INITIATE, access, json=body(creds), headers=key)
    ).status_code == 200


async def test_concurrent_requests_with_one_key_make_one_payout(harness, shop):
    creds, access = shop
    await harness.fund(creds.app.merchant_id, "1000.00")
    key = {"Idempotency-Key": "double-click"}
    results = await asyncio.gather(
        *(harness.call("POST", INITIATE, access, json=body(creds), headers=key) for _ in range(6))
    )
    assert {r.status_code for r in results} == {200}
    assert len({r.json()["id"] for r in results}) == 1
    listed = (await harness.call("GET", "/payments/payouts", access)).json()
    assert listed["count"] == 1
    assert (await balance(harness, access))["payout_wallet_balance"] == "900.00"


async def test_transfers_move_collections_to_payouts(harness, shop):
    creds, access = shop
    collected = await harness.call(
        "POST",
        "/payments/collections/checkouts/initiate",
        access,
        json={
            "payfrom": "+254712345678",
            "amount": "300.00",
            "ref_no": "C1",
            "callback_url": "https://x.example/h",
            "app_code": creds.app.app_code,
        },
    )
    assert collected.status_code == 200
    await harness.step_network(2)
    too_much = await harness.call("POST", "/wallets/transfers", access, json={"amount": "300.01"})
    assert too_much.json()["detail"] == "Insufficient balance in collection wallet"
    moved = await harness.call("POST", "/wallets/transfers", access, json={"amount": "120.00"})
    assert moved.status_code == 200
    got = moved.json()
    assert got["reference"].startswith("TRF-")
    assert got["amount"] == "120.00"
    assert (
        got["collection_wallet_balance"],
        got["payout_wallet_balance"],
        got["total_balance"],
    ) == ("180.00", "120.00", "300.00")
    ledger = (await harness.call("GET", "/wallets/transactions?page_size=2", access)).json()
    assert [e["type"] for e in ledger["results"]] == ["transfer_in", "transfer_out"]
    assert ledger["count"] == 3


async def test_channels_list_is_the_documented_shape(harness, shop):
    _, access = shop
    everything = (await harness.call("GET", "/channels", access)).json()
    assert everything["pagination"] == {"count": 7, "page": 1, "page_size": 100, "total_pages": 1}
    assert everything["items"][4] == {
        "code": 63902,
        "name": "MPesa",
        "type": "mobile_money",
        "type_display": "Mobile Money",
        "is_active": True,
    }
    banks = (await harness.call("GET", "/channels?type=bank", access)).json()
    assert [c["code"] for c in banks["items"]] == [1, 7, 68]
    paged = (await harness.call("GET", "/channels?page=2&page_size=3", access)).json()
    assert [c["code"] for c in paged["items"]] == [68, 63902, 63903]
    assert paged["pagination"] == {"count": 7, "page": 2, "page_size": 3, "total_pages": 3}
    await harness.run(lambda c, d: set_channel_active(d, 1, False))
    active = (await harness.call("GET", "/channels?type=bank", access)).json()
    assert [c["code"] for c in active["items"]] == [7, 68]
    every = (await harness.call("GET", "/channels?type=bank&active_only=false", access)).json()
    assert [c["is_active"] for c in every["items"]] == [False, True, True]
    assert (await harness.call("GET", "/channels?type=crypto", access)).status_code == 400
