"""Bodies of the merchant user endpoints: login, second factor, signup, links, passwords."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jpay_server.api.schemas.common import WireModel
from jpay_server.domain.members import Role
from jpay_server.domain.passwords import MAX_LENGTH as MAX_PASSWORD
from jpay_server.domain.tokens import MAX_TOKEN_CHARS
from jpay_server.domain.users import MAX_EMAIL

EmailField = Field(min_length=1, max_length=MAX_EMAIL, description="The user's email address.")
PasswordField = Field(min_length=1, max_length=MAX_PASSWORD, description="The password.")


class LoginRequest(WireModel):
    """POST /auth/login: JPay's second way in, "(or email, password)"."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "owner@example.com", "password": "…"}]}
    )

    email: str = EmailField
    password: str = PasswordField


class UserTokenResponse(BaseModel):
    """A merchant user's token pair: `user_id` is the person, `merchant_id` their merchant."""

    access: str = Field(description="Access token (JWT, HS256), valid 15 minutes.")
    refresh: str = Field(description="Refresh token (JWT, HS256), valid 7 days, single use.")
    merchant_id: int
    user_id: int
    role: Role
    expires_in: int = Field(description="Seconds until the access token expires.", examples=[900])
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a token type, not a secret


class MfaRequiredBody(BaseModel):
    """A 401 from /auth/login: `invalid_credentials`, or `mfa_required` with an `mfa_token`."""

    detail: str = Field(examples=["Two-factor authentication code required"])
    code: str = Field(examples=["mfa_required"])
    mfa_token: str | None = Field(
        default=None,
        description="With `mfa_required` only: valid 5 minutes; send it with the code.",
    )


class LoginMfaRequest(WireModel):
    """POST /auth/login/mfa."""

    mfa_token: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS)
    code: str = Field(
        min_length=1, max_length=32, description="A 6-digit TOTP code or a recovery code."
    )


class AccountResponse(BaseModel):
    """GET /account: the signed-in user."""

    user_id: int
    merchant_id: int
    email: str
    role: Role
    mfa_enabled: bool
    mfa_required: bool = Field(description="The team requires a second factor.")
    merchant_status: Literal["pending", "approved", "suspended"]


class SignupRequest(WireModel):
    """POST /auth/signup (JPAY_SIGNUP=open)."""

    business_name: str = Field(min_length=1, max_length=200)
    email: str = EmailField
    password: str = PasswordField


class TokenRequest(WireModel):
    """A single-use token from an emailed link (`token=`)."""

    token: str = Field(min_length=1, max_length=200)


class TokenPasswordRequest(WireModel):
    """A link's token and the new password (reset, accept an invitation)."""

    token: str = Field(min_length=1, max_length=200)
    password: str = PasswordField


class ForgotRequest(WireModel):
    """POST /auth/password/forgot."""

    email: str = EmailField


class Accepted(BaseModel):
    """202: done if it applies; the answer is the same whatever the address."""

    detail: str


class AcceptedInvite(BaseModel):
    """201 from /auth/accept-invite: the new user (log in next)."""

    user_id: int
    merchant_id: int
    role: Role


class OkResponse(BaseModel):
    """The action was done."""

    detail: str


class TeamMember(BaseModel):
    """One user of the merchant, as the team sees them."""

    user_id: int
    email: str
    role: Role
    status: Literal["unverified", "active", "disabled"]
    mfa_enabled: bool
    created_at: str
    last_login_at: str | None


class TeamResponse(BaseModel):
    """GET /merchant/users."""

    results: list[TeamMember]
    mfa_required: bool


class InviteRequest(WireModel):
    """POST /merchant/users: invite someone by email."""

    email: str = EmailField
    role: Role


class InvitationResponse(BaseModel):
    """An invitation: the link (also emailed; single use) and when it stops working."""

    invite_url: str
    expires_at: str
    email: str
    role: Role


class RoleRequest(WireModel):
    """PUT /merchant/users/{user_id}/role."""

    role: Role


class RequireMfaRequest(WireModel):
    """PUT /merchant/users/require-mfa."""

    required: bool


class TransferRequest(WireModel):
    """POST /merchant/users/transfer-ownership."""

    user_id: int


class MfaEnrolment(BaseModel):
    """POST /account/mfa/enrol: scan the QR code (or type the secret), then confirm."""

    secret: str = Field(description="Base32 TOTP secret, for typing in by hand.")
    otpauth_uri: str = Field(examples=["otpauth://totp/JPay:owner%40example.com?secret=…"])
    qr_svg: str = Field(description="The otpauth URI as an inline SVG QR code.")
    qr_png: str = Field(description="The same QR code as a data: URI (PNG).")


class CodeRequest(WireModel):
    """A 6-digit TOTP code (or, where accepted, a recovery code)."""

    code: str = Field(min_length=1, max_length=32)


class DisableMfaRequest(WireModel):
    """POST /account/mfa/disable: the password and a current code."""

    password: str = PasswordField
    code: str = Field(min_length=1, max_length=32)


class RecoveryCodes(BaseModel):
    """Ten single-use recovery codes, shown once."""

    recovery_codes: list[str]


class ChangePasswordRequest(WireModel):
    """POST /account/password."""

    current_password: str = PasswordField
    new_password: str = PasswordField
