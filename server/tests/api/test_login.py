"""POST /auth/login and merchant user tokens through the real app and database."""

from __future__ import annotations

import base64
import json

import pytest
from argon2 import PasswordHasher

from jpay_server.domain.members import Role
from jpay_server.domain.users import UserStatus
from jpay_server.services import team
from jpay_server.services.users import add_member
from tests.harness import API
from tests.members import create_member, login_tokens

pytestmark = pytest.mark.anyio
LOGIN = f"{API}/auth/login"
ACCOUNT = f"{API}/account"


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def account(harness, access: str) -> tuple[int, str | None]:
    response = await harness.client.get(ACCOUNT, headers={"Authorization": f"Bearer {access}"})
    return response.status_code, response.json().get("code")


async def test_login_answers_the_documented_shape(harness):
    await harness.merchant()  # so that the user's id and its merchant's differ
    member = await create_member(harness, Role.DEVELOPER)
    response = await harness.client.post(
        LOGIN, json={"email": member.email.upper(), "password": member.password}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "access",
        "refresh",
        "merchant_id",
        "user_id",
        "role",
        "expires_in",
        "token_type",
    }
    assert (body["merchant_id"], body["user_id"], body["role"]) == (
        member.merchant_id,
        member.user_id,
        "developer",
    )
    assert (body["expires_in"], body["token_type"]) == (900, "Bearer")
    assert response.headers["cache-control"] == "no-store"
    access, refresh = claims(body["access"]), claims(body["refresh"])
    # A user token's user_id is the person; an app token's is its merchant (decisions.md).
    assert access["user_id"] == member.user_id != member.merchant_id
    assert access["merchant_id"] == member.merchant_id
    assert access["kind"] == "user"
    assert "app_code" not in access
    assert "products" not in access
    assert access["exp"] - access["iat"] == 900
    assert refresh["exp"] - refresh["iat"] == 7 * 86400
    assert await account(harness, body["access"]) == (200, None)


async def test_wrong_password_unknown_and_malformed_email_look_the_same(harness, monkeypatch):
    member = await create_member(harness)
    verified: list[str] = []
    real = PasswordHasher.verify

    def spy(self, hashed, password):
        verified.append(hashed)
        return real(self, hashed, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    attempts = [
        {"email": member.email, "password": "not-the-password-at-all"},
        {"email": "nobody-here@example.com", "password": member.password},
        {"email": "not an email", "password": member.password},
    ]
    answers = []
    for body in attempts:
        before = len(verified)
        response = await harness.client.post(LOGIN, json=body)
        answers.append(
            (response.status_code, response.json(), response.headers.get("www-authenticate"))
        )
        assert len(verified) - before == 1  # the same hashing work: one argon2id verification
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][1] == {
        "detail": "Invalid or missing credentials",
        "code": "invalid_credentials",
    }
    # The unknown email was checked against a real argon2id hash with today's parameters.
    assert verified[1].startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_an_unverified_user_is_told_only_with_the_right_password(harness):
    member = await create_member(harness)
    other = await add_member(
        harness.ctx,
        harness.runtime.database,
        member.merchant_id,
        "fresh@example.com",
        member.password,
        Role.VIEWER,
        status=UserStatus.UNVERIFIED,
    )
    right = await harness.client.post(
        LOGIN, json={"email": other.email, "password": member.password}
    )
    assert (right.status_code, right.json()["code"]) == (403, "email_not_verified")
    wrong = await harness.client.post(LOGIN, json={"email": other.email, "password": "x" * 12})
    assert wrong.json()["code"] == "invalid_credentials"


async def test_a_disabled_user_cannot_log_in_and_its_tokens_end(harness):
    member = await create_member(harness)
    tokens = await login_tokens(harness.client, member)
    await team.set_user_status(
        harness.ctx, harness.runtime.database, member.user_id, UserStatus.DISABLED
    )
    await harness.sync()
    assert await account(harness, tokens["access"]) == (401, "token_revoked")
    assert (await harness.refresh(tokens["refresh"])).json()["code"] == "token_revoked"
    response = await harness.client.post(
        LOGIN, json={"email": member.email, "password": member.password}
    )
    assert response.json()["code"] == "invalid_credentials"


