"""Every merchant-API route this project serves, with the permission it needs and a body.

The walks in test_permissions.py and test_isolation.py check this table against the app's
routes, so a new merchant route cannot be added without being walked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jpay_server.domain.members import Permission

READ, APPS = Permission.READ, Permission.MANAGE_APPS
TEAM, TRANSFER = Permission.MANAGE_TEAM, Permission.TRANSFER_OWNERSHIP


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    permission: Permission
    body: Any = None
    action: str | None = None  # the audit entry a change writes


ROUTES = [
    Route("GET", "/merchant", READ),
    Route("GET", "/merchant/audit", READ),
    Route("GET", "/merchant/apps", READ),
    Route("POST", "/merchant/apps", APPS, {"name": "New app"}, "app.create"),
    Route("GET", "/merchant/apps/{app_code}", READ),
    Route("PATCH", "/merchant/apps/{app_code}", APPS, {"name": "Renamed"}, "app.rename"),
    Route(
        "PUT",
        "/merchant/apps/{app_code}/refresh-policy",
        APPS,
        {"refresh_policy": "reusable"},
        "app.set_refresh_policy",
    ),
    Route(
        "PUT",
        "/merchant/apps/{app_code}/allowed-ips",
        APPS,
        {"allowed_ips": ["127.0.0.1", "198.51.100.0/24"]},
        "app.set_allowed_ips",
    ),
    Route(
        "PUT",
        "/merchant/apps/{app_code}/products",
        APPS,
        {"products": ["collections", "payouts"]},
        "app.set_products",
    ),
    Route(
        "POST",
        "/merchant/apps/{app_code}/rotate-secret",
        APPS,
        {"overlap_seconds": 60},
        "app.rotate_secret",
    ),
    Route("GET", "/merchant/apps/{app_code}/refused-requests", READ),
    Route("GET", "/merchant/apps/{app_code}/logins", READ),
    Route(
        "POST",
        "/merchant/apps/{app_code}/logins/{family_id}/revoke",
        APPS,
        None,
        "app.revoke_login",
    ),
    Route(
        "POST", "/merchant/apps/{app_code}/logins/revoke-all", APPS, None, "app.revoke_all_logins"
    ),
    Route(
        "PUT",
        "/merchant/apps/{app_code}/webhook-url",
        APPS,
        {"webhook_url": "http://127.0.0.1:9/other"},
        "app.set_webhook_url",
    ),
    Route(
        "POST",
        "/merchant/apps/{app_code}/rotate-webhook-secret",
        APPS,
        {"overlap_seconds": 0},
        "app.rotate_webhook_secret",
    ),
    Route("GET", "/merchant/apps/{app_code}/webhook-events", READ),
    Route(
        "POST",
        "/merchant/apps/{app_code}/webhook-events/{event_id}/redeliver",
        APPS,
        None,
        "webhook.redeliver",
    ),
    Route("POST", "/merchant/apps/{app_code}/webhook-events/test", APPS, None, "webhook.test"),
    Route("POST", "/merchant/apps/{app_code}/deactivate", APPS, None, "app.deactivate"),
    Route("POST", "/merchant/apps/{app_code}/activate", APPS, None, "app.activate"),
    Route("GET", "/merchant/collections", READ),
    Route("GET", "/merchant/payouts", READ),
    Route("GET", "/merchant/collections.csv", READ),
    Route("GET", "/merchant/payouts.csv", READ),
    Route("GET", "/merchant/balance", READ),
    Route("GET", "/merchant/ledger", READ),
    Route("GET", "/merchant/ledger.csv", READ),
    # The team (identity's routes), walked here like every other merchant route.
    Route("GET", "/merchant/users", READ),
    Route(
        "POST", "/merchant/users", TEAM, {"email": "{new_email}", "role": "viewer"}, "user.invite"
    ),
    Route("PUT", "/merchant/users/require-mfa", TEAM, {"required": False}, "merchant.require_mfa"),
    Route("PUT", "/merchant/users/{user_id}/role", TEAM, {"role": "developer"}, "user.change_role"),
    Route("DELETE", "/merchant/users/{user_id}", TEAM, None, "user.remove"),
    # Last: it makes the owner an admin.
    Route(
        "POST",
        "/merchant/users/transfer-ownership",
        TRANSFER,
        {"user_id": "{heir_id}"},
        "user.transfer_ownership",
    ),
]
