"""require_member(permission): the contract merchant routes and the dashboard build on."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from jpay_server.api.deps import require_member
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routing import Routes
from jpay_server.domain.members import Member, Permission, Role, allows
from jpay_server.services import merchants
from tests.harness import API
from tests.members import create_member, login_tokens
from tests.security.forge import forge, parts

pytestmark = pytest.mark.anyio
CHANGES = [p for p in Permission if p is not Permission.READ]


@pytest.fixture
def routes(harness):
    """One probe route per permission, each answering the Member it was given."""
    probes = Routes(prefix=f"{API}/_probe")
    for permission in Permission:

        @probes.post(f"/{permission.value}", summary="probe", auth=require_member(permission))
        async def probe(request: Request, member: Member) -> JSONResponse:
            return JSONResponse(
                {
                    "user_id": member.user_id,
                    "merchant_id": member.merchant_id,
                    "role": member.role.value,
                }
            )

    harness.app.router.routes.extend(probes.routes())
    return harness


async def call(harness, permission: Permission, token: str | None) -> tuple[int, str | None]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = await harness.client.post(f"{API}/_probe/{permission.value}", headers=headers)
    return response.status_code, response.json().get("code")


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_gets_exactly_its_permissions(routes, role):
    member = await create_member(routes, role)
    access = (await login_tokens(routes.client, member))["access"]
    for permission in Permission:
        expected = (200, None) if allows(role, permission) else (403, "permission_denied")
        assert await call(routes, permission, access) == expected, permission
    response = await routes.client.post(
        f"{API}/_probe/read", headers={"Authorization": f"Bearer {access}"}
    )
    assert response.json() == {
        "user_id": member.user_id,
        "merchant_id": member.merchant_id,
        "role": role.value,
    }


async def test_the_same_401s_as_app_routes(routes, clock):
    member = await create_member(routes)
    access = (await login_tokens(routes.client, member))["access"]
    assert await call(routes, Permission.READ, None) == (401, "not_authenticated")
    assert await call(routes, Permission.READ, "not.a.jwt") == (401, "token_invalid")
    header, payload = parts(access)
    assert await call(routes, Permission.READ, forge(header, payload, b"guess")) == (
        401,
        "token_invalid",
    )
    clock.advance(routes.settings.access_token_lifetime + routes.settings.token_leeway)
    assert await call(routes, Permission.READ, access) == (401, "token_expired")


async def test_an_app_token_is_user_token_required(routes):
    tokens = await routes.tokens(await routes.app_credentials())
    for permission in Permission:
        assert await call(routes, permission, tokens["access"]) == (403, "user_token_required")


@pytest.mark.parametrize(
    ("status", "code"),
    [("pending", "merchant_not_approved"), ("suspended", "account_suspended")],
)
async def test_a_blocked_merchant_reads_but_changes_nothing(routes, status, code):
    member = await create_member(routes, Role.OWNER, status=status)
    access = (await login_tokens(routes.client, member))["access"]
    assert await call(routes, Permission.READ, access) == (200, None)
    for permission in CHANGES:
        assert await call(routes, permission, access) == (403, code)


async def test_merchant_state_changes_bite_on_live_user_tokens(routes):
    member = await create_member(routes, Role.ADMIN)
    access = (await login_tokens(routes.client, member))["access"]
    assert await call(routes, Permission.MANAGE_APPS, access) == (200, None)
    await routes.run(lambda c, d: merchants.suspend_merchant(c, d, member.merchant_id))
    await routes.sync()
    assert await call(routes, Permission.MANAGE_APPS, access) == (403, "account_suspended")
    assert await call(routes, Permission.READ, access) == (200, None)
    await routes.run(lambda c, d: merchants.reinstate_merchant(c, d, member.merchant_id))
    await routes.sync()
    assert await call(routes, Permission.MANAGE_APPS, access) == (200, None)
