"""The team: /api/v1/merchant/users (list, invite, change role, remove, require MFA)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from jpay_server.api.deps import audit_ip, require_member, runtime
from jpay_server.api.openapi import errors
from jpay_server.api.responses import JSONResponse
from jpay_server.api.routing import Routes
from jpay_server.api.schemas.accounts import (
    InvitationResponse,
    InviteRequest,
    RequireMfaRequest,
    RoleRequest,
    TeamMember,
    TeamResponse,
    TransferRequest,
)
from jpay_server.domain.members import Member, Permission
from jpay_server.domain.users import User
from jpay_server.services import team

routes = Routes(prefix="/merchant/users", tag="team")


def member_body(user: User) -> dict[str, object]:
    """A team member as the API shows it."""
    return {
        "user_id": user.id,
        "email": user.email,
        "role": user.role.value,
        "status": user.status.value,
        "mfa_enabled": user.mfa_enabled,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


@routes.get(
    "",
    response=TeamResponse,
    auth=require_member(Permission.READ),
    errors=errors(401, 403, 503),
    summary="The team",
    description="Every user of the merchant with role, status and whether they use a "
    "second factor; and whether the team requires one. Any role.",
)
async def list_users(request: Request, member: Member) -> JSONResponse:
    rt = runtime(request)
    users = await team.list_team(rt.database, member)
    required = await team.mfa_required(rt.database, member.merchant_id)
    return JSONResponse({"results": [member_body(u) for u in users], "mfa_required": required})


@routes.post(
    "",
    response=InvitationResponse,
    status=201,
    auth=require_member(Permission.MANAGE_TEAM),
    body=InviteRequest,
    errors=errors(400, 401, 403, 409, 413, 415, 429, 503),
    summary="Invite someone to the team",
    description="Emails a single-use invitation link (`token=`, 7 days) and returns it. "
    "Admins and owners; only an owner invites an owner. 409 `already_member` if the address "
    "is already on this team.",
)
async def invite_user(request: Request, member: Member, body: InviteRequest) -> JSONResponse:
    rt = runtime(request)
    invitation = await team.invite(
        rt.ctx, rt.database, rt.limiter, member, body.email, body.role, audit_ip(request)
    )
    content = {
        "invite_url": invitation.invite_url,
        "expires_at": invitation.expires_at.isoformat(),
        "email": invitation.email,
        "role": invitation.role.value,
    }
    return JSONResponse(content, 201)


@routes.put(
    "/require-mfa",
    response=RequireMfaRequest,
    auth=require_member(Permission.MANAGE_TEAM),
    body=RequireMfaRequest,
    errors=errors(400, 401, 403, 413, 415, 503),
    summary="Require a second factor of the whole team",
    description="With `required: true`, members without a second factor get 403 "
    "`mfa_enrolment_required` on every merchant route until they enrol (within a second). "
    "Admins and owners.",
)
async def require_mfa(request: Request, member: Member, body: RequireMfaRequest) -> JSONResponse:
    rt = runtime(request)
    await team.require_mfa(rt.ctx, rt.database, member, body.required, audit_ip(request))
    return JSONResponse({"required": body.required})


@routes.post(
    "/transfer-ownership",
    status=204,
    auth=require_member(Permission.TRANSFER_OWNERSHIP),
    body=TransferRequest,
    errors=errors(400, 401, 403, 404, 409, 413, 415, 503),
    summary="Make another member the owner",
    description="Owner only: the member becomes owner and you become admin, in one step.",
)
async def transfer_ownership(request: Request, member: Member, body: TransferRequest) -> Response:
    rt = runtime(request)
    await team.transfer_ownership(rt.ctx, rt.database, member, body.user_id, audit_ip(request))
    return Response(status_code=204)


@routes.put(
    "/{user_id}/role",
    response=TeamMember,
    auth=require_member(Permission.MANAGE_TEAM),
    body=RoleRequest,
    errors=errors(400, 401, 403, 404, 409, 413, 415, 503),
    summary="Change a member's role",
    description="Admins and owners; only an owner grants or takes ownership, and a merchant "
    "keeps at least one owner (409 `last_owner`). Bites on the member's live tokens within "
    "a second. Another merchant's user ids answer 404.",
)
async def change_role(
    request: Request, member: Member, user_id: int, body: RoleRequest
) -> JSONResponse:
    rt = runtime(request)
    user = await team.change_role(
        rt.ctx, rt.database, member, user_id, body.role, audit_ip(request)
    )
    return JSONResponse(member_body(user))


@routes.delete(
    "/{user_id}",
    status=204,
    auth=require_member(Permission.MANAGE_TEAM),
    errors=errors(401, 403, 404, 409, 503),
    summary="Remove a member",
    description="Admins and owners (an owner only by an owner; never the last owner). The "
    "member's tokens and dashboard sessions stop working within a second.",
)
async def remove_user(request: Request, member: Member, user_id: int) -> Response:
    rt = runtime(request)
    await team.remove_member(rt.ctx, rt.database, member, user_id, audit_ip(request))
    return Response(status_code=204)
