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
    """401 from /auth/login when the user has a second factor: finish at /auth/login/mfa."""

    detail: str = Field(examples=["Two-factor authentication code required"])
    code: Literal["mfa_required"] = "mfa_required"
    mfa_token: str = Field(description="Valid 5 minutes; send it with the code.")


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
