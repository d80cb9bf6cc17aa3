"""Bad input is a clear 4xx with a stable code, never a 500."""

from __future__ import annotations

import pytest

from tests.harness import API

pytestmark = pytest.mark.anyio
TOKEN = f"{API}/auth/app/token"


@pytest.mark.parametrize(
    ("content", "headers", "status", "body"),
    [
        (
            "{bad",
            {"Content-Type": "application/json"},
            400,
            {"detail": "JSON parse error", "code": "invalid_json"},
        ),
        (
            "{}",
            {"Content-Type": "application/json"},
            400,
            {"detail": "app_key field is required", "code": "field_required", "field": "app_key"},
        ),
        (
            '{"app_key": "k"}',
            {"Content-Type": "application/json"},
            400,
            {
                "detail": "app_secret field is required",
                "code": "field_required",
                "field": "app_secret",
            },
        ),
        (
            '{"app_key": 5, "app_secret": "s"}',
            {"Content-Type": "application/json"},
            400,
            {"detail": "app_key must be a string", "code": "invalid_field", "field": "app_key"},
        ),
        (
            '{"app_key": null, "app_secret": "s"}',
            {"Content-Type": "application/json"},
            400,
            {"detail": "app_key must be a string", "code": "invalid_field", "field": "app_key"},
        ),
        (
            '["app_key"]',
            {"Content-Type": "application/json"},
            400,
            {"detail": "Request body must be a JSON object", "code": "invalid_body"},
        ),
        (
            "null",
            {"Content-Type": "application/json"},
            400,
            {"detail": "Request body must be a JSON object", "code": "invalid_body"},
        ),
        (
            "",
            {"Content-Type": "application/json"},
            400,
            {"detail": "Request body is required", "code": "body_required"},
        ),
        (  # not UTF-8: the answer FastAPI gave, kept when the routes left it
            b"\xc3\x28",
            {"Content-Type": "application/json"},
            400,
            {"detail": "There was an error parsing the body", "code": "http_error"},
        ),
        (
            '{"app_key": "k"}',
            {"Content-Type": "text/plain"},
            415,
            {"detail": "Content-Type must be application/json", "code": "unsupported_media_type"},
        ),
        (
            "app_key=k&app_secret=s",
            {"Content-Type": "application/x-www-form-urlencoded"},
            415,
            {"detail": "Content-Type must be application/json", "code": "unsupported_media_type"},
        ),
    ],
)
async def test_token_body_errors(any_harness, content, headers, status, body):
    response = await any_harness.client.post(TOKEN, content=content, headers=headers)
    assert (response.status_code, response.json()) == (status, body)


