"""Pure rules of the merchant side: audit details, product grants, refusal hints."""

from __future__ import annotations

import pytest

from jpay_server.domain.audit import scrub
from jpay_server.domain.grants import check_granted, effective
from jpay_server.domain.merchants import MerchantStatus
from jpay_server.domain.refusals import hint
from jpay_server.errors import PermissionDenied


def test_audit_details_never_keep_a_credential() -> None:
    details = {
        "name": "Shop",
        "app_secret": "jpay_sk_x",
        "webhook_secret": "whsec_x",
        "password": "p",
        "mfa_token": "t",
        "nested": {"refresh_token": "r", "role": "viewer"},
        "allowed_ips": ("203.0.113.7/32",),
    }
    assert scrub(details) == {
        "name": "Shop",
        "nested": {"role": "viewer"},
        "allowed_ips": ["203.0.113.7/32"],
    }


@pytest.mark.parametrize(
    ("status", "env", "stored", "expected"),
    [
        (MerchantStatus.APPROVED, "development", (), {"collections", "payouts"}),
        (MerchantStatus.APPROVED, "sandbox", ("payouts",), {"collections", "payouts"}),
        (MerchantStatus.APPROVED, "production", ("payouts",), {"payouts"}),
        (MerchantStatus.PENDING, "development", (), set()),
        (MerchantStatus.SUSPENDED, "sandbox", ("collections",), {"collections"}),
    ],
)
def test_effective_grants(status, env, stored, expected) -> None:
    assert effective(stored, status, env) == expected


def test_a_product_outside_the_grant_has_its_own_code() -> None:
    check_granted(["collections"], frozenset({"collections"}))
    with pytest.raises(PermissionDenied) as refused:
        check_granted(["collections", "payouts"], frozenset({"collections"}))
    assert refused.value.code == "product_not_granted"
    assert "payouts" in refused.value.detail


def test_hints_say_the_fix() -> None:
    assert hint("ip_not_allowed", "x", "203.0.113.7") == (
        "203.0.113.7 is not on this app's allowlist: add it if the request was yours"
    )
    product = "App does not have the required product enabled: payouts"
    assert "payouts enabled" in hint("product_not_enabled", product, None)
    assert "refresh" in hint("token_expired", "Invalid or expired token", None)
    assert hint("something_new", "d", None) == "see this code in the API reference"
