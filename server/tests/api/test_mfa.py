"""TOTP second factor: enrol, confirm, log in with a code or a recovery code, disable."""

from __future__ import annotations

import pyotp
import pytest

from jpay_server.domain.members import Role
from jpay_server.services.audit import list_audit
from tests.harness import API, running
from tests.members import create_member, login_tokens

pytestmark = pytest.mark.anyio
LOGIN = f"{API}/auth/login"


def auth(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


def code(secret: str, clock, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock().timestamp() + 30 * offset_steps)


async def enrolled(h, clock) -> tuple[object, str, list[str]]:
    """A member with MFA on: (login, secret, recovery codes)."""
    member = await create_member(h, Role.ADMIN)
    access = (await login_tokens(h.client, member))["access"]
    started = await h.client.post(f"{API}/account/mfa/enrol", headers=auth(access))
    assert started.status_code == 200
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/JPay:")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg")
    assert body["qr_png"].startswith("data:image/png;base64,")
    wrong = await h.client.post(
        f"{API}/account/mfa/confirm", json={"code": "000000"}, headers=auth(access)
    )
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_mfa_code")
    confirmed = await h.client.post(
        f"{API}/account/mfa/confirm",
        json={"code": code(body["secret"], clock)},
        headers=auth(access),
    )
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    clock.advance(30)  # the next login needs the next step's code
    return member, body["secret"], codes


async def test_login_asks_for_a_code_and_login_mfa_finishes_it(harness, clock):
    member, secret, _ = await enrolled(harness, clock)
    first = await harness.client.post(
        LOGIN, json={"email": member.email, "password": member.password}
    )
    assert (first.status_code, first.json()["code"]) == (401, "mfa_required")
    assert set(first.json()) == {"detail", "code", "mfa_token"}
    mfa_token = first.json()["mfa_token"]
    wrong = await harness.client.post(
        f"{API}/auth/login/mfa", json={"mfa_token": mfa_token, "code": "123456"}
    )
    assert wrong.json()["code"] == "invalid_mfa_code"
    right = {"mfa_token": mfa_token, "code": code(secret, clock)}
    done = await harness.client.post(f"{API}/auth/login/mfa", json=right)
    assert done.status_code == 200
    assert (done.json()["user_id"], done.json()["role"]) == (member.user_id, "admin")
    replay = await harness.client.post(f"{API}/auth/login/mfa", json=right)
    assert replay.json()["code"] == "invalid_mfa_code"  # a code works once (RFC 6238 §5.2)
    forged = await harness.client.post(
        f"{API}/auth/login/mfa", json={"mfa_token": done.json()["access"], "code": "123456"}
    )
    assert forged.json()["code"] == "token_invalid"  # an access token is no mfa_token
    clock.advance(300 + harness.settings.token_leeway + 1)
    late = await harness.client.post(
        f"{API}/auth/login/mfa", json={"mfa_token": mfa_token, "code": code(secret, clock)}
    )
    assert late.json()["code"] == "token_expired"


async def test_recovery_codes_work_once_each(harness, clock):
    member, _, codes = await enrolled(harness, clock)

    async def with_code(value: str) -> int:
        first = await harness.client.post(
            LOGIN, json={"email": member.email, "password": member.password}
        )
        response = await harness.client.post(
            f"{API}/auth/login/mfa", json={"mfa_token": first.json()["mfa_token"], "code": value}
        )
        return response.status_code

    assert await with_code(codes[0].upper()) == 200
    assert await with_code(codes[0]) == 401
    assert await with_code(codes[1].replace("-", "")) == 200


async def test_disable_needs_password_and_code(harness, clock):
    member, secret, codes = await enrolled(harness, clock)
    first = await harness.client.post(
        LOGIN, json={"email": member.email, "password": member.password}
    )
    tokens = (
        await harness.client.post(
            f"{API}/auth/login/mfa",
            json={"mfa_token": first.json()["mfa_token"], "code": codes[5]},
        )
    ).json()
    url = f"{API}/account/mfa/disable"
    bad_password = await harness.client.post(
        url,
        json={"password": "wrong-password-1", "code": code(secret, clock)},
        headers=auth(tokens["access"]),
    )
    assert bad_password.json()["code"] == "invalid_credentials"
    bad_code = await harness.client.post(
        url, json={"password": member.password, "code": "000000"}, headers=auth(tokens["access"])
    )
    assert bad_code.json()["code"] == "invalid_mfa_code"
    off = await harness.client.post(
        url,
        json={"password": member.password, "code": code(secret, clock)},
        headers=auth(tokens["access"]),
    )
    assert off.status_code == 200
    again = await harness.client.post(
        LOGIN, json={"email": member.email, "password": member.password}
    )
    assert again.status_code == 200
    actions = [e.action for e in await list_audit(harness.runtime.database, member.merchant_id)]
    assert actions[:2] == ["user.mfa_disable", "user.mfa_enable"]


async def test_an_enrolled_member_passes_the_teams_requirement(harness, clock):
    owner = await create_member(harness, Role.OWNER)
    owner_access = (await login_tokens(harness.client, owner))["access"]
    await harness.client.put(
        f"{API}/merchant/users/require-mfa", json={"required": True}, headers=auth(owner_access)
    )
    await harness.sync()
    blocked = await harness.client.get(f"{API}/merchant/users", headers=auth(owner_access))
    assert blocked.json()["code"] == "mfa_enrolment_required"
    secret = (
        await harness.client.post(f"{API}/account/mfa/enrol", headers=auth(owner_access))
    ).json()["secret"]
    await harness.client.post(
        f"{API}/account/mfa/confirm", json={"code": code(secret, clock)}, headers=auth(owner_access)
    )
    await harness.sync()
    assert (
        await harness.client.get(f"{API}/merchant/users", headers=auth(owner_access))
    ).status_code == 200


async def test_mfa_codes_are_rate_limited_per_user(make_settings, database_url, clock):
    settings = make_settings(database_url=database_url, rate_limit_login_per_account="3/hour")
    async with running(settings, clock) as h:
        member, _, _ = await enrolled(h, clock)
        first = await h.client.post(
            LOGIN, json={"email": member.email, "password": member.password}
        )
        token = first.json()["mfa_token"]
        statuses = [
            (
                await h.client_from(f"192.0.2.{n}").post(
                    f"{API}/auth/login/mfa", json={"mfa_token": token, "code": "000000"}
                )
            ).status_code
            for n in range(1, 5)
        ]
        assert statuses[-1] == 429
        assert 401 in statuses
