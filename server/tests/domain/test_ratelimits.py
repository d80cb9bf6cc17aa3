"""GCRA: a burst of `count`, then one request per interval."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jpay_server.domain.ratelimits import Rate, gcra


def test_parse() -> None:
    assert Rate.parse("30/minute") == Rate(30, 60.0)
    assert str(Rate.parse(" 5 / second ")) == "5/second"
    for bad in ("0/minute", "5", "5/fortnight", "-1/second"):
        with pytest.raises(ValueError, match="invalid rate"):
            Rate.parse(bad)


def test_burst_then_refuse_then_recover() -> None:
    rate = Rate(3, 60.0)
    tat = None
    for _ in range(3):
        decision = gcra(tat, 0.0, rate)
        assert decision.allowed
        tat = decision.tat
    refused = gcra(tat, 0.0, rate)
    assert not refused.allowed
    assert refused.retry_after == 20
    assert gcra(tat, 20.0, rate).allowed


@given(st.integers(1, 50), st.floats(1, 3600), st.lists(st.floats(0, 10), max_size=200))
def test_never_admits_more_than_burst_plus_rate(
    count: int, period: float, gaps: list[float]
) -> None:
    rate = Rate(count, period)
    now, tat, admitted = 0.0, None, 0
    for gap in gaps:
        now += gap
        decision = gcra(tat, now, rate)
        if decision.allowed:
            admitted += 1
            tat = decision.tat
    assert admitted <= count + now / rate.interval + 1e-9
