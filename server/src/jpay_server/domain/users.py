"""Merchant users: who they are, their state, and the live checks on their tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from jpay_server.domain.members import Member, Permission, Role, allows
from jpay_server.domain.merchants import MerchantStatus
from jpay_server.errors import (
    Conflict,
    InvalidRequest,
    account_suspended,
    merchant_not_approved,
    mfa_enrolment_required,
    permission_denied,
    token_invalid,
    token_revoked,
)

MAX_EMAIL = 254  # RFC 5321 §4.5.3.1.3: the longest usable path
# Deliberately loose (RFC 5322 allows far more); the emailed link is the real check.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")


class UserStatus(StrEnum):
    """Where a user stands: signed up and not yet verified, active, or disabled."""

    UNVERIFIED = "unverified"
    ACTIVE = "active"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class User:
    """A person who signs in to one merchant's account."""

    id: int
    merchant_id: int
    email: str
    role: Role
    status: UserStatus
    token_epoch: int
    password_hash: str
    mfa_enabled: bool
    created_at: datetime
    last_login_at: datetime | None = None

    def __repr__(self) -> str:
        return f"User(id={self.id}, merchant_id={self.merchant_id}, role={self.role})"


@dataclass(frozen=True, slots=True)
class UserAccess:
    """What the live check of a user token needs, cached per process like an app's state."""

    user_id: int
    merchant_id: int
    role: Role
    status: UserStatus
    token_epoch: int
    merchant_status: MerchantStatus
    mfa_enabled: bool
    mfa_required: bool


def clean_email(email: str) -> str:
    """The address as given, trimmed, if it looks like one (else 400 `invalid_email`)."""
    email = email.strip()
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise InvalidRequest("Enter a valid email address", code="invalid_email", field="email")
    return email


def email_key(email: str) -> str:
    """The case-insensitive identity of an address (what must be unique)."""
    return email.strip().casefold()


def check_live_user(
    user: UserAccess | None, merchant_id: int, epoch: int, family_revoked: bool
) -> UserAccess:
    """The token's user still exists, is active, and the token's family and epoch stand."""
    if user is None:
        raise token_revoked()  # removed from the team: its tokens end with it
    if user.merchant_id != merchant_id:
        raise token_invalid()  # claims that do not match the user were not issued by us
    if family_revoked or epoch != user.token_epoch or user.status is not UserStatus.ACTIVE:
        raise token_revoked()
    return user


def check_permission(user: UserAccess, permission: Permission) -> Member:
    """The role allows `permission`; a change also needs an approved merchant."""
    if user.mfa_required and not user.mfa_enabled:
        raise mfa_enrolment_required()
    if not allows(user.role, permission):
        raise permission_denied()
    if permission is not Permission.READ:
        # Users of a pending or suspended merchant may read (to see why), never change.
        if user.merchant_status is MerchantStatus.SUSPENDED:
            raise account_suspended()
        if user.merchant_status is not MerchantStatus.APPROVED:
            raise merchant_not_approved()
    return Member(user.user_id, user.merchant_id, user.role)


def check_team_change(owners: int, target: User, new_role: Role | None, actor: Member) -> None:
    """The team rules: only an owner touches an owner; a merchant keeps at least one owner."""
    if (target.role is Role.OWNER or new_role is Role.OWNER) and actor.role is not Role.OWNER:
        raise permission_denied()
    if target.role is Role.OWNER and new_role is not Role.OWNER and owners <= 1:
        raise Conflict(
            "A merchant must keep at least one owner: make someone else owner first",
            code="last_owner",
        )
