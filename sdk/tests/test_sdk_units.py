"""Pure pieces: wire amounts, models from the documented examples, token arithmetic, stores."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import multiprocessing
import pickle
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jpay import (
    Balance,
    Channel,
    ChannelPage,
    Collection,
    FileTokenStore,
    MemoryTokenStore,
    Page,
    Payout,
    Transfer,
    WalletTransaction,
)
from jpay._auth import AsyncTokenManager, Credentials, Tokens, tokens_from_response
from jpay._models import _parse_wire_time, parse_time
from jpay._resources._common import wire_amount
from jpay._secret import Secret
from jpay._store import TokenStore


@pytest.mark.parametrize(
    ("given", "wire"),
    [
        ("100.00", "100.00"),
        ("100", "100.00"),
        (100, "100.00"),
        (Decimal("99.5"), "99.50"),
        (Decimal("1E+2"), "100.00"),
        ("100.100", "100.10"),
        ("1.005", "1.005"),  # not whole cents: sent as is, for the server's 400
        ("abc", "abc"),
        (Decimal("NaN"), "NaN"),
    ],
)
def test_wire_amounts(given: object, wire: str) -> None:
    assert wire_amount(given) == wire  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [1.5, True, None])
def test_floats_and_others_are_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        wire_amount(bad)  # type: ignore[arg-type]


def test_documented_examples_parse_with_real_types() -> None:
    # The examples of docs/payments-api.md, verbatim.
    balance = Balance.from_json(
        {
            "collection_wallet_balance": "45000.00",
            "payout_wallet_balance": "12000.00",
            "total_balance": "57000.00",
        }
    )
    assert balance.total_balance == Decimal("57000.00")
    entry = WalletTransaction.from_json(WIRE[WalletTransaction])  # the documented example
    assert entry.amount == Decimal("-1000.00")
    assert entry.created_at == datetime(2026, 11, 28, 14, 30, 45, tzinfo=UTC)
    transfer = Transfer.from_json(
        {
            "reference": "TRF-20261128-A1B2C3D4E5",
            "amount": "500.00",
            "collection_wallet_balance": "44500.00",
            "payout_wallet_balance": "12500.00",
            "total_balance": "57000.00",
        }
    )
    assert transfer.payout_wallet_balance == Decimal("12500.00")
    channels = ChannelPage.from_json(
        {
            "items": [
                {
                    "code": 63902,
                    "name": "MPesa",
                    "type": "mobile_money",
                    "type_display": "Mobile Money",
                    "is_active": True,
                }
            ],
            "pagination": {"count": 7, "page": 1, "page_size": 100, "total_pages": 1},
        }
    )
    assert [c.name for c in channels] == ["MPesa"]
    assert channels.count == 7


def test_times_are_day_first_and_utc() -> None:
    assert parse_time("01/02/2026 03:04:05") == datetime(2026, 2, 1, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(ValueError, match="hour"):
        parse_time("28/11/2026 24:00:00")  # not the next midnight, on any Python
    with pytest.raises(ValueError, match="does not match format"):
        parse_time("2026-02-01 03:04:05")


def read(parse: Callable[[object], datetime], value: str) -> datetime | None:
    """What `parse` makes of `value`: the time, or None where it refuses it."""
    try:
        return parse(value)
    except ValueError:
        return None


CANONICAL = "28/11/2026 14:30:50"
ODD = "0123456789/: \t.,+-TZ\u0663\u00b2\uff11"


@given(
    st.one_of(
        st.text(alphabet=ODD, min_size=17, max_size=21),
        st.tuples(st.integers(0, len(CANONICAL) - 1), st.sampled_from(ODD)).map(
            lambda change: CANONICAL[: change[0]] + change[1] + CANONICAL[change[0] + 1 :]
        ),
        st.datetimes().map(lambda moment: moment.strftime("%d/%m/%Y %H:%M:%S")),
    )
)
def test_the_fast_time_parser_reads_exactly_what_the_documented_rule_reads(value: str) -> None:
    # The server's own form takes a shortcut through fromisoformat; it must agree with the
    # regex that reads every form the documented strptime format does, on odd input too.
    fast, rule = read(parse_time, value), read(_parse_wire_time, value)
    assert fast == rule
    if fast is not None:
        assert fast.utcoffset() == timedelta(0)


def test_amounts_as_json_numbers_are_refused() -> None:
    with pytest.raises(TypeError):
        Balance.from_json(
            {
                "collection_wallet_balance": 1,
                "payout_wallet_balance": "1.00",
                "total_balance": "2.00",
            }
        )


PAYMENT = {
    "id": "COL-20261128-K7M9P2X4Q1",
    "amount": "1000.00",
    "ref_no": "ORDER-1",
    "callback_url": "https://merchant.example/hook",
    "status": "Successful",
    "status_code": 1,
    "category": "collection",
    "narration": "Order 1",
    "channel": 63902,
    "channel_name": "MPesa",
    "channel_type": "Mobile Money",
    "app_code": 7,
    "failure_reason": None,
    "created_at": "28/11/2026 14:30:45",
    "updated_at": "28/11/2026 14:31:02",
}
WIRE: dict[type, dict[str, object]] = {
    Collection: PAYMENT | {"payfrom": "+254712345678", "account_number": "+254712345678"},
    Payout: PAYMENT | {"payto": "+254712345678", "category": "payout"},
    WalletTransaction: {
        "id": 42,
        "wallet": "payout",
        "type": "payout",
        "amount": "-1000.00",
        "balance_after": "11000.00",
        "reference": "PAYOUT-20261128-Q8W3E5R7T2",
        "description": "Payout to +254712345678",
        "created_at": "28/11/2026 14:30:45",
    },
    Channel: {
        "code": 63902,
        "name": "MPesa",
        "type": "mobile_money",
        "type_display": "Mobile Money",
        "is_active": True,
    },
    Balance: {
        "collection_wallet_balance": "45000.00",
        "payout_wallet_balance": "12000.00",
        "total_balance": "57000.00",
    },
    Transfer: {
        "reference": "TRF-20261128-A1B2C3D4E5",
        "amount": "500.00",
        "collection_wallet_balance": "44500.00",
        "payout_wallet_balance": "12500.00",
        "total_balance": "57000.00",
    },
}


def rebuilt(item: object) -> object:
    """The same model made through its own constructor, field by field."""
    fields = dataclasses.fields(item)  # type: ignore[arg-type]
    return type(item)(**{f.name: getattr(item, f.name) for f in fields})


@pytest.mark.parametrize("added", [{}, {"added_by_a_later_server": True}])
@pytest.mark.parametrize("model", WIRE)
def test_models_read_from_the_wire_are_whole_frozen_values(
    model: type, added: dict[str, object]
) -> None:
    # from_json skips the dataclass's __init__ for speed: the result must be the same object.
    item = model.from_json(WIRE[model] | added)  # type: ignore[attr-defined]
    names = {f.name for f in dataclasses.fields(model)}
    assert set(vars(item)) == names  # every field, and nothing the server added
    assert item == rebuilt(item)
    assert hash(item) == hash(rebuilt(item))
    assert repr(item) == repr(rebuilt(item))
    assert pickle.loads(pickle.dumps(item)) == item  # noqa: S301 (our own bytes)
    assert dataclasses.replace(item) == item
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(item, next(iter(names)), None)


def test_pages_read_from_the_wire_are_whole() -> None:
    page = Page.from_json(
        {"count": 1, "next": None, "previous": None, "results": [WIRE[Collection]]},
        Collection.from_json,
    )
    assert page == rebuilt(page)
    assert set(vars(page)) == {f.name for f in dataclasses.fields(Page)}
    assert page.results == [Collection.from_json(WIRE[Collection])]
    channels = ChannelPage.from_json(
        {
            "items": [WIRE[Channel]],
            "pagination": {"count": 1, "page": 1, "page_size": 100, "total_pages": 1},
        }
    )
    assert channels == rebuilt(channels)
    assert set(vars(channels)) == {f.name for f in dataclasses.fields(ChannelPage)}


@pytest.mark.parametrize("model", [Collection, Payout])
def test_a_failure_reason_may_be_absent(model: type) -> None:
    wire = {name: value for name, value in WIRE[model].items() if name != "failure_reason"}
    assert model.from_json(wire).failure_reason is None  # type: ignore[attr-defined]
    failed = model.from_json(wire | {"failure_reason": "Insufficient funds"})  # type: ignore[attr-defined]
    assert failed.failure_reason == "Insufficient funds"


@pytest.mark.parametrize("model", WIRE)
def test_what_is_not_an_object_is_refused(model: type) -> None:
    with pytest.raises(TypeError, match="expected a JSON object"):
        model.from_json(list(WIRE[model].items()))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("model", "name"),
    [(model, name) for model, wire in WIRE.items() for name in wire if name != "failure_reason"],
)
def test_every_field_of_the_wrong_json_type_is_refused(model: type, name: str) -> None:
    with pytest.raises(TypeError, match="must be"):
        model.from_json(WIRE[model] | {name: [name]})  # type: ignore[attr-defined]
    with pytest.raises(KeyError):
        model.from_json({k: v for k, v in WIRE[model].items() if k != name})  # type: ignore[attr-defined]


# ---- token arithmetic ---------------------------------------------------------------------


def jwt(claims: dict[str, object]) -> str:
    segment = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{segment}.c2ln"


def token_response(
    access: str, headers: dict[str, str] | None = None, **extra: object
) -> httpx.Response:
    body = {"access": access, "refresh": jwt({"exp": 2_000_000_000}), "expires_in": 900, **extra}
    return httpx.Response(200, json=body, headers=headers or {})


def test_skew_comes_from_iat_and_is_an_upper_bound() -> None:
    # The server says iat = 1000 while our clock said 400 when we sent: we are 600 s behind.
    tokens = tokens_from_response(
        token_response(jwt({"iat": 1000, "exp": 1900, "app_code": 7})), 400.0
    )
    assert tokens.skew == 601.0  # iat is whole seconds: the server may have been at 1000.99
    assert tokens.access_expires_at == 1900
    assert tokens.early == 60.0  # min(60 s, lifetime / 10)
    assert tokens.app_code == 7
    assert tokens.access_fresh(400 + 838)
    assert not tokens.access_fresh(400 + 839)  # 1839 + 1 on the server: inside the last minute


def test_without_iat_the_date_header_sets_the_skew() -> None:
    headers = {"Date": "Sat, 28 Nov 2026 12:00:00 GMT"}
    server_then = datetime(2026, 11, 28, 12, tzinfo=UTC).timestamp()
    tokens = tokens_from_response(token_response(jwt({}), headers), server_then - 3600)
    assert tokens.skew == 3601.0
    assert tokens.access_expires_at == server_then + 900  # from expires_in


def test_without_any_server_time_the_local_clock_is_all_there_is() -> None:
    tokens = tokens_from_response(token_response("opaque-token"), 500.0)
    assert (tokens.skew, tokens.access_expires_at) == (0.0, 1400.0)


def test_a_refresh_keeps_what_its_answer_leaves_out() -> None:
    first = tokens_from_response(
        token_response(
            jwt({"iat": 0, "exp": 900}), merchant_id=3, app_code=9, products=["payouts"]
        ),
        0.0,
    )
    refreshed = tokens_from_response(token_response(jwt({"iat": 800, "exp": 1700})), 800.0, first)
    assert (refreshed.app_code, refreshed.merchant_id, refreshed.products) == (9, 3, ("payouts",))


def test_tokens_round_trip_through_a_store_and_hide_themselves() -> None:
    tokens = tokens_from_response(token_response(jwt({"iat": 0, "exp": 900, "app_code": 1})), 0.0)
    again = Tokens.loads(tokens.dumps())
    assert again == tokens
    assert Tokens.loads("{not json") is None
    assert "eyJ" not in repr(tokens)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret("x"))


# ---- stores -------------------------------------------------------------------------------


def test_stores_meet_the_protocol(tmp_path: Path) -> None:
    for store in (MemoryTokenStore(), FileTokenStore(tmp_path)):
        assert isinstance(store, TokenStore)
        assert store.load("k") is None
        with store.lock("k"):
            store.save("k", "v1")
        store.save("k", "v2")
        assert store.load("k") == "v2"


def test_file_store_is_private_and_refuses_odd_keys(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "t")
    store.save("abc", "secret")
    assert (tmp_path / "t" / "abc.json").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "t").stat().st_mode & 0o777 == 0o700
    assert [p.name for p in (tmp_path / "t").iterdir()] == ["abc.json"]  # no temp files left
    with pytest.raises(ValueError, match="keys"):
        store.load("../etc/passwd")


def _hold(directory: str, started, release) -> None:  # runs in another process
    with FileTokenStore(directory).lock("k"):
        started.set()
        release.wait(30)


def test_file_lock_excludes_other_processes(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    started, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(str(tmp_path), started, release))
    holder.start()
    try:
        assert started.wait(60)
        got = threading.Event()

        def take() -> None:
            with FileTokenStore(tmp_path).lock("k"):
                got.set()

        taker = threading.Thread(target=take)
        taker.start()
        time.sleep(0.3)
        assert not got.is_set()  # held by the other process
        release.set()
        taker.join(10)
        assert got.is_set()
    finally:
        release.set()
        holder.join(30)
    assert holder.exitcode == 0


@pytest.mark.anyio
async def test_a_cancelled_wait_for_the_store_lock_does_not_leak_it() -> None:
    store = MemoryTokenStore()
    held = store.lock("k")
    held.__enter__()  # another thread holds the store lock

    async def never(path: str, body: Secret) -> httpx.Response:
        raise AssertionError("no renewal should be attempted")

    manager = AsyncTokenManager(Credentials("k", Secret("s")), store, "k", never)
    waiting = asyncio.ensure_future(manager.current())
    await asyncio.sleep(0.1)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    held.__exit__(None, None, None)
    await asyncio.sleep(0.2)  # the abandoned acquisition completes and is released
    lock = store.lock("k")
    assert await asyncio.to_thread(lambda: lock.acquire(timeout=5))  # type: ignore[attr-defined]
    lock.__exit__(None, None, None)
