"""The `jpay-server` CLI through its real entry point: JSON keys, tables, one-line errors."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest

from jpay_server.domain.passwords import verify_password
from jpay_server.main import main
from jpay_server.store.db import open_database
from jpay_server.store.users import user_by_email
from tests.conftest import SECRET_KEY


@pytest.fixture
def jpay(monkeypatch, tmp_path, database_url, capsys):
    """Run `jpay-server ARGS`; returns (exit status, stdout, stderr)."""
    monkeypatch.setenv("JPAY_DATABASE_URL", database_url)
    monkeypatch.setenv("JPAY_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("JPAY_VAR_DIR", str(tmp_path / "var"))

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["jpay-server", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        out, err = capsys.readouterr()
        return int(exited.value.code or 0), out, err

    return invoke


def as_json(result: tuple[int, str, str]) -> dict[str, Any]:
    status, out, err = result
    assert status == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def test_merchant_lifecycle_json(jpay):
    created = as_json(jpay("merchants", "create", "--name", "Acme", "--json"))
    assert set(created) == {"merchant_id", "name", "status"}
    assert created["status"] == "pending"
    mid = str(created["merchant_id"])
    assert as_json(jpay("merchants", "approve", mid, "--json"))["status"] == "approved"
    assert as_json(jpay("merchants", "suspend", mid, "--json"))["status"] == "suspended"
    assert as_json(jpay("merchants", "reinstate", mid, "--json"))["status"] == "approved"
    listed = as_json(jpay("merchants", "list", "--json"))["merchants"]
    assert [m["merchant_id"] for m in listed] == [created["merchant_id"]]


def test_app_commands_json(jpay):
    mid = str(
        as_json(jpay("merchants", "create", "--name", "Acme", "--approved", "--json"))[
            "merchant_id"
        ]
    )
    app = as_json(
        jpay(
            "apps",
            "create",
            "--merchant",
            mid,
            "--product",
            "collections",
            "--product",
            "payouts",
            "--allow-ip",
            "192.0.2.0/24",
            "--json",
        )
    )
    assert {"app_code", "app_key", "app_secret", "merchant_id", "products", "allowed_ips"} <= set(
        app
    )
    assert app["products"] == ["collections", "payouts"]
    assert app["allowed_ips"] == ["192.0.2.0/24"]
    assert app["app_secret"].startswith("jpay_sk_")
    code = str(app["app_code"])
    rotated = as_json(jpay("apps", "rotate-secret", code, "--overlap", "60", "--json"))
    assert rotated["app_key"] == app["app_key"]
    assert rotated["app_secret"] != app["app_secret"]
    assert as_json(jpay("apps", "deactivate", code, "--json"))["active"] is False
    assert as_json(jpay("apps", "activate", code, "--json"))["active"] is True
    assert as_json(jpay("apps", "set-products", code, "--product", "payouts", "--json"))[
        "products"
    ] == ["payouts"]
    assert as_json(jpay("apps", "allow-ip", code, "198.51.100.7", "--json"))["allowed_ips"] == [
        "192.0.2.0/24",
        "198.51.100.7/32",
    ]
    assert as_json(jpay("apps", "disallow-ip", code, "192.0.2.0/24", "--json"))["allowed_ips"] == [
        "198.51.100.7/32"
    ]
    assert (
        as_json(jpay("apps", "set-refresh-policy", code, "reusable", "--json"))["refresh_policy"]
        == "reusable"
    )
    status, shown, _ = jpay("apps", "show", code, "--json")
    assert status == 0
    assert app["app_secret"] not in shown
    assert rotated["app_secret"] not in shown
    assert [g["generation"] for g in json.loads(shown)["secrets"]] == [1, 2]


def test_create_app_secret_is_shown_once_in_tables_with_a_warning(jpay):
    mid = str(as_json(jpay("merchants", "create", "--name", "Acme", "--json"))["merchant_id"])
    status, out, err = jpay("apps", "create", "--merchant", mid)
    assert status == 0
    assert "jpay_sk_" in out
    assert "shown once" in err


def test_keys_rotate_and_list(jpay):
    assert jpay("db", "upgrade")[0] == 0  # creates the first key
    rotated = as_json(jpay("keys", "rotate", "--json"))
    keys = as_json(jpay("keys", "list", "--json"))["keys"]
    assert [k["status"] for k in keys] == ["signing", "pending"]  # activates after a delay
    assert keys[-1]["kid"] == rotated["kid"]
    assert all("secret" not in k for k in keys)


def test_tables_by_default(jpay):
    jpay("merchants", "create", "--name", "Acme")
    status, out, _ = jpay("merchants", "list")
    assert status == 0
    assert "merchant_id" in out
    assert "Acme" in out
    assert not out.startswith("{")


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("merchants", "approve", "99"), 1, "error: merchant 99 not found"),
        (("apps", "allow-ip", "12345678", "10.0.0.0/8"), 1, "error: App not found"),
        (("merchants", "create"), 2, "error: Missing option '--name'."),
        (
            ("merchants", "create", "--name", ""),
            1,
            "error: name must be 1-200 printable characters",
        ),
        (("apps", "create", "--merchant", "abc"), 2, "error: Invalid value for '--merchant'"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(jpay, args, status, message):
    code, out, err = jpay(*args)
    assert code == status
    assert out == ""
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_bad_cidr_and_product_are_one_line(jpay):
    mid = str(as_json(jpay("merchants", "create", "--name", "Acme", "--json"))["merchant_id"])
    code, _, err = jpay("apps", "create", "--merchant", mid, "--allow-ip", "10.0.0.5/24")
    assert code == 1
    assert err == "error: 10.0.0.5/24 has host bits set; did you mean 10.0.0.0/24?\n"
    code, _, err = jpay("apps", "create", "--merchant", mid, "--product", "wallets")
    assert code == 1
    assert err.startswith("error: unknown product 'wallets'")


def test_production_refuses_default_secrets(jpay, monkeypatch):
    monkeypatch.setenv("JPAY_ENV", "production")
    monkeypatch.delenv("JPAY_SECRET_KEY")
    code, _, err = jpay("merchants", "list")
    assert code == 1
    assert err.startswith("error: JPAY_SECRET_KEY must be set in production")
    monkeypatch.setenv("JPAY_SECRET_KEY", "changeme-changeme-changeme-changeme-1234")
    code, _, err = jpay("merchants", "list")
    assert code == 1
    assert "placeholder" in err


async def _user_hash(database_url: str, email: str) -> str:
    database = open_database(database_url)
    try:
        user = await database.read(lambda conn: user_by_email(conn, email))
    finally:
        await database.dispose()
    assert user is not None
    assert user.role.value == "owner"
    return user.password_hash


def test_demo_seeds_once_and_prints_the_flow(jpay, monkeypatch, database_url):
    first = as_json(jpay("demo", "seed", "--json"))
    again = as_json(jpay("demo", "seed", "--json"))
    assert first == again
    assert first["products"] == ["collections", "payouts"]
    status, out, _ = jpay("demo", "seed")
    assert status == 0
    assert first["app_secret"] in out
    assert "curl" in out
    assert "/auth/refresh" in out
    assert len(as_json(jpay("merchants", "list", "--json"))["merchants"]) == 1
    # The demo owner user: printed like the app's credentials, and its password works.
    assert first["owner_email"] in out
    assert first["owner_password"] in out
    stored = asyncio.run(_user_hash(database_url, first["owner_email"]))
    assert verify_password(stored, first["owner_password"])
    monkeypatch.setenv("JPAY_ENV", "production")
    monkeypatch.setenv("JPAY_SECRET_KEY", "Zq4r" * 12)
    assert jpay("demo", "seed")[2] == "error: the demo is not available in production\n"


def test_db_current_reports_head(jpay):
    current = as_json(jpay("db", "current", "--json"))
    assert current["revision"] == current["head"]


def test_serve_refuses_an_unmigrated_database(jpay, monkeypatch, tmp_path):
    monkeypatch.setenv("JPAY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    code, _, err = jpay("serve")
    assert code == 1
    assert err.endswith("run `jpay-server db upgrade`\n")
    assert err.count("\n") == 1


def test_serve_refuses_keys_sealed_with_another_secret_key(jpay, monkeypatch):
    as_json(jpay("keys", "rotate", "--json"))  # keys sealed with SECRET_KEY
    monkeypatch.setenv("JPAY_SECRET_KEY", "another-" + SECRET_KEY)
    code, _, err = jpay("serve")
    assert code == 1
    assert err.endswith("is JPAY_SECRET_KEY the one the keys were made with?\n")
    assert "Traceback" not in err


def test_payments_operator_commands(jpay):
    mid = str(
        as_json(jpay("merchants", "create", "--name", "Shop", "--approved", "--json"))[
            "merchant_id"
        ]
    )
    app = as_json(jpay("apps", "create", "--merchant", mid, "--product", "payouts", "--json"))
    assert app["webhook_secret"].startswith("whsec_")
    funded = as_json(jpay("wallets", "fund", mid, "2500.00", "--json"))
    assert funded["payout_wallet_balance"] == "2500.00"
    assert funded["total_balance"] == "2500.00"
    assert as_json(jpay("wallets", "balance", mid, "--json"))["payout_wallet_balance"] == "2500.00"
    code, _, err = jpay("wallets", "fund", mid, "12")
    assert code == 1
    assert err == "error: Invalid amount\n"
    rotated = as_json(
        jpay("apps", "rotate-webhook-secret", str(app["app_code"]), "--overlap", "60", "--json")
    )
    assert rotated["webhook_secret"] != app["webhook_secret"]
    hooked = as_json(
        jpay("apps", "set-webhook-url", str(app["app_code"]), "https://x.example/sec", "--json")
    )
    assert hooked["webhook_url"] == "https://x.example/sec"
    cleared = as_json(jpay("apps", "set-webhook-url", str(app["app_code"]), "--clear", "--json"))
    assert cleared["webhook_url"] is None
    assert jpay("apps", "set-webhook-url", str(app["app_code"]))[0] == 2


def test_channel_commands(jpay):
    added = as_json(
        jpay("channels", "add", "11", "--name", "Co-op Bank", "--type", "bank", "--json")
    )
    assert added == {
        "code": 11,
        "name": "Co-op Bank",
        "type": "bank",
        "display_name": "Co-op Bank",
        "is_active": True,
    }
    assert as_json(jpay("channels", "deactivate", "11", "--json"))["is_active"] is False
    codes = [c["code"] for c in as_json(jpay("channels", "list", "--json"))["channels"]]
    assert codes == [0, 1, 7, 11, 68, 63902, 63903, 63907]
    code, _, err = jpay("channels", "add", "11", "--name", "Again", "--type", "bank")
    assert code == 1
    assert err == "error: channel 11 already exists\n"
    code, _, err = jpay("channels", "add", "12", "--name", "X", "--type", "crypto")
    assert code == 1
    assert err.startswith("error: type must be one of")


def test_webhook_commands(jpay):
    code, _, err = jpay("webhooks", "redeliver", "msg_nope")
    assert code == 1
    assert err == "error: webhook event msg_nope not found\n"
    assert as_json(jpay("webhooks", "list", "--json")) == {"events": []}
    code, _, err = jpay("webhooks", "list", "--status", "lost")
    assert code == 1
    assert err.startswith("error: status must be one of")


def test_demo_receiver_needs_a_seeded_demo(jpay):
    code, _, err = jpay("demo", "receive")
    assert code == 1
    assert "run `jpay-server demo seed` first" in err


def test_the_walkthrough_collection_gets_a_new_ref_no_each_time_it_is_pasted():
    """The initiate body, as bash reads it: valid JSON, and a fresh ref_no on every run."""
    import re
    import subprocess

    from jpay_server.cli.demo import walkthrough

    demo = {
        "merchant_id": 1,
        "app_code": 12345678,
        "products": ["collections"],
        "app_key": "jpay_ak_x",
        "app_secret": "jpay_sk_x",
    }
    line = next(ln for ln in walkthrough(demo, "http://h").splitlines() if "ORDER-" in ln)
    body = re.search(r"-d ('.*?}')", line)
    assert body is not None
    runs = [
        json.loads(
            subprocess.run(
                ["bash", "-c", f"printf %s {body.group(1)}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs[0]["app_code"] == 12345678
    assert runs[0]["ref_no"].startswith("ORDER-")
    assert runs[0]["ref_no"] != runs[1]["ref_no"]


def test_merchants_invite_prints_the_link_and_queues_the_email(jpay):
    mid = str(as_json(jpay("merchants", "create", "--name", "Acme", "--json"))["merchant_id"])
    invited = as_json(
        jpay(
            "merchants", "invite", mid, "--email", "boss@acme.example", "--role", "admin", "--json"
        )
    )
    assert set(invited) == {"invite_url", "expires_at"}
    assert "/dashboard/accept-invite?token=jpay_lt_" in invited["invite_url"]
    emails = as_json(jpay("mail", "list", "--json"))["emails"]
    assert [(e["to"], e["kind"], e["status"]) for e in emails] == [
        ("boss@acme.example", "invite", "pending")
    ]
    assert invited["invite_url"] in emails[0]["body"]
    assert jpay("merchants", "invite", "999", "--email", "x@acme.example")[0] == 1
