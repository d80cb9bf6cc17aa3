"""Money, phones, payment fields, the sandbox network, idempotency: no app, no database."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jpay_server.domain import idempotency, payments, sandbox
from jpay_server.domain.channels import DOCUMENTED, ChannelType, new_channel
from jpay_server.domain.money import format_cents, parse_amount
from jpay_server.domain.payments import Payment, PaymentKind, PaymentStatus, wire_time
from jpay_server.domain.phones import inferred_channel, parse_phone
from jpay_server.errors import Conflict, InvalidRequest

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


@pytest.mark.parametrize("good", ["1.00", "1000.00", "5000.50", "999999.99"])
def test_good_amounts(good: str) -> None:
    assert format_cents(parse_amount(good)) == good


@pytest.mark.parametrize(
    "bad",
    [
        "1000",
        "1000.5",
        "1000.123",
        "0.99",
        "1000000.00",
        "-1.00",
        "01.00",
        " 1.00",
        1000,
        10.5,
        None,
    ],
)
def test_documented_bad_amounts(bad: object) -> None:
    with pytest.raises(InvalidRequest, match=r"^Invalid amount$"):
        parse_amount(bad)


@given(st.integers(100, 99_999_999))
def test_amounts_round_trip(cents: int) -> None:
    assert parse_amount(format_cents(cents)) == cents


def test_negative_amounts_format_with_their_sign() -> None:
    assert format_cents(-105) == "-1.05"


@pytest.mark.parametrize(
    ("number", "channel"),
    [
        ("+254712345678", 63902),
        ("+254110123456", 63902),
        ("+254733123456", 63903),
        ("+254100123456", 63903),
        ("+254770123456", 63907),
        ("+254747123456", None),
    ],
)
def test_carrier_decides_the_channel(number: str, channel: int | None) -> None:
    assert inferred_channel(parse_phone(number, "payfrom")) == channel


@pytest.mark.parametrize(
    "bad",
    ["0712345678", "254712345678", "+2547123456", "+254 712 345 678", "+25471234567890", "+", ""],
)
def test_documented_bad_phones(bad: str) -> None:
    with pytest.raises(InvalidRequest, match=r"^Invalid phone number$"):
        parse_phone(bad, "payfrom")


def test_non_kenyan_numbers_are_valid_but_name_no_channel() -> None:
    phone = parse_phone("+255712345678", "payto")
    assert phone.e164 == "+255712345678"
    assert inferred_channel(phone) is None


def test_field_rules() -> None:
    assert payments.check_category(None) == "other"
    assert payments.check_narration(None, "Disbursement") == "Disbursement"
    assert payments.check_account_number(None) == "JPay"
    for call, value in [
        (payments.check_ref_no, "x" * 51),
        (payments.check_ref_no, "  "),
        (payments.check_category, "food"),
        (payments.check_bank_account, "12-34"),
        (payments.check_account_number, "a" * 51),
    ]:
        with pytest.raises(InvalidRequest):
            call(value)
    with pytest.raises(InvalidRequest):
        payments.check_narration("n" * 201, "x")
    assert isinstance(payments.duplicate_ref_no(PaymentKind.PAYOUT), Conflict)


def test_ids_look_documented_and_differ() -> None:
    first = payments.new_payment_id(PaymentKind.COLLECTION, secrets.token_bytes, NOW)
    second = payments.new_payment_id(PaymentKind.PAYOUT, secrets.token_bytes, NOW)
    assert first.startswith("COLL-20261128-")
    assert len(first) == 24
    assert second.startswith("PAYOUT-20261128-")
    assert second[-10:].isalnum()


def test_status_codes() -> None:
    assert [s.code for s in PaymentStatus] == [0, 1, 2, 3]
    assert [s.final for s in PaymentStatus] == [False, False, True, True]


def payment(party: str, status: PaymentStatus) -> Payment:
    return Payment(
        "COLL-1",
        PaymentKind.COLLECTION,
        1,
        1,
        party,
        100,
        "r",
        "JPay",
        "http://x",
        "other",
        "n",
        DOCUMENTED[4],
        status,
        None,
        NOW,
        NOW,
        NOW,
    )


@pytest.mark.parametrize(
    ("party", "status", "reason"),
    [
        ("+254712345678", PaymentStatus.COMPLETED, None),
        ("+254712000002", PaymentStatus.FAILED, "declined: the customer cancelled the request"),
        ("+254733000003", PaymentStatus.FAILED, "timeout: the customer could not be reached"),
        (
            "+254770000004",
            PaymentStatus.FAILED,
            "insufficient_funds: the customer's balance is too low",
        ),
        ("0011000002", PaymentStatus.FAILED, "declined: the customer cancelled the request"),
    ],
)
def test_sandbox_outcomes_are_deterministic(
    party: str, status: PaymentStatus, reason: str | None
) -> None:
    first = sandbox.step(payment(party, PaymentStatus.PENDING), NOW, 2.0)
    assert first.status is PaymentStatus.PROCESSING
    assert first.next_step_at == NOW + timedelta(seconds=2)
    final = sandbox.step(payment(party, PaymentStatus.PROCESSING), NOW, 2.0)
    assert (final.status, final.failure_reason, final.next_step_at) == (status, reason, None)
    with pytest.raises(ValueError, match="already"):
        sandbox.step(payment(party, status), NOW, 2.0)


def test_idempotency_fingerprints() -> None:
    fp = idempotency.fingerprint("e", {"a": 1, "b": [1, 2]})
    assert fp == idempotency.fingerprint("e", {"b": [1, 2], "a": 1})
    assert fp != idempotency.fingerprint("other", {"a": 1, "b": [1, 2]})
    remembered = idempotency.Remembered("e", fp, 200, {})
    assert idempotency.replay(remembered, "e", fp) is remembered
    with pytest.raises(Conflict):
        idempotency.replay(remembered, "e", idempotency.fingerprint("e", {"a": 2}))
    for bad in ("", "k" * 256, "naïve", "tab\tkey"):
        with pytest.raises(InvalidRequest):
            idempotency.check_key(bad)


def test_channels() -> None:
    assert [c.code for c in DOCUMENTED] == [0, 1, 7, 68, 63902, 63903, 63907]
    assert ChannelType.MOBILE_MONEY.display == "Mobile Money"
    assert new_channel(70, "Co-op Bank", "bank", None).display_name == "Co-op Bank"
    with pytest.raises(InvalidRequest):
        new_channel(71, "X", "crypto", None)


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2),  # noqa: DTZ001 (hypothesis bounds are naive)
        max_value=datetime(9999, 12, 30),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=3))]),
    )
)
def test_wire_time_is_the_documented_format_in_utc(moment: datetime) -> None:
    assert wire_time(moment) == moment.astimezone(UTC).strftime("%d/%m/%Y %H:%M:%S")