async def test_json_with_charset_is_json(any_harness):
    response = await any_harness.client.post(
        TOKEN,
        content='{"app_key": "k", "app_secret": "s"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.json()["code"] == "invalid_credentials"


async def test_oversized_bodies_are_413(any_harness):
    big = '{"app_key": "' + "k" * (any_harness.settings.max_body_bytes + 1) + '"}'
    response = await any_harness.client.post(
        TOKEN, content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"

    async def chunks():
        for _ in range(100):
            yield b"x" * 1024

    chunked = await any_harness.client.post(
        TOKEN, content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert chunked.status_code == 413


async def test_absurdly_long_fields_and_tokens(any_harness):
    response = await any_harness.client.post(TOKEN, json={"app_key": "k" * 129, "app_secret": "s"})
    assert response.json() == {
        "detail": "app_key is too long (at most 128 characters)",
        "code": "invalid_field",
        "field": "app_key",
    }
    response = await any_harness.client.post(f"{API}/auth/refresh", json={"refresh": "a." * 3000})
    assert response.status_code == 400
    assert response.json()["field"] == "refresh"
    long_header = {"Authorization": "Bearer " + "a" * 10_000}
    response = await any_harness.client.get(
        f"{API}/payments/collections/checkouts", headers=long_header
    )
    assert response.json()["code"] == "invalid_authorization_header"


async def test_query_parameters_are_validated(any_harness):
    both = ("collections", "payouts")
    tokens = await any_harness.tokens(await any_harness.app_credentials(both))
    lists = ("payments/collections/checkouts", "payments/payouts", "wallets/transactions")
    cases = [
        *((lists[0], query) for query in ("page=0", "page=x", "page_size=101", "status=paid")),
        *((lists[0], query) for query in ("date_from=2026-1-1", "phone=" + "1" * 17)),
        (lists[1], "ref_no=" + "r" * 51),
        (lists[2], "wallet=savings"),
        ("channels", "type=carrier-pigeon"),
        ("channels", "active_only=perhaps"),
    ]
    for path, query in cases:
        response = await any_harness.client.get(
            f"{API}/{path}?{query}", headers={"Authorization": f"Bearer {tokens['access']}"}
        )
        name = query.split("=")[0]
        assert response.status_code == 400, (path, query)
        assert response.json() == {
            "detail": f"Invalid query parameter: {name}",
            "code": "invalid_query_parameter",
        } | ({"field": name} if "field" in response.json() else {})


async def test_a_bad_token_is_401_before_a_bad_query_is_400(any_harness):
    for path in ("payments/collections/checkouts", "wallets/transactions", "channels"):
        response = await any_harness.client.get(
            f"{API}/{path}?page=0", headers={"Authorization": "Bearer not.a.token"}
        )
        assert response.status_code == 401, path


async def test_unknown_query_parameters_are_ignored(any_harness):
    tokens = await any_harness.tokens(await any_harness.app_credentials())
    response = await any_harness.client.get(
        f"{API}/payments/collections/checkouts?utm_source=x&page=1",
        headers={"Authorization": f"Bearer {tokens['access']}"},
    )
    assert response.status_code == 200


async def test_unknown_routes_and_methods_answer_json(any_harness):
    missing = await any_harness.client.get(f"{API}/nope")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    wrong = await any_harness.client.get(TOKEN)
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method_not_allowed")
    assert wrong.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/merchant/users", "GET, POST"),  # one route per method on one path
        ("OPTIONS", "/payments/collections/checkouts/initiate", "POST"),  # not {checkout_id}'s
        ("PUT", "/merchant/users/5", "DELETE"),
        ("HEAD", "/payments/collections/checkouts", "GET"),
    ],
)
async def test_a_405_allows_what_the_documented_path_serves(harness, method, path, allow):
    response = await harness.client.request(method, f"{API}{path}")
    assert (response.status_code, response.headers["allow"]) == (405, allow)


async def test_every_response_has_a_request_id_and_no_store(any_harness):
    response = await any_harness.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["cache-control"] == "no-store"
    injected = await any_harness.client.get("/healthz", headers={"X-Request-ID": "a" * 65})
    assert injected.headers["x-request-id"] != "a" * 65


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (TOKEN, {"app_key": "jpay_ak_\u0000x", "app_secret": "s"}),
        (f"{API}/auth/refresh", {"refresh": "a\u0000b"}),
        (f"{API}/auth/revoke", {"token": "a\u0000b"}),
    ],
)
async def test_nul_characters_are_refused_not_stored(any_harness, path, body):
    """PostgreSQL text cannot hold NUL: refuse it at the edge instead of failing at the database."""
    response = await any_harness.client.post(path, json=body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_field"


async def test_nul_in_path_or_query_is_refused(any_harness):
    tokens = await any_harness.tokens(await any_harness.app_credentials())
    auth = {"Authorization": f"Bearer {tokens['access']}"}
    for url in (f"{API}/payments/collections/checkouts/COLL%00X", f"{API}/channels?type=%00"):
        response = await any_harness.client.get(url, headers=auth)
        assert (response.status_code, response.json()["code"]) == (400, "invalid_request")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "9999-12-30", "0000-01-01"])
async def test_any_date_the_parser_accepts_is_200_or_400(any_harness, day):
    """The end of a range is the next midnight: the last representable day must not overflow."""
    both = ("collections", "payouts")
    tokens = await any_harness.tokens(await any_harness.app_credentials(both))
    auth = {"Authorization": f"Bearer {tokens['access']}"}
    for path in ("payments/collections/checkouts", "payments/payouts", "wallets/transactions"):
        for name in ("date_from", "date_to"):
            response = await any_harness.client.get(f"{API}/{path}?{name}={day}", headers=auth)
            if day == "0000-01-01":
                assert response.status_code == 400, (path, name)
                assert response.json()["field"] == name
            else:
                assert response.status_code == 200, (path, name, response.text)
                assert response.json()["count"] == 0
