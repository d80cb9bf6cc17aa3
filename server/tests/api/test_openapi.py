"""/docs and /openapi.json describe every route, its auth and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness import unreachable_database

pytestmark = pytest.mark.anyio


async def test_openapi_describes_routes_auth_and_errors(harness):
    schema = (await harness.client.get("/openapi.json")).json()
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/v1/auth/app/token",
        "/api/v1/auth/refresh",
        "/api/v1/auth/revoke",
        "/api/v1/payments/collections/checkouts",
        "/healthz",
        "/readyz",
    }
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    listing = paths["/api/v1/payments/collections/checkouts"]["get"]
    assert listing["security"] == [{"bearerAuth": []}]
    assert {"401", "403"} <= set(listing["responses"])
    assert "product_not_enabled" in listing["responses"]["403"]["description"]
    token = paths["/api/v1/auth/app/token"]["post"]
    assert "security" not in token
    assert {"400", "401", "403", "429"} <= set(token["responses"])
    for path in paths.values():
        for operation in path.values():
            assert "422" not in operation["responses"]


async def test_docs_page_is_served(harness):
    response = await harness.client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


async def test_health_and_readiness(harness):
    assert (await harness.client.get("/healthz")).json() == {"status": "ok"}
    assert (await harness.client.get("/readyz")).json() == {"status": "ready"}
    healthy = harness.runtime.database
    harness.runtime.database = unreachable_database()
    response = await harness.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    await harness.runtime.database.dispose()
    harness.runtime.database = healthy


GOLDEN = Path(__file__).with_name("openapi.json")


async def test_openapi_document_is_the_golden_one(harness):
    """The published document changes only on purpose: a route, model or description edit
    that changes it must update `openapi.json` beside this file in the same commit (the
    served `/openapi.json`, keys sorted, indent 2), and say why in the commit message."""
    served = (await harness.client.get("/openapi.json")).json()
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert served["info"].pop("version")  # the package's version, not the API's shape
    golden["info"].pop("version")
    for path in sorted(set(served["paths"]) | set(golden["paths"])):
        assert served["paths"].get(path) == golden["paths"].get(path), path
    assert served == golden
