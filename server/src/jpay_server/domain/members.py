"""Merchant users' roles and the permission table: what each role may do on its merchant.

A user belongs to one merchant with one role. Each role may do what the one below it may,
and more: a viewer reads; a developer also manages apps, credentials, IP allowlists and
webhooks; an admin also manages the team; an owner also transfers ownership.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """A user's role on their merchant, least to most trusted."""

    VIEWER = "viewer"
    DEVELOPER = "developer"
    ADMIN = "admin"
    OWNER = "owner"


class Permission(StrEnum):
    """What a merchant route asks of its caller's role."""

    READ = "read"
    MANAGE_APPS = "manage_apps"  # apps, credentials, allowlists, products, webhooks
    MANAGE_TEAM = "manage_team"  # invite, change roles, remove, require MFA
    TRANSFER_OWNERSHIP = "transfer_ownership"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.DEVELOPER: frozenset({Permission.READ, Permission.MANAGE_APPS}),
    Role.ADMIN: frozenset({Permission.READ, Permission.MANAGE_APPS, Permission.MANAGE_TEAM}),
    Role.OWNER: frozenset(Permission),
}


def allows(role: Role, permission: Permission) -> bool:
    """True if `role` may do what `permission` names."""
    return permission in _GRANTS[role]


@dataclass(frozen=True, slots=True)
class Member:
    """The authenticated merchant user a merchant route acts for."""

    user_id: int
    merchant_id: int
    role: Role
