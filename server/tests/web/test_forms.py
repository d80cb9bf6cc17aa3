"""The dashboard's rotation forms take the same overlaps the merchant API takes."""

from __future__ import annotations

import pytest

from jpay_server.domain.credentials import MAX_OVERLAP, check_overlap
from jpay_server.errors import InvalidRequest
from jpay_server.web.forms import overlap_field


@pytest.mark.parametrize(
    ("raw", "overlap"),
    [("", 0), ("  ", 0), ("0", 0), ("3600", 3600), (str(MAX_OVERLAP), MAX_OVERLAP)],
)
def test_an_overlap_the_api_takes_is_taken(raw: str, overlap: int) -> None:
    assert overlap_field({"overlap": raw}) == overlap
    check_overlap(overlap)  # and the API's rule agrees


@pytest.mark.parametrize(
    "raw", [str(MAX_OVERLAP + 1), "-1", "1.5", "1e3", "soon", "\u00b2", "\u0663", "9" * 5000]
)
def test_an_overlap_the_api_refuses_is_refused(raw: str) -> None:
    assert overlap_field({"overlap": raw}) is None


def test_a_form_without_the_field_means_no_overlap() -> None:
    assert overlap_field({}) == 0


def test_the_api_refuses_one_second_past_the_maximum() -> None:
    with pytest.raises(InvalidRequest):
        check_overlap(MAX_OVERLAP + 1)
