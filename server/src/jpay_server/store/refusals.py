"""The refused-requests log: batched appends, the newest KEEP_PER_APP kept per app."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, delete, insert, select

from jpay_server.domain.refusals import Refusal
from jpay_server.store.tables import RefusedRequestRow

_ROW = RefusedRequestRow.__table__


def add_refusals(conn: Connection, refusals: Sequence[Refusal]) -> None:
    """Append refusals in one statement."""
    if not refusals:
        return
    conn.execute(
        insert(RefusedRequestRow),
        [
            {
                "app_code": r.app_code,
                "time": r.time,
                "client_ip": r.client_ip,
                "path": r.path,
                "code": r.code,
                "detail": r.detail,
                "hint": r.hint,
            }
            for r in refusals
        ],
    )


def prune_refusals(conn: Connection, app_codes: Iterable[int], keep: int) -> None:
    """Forget all but the newest `keep` refusals of each app (one indexed DELETE per app)."""
    for app_code in sorted(set(app_codes)):
        oldest_kept = (
            select(RefusedRequestRow.id)
            .where(RefusedRequestRow.app_code == app_code)
            .order_by(RefusedRequestRow.id.desc())
            .offset(keep - 1)
            .limit(1)
            .scalar_subquery()
        )
        conn.execute(
            delete(RefusedRequestRow).where(
                RefusedRequestRow.app_code == app_code, RefusedRequestRow.id < oldest_kept
            )
        )


def refusals_of(conn: Connection, app_code: int, limit: int) -> list[Refusal]:
    """An app's refusals, newest first."""
    query = (
        select(_ROW)
        .where(RefusedRequestRow.app_code == app_code)
        .order_by(RefusedRequestRow.id.desc())
        .limit(limit)
    )
    return [
        Refusal(r.app_code, r.time, r.client_ip, r.path, r.code, r.detail, r.hint)
        for r in conn.execute(query)
    ]
