"""Brute force on merchant user login: 429 + Retry-After per IP and per email (lockout)."""

from __future__ import annotations

import pytest

from tests.harness import API, running
from tests.members import create_member

pytestmark = pytest.mark.anyio
LOGIN = f"{API}/auth/login"


async def test_login_locks_an_email_out_even_for_the_right_password(
    make_settings, database_url, clock
):
    settings = make_settings(database_url=database_url, rate_limit_login_per_account="3/hour")
    async with running(settings, clock) as h:
        member = await create_member(h)
        wrong = {"email": member.email, "password": "wrong-password-123"}
        statuses = [
            (await h.client_from(f"192.0.2.{n}").post(LOGIN, json=wrong)).status_code
            for n in range(1, 4)
        ]
        assert statuses == [401, 401, 401]
        right = {"email": member.email.upper(), "password": member.password}
        locked = await h.client_from("198.51.100.7").post(LOGIN, json=right)
        assert locked.status_code == 429
        assert locked.json() == {"detail": "Too many requests", "code": "rate_limited"}
        assert int(locked.headers["retry-after"]) > 0
        # An unknown email is limited exactly like a known one: the 429 tells nothing.
        ghost = {"email": "ghost@example.com", "password": "wrong-password-123"}
        ghost_statuses = [(await h.client.post(LOGIN, json=ghost)).status_code for _ in range(4)]
        assert ghost_statuses == [401, 401, 401, 429]


async def test_login_limits_per_ip(make_settings, database_url, clock):
    settings = make_settings(database_url=database_url, rate_limit_login_per_ip="2/minute")
    async with running(settings, clock) as h:
        statuses = [
            (
                await h.client.post(LOGIN, json={"email": f"u{n}@example.com", "password": "x"})
            ).status_code
            for n in range(3)
        ]
        assert statuses == [401, 401, 429]
        other = h.client_from("192.0.2.200")
        response = await other.post(LOGIN, json={"email": "u9@example.com", "password": "x"})
        assert response.status_code == 401


async def test_reset_requests_are_limited_per_address_and_per_ip(
    make_settings, database_url, clock
):
    settings = make_settings(
        database_url=database_url,
        rate_limit_email_per_address="2/hour",
        rate_limit_login_per_ip="4/minute",
    )
    async with running(settings, clock) as h:
        forgot = f"{API}/auth/password/forgot"
        per_address = [
            (
                await h.client_from(f"192.0.2.{n}").post(forgot, json={"email": "a@example.com"})
            ).status_code
            for n in range(1, 4)
        ]
        assert per_address == [202, 202, 429]
        per_ip = [
            (await h.client.post(forgot, json={"email": f"u{n}@example.com"})).status_code
            for n in range(5)
        ]
        assert per_ip == [202, 202, 202, 202, 429]
        limited = await h.client.post(forgot, json={"email": "z@example.com"})
        assert int(limited.headers["retry-after"]) > 0
