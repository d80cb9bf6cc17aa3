"""Bodies shared by every route: errors, health, pages."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every error: JPay's `detail`, our stable machine `code`, and the `field` at fault."""

    detail: str = Field(examples=["Invalid or expired token"])
    code: str = Field(examples=["token_expired"])
    field: str | None = Field(default=None, examples=["app_key"])


class Health(BaseModel):
    """Liveness or readiness."""

    status: Literal["ok", "ready"]
