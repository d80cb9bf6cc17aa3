"""Token endpoint bodies (the JPay documented shapes, plus our extensions)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jpay_server.api.schemas.common import WireModel
from jpay_server.domain.tokens import MAX_TOKEN_CHARS


class AppTokenRequest(WireModel):
    """POST /auth/app/token."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"app_key": "jpay_ak_…", "app_secret": "jpay_sk_…"}]}
    )

    app_key: str = Field(min_length=1, max_length=128, description="The app's public key.")
    app_secret: str = Field(min_length=1, max_length=256, description="The app's secret.")


class RefreshRequest(WireModel):
    """POST /auth/refresh."""

    refresh: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS, description="A refresh token.")


class RevokeRequest(WireModel):
    """POST /auth/revoke (our extension, RFC 7009 semantics)."""

    # No max_length: an overlong token is an invalid one, and RFC 7009 §2.2 answers 200 to
    # those; the body limit (JPAY_MAX_BODY_BYTES) still bounds it.
    token: str = Field(min_length=1, description="An access or refresh token.")
    token_type_hint: Literal["access_token", "refresh_token"] | None = Field(
        default=None, description="Accepted and ignored: either kind revokes its family."
    )


class TokenResponse(BaseModel):
    """A new token pair with the app it belongs to."""

    access: str = Field(description="Access token (JWT, HS256), valid 15 minutes.")
    refresh: str = Field(description="Refresh token (JWT, HS256), valid 7 days, single use.")
    merchant_id: int
    app_code: int
    products: list[str] = Field(examples=[["collections", "payouts"]])
    expires_in: int = Field(description="Seconds until the access token expires.", examples=[900])
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a token type, not a secret


class RefreshResponse(BaseModel):
    """A rotated token pair."""

    access: str
    refresh: str
    expires_in: int = Field(examples=[900])
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a token type, not a secret


class RevokeResponse(BaseModel):
    """Always the same, whether or not the token was known (RFC 7009 §2.2)."""

    revoked: Literal[True] = True
