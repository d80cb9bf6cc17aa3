"""The issue's "done means", over HTTP against a real server whose worker sends real email.

Sign up with the API, follow the link an in-process SMTP server received, get approved by
the operator's CLI, log in, create an app through the merchant API, and use its credentials.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.servers import cli, serve, server_env
from tests.members import new_password
from tests.smtp import body, smtp_server

pytestmark = pytest.mark.e2e
API = "/api/v1"


def wait_for_mail(mailbox, address: str, limit: float = 10.0):
    started = time.monotonic()
    while not mailbox.to(address):
        assert time.monotonic() - started < limit, "no email arrived"
        time.sleep(0.05)
    return mailbox.to(address)[-1]


def test_signup_to_first_app_token(sqlite_factory, tmp_path):
    with smtp_server() as mailbox:
        env = server_env(
            sqlite_factory.new(),
            tmp_path / "var",
            JPAY_SMTP_URL=mailbox.url,
            JPAY_PUBLIC_URL="http://dashboard.test",
        )
        with (
            serve(env, tmp_path / "server.log") as server,
            httpx.Client(base_url=f"{server.base_url}{API}", timeout=10) as http,
        ):
            password = new_password()
            signup = {"business_name": "Kiosk", "email": "me@kiosk.example", "password": password}
            assert http.post("/auth/signup", json=signup).status_code == 202
            message = wait_for_mail(mailbox, "me@kiosk.example")  # sent by the server's worker
            assert "http://dashboard.test/dashboard/verify-email?token=" in body(message)
            token = mailbox.last_token("me@kiosk.example")
            assert http.post("/auth/verify-email", json={"token": token}).status_code == 200
            login = {"email": "me@kiosk.example", "password": password}
            tokens = http.post("/auth/login", json=login).json()
            user = {"Authorization": f"Bearer {tokens['access']}"}
            pending = http.post("/merchant/apps", json={"name": "Shop"}, headers=user)
            assert (pending.status_code, pending.json()["code"]) == (403, "merchant_not_approved")

            cli(env, "merchants", "approve", str(tokens["merchant_id"]))
            started = time.monotonic()
            while (
                created := http.post("/merchant/apps", json={"name": "Shop"}, headers=user)
            ).status_code != 201:
                assert time.monotonic() - started < 2.0, created.text
                time.sleep(0.05)
            app = created.json()
            credentials = {"app_key": app["app_key"], "app_secret": app["app_secret"]}
            app_tokens = http.post("/auth/app/token", json=credentials)
            assert app_tokens.status_code == 200
            assert app_tokens.json()["merchant_id"] == tokens["merchant_id"]
            # The mailbox log line never showed the secret; the server's log has no link token.
            assert "jpay_lt_" not in server.logs()
