"""Bodies shared by every route: errors, health, pages."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator


class WireModel(BaseModel):
    """A request body: no string may hold a NUL (PostgreSQL text cannot store one)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain a NUL character")
        return value


class ErrorBody(BaseModel):
    """Every error: JPay's `detail`, our stable machine `code`, and the `field` at fault."""

    detail: str = Field(examples=["Invalid or expired token"])
    code: str = Field(examples=["token_expired"])
    field: str | None = Field(default=None, examples=["app_key"])


class Health(BaseModel):
    """Liveness or readiness."""

    status: Literal["ok", "ready"]
