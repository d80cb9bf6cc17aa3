"""The permission table: each role may do what the one below it may, and more."""

from __future__ import annotations

import pytest

from jpay_server.domain.members import Permission, Role, allows


@pytest.mark.parametrize(
    ("role", "granted"),
    [
        (Role.VIEWER, {Permission.READ}),
        (Role.DEVELOPER, {Permission.READ, Permission.MANAGE_APPS}),
        (Role.ADMIN, {Permission.READ, Permission.MANAGE_APPS, Permission.MANAGE_TEAM}),
        (Role.OWNER, set(Permission)),
    ],
)
def test_each_role_is_granted_exactly_its_row(role: Role, granted: set[Permission]) -> None:
    assert {p for p in Permission if allows(role, p)} == granted
