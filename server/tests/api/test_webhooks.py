"""Signed webhooks from the real app to a real HTTP receiver, verified with `standardwebhooks`."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from jpay_server.services import apps
from jpay_server.services import webhooks as service
from jpay_server.worker.egress import Blocked, resolve
from tests.harness import running
from tests.receiver import receiving

pytestmark = pytest.mark.anyio


@pytest.fixture
async def hooks(make_settings, database_url, clock):
    settings = make_settings(
        database_url=database_url,
        rate_limit_enabled=False,
        worker_in_process=False,
        webhook_retry_schedule="0,1,2",
        webhook_timeout=0.5,
    )
    async with running(settings, clock) as h:
        yield h


async def collect(h, creds, access, url, payfrom="+254712345678", ref_no="ORDER-1"):
    body = {
        "payfrom": payfrom,
        "amount": "250.00",
        "ref_no": ref_no,
        "callback_url": url,
        "app_code": creds.app.app_code,
    }
    response = await h.call("POST", "/payments/collections/checkouts/initiate", access, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def shop(h):
    creds = await h.app_credentials(products=("collections", "payouts"))
    return creds, (await h.tokens(creds))["access"]


async def test_final_states_arrive_signed_with_the_detail_as_data(hooks):
    creds, access = await shop(hooks)
    with receiving() as receiver:
        done = await collect(hooks, creds, access, receiver.url)
        failed = await collect(hooks, creds, access, receiver.url, "+254712000002", "ORDER-2")
        await hooks.step_network(2)
        assert await hooks.deliver_webhooks() == ["delivered", "delivered"]
        events = receiver.events(creds.webhook_secret)
    by_type = {e["type"]: e for e in events}
    assert set(by_type) == {"collection.completed", "collection.failed"}
    for event, made in (
        (by_type["collection.completed"], done),
        (by_type["collection.failed"], failed),
    ):
        detail = await hooks.call("GET", f"/payments/collections/checkouts/{made['id']}", access)
        assert event["data"] == detail.json()
    headers = receiver.received[0].headers
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"].startswith("msg_")
    assert headers["webhook-signature"].startswith("v1,")
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 44).verify(receiver.received[0].body, headers)


async def test_a_failing_receiver_gets_the_event_once_as_a_success(hooks):
    creds, access = await shop(hooks)
    with receiving() as receiver:
        receiver.script = [(500, {}, 0), (503, {}, 0)]
        made = await collect(hooks, creds, access, receiver.url)
        await hooks.step_network(2)
        assert await hooks.deliver_webhooks() == ["pending"]
        hooks.clock.advance(1.2)
        assert await hooks.deliver_webhooks() == ["pending"]
        hooks.clock.advance(2.3)
        assert await hooks.deliver_webhooks() == ["delivered"]
        hooks.clock.advance(60)
        assert await hooks.deliver_webhooks() == []  # nothing more, ever
        assert [r.answered for r in receiver.received] == [500, 503, 204]
        ids = {r.headers["webhook-id"] for r in receiver.received}
        assert len(ids) == 1  # the same event each time: receivers deduplicate on it
        assert [e["data"]["id"] for e in receiver.events(creds.webhook_secret)] == [made["id"]]
    events = await service.list_events(hooks.database, creds.app.app_code, None, 10)
    event, attempts = await service.event_attempts(hooks.database, events[0].id)
    assert event.status == "delivered"
    assert event.attempts == 3
    assert [a.status_code for a in attempts] == [500, 503, 204]


async def test_410_stops_and_an_exhausted_schedule_fails(hooks):
    creds, access = await shop(hooks)
    with receiving() as receiver:
        receiver.script = [(410, {}, 0)] + [(500, {}, 0)] * 3
        await collect(hooks, creds, access, receiver.url, ref_no="GONE")
        await hooks.step_network(2)
        assert await hooks.deliver_webhooks() == ["gone"]
        await collect(hooks, creds, access, receiver.url, ref_no="FAILS")
        await hooks.step_network(2)
        statuses = []
        for _ in range(4):
            statuses += await hooks.deliver_webhooks()
            hooks.clock.advance(3)
        assert statuses == ["pending", "pending", "failed"]
        assert len(receiver.received) == 4


async def test_retry_after_is_honoured(hooks):
    creds, access = await shop(hooks)
    with receiving() as receiver:
        receiver.script = [(429, {"Retry-After": "120"}, 0)]
        await collect(hooks, creds, access, receiver.url)
        await hooks.step_network(2)
        assert await hooks.deliver_webhooks() == ["pending"]
        events = await service.list_events(hooks.database, None, None, 1)
        assert (events[0].next_attempt_at - hooks.clock()).total_seconds() >= 119
        hooks.clock.advance(60)
        assert await hooks.deliver_webhooks() == []


async def test_a_slow_receiver_times_out_and_is_retried(hooks):
    creds, access = await shop(hooks)
    with receiving() as receiver:
        receiver.script = [(204, {}, 2.0)]
        await collect(hooks, creds, access, receiver.url)
        await hooks.step_network(2)
        assert await hooks.deliver_webhooks() == ["pending"]
        events = await service.list_events(hooks.database, None, None, 1)
        assert events[0].last_error == "timeout after 0.5 s"


async def test_rotating_the_webhook_secret_signs_with_both_during_the_overlap(hooks):
    creds, access = await shop(hooks)
    rotated = await hooks.run(
        lambda c, d: apps.rotate_app_webhook_secret(c, d, creds.app.app_code, 60)
    )
    with receiving() as receiver:
        await collect(hooks, creds, access, receiver.url)
        await hooks.step_network(2)
        await hooks.deliver_webhooks()
        during = receiver.received[-1]
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        for secret in (creds.webhook_secret, rotated.webhook_secret):
            Webhook(secret).verify(during.body, during.headers)
        hooks.clock.advance(61)
        await collect(hooks, creds, access, receiver.url, ref_no="AFTER")
        await hooks.step_network(2)
        await hooks.deliver_webhooks()
        after = receiver.received[-1]
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        Webhook(rotated.webhook_secret).verify(after.body, after.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(creds.webhook_secret).verify(after.body, after.headers)


async def test_refresh_reuse_is_sent_to_the_app_webhook_url(hooks):
    creds, _ = await shop(hooks)
    tokens = await hooks.tokens(creds)
    with receiving() as receiver:
        await hooks.run(lambda c, d: apps.set_webhook_url(c, d, creds.app.app_code, receiver.url))
        await hooks.sync()  # an operator change reaches every process within a second
        await hooks.refresh(tokens["refresh"])
        hooks.clock.advance(hooks.settings.refresh_reuse_grace + 1)
        assert (await hooks.refresh(tokens["refresh"])).json()["code"] == "refresh_token_reused"
        assert await hooks.deliver_webhooks() == ["delivered"]
        [event] = receiver.events(creds.webhook_secret)
    assert event["type"] == "security.refresh_token_reused"
    assert event["data"]["app_code"] == creds.app.app_code
    assert event["data"]["family_id"]


async def test_redeliver_sends_the_same_event_again(hooks):
    creds, access = await shop(hooks)
    with receiving() as receiver:
        await collect(hooks, creds, access, receiver.url)
        await hooks.step_network(2)
        await hooks.deliver_webhooks()
        [event] = await service.list_events(hooks.database, None, None, 5)
        await service.redeliver(hooks.ctx, hooks.database, event.id)
        assert await hooks.deliver_webhooks() == ["delivered"]
        assert [r.headers["webhook-id"] for r in receiver.received] == [event.id, event.id]
        first, second = (json.loads(r.body) for r in receiver.received)
        assert first == second


async def test_production_refuses_private_callbacks(make_settings, database_url, clock):
    settings = make_settings(
        database_url=database_url,
        env="production",
        secret_key="Qw7" * 16,
        rate_limit_enabled=False,
        worker_in_process=False,
    )
    async with running(settings, clock) as prod:
        creds, access = await shop(prod)
        for url in ("http://127.0.0.1:9000/hook", "https://10.0.0.8/hook", "https://localhost/h"):
            response = await prod.call(
                "POST",
                "/payments/collections/checkouts/initiate",
                access,
                json={
                    "payfrom": "+254712345678",
                    "amount": "1.00",
                    "ref_no": "R",
                    "callback_url": url,
                    "app_code": creds.app.app_code,
                },
            )
            assert (response.status_code, response.json()["detail"]) == (
                400,
                "callback_url must be a public https URL",
            )


@pytest.mark.parametrize(("env", "allowed"), [("sandbox", False), ("development", True)])
async def test_private_callbacks_only_in_development(
    make_settings, database_url, clock, env, allowed
):
    """The sandbox is where outside merchants integrate: it must not reach our network."""
    settings = make_settings(
        database_url=database_url, env=env, rate_limit_enabled=False, worker_in_process=False
    )
    async with running(settings, clock) as h:
        creds, access = await shop(h)
        for n, url in enumerate(("http://127.0.0.1:9000/hook", "https://10.0.0.8/hook")):
            body = {
                "payfrom": "+254712345678",
                "amount": "1.00",
                "ref_no": f"R{n}",
                "callback_url": url,
                "app_code": creds.app.app_code,
            }
            response = await h.call(
                "POST", "/payments/collections/checkouts/initiate", access, json=body
            )
            assert (response.status_code == 200) is allowed, response.text
            if not allowed:
                assert response.json()["detail"] == "callback_url must be a public https URL"
    assert settings.allow_private_callbacks is allowed


async def test_egress_resolves_and_refuses_private_destinations():
    with pytest.raises(Blocked):
        await resolve("https://localhost:8443/hook", allow_private=False)
    with pytest.raises(Blocked):
        await resolve("https://127.0.0.1/hook", allow_private=False)
    public = await resolve("https://8.8.8.8/hook", allow_private=False)
    assert public.url == "https://8.8.8.8/hook"
    local = await resolve("http://127.0.0.1:9/h", allow_private=True)
    assert local.url == "http://127.0.0.1:9/h"
