"""The team routes under /api/v1/merchant/users: roles, owners, removal, MFA requirement."""

from __future__ import annotations

import pytest

from jpay_server.domain.members import Role
from jpay_server.services import mail
from jpay_server.services.audit import list_audit
from tests.harness import API, running
from tests.members import create_member, login_tokens
from tests.smtp import smtp_server

pytestmark = pytest.mark.anyio
USERS = f"{API}/merchant/users"


async def team_of(h, *roles: Role) -> list[tuple[object, str]]:
    """An owner and members of `roles` on one merchant: (login, access token) each."""
    owner = await create_member(h, Role.OWNER)
    people = [owner] + [
        await create_member(h, role, merchant_id=owner.merchant_id) for role in roles
    ]
    return [(p, (await login_tokens(h.client, p))["access"]) for p in people]


def auth(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


async def test_every_role_reads_the_team_and_only_admins_change_it(harness):
    (owner, o), (admin, a), (dev, d), (viewer, v) = await team_of(
        harness, Role.ADMIN, Role.DEVELOPER, Role.VIEWER
    )
    for access in (o, a, d, v):
        listed = await harness.client.get(USERS, headers=auth(access))
        assert listed.status_code == 200
        assert {m["email"] for m in listed.json()["results"]} == {
            owner.email,
            admin.email,
            dev.email,
            viewer.email,
        }
    for access in (d, v):
        response = await harness.client.put(
            f"{USERS}/{viewer.user_id}/role", json={"role": "developer"}, headers=auth(access)
        )
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    changed = await harness.client.put(
        f"{USERS}/{viewer.user_id}/role", json={"role": "developer"}, headers=auth(a)
    )
    assert changed.json()["role"] == "developer"
    await harness.sync()
    me = await harness.client.get(f"{API}/account", headers=auth(v))
    assert me.json()["role"] == "developer"  # the live token follows the new role


async def test_owners_are_kept_and_only_owners_touch_ownership(harness):
    (owner, o), (admin, a) = await team_of(harness, Role.ADMIN)
    promote = await harness.client.put(
        f"{USERS}/{admin.user_id}/role", json={"role": "owner"}, headers=auth(a)
    )
    assert promote.json()["code"] == "permission_denied"
    demote = await harness.client.put(
        f"{USERS}/{owner.user_id}/role", json={"role": "admin"}, headers=auth(o)
    )
    assert (demote.status_code, demote.json()["code"]) == (409, "last_owner")
    remove = await harness.client.delete(f"{USERS}/{owner.user_id}", headers=auth(a))
    assert remove.json()["code"] == "permission_denied"
    transfer = f"{USERS}/transfer-ownership"
    by_admin = await harness.client.post(transfer, json={"user_id": admin.user_id}, headers=auth(a))
    assert by_admin.json()["code"] == "permission_denied"
    done = await harness.client.post(transfer, json={"user_id": admin.user_id}, headers=auth(o))
    assert done.status_code == 204
    await harness.sync()
    roles = {
        m["user_id"]: m["role"]
        for m in (await harness.client.get(USERS, headers=auth(a))).json()["results"]
    }
    assert roles == {owner.user_id: "admin", admin.user_id: "owner"}
    actions = [e.action for e in await list_audit(harness.runtime.database, owner.merchant_id)]
    assert "user.transfer_ownership" in actions


async def test_removal_ends_the_members_tokens_and_foreign_ids_are_404(harness):
    (owner, o), (viewer, v) = await team_of(harness, Role.VIEWER)
    (stranger, s) = (await team_of(harness))[0]
    for method, path, body in (
        ("DELETE", f"{USERS}/{stranger.user_id}", None),
        ("PUT", f"{USERS}/{stranger.user_id}/role", {"role": "viewer"}),
    ):
        response = await harness.client.request(method, path, json=body, headers=auth(o))
        assert (response.status_code, response.json()["code"]) == (404, "user_not_found")
    transfer = await harness.client.post(
        f"{USERS}/transfer-ownership", json={"user_id": stranger.user_id}, headers=auth(o)
    )
    assert transfer.status_code == 404
    assert (await harness.client.get(f"{API}/account", headers=auth(s))).status_code == 200
    removed = await harness.client.delete(f"{USERS}/{viewer.user_id}", headers=auth(o))
    assert removed.status_code == 204
    await harness.sync()
    gone = await harness.client.get(USERS, headers=auth(v))
    assert (gone.status_code, gone.json()["code"]) == (401, "token_revoked")
    entry = (await list_audit(harness.runtime.database, owner.merchant_id))[0]
    assert (entry.action, entry.target, entry.client_ip) == (
        "user.remove",
        f"user:{viewer.user_id}",
        "127.0.0.1",
    )


async def test_requiring_mfa_blocks_members_without_it(harness):
    (_owner, o), (_dev, d) = await team_of(harness, Role.DEVELOPER)
    response = await harness.client.put(
        f"{USERS}/require-mfa", json={"required": True}, headers=auth(o)
    )
    assert response.json() == {"required": True}
    await harness.sync()
    blocked = await harness.client.get(USERS, headers=auth(d))
    assert (blocked.status_code, blocked.json()["code"]) == (403, "mfa_enrolment_required")
    assert (await harness.client.get(f"{API}/account", headers=auth(d))).status_code == 200


async def test_an_admin_invites_by_email(make_settings, database_url, clock):
    with smtp_server() as mailbox:
        settings = make_settings(
            database_url=database_url,
            rate_limit_enabled=False,
            worker_in_process=False,
            smtp_url=mailbox.url,
        )
        async with running(settings, clock) as h:
            (owner, _o), (_admin, a), (viewer, v) = await team_of(h, Role.ADMIN, Role.VIEWER)
            body = {"email": "new.dev@example.com", "role": "developer"}
            refused = await h.client.post(USERS, json=body, headers=auth(v))
            assert refused.json()["code"] == "permission_denied"
            owner_invite = await h.client.post(
                USERS, json=body | {"role": "owner"}, headers=auth(a)
            )
            assert owner_invite.json()["code"] == "permission_denied"
            invited = await h.client.post(USERS, json=body, headers=auth(a))
            assert invited.status_code == 201
            assert set(invited.json()) == {"invite_url", "expires_at", "email", "role"}
            already = await h.client.post(
                USERS, json={"email": viewer.email, "role": "viewer"}, headers=auth(a)
            )
            assert (already.status_code, already.json()["code"]) == (409, "already_member")
            await mail.deliver_due(h.ctx, h.runtime.database)
            token = mailbox.last_token("new.dev@example.com")
            assert token in invited.json()["invite_url"]
            accepted = await h.client.post(
                f"{API}/auth/accept-invite", json={"token": token, "password": "pw-" + "k" * 20}
            )
            assert accepted.json()["merchant_id"] == owner.merchant_id
            entries = await list_audit(h.runtime.database, owner.merchant_id)
            assert [e.action for e in entries][:2] == ["user.accept_invite", "user.invite"]
