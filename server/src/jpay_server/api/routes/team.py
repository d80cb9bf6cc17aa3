"""The team: /api/v1/merchant/users (list, invite, change role, remove, require MFA)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from jpay_server.api.deps import client_ip, require_member, runtime
from jpay_server.api.openapi import BEARER, errors
from jpay_server.api.responses import JSONResponse
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

router = APIRouter(prefix="/merchant/users", tags=["team"])
_SECURED = {"security": BEARER}
READ = Depends(require_member(Permission.READ))
MANAGE = Depends(require_member(Permission.MANAGE_TEAM))
TRANSFER = Depends(require_member(Permission.TRANSFER_OWNERSHIP))


def _ip(request: Request) -> str | None:
    ip = client_ip(request, runtime(request))
    return str(ip) if ip else None


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


@router.get(
    "",
    response_model=TeamResponse,
    responses=errors(401, 403, 503),
    openapi_extra=_SECURED,
    summary="The team",
    description="Every user of the merchant with role, status and whether they use a "
    "second factor; and whether the team requires one. Any role.",
)
async def list_users(request: Request, member: Member = READ) -> JSONResponse:
    rt = runtime(request)
    users = await team.list_team(rt.database, member)
    required = await team.mfa_required(rt.database, member.merchant_id)
    return JSONResponse({"results": [member_body(u) for u in users], "mfa_required": required})


@router.post(
    "",
    status_code=201,
    response_model=InvitationResponse,
    responses=errors(400, 401, 403, 409, 413, 415, 429, 503),
    openapi_extra=_SECURED,
    summary="Invite someone to the team",
    description="Emails a single-use invitation link (`token=`, 7 days) and returns it. "
    "Admins and owners; only an owner invites an owner. 409 `already_member` if the address "
    "is already on this team.",
)
async def invite_user(
    body: InviteRequest, request: Request, member: Member = MANAGE
) -> JSONResponse:
    rt = runtime(request)
    invitation = await team.invite(
        rt.ctx, rt.database, rt.limiter, member, body.email, body.role, _ip(request)
    )
    content = {
        "invite_url": invitation.invite_url,
        "expires_at": invitation.expires_at.isoformat(),
        "email": invitation.email,
        "role": invitation.role.value,
    }
    return JSONResponse(content, 201)


@router.put(
    "/require-mfa",
    response_model=RequireMfaRequest,
    responses=errors(400, 401, 403, 413, 415, 503),
    openapi_extra=_SECURED,
    summary="Require a second factor of the whole team",
    description="With `required: true`, members without a second factor get 403 "
    "`mfa_enrolment_required` on every merchant route until they enrol (within a second). "
    "Admins and owners.",
)
async def require_mfa(
    body: RequireMfaRequest, request: Request, member: Member = MANAGE
) -> JSONResponse:
    rt = runtime(request)
    await team.require_mfa(rt.ctx, rt.database, member, body.required, _ip(request))
    return JSONResponse({"required": body.required})


@router.post(
    "/transfer-ownership",
    status_code=204,
    responses=errors(400, 401, 403, 404, 409, 413, 415, 503),
    openapi_extra=_SECURED,
    summary="Make another member the owner",
    description="Owner only: the member becomes owner and you become admin, in one step.",
)
async def transfer_ownership(
    body: TransferRequest, request: Request, member: Member = TRANSFER
) -> Response:
    rt = runtime(request)
    await team.transfer_ownership(rt.ctx, rt.database, member, body.user_id, _ip(request))
    return Response(status_code=204)


@router.put(
    "/{user_id}/role",
    response_model=TeamMember,
    responses=errors(400, 401, 403, 404, 409, 413, 415, 503),
    openapi_extra=_SECURED,
    summary="Change a member's role",
    description="Admins and owners; only an owner grants or takes ownership, and a merchant "
    "keeps at least one owner (409 `last_owner`). Bites on the member's live tokens within "
    "a second. Another merchant's user ids answer 404.",
)
async def change_role(
    user_id: int, body: RoleRequest, request: Request, member: Member = MANAGE
) -> JSONResponse:
    rt = runtime(request)
    user = await team.change_role(rt.ctx, rt.database, member, user_id, body.role, _ip(request))
    return JSONResponse(member_body(user))


@router.delete(
    "/{user_id}",
    status_code=204,
    responses=errors(401, 403, 404, 409, 503),
    openapi_extra=_SECURED,
    summary="Remove a member",
    description="Admins and owners (an owner only by an owner; never the last owner). The "
    "member's tokens and dashboard sessions stop working within a second.",
)
async def remove_user(user_id: int, request: Request, member: Member = MANAGE) -> Response:
    rt = runtime(request)
    await team.remove_member(rt.ctx, rt.database, member, user_id, _ip(request))
    return Response(status_code=204)
