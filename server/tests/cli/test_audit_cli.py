"""The operator's changes are audited (actor "operator"), and `audit list` reads them back."""

from __future__ import annotations

import json

from tests.cli.test_cli import as_json


def _merchant(jpay) -> str:
    created = as_json(jpay("merchants", "create", "--name", "Acme", "--json"))
    return str(created["merchant_id"])


def test_operator_changes_write_audit_entries(jpay):
    mid = _merchant(jpay)
    other = _merchant(jpay)
    as_json(jpay("merchants", "approve", mid, "--json"))
    app = as_json(jpay("apps", "create", "--merchant", mid, "--json"))
    code = str(app["app_code"])
    as_json(jpay("apps", "allow-ip", code, "203.0.113.7", "--json"))
    rotated = as_json(jpay("apps", "rotate-secret", code, "--overlap", "30", "--json"))
    as_json(jpay("apps", "deactivate", code, "--json"))
    assert jpay("wallets", "fund", mid, "25.00")[0] == 0

    status, out, err = jpay("audit", "list", "--merchant", mid, "--json")
    assert status == 0, err
    entries = json.loads(out)["entries"]
    assert [e["action"] for e in entries] == [
        "wallet.fund",
        "app.deactivate",
        "app.rotate_secret",
        "app.allow_ip",
        "app.create",
        "merchant.approve",
        "merchant.create",
    ]
    assert {e["actor"] for e in entries} == {"operator"}
    assert {e["merchant_id"] for e in entries} == {int(mid)}
    assert entries[0]["details"]["amount"] == "25.00"
    allow = entries[3]
    assert allow["target"] == f"app:{code}"
    assert allow["details"]["allowed_ips"] == ["203.0.113.7/32"]
    assert allow["details"]["previous"] == {"allowed_ips": []}
    assert entries[2]["details"] == {"generation": 2, "overlap_seconds": 30}
    # The secrets shown once are not in the log.
    assert app["app_secret"] not in out
    assert rotated["app_secret"] not in out

    everyone = json.loads(jpay("audit", "list", "--json")[1])["entries"]
    assert {e["merchant_id"] for e in everyone} == {int(mid), int(other)}


def test_a_refused_change_writes_no_entry(jpay):
    mid = _merchant(jpay)
    code, _, _ = jpay("merchants", "reinstate", mid)  # not suspended: refused
    assert code == 1
    entries = as_json(jpay("audit", "list", "--merchant", mid, "--json"))["entries"]
    assert [e["action"] for e in entries] == ["merchant.create"]


def test_audit_list_as_a_table(jpay):
    mid = _merchant(jpay)
    status, out, _ = jpay("audit", "list", "--merchant", mid)
    assert status == 0
    assert "merchant.create" in out
    assert "operator" in out


def test_set_products_grants_and_strips(jpay, monkeypatch):
    mid = _merchant(jpay)
    as_json(jpay("merchants", "approve", mid, "--json"))
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
            "--json",
        )
    )
    # Development: an approved merchant may enable both, whatever is stored.
    granted = as_json(jpay("merchants", "set-products", mid, "--product", "collections", "--json"))
    assert granted == {
        "merchant_id": int(mid),
        "granted": ["collections"],
        "effective": ["collections", "payouts"],
    }
    shown = as_json(jpay("apps", "show", str(app["app_code"]), "--json"))
    assert shown["products"] == ["collections", "payouts"]
    # Production: the grant binds, and an app loses what is no longer granted.
    monkeypatch.setenv("JPAY_ENV", "production")
    monkeypatch.setenv("JPAY_SECRET_KEY", "Qw7" * 16)
    granted = as_json(jpay("merchants", "set-products", mid, "--product", "collections", "--json"))
    assert granted["effective"] == ["collections"]
    shown = as_json(jpay("apps", "show", str(app["app_code"]), "--json"))
    assert shown["products"] == ["collections"]
    entries = as_json(jpay("audit", "list", "--merchant", mid, "--json"))["entries"]
    assert entries[0]["action"] == "merchant.set_products"
    assert entries[0]["details"]["products"] == ["collections"]


def test_set_products_refuses_unknown_products(jpay):
    mid = _merchant(jpay)
    code, _, err = jpay("merchants", "set-products", mid, "--product", "wallets")
    assert code == 1
    assert err.startswith("error: unknown product 'wallets'")
