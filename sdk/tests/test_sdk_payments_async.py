"""AsyncJPay's resources against the real payments endpoints, worker and webhooks, in process.

The sandbox network steps every payment as soon as it is due (step delay 0) and the worker
delivers the signed webhooks to a receiver on loopback, which the SDK then verifies.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from live_server import (
    API,
    AppCreds,
    InProcess,
    WebhookReceiver,
    WorldClock,
    in_process,
    instrument,
)

import jpay
from jpay import (
    AsyncJPay,
    Balance,
    ChannelPage,
    Collection,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    Page,
    Payout,
    Transfer,
    WalletTransaction,
    WebhookEvent,
)
from jpay_server.services import wallets

pytestmark = pytest.mark.anyio
PHONE = "+254712345678"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture
async def server(make_settings, world: WorldClock) -> AsyncIterator[InProcess]:
    settings = make_settings(sandbox_step_delay=0, worker_poll_interval=0.05)
    async with in_process(settings, world) as s:
        yield s


@pytest.fixture
async def creds(server: InProcess) -> AppCreds:
    return await server.new_app(products=("collections", "payouts"))


@pytest.fixture
async def client(server: InProcess, creds: AppCreds) -> AsyncIterator[AsyncJPay]:
    async with server.http() as http:
        yield AsyncJPay(creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http)


async def settled(get, ident: str) -> Collection | Payout:
    """Poll until the sandbox network has finished with a payment."""
    for _ in range(400):
        found = await get(ident)
        if found.status in ("completed", "failed"):
            return found
        await asyncio.sleep(0.05)
    raise TimeoutError(ident)


async def test_quick_start_collection_round_trip(
    client: AsyncJPay, creds: AppCreds, world: WorldClock, receiver: WebhookReceiver
) -> None:
    # The quick-start call, verbatim but for the callback: app_code comes from the token.
    checkout = await client.collections.initiate(
        payfrom=PHONE, amount="100.00", ref_no="ORDER-1", callback_url=receiver.url
    )

    assert isinstance(checkout, Collection)
    assert checkout.id.startswith("COLL-")
    assert (checkout.amount, checkout.status, checkout.status_code) == (
        Decimal("100.00"),
        "pending",
        0,
    )
    assert (checkout.channel, checkout.channel_name) == (63902, "M-Pesa")
    assert checkout.app_code == creds.app_code
    assert checkout.created_at == world.now.replace(microsecond=0)
    assert checkout.created_at.tzinfo is UTC
    done = await settled(client.collections.get, checkout.id)
    assert (done.status, done.status_code, done.failure_reason) == ("completed", 2, None)

    ((headers, body),) = await receiver.arrived(1)
    event = jpay.webhooks.verify(payload=body, headers=headers, secret=creds.webhook_secret)
    assert isinstance(event, WebhookEvent)
    assert event.type == "collection.completed"
    assert event.id == headers["webhook-id"]
    assert event.data == done
    with pytest.raises(jpay.WebhookVerificationError) as caught:
        jpay.webhooks.verify(
            payload=body.replace(b"100.00", b"900.00"), headers=headers, secret=creds.webhook_secret
        )
    assert caught.value.code == "invalid_signature"


async def test_failed_collection_reports_the_reason(
    client: AsyncJPay, creds: AppCreds, receiver: WebhookReceiver
) -> None:
    checkout = await client.collections.initiate(
        payfrom="+254712000002", amount=Decimal("5"), ref_no="ORDER-F", callback_url=receiver.url
    )
    done = await settled(client.collections.get, checkout.id)
    assert done.status == "failed"
    assert done.failure_reason == "declined: the customer cancelled the request"
    ((headers, body),) = await receiver.arrived(1)
    event = jpay.webhooks.verify(payload=body, headers=headers, secret=creds.webhook_secret)
    assert event.type == "collection.failed"
    assert isinstance(event.data, Collection)
    assert event.data.status == "failed"


async def test_list_filters_and_pages(client: AsyncJPay, world: WorldClock) -> None:
    made = []
    for n, (phone, amount) in enumerate(
        [(PHONE, "1.00"), ("+254733111111", 250), (PHONE, Decimal("99.5"))]
    ):
        world.advance(1)  # the server's clock is frozen: give each its own second
        made.append(
            await client.collections.initiate(
                payfrom=phone,
                amount=amount,
                ref_no=f"LIST-{n}",
                callback_url="http://127.0.0.1:9/x",
            )
        )
    first = await client.collections.list(page_size=2)
    assert isinstance(first, Page)
    assert (first.count, len(first.results), first.previous) == (3, 2, None)
    assert first.next is not None
    assert "page=2" in first.next
    assert [c.id for c in first] == [made[2].id, made[1].id]  # newest first
    second = await client.collections.list(page_size=2, page=2)
    assert [c.id for c in second.results] == [made[0].id]
    assert [c.amount for c in made] == [Decimal("1.00"), Decimal("250.00"), Decimal("99.50")]

    by_phone = await client.collections.list(phone=PHONE)
    assert {c.id for c in by_phone} == {made[0].id, made[2].id}
    by_ref = await client.collections.list(ref_no="LIST-1")
    assert [c.id for c in by_ref] == [made[1].id]
    today = world.now.date()
    assert (await client.collections.list(date_from=today, date_to=today)).count == 3
    assert (
        await client.collections.list(date_from=date(2000, 1, 1), date_to="2000-01-02")
    ).count == 0
    await settled(client.collections.get, made[0].id)
    assert (await client.collections.list(status="pending", ref_no="LIST-0")).count == 0


async def test_unknown_collection_is_not_found(client: AsyncJPay) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.collections.get("COLL-20260101-NOSUCHTHNG")
    assert (caught.value.status, caught.value.code) == (404, "not_found")
    assert caught.value.detail == "Collection not found"


async def test_bad_input_is_invalid_request_naming_the_field(client: AsyncJPay) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client.collections.initiate(
            payfrom="0712345678", amount="1.00", ref_no="BAD-1", callback_url="http://x.test/"
        )
    assert (caught.value.code, caught.value.field) == ("invalid_phone_number", "payfrom")
    with pytest.raises(InvalidRequestError) as caught:
        await client.collections.initiate(
            payfrom=PHONE, amount="1.005", ref_no="BAD-2", callback_url="http://x.test/"
        )
    assert (caught.value.code, caught.value.field) == ("invalid_amount", "amount")
    with pytest.raises(TypeError):
        await client.collections.initiate(
            payfrom=PHONE,
            amount=1.5,
            ref_no="BAD-3",
            callback_url="http://x.test/",  # type: ignore[arg-type]
        )


async def test_another_apps_code_is_not_found(client: AsyncJPay, creds: AppCreds) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.collections.initiate(
            payfrom=PHONE,
            amount="1.00",
            ref_no="OTHER-APP",
            callback_url="http://x.test/",
            app_code=creds.app_code + 1,
        )
    assert (caught.value.code, caught.value.detail) == ("app_not_found", "App not found")


async def test_idempotency_key_replays_and_duplicate_ref_no_conflicts(client: AsyncJPay) -> None:
    fields = {"payfrom": PHONE, "amount": "10.00", "callback_url": "http://127.0.0.1:9/x"}
    first = await client.collections.initiate(ref_no="IDEM-1", idempotency_key="k-1", **fields)
    again = await client.collections.initiate(ref_no="IDEM-1", idempotency_key="k-1", **fields)
    assert again == first
    with pytest.raises(ConflictError) as caught:
        await client.collections.initiate(ref_no="IDEM-2", idempotency_key="k-1", **fields)
    assert caught.value.code == "idempotency_key_reused"
    with pytest.raises(ConflictError) as caught:
        await client.collections.initiate(ref_no="IDEM-1", **fields)
    assert caught.value.code == "duplicate_ref_no"
    assert (await client.collections.list()).count == 1


class DropFirstResponse(httpx.AsyncBaseTransport):
    """The network loses the answer to the first initiate after the server processed it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.keys: list[str | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/initiate"):
            self.keys.append(request.headers.get("idempotency-key"))
            if len(self.keys) == 1:
                await response.aclose()
                raise httpx.ReadError("connection reset by peer", request=request)
        return response


async def test_a_post_whose_answer_is_lost_is_retried_and_applied_once(
    server: InProcess, creds: AppCreds
) -> None:
    lossy = DropFirstResponse(httpx.ASGITransport(app=server.recorder))
    async with httpx.AsyncClient(transport=lossy) as http:
        client = AsyncJPay(
            creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http
        )
        instrument(client, sleep=lambda _: asyncio.sleep(0))
        checkout = await client.collections.initiate(
            payfrom=PHONE, amount="42.00", ref_no="LOST-1", callback_url="http://127.0.0.1:9/x"
        )
        page = await client.collections.list()
    assert len(lossy.keys) == 2
    assert lossy.keys[0] == lossy.keys[1]
    assert lossy.keys[0]
    assert server.recorder.count("/payments/collections/checkouts/initiate", 200) == 2
    assert [c.id for c in page] == [checkout.id]  # one collection, not two


async def test_payouts_wallets_and_transfers(
    server: InProcess, client: AsyncJPay, creds: AppCreds, receiver: WebhookReceiver
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client.payouts.initiate(
            payto=PHONE, amount="10.00", ref_no="P-0", callback_url=receiver.url
        )
    assert caught.value.code == "insufficient_balance"
    await server.operate(lambda c, d: wallets.fund(c, d, creds.merchant_id, "1000.00"))

    payout = await client.payouts.initiate(
        payto=PHONE, amount="300.00", ref_no="P-1", callback_url=receiver.url, narration="Fees"
    )
    failing = await client.payouts.initiate(
        payto="+254712000003", amount="200.00", ref_no="P-2", callback_url=receiver.url
    )
    assert isinstance(payout, Payout)
    assert payout.id.startswith("PAYOUT-")
    assert (payout.amount, payout.narration, payout.payto) == (Decimal("300.00"), "Fees", PHONE)
    balance = await client.wallets.balance()
    assert isinstance(balance, Balance)
    assert balance.payout_wallet_balance == Decimal("500.00")
    assert (await settled(client.payouts.get, payout.id)).status == "completed"
    failed = await settled(client.payouts.get, failing.id)
    assert failed.failure_reason == "timeout: the customer could not be reached"
    assert (await client.wallets.balance()).payout_wallet_balance == Decimal("700.00")
    listed = await client.payouts.list(status="failed")
    assert [p.id for p in listed] == [failing.id]
    with pytest.raises(NotFoundError):
        await client.payouts.get(payout.id.replace("PAYOUT", "COLL"))

    events = {}
    for headers, body in await receiver.arrived(2):
        event = jpay.webhooks.verify(payload=body, headers=headers, secret=creds.webhook_secret)
        events[event.type] = event
    assert set(events) == {"payout.completed", "payout.failed"}
    assert isinstance(events["payout.failed"].data, Payout)

    collected = await client.collections.initiate(
        payfrom=PHONE, amount="50.00", ref_no="C-1", callback_url=receiver.url
    )
    await settled(client.collections.get, collected.id)
    transfer = await client.wallets.transfer("20.00")
    assert isinstance(transfer, Transfer)
    assert transfer.reference.startswith("TRF-")
    assert (transfer.amount, transfer.collection_wallet_balance) == (
        Decimal("20.00"),
        Decimal("30.00"),
    )
    assert transfer.payout_wallet_balance == Decimal("720.00")
    assert transfer.total_balance == Decimal("750.00")
    with pytest.raises(InvalidRequestError) as caught:
        await client.wallets.transfer("1000.00")
    assert caught.value.code == "insufficient_balance"

    ledger = await client.wallets.transactions(wallet="payout")
    assert all(isinstance(e, WalletTransaction) and e.wallet == "payout" for e in ledger)
    kinds = [e.type for e in ledger]
    assert kinds.count("payout") == 2
    assert "payout_reversal" in kinds
    assert "funding" in kinds
    debit = next(e for e in ledger if e.reference == payout.id)
    assert debit.amount == Decimal("-300.00")
    assert debit.created_at.tzinfo is UTC
    assert isinstance(debit.created_at, datetime)
    assert (await client.wallets.transactions(page_size=1)).count == ledger.count + 2


async def test_channels(client: AsyncJPay) -> None:
    mobile = await client.channels.list(type="mobile_money")
    assert isinstance(mobile, ChannelPage)
    assert [(c.code, c.name) for c in mobile] == [
        (63902, "MPesa"),
        (63903, "AirtelMoney"),
        (63907, "T-Kash"),
    ]
    assert all(c.type == "mobile_money" and c.is_active for c in mobile)
    everything = await client.channels.list(active_only=False, page_size=2)
    assert (everything.count, everything.page_size, everything.total_pages) == (7, 2, 4)
    assert [c.code for c in everything.items] == [0, 1]


async def test_the_transfer_needs_the_payouts_product(server: InProcess) -> None:
    creds = await server.new_app(products=("collections",))
    async with server.http() as http:
        client = AsyncJPay(
            creds.app_key, creds.app_secret, base_url=server.base_url, http_client=http
        )
        assert (await client.wallets.balance()).total_balance == Decimal("0.00")
        with pytest.raises(jpay.PermissionDeniedError) as caught:
            await client.wallets.transfer("1.00")
    assert caught.value.code == "product_not_enabled"
    assert server.recorder.count("/wallets/transfers", 403) == 1
    assert API  # the recorder counts paths under the API prefix
