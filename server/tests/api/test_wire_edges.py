"""Edges of the wire contract: anchored patterns, overlong revoked tokens, local phones, links."""

from __future__ import annotations

import pytest

from tests.harness import API, running

pytestmark = pytest.mark.anyio
PAYOUT = "/payments/payouts/initiate"


@pytest.fixture
async def shop(harness):
    creds = await harness.app_credentials(products=("collections", "payouts"))
    await harness.fund(creds.app.merchant_id, "1000.00")
    return creds, (await harness.tokens(creds))["access"]


def payout(creds, ref_no, **changes):
    values = {
        "payto": "+254712345678",
        "amount": "100.00",
        "ref_no": ref_no,
        "callback_url": "https://yourdomain.com/webhook",
        "app_code": creds.app.app_code,
    }
    return values | changes


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"payto": "1234567890\n", "channel": 68}, "Invalid account number"),
        ({"payto": "+254712345678\n"}, "Invalid phone number"),
        ({"amount": "100.00\n"}, "Invalid amount"),
    ],
)
async def test_a_trailing_newline_is_not_part_of_a_valid_value(harness, shop, changes, detail):
    creds, access = shop
    response = await harness.call("POST", PAYOUT, access, json=payout(creds, "NL", **changes))
    assert (response.status_code, response.json()["detail"]) == (400, detail)


@pytest.mark.parametrize("payto", ["0712345678", "254712345678", "0112345678"])
async def test_a_phone_without_plus_is_an_invalid_phone_number(harness, shop, payto):
    """The error-codes page's own examples of "Invalid phone number"."""
    creds, access = shop
    response = await harness.call("POST", PAYOUT, access, json=payout(creds, "P", payto=payto))
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Invalid phone number", "code": "invalid_phone_number", "field": "payto"},
    )
    mobile = payout(creds, "P2", payto=payto, channel=63902)
    response = await harness.call("POST", PAYOUT, access, json=mobile)
    assert response.json()["detail"] == "Invalid phone number"
    bank = await harness.call(
        "POST", PAYOUT, access, json=payout(creds, "B", payto=payto, channel=68)
    )
    assert bank.status_code == 200, "with a bank channel the same digits are an account number"


@pytest.mark.parametrize("length", [4097, 5000, 60_000])
async def test_revoking_an_overlong_token_is_200(harness, length):
    """RFC 7009 §2.2: an invalid token is not an error; the README promises 200 always."""
    response = await harness.client.post(f"{API}/auth/revoke", json={"token": "a" * length})
    assert (response.status_code, response.json()) == (200, {"revoked": True})


async def test_page_links_keep_the_scheme_and_host_the_client_used(
    make_settings, database_url, clock
):
    """Behind a TLS-terminating proxy the links are https, on the public host."""
    settings = make_settings(
        database_url=database_url, rate_limit_enabled=False, trusted_proxies="10.0.0.0/8"
    )
    async with running(settings, clock) as h:
        creds = await h.app_credentials(products=("collections",))
        access = (await h.tokens(creds))["access"]
        for n in range(3):
            body = {
                "payfrom": "+254712345678",
                "amount": "10.00",
                "ref_no": f"R{n}",
                "callback_url": "https://yourdomain.com/webhook",
                "app_code": creds.app.app_code,
            }
            await h.call("POST", "/payments/collections/checkouts/initiate", access, json=body)
        headers = {
            "Authorization": f"Bearer {access}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "api.shop.example",
            "X-Forwarded-For": "192.0.2.7",
        }
        path = f"{API}/payments/collections/checkouts?page_size=1&page=2"
        page = (await h.client_from("10.0.0.2").get(path, headers=headers)).json()
        assert (
            page["next"]
            == f"https://api.shop.example{API}/payments/collections/checkouts?page_size=1&page=3"
        )
        assert page["previous"].startswith(f"https://api.shop.example{API}/")
        direct = (await h.client_from("192.0.2.8").get(path, headers=headers)).json()
        assert direct["next"].startswith("http://testserver/"), "untrusted peers cannot steer links"
        bad = headers | {"X-Forwarded-Host": "evil.example/x?", "X-Forwarded-Proto": "gopher"}
        page = (await h.client_from("10.0.0.2").get(path, headers=bad)).json()
        assert page["next"].startswith("http://testserver/")


@pytest.mark.parametrize("text", ["100.00\n", "100.00\r\n", " 100.00"])
def test_cli_amounts_and_rates_are_anchored_at_the_very_end(text):
    """`wallets fund` parses with the same rule; Python's "$" would let "\\n" through."""
    from jpay_server.domain.money import parse_amount
    from jpay_server.domain.ratelimits import Rate
    from jpay_server.errors import InvalidRequest

    with pytest.raises(InvalidRequest):
        parse_amount(text)
    assert Rate.parse("30/minute\n") == Rate(30, 60.0)  # whitespace around a rate is fine
