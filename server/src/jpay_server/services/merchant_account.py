"""The merchant API's account use cases: what a member sees of their merchant."""

from __future__ import annotations

from dataclasses import dataclass

from jpay_server.domain.audit import AuditEntry
from jpay_server.domain.members import Member
from jpay_server.domain.merchants import Merchant, blockers
from jpay_server.services.audit import list_audit
from jpay_server.services.context import Context
from jpay_server.services.merchants import effective_grants, merchant_of
from jpay_server.store.db import Database


@dataclass(frozen=True, slots=True)
class MerchantInfo:
    """A merchant, the products it may enable, and what blocks it (if anything)."""

    merchant: Merchant
    granted_products: frozenset[str]
    reason: str | None
    missing: tuple[str, ...]


async def merchant_info(ctx: Context, database: Database, member: Member) -> MerchantInfo:
    """The member's merchant, with why it is blocked while pending or suspended."""
    merchant, granted = await database.read(
        lambda conn: (
            merchant_of(conn, member.merchant_id),
            effective_grants(ctx, conn, member.merchant_id),
        )
    )
    reason, missing = blockers(merchant.status)
    return MerchantInfo(merchant, granted, reason, missing)


async def merchant_audit(
    database: Database, member: Member, limit: int, before_id: int | None
) -> list[AuditEntry]:
    """The member's merchant's audit entries, newest first."""
    return await list_audit(database, member.merchant_id, limit, before_id)
