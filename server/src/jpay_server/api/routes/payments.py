"""What collection and payout routes share: list filters and the Idempotency-Key header."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query

from jpay_server.api.pagination import DAY, day_range
from jpay_server.domain.payments import PaymentStatus
from jpay_server.domain.phones import parse_phone
from jpay_server.errors import InvalidRequest
from jpay_server.store.payments import PaymentFilter

Page = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")]
PageSize = Annotated[int, Query(ge=1, le=100, description="Items per page, 1-100.")]
Status = Annotated[PaymentStatus | None, Query(description="Only this status.")]
DateFrom = Annotated[
    str | None, Query(pattern=DAY, description="Created on or after this UTC day (YYYY-MM-DD).")
]
DateTo = Annotated[
    str | None, Query(pattern=DAY, description="Created on or before this UTC day (YYYY-MM-DD).")
]
Phone = Annotated[str | None, Query(max_length=16, description="Only this phone (E.164).")]
RefNo = Annotated[str | None, Query(max_length=50, description="Only this ref_no.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Our extension: the same key and body replay the first response for 24 h.",
    ),
]


def payment_filter(
    status: PaymentStatus | None,
    date_from: str | None,
    date_to: str | None,
    phone: str | None,
    ref_no: str | None,
) -> PaymentFilter:
    """The list filter from validated query parameters."""
    if phone is not None:
        try:
            phone = parse_phone(phone, "phone").e164
        except InvalidRequest:
            raise InvalidRequest(
                "Invalid query parameter: phone", code="invalid_query_parameter", field="phone"
            ) from None
    start, end = day_range(date_from, date_to)
    return PaymentFilter(status, start, end, phone, ref_no)
