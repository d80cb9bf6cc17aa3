"""The access decision and the per-process access-state cache it reads.

Every process keeps the state of the apps it has seen (merchant status, app status, products,
allowlist, secret generations), the recently revoked refresh families and the keyring in
memory, so a protected request costs no database round trip. A background task reads the access
change log every `access_state_poll_interval` seconds and evicts or reloads what changed; a
process that cannot sync for `access_state_max_staleness` seconds refuses requests (503)
rather than serve from state it can no longer vouch for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection

from jpay_server.domain.access import (
    AppAccess,
    Principal,
    check_caller,
    check_live_token,
    check_product,
)
from jpay_server.domain.allowlists import IPAddress
from jpay_server.domain.keys import Keyring
from jpay_server.domain.members import Member, Permission
from jpay_server.domain.tokens import TokenCodec
from jpay_server.domain.users import UserAccess, check_live_user, check_permission
from jpay_server.errors import ServiceUnavailable, token_invalid
from jpay_server.services.context import Context
from jpay_server.services.keys import load_keyring
from jpay_server.store.apps import app_access
from jpay_server.store.changes import (
    Change,
    ChangeKind,
    change_head,
    change_mark,
    changes_since,
)
from jpay_server.store.db import Database
from jpay_server.store.tokens import revoked_since
from jpay_server.store.users import user_access

log = logging.getLogger(__name__)
APP_STATE_TTL = 60.0  # seconds an app's cached state is trusted without a change-log entry
SECRET_TOUCH_INTERVAL = 60.0  # secrets' last_used_at is kept to the minute, not per login
INLINE_SYNC_TIMEOUT = 1.0  # a request waits this long at most for a sync of its own


class AccessState:
    """A process's cache of access state, kept in step with the access change log."""

    def __init__(
        self, ctx: Context, database: Database, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.ctx = ctx
        self.database = database
        self.monotonic = monotonic  # seconds for ages and staleness; tests move it forward
        self.codec: TokenCodec | None = None
        self._apps: dict[int, tuple[AppAccess, float]] = {}
        self._codes_by_key: dict[str, int] = {}
        self._users: dict[int, tuple[UserAccess, float]] = {}
        self._revoked: dict[str, datetime] = {}
        self._seq = 0
        self._mark: tuple[str, str, datetime] | None = None  # the change at _seq, as read
        self._version = 0  # bumped on every applied change: guards lazy loads
        self._synced_at = 0.0
        self._syncing = False  # the background sync is waiting on the database
        self._touched: dict[tuple[int, int], float] = {}

    @property
    def _revocation_horizon(self) -> timedelta:
        # A revoked family's access tokens were all issued before the revocation, so none
        # outlives it by more than one access lifetime (plus leeway): after that, forget it.
        s = self.ctx.settings
        return timedelta(seconds=s.access_token_lifetime + s.token_leeway)

    async def start(self) -> None:
        """Load the keyring, revoked families and the change-log position."""
        await self._reload()

    async def _reload(self) -> None:
        since = self.ctx.clock() - self._revocation_horizon
        # The position first: a change logged after it is applied by the next sync.
        seq, mark, revoked = await self.database.read(
            lambda conn: (
                change_head(conn),
                change_mark(conn, change_head(conn)),
                revoked_since(conn, since),
            )
        )
        keyring = await load_keyring(self.ctx, self.database)
        self.codec = self._codec(keyring)
        self._apps.clear()
        self._codes_by_key.clear()
        self._users.clear()
        # Families this process saw revoked stay revoked even if the database has lost them
        # (a restored backup): revocation is never undone, and these expire by themselves.
        self._revoked |= {fam: at + self._revocation_horizon for fam, at in revoked}
        self._seq, self._mark = seq, mark
        self._version += 1
        self._synced_at = self.monotonic()

    async def sync(self) -> None:
        """Apply every change logged since the last sync."""
        seq = self._seq
        head, mark, found = await self.database.read(
            lambda conn: (change_head(conn), change_mark(conn, seq), changes_since(conn, seq))
        )
        # A log that went backwards (a restored backup, a failover that lost its tail) numbers
        # new changes at or below our position: a lower head, or a different change where our
        # last one was, means the history we applied is not the database's any more.
        if head < seq or (self._mark is not None and mark != self._mark):
            log.warning(
                "access change log went backwards (head %d, this process at %d); "
                "reloading all access state",
                head,
                seq,
            )
            await self._reload()
            return
        # The log is dense: anything but seq+1, seq+2, ... means rows were pruned past us.
        if head > self._seq and (
            not found or [c.seq for c in found] != list(range(self._seq + 1, found[-1].seq + 1))
        ):
            log.info("access change log pruned past this process; reloading all access state")
            await self._reload()
            return
        for change in found:
            await self._apply(change)
            self._seq = change.seq
        if found:
            self._mark = await self.database.read(lambda conn: change_mark(conn, self._seq))
        await self._expire_keys()
        self._synced_at = self.monotonic()
        self._forget_old_revocations()

    async def _apply(self, change: Change) -> None:
        self._version += 1
        if change.kind == ChangeKind.APP:
            self._evict(lambda a: a.app_code == int(change.ref))
        elif change.kind == ChangeKind.MERCHANT:
            self._evict(lambda a: a.merchant_id == int(change.ref))
            merchant_id = int(change.ref)
            for user_id in [u for u, (a, _) in self._users.items() if a.merchant_id == merchant_id]:
                del self._users[user_id]
        elif change.kind == ChangeKind.USER:
            self._users.pop(int(change.ref), None)
        elif change.kind == ChangeKind.FAMILY:
            self._revoked[change.ref] = self.ctx.clock() + self._revocation_horizon
        elif change.kind == ChangeKind.KEYS:
            keyring = await load_keyring(self.ctx, self.database)
            self.codec = self._codec(keyring)

    async def _expire_keys(self) -> None:
        """Load the keyring again once one of its keys has expired: expiry is judged on every
        sync, not only when the process starts or a key is rotated."""
        assert self.codec is not None
        ends = self.codec.keyring.valid_until
        if ends is not None and self.ctx.clock() >= ends:
            self.codec = self._codec(await load_keyring(self.ctx, self.database))

    def _codec(self, keyring: Keyring) -> TokenCodec:
        s = self.ctx.settings
        return TokenCodec(
            keyring,
            s.token_issuer,
            s.token_leeway,
            s.access_token_lifetime,
            s.refresh_token_lifetime,
        )

    def _evict(self, match: Callable[[AppAccess], bool]) -> None:
        for code, (access, _) in list(self._apps.items()):
            if match(access):
                del self._apps[code]
                self._codes_by_key.pop(access.app_key, None)

    def _forget_old_revocations(self) -> None:
        now = self.ctx.clock()
        for fam in [f for f, until in self._revoked.items() if until <= now]:
            del self._revoked[fam]

    def touch_due(self, app_code: int, generation: int) -> bool:
        """True at most once a minute per secret: when to update its `last_used_at`."""
        now = self.monotonic()
        last = self._touched.get((app_code, generation))
        if last is not None and now - last < SECRET_TOUCH_INTERVAL:
            return False
        self._touched[(app_code, generation)] = now
        return True

    def cached_code(self, app_key: str) -> int | None:
        """The code of an app whose state this process holds, by app_key (memory only)."""
        return self._codes_by_key.get(app_key)

    def family_revoked(self, family: str) -> bool:
        """True if the family was revoked recently enough for its access tokens to live."""
        return family in self._revoked

    async def ensure_fresh(self) -> TokenCodec:
        """The codec, after syncing inline if the background sync has fallen behind."""
        if self.monotonic() - self._synced_at > self.ctx.settings.access_state_max_staleness:
            if self._syncing:
                # The background sync is already stuck on the database (a partition drops
                # packets rather than refusing them): queueing behind it would hang this
                # request too, where a prompt 503 lets the load balancer send it elsewhere.
                raise ServiceUnavailable()
            try:
                await asyncio.wait_for(self.sync(), INLINE_SYNC_TIMEOUT)
            except Exception as exc:
                log.warning("access state is stale and cannot sync: %s", type(exc).__name__)
                raise ServiceUnavailable() from exc
        assert self.codec is not None
        return self.codec

    def _cached(self, app_code: int | None) -> AppAccess | None:
        entry = self._apps.get(app_code) if app_code is not None else None
        # The change log keeps entries current; the TTL is the safety net if a change is lost.
        if entry is None or self.monotonic() - entry[1] > APP_STATE_TTL:
            return None
        return entry[0]

    async def app(self, app_code: int) -> AppAccess | None:
        """The app's access state: from memory, or loaded from the database."""
        cached = self._cached(app_code)
        if cached is not None:
            return cached
        return await self._load(lambda conn: app_access(conn, app_code=app_code))

    async def app_by_key(self, app_key: str) -> AppAccess | None:
        """The app's access state by app_key."""
        cached = self._cached(self._codes_by_key.get(app_key))
        if cached is not None:
            return cached
        return await self._load(lambda conn: app_access(conn, app_key=app_key))

    async def reload_app_by_key(self, app_key: str) -> AppAccess | None:
        """The app's access state by app_key, read from the database whatever is cached."""
        return await self._load(lambda conn: app_access(conn, app_key=app_key))

    def forget_user(self, user_id: int) -> None:
        """Drop a user's cached state now (the change log would within a poll interval)."""
        self._users.pop(user_id, None)

    async def user(self, user_id: int) -> UserAccess | None:
        """A merchant user's live state: from memory, or loaded from the database."""
        entry = self._users.get(user_id)
        if entry is not None and self.monotonic() - entry[1] <= APP_STATE_TTL:
            return entry[0]
        version = self._version
        found = await self.database.read(lambda conn: user_access(conn, user_id))
        if found is not None and version == self._version:
            self._users[user_id] = (found, self.monotonic())
        return found

    async def _load(self, query: Callable[[Connection], AppAccess | None]) -> AppAccess | None:
        version = self._version
        access = await self.database.read(query)
        # A change applied while we were reading may be newer than what we read: then use
        # the value for this request only, and let the next request load again.
        if access is not None and version == self._version:
            self._apps[access.app_code] = (access, self.monotonic())
            self._codes_by_key[access.app_key] = access.app_code
        return access

    async def run(self, stop: asyncio.Event) -> None:
        """Sync every poll interval until `stop` is set."""
        interval = self.ctx.settings.access_state_poll_interval
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            if stop.is_set():
                return
            self._syncing = True
            try:
                # Bounded, so a connection lost without a word is given up and a new one
                # tried: the host comes back by itself once the database answers again.
                await asyncio.wait_for(self.sync(), self.ctx.settings.access_state_max_staleness)
            except Exception as exc:  # keep polling; ensure_fresh fails closed meanwhile
                log.warning("access state sync failed: %s", type(exc).__name__)
            finally:
                self._syncing = False


async def authorize(
    state: AccessState,
    token: str,
    client_ip: IPAddress | None,
    product: str | None,
    now: datetime,
) -> Principal:
    """Steps 3-7 of the access decision for a bearer token (steps 1-2 parse the header)."""
    codec = await state.ensure_fresh()
    claims = codec.decode_access(token, int(now.timestamp()))
    access = await state.app(claims.app_code)
    if access is None or access.merchant_id != claims.merchant_id:
        raise token_invalid()
    check_live_token(access, claims.generation, state.family_revoked(claims.family), now)
    check_caller(access, client_ip)
    check_product(access, product)
    return Principal(access.app_code, access.merchant_id, access.products, claims.family)


async def authorize_member(
    state: AccessState, token: str, permission: Permission, now: datetime
) -> Member:
    """The access decision for a merchant route: a live user token whose role allows it."""
    codec = await state.ensure_fresh()
    claims = codec.decode_user_access(token, int(now.timestamp()))
    assert claims.user_id is not None
    user = await state.user(claims.user_id)
    live = check_live_user(
        user, claims.merchant_id, claims.generation, state.family_revoked(claims.family)
    )
    return check_permission(live, permission)


async def authorize_user(state: AccessState, token: str, now: datetime) -> UserAccess:
    """A live user token, whatever the role (for the user's own account routes)."""
    codec = await state.ensure_fresh()
    claims = codec.decode_user_access(token, int(now.timestamp()))
    assert claims.user_id is not None
    user = await state.user(claims.user_id)
    return check_live_user(
        user, claims.merchant_id, claims.generation, state.family_revoked(claims.family)
    )