async def test_user_tokens_refresh_with_rotation_grace_and_reuse_detection(harness, clock):
    member = await create_member(harness)
    first = await login_tokens(harness.client, member)
    rotated = await harness.refresh(first["refresh"])
    assert rotated.status_code == 200
    again = await harness.refresh(first["refresh"])  # within the grace window: the same pair
    assert again.json() == rotated.json()
    assert claims(rotated.json()["access"])["user_id"] == member.user_id
    assert await account(harness, rotated.json()["access"]) == (200, None)
    clock.advance(harness.settings.refresh_reuse_grace + 1)
    reused = await harness.refresh(first["refresh"])
    assert (reused.status_code, reused.json()["code"]) == (401, "refresh_token_reused")
    await harness.sync()
    assert await account(harness, rotated.json()["access"]) == (401, "token_revoked")
    assert (await harness.refresh(rotated.json()["refresh"])).json()["code"] == "token_revoked"


async def test_user_tokens_are_revoked_and_their_family_ends_absolutely(harness, clock):
    member = await create_member(harness)
    tokens = await login_tokens(harness.client, member)
    revoked = await harness.client.post(f"{API}/auth/revoke", json={"token": tokens["access"]})
    assert revoked.json() == {"revoked": True}
    await harness.sync()
    assert await account(harness, tokens["access"]) == (401, "token_revoked")
    assert (await harness.refresh(tokens["refresh"])).json()["code"] == "token_revoked"

    tokens = await login_tokens(harness.client, member)
    lifetime = harness.settings.refresh_token_lifetime
    refresh = tokens["refresh"]
    for _ in range(3):  # refreshing keeps the family going only up to its absolute end
        clock.advance(lifetime / 3 - 1)
        response = await harness.refresh(refresh)
        assert response.status_code == 200
        refresh = response.json()["refresh"]
    clock.advance(10)
    assert (await harness.refresh(refresh)).json()["code"] == "token_expired"


async def test_removal_and_role_change_bite_within_a_second_without_a_manual_sync(harness):
    """The background poll (every 250 ms) applies the change; no test-only sync call."""
    owner = await create_member(harness)
    viewer = await create_member(harness, Role.VIEWER, merchant_id=owner.merchant_id)
    tokens = await login_tokens(harness.client, viewer)
    assert await account(harness, tokens["access"]) == (200, None)
    actor = await _actor(harness, owner)
    await team.remove_member(harness.ctx, harness.runtime.database, actor, viewer.user_id)
    for _ in range(100):  # bounded: 100 x 10 ms
        if await account(harness, tokens["access"]) == (401, "token_revoked"):
            break
        await _pause(0.01)
    assert await account(harness, tokens["access"]) == (401, "token_revoked")


async def _actor(harness, login):
    from jpay_server.domain.members import Member

    return Member(login.user_id, login.merchant_id, login.role)


async def _pause(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def test_user_tokens_do_not_open_app_routes(harness):
    member = await create_member(harness)
    tokens = await login_tokens(harness.client, member)
    response = await harness.checkouts(tokens["access"])
    assert (response.status_code, response.json()["code"]) == (403, "app_token_required")
    creds = await harness.app_credentials()
    app_tokens = await harness.tokens(creds)
    assert await account(harness, app_tokens["access"]) == (403, "user_token_required")


async def test_the_member_helper_works_on_a_bare_database_url(harness, database_url):
    member = await create_member(database_url, "viewer", status="pending")
    tokens = await login_tokens(harness.client, member)
    assert (tokens["role"], tokens["merchant_id"]) == ("viewer", member.merchant_id)


async def test_changing_the_password_ends_other_tokens_and_answers_a_fresh_pair(harness):
    member = await create_member(harness)
    other = await login_tokens(harness.client, member)
    mine = await login_tokens(harness.client, member)
    headers = {"Authorization": f"Bearer {mine['access']}"}
    wrong = await harness.client.post(
        f"{API}/account/password",
        json={"current_password": "not-my-password", "new_password": "a-brand-new-password"},
        headers=headers,
    )
    assert wrong.json()["code"] == "invalid_credentials"
    changed = await harness.client.post(
        f"{API}/account/password",
        json={"current_password": member.password, "new_password": "a-brand-new-password"},
        headers=headers,
    )
    assert changed.status_code == 200
    await harness.sync()
    assert await account(harness, other["access"]) == (401, "token_revoked")
    assert await account(harness, mine["access"]) == (401, "token_revoked")
    assert await account(harness, changed.json()["access"]) == (200, None)
    assert (await harness.refresh(other["refresh"])).json()["code"] == "token_revoked"
    old = await harness.client.post(
        LOGIN, json={"email": member.email, "password": member.password}
    )
    assert old.json()["code"] == "invalid_credentials"
