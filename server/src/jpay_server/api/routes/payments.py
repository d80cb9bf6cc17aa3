"""What collection and payout routes share: the list filter."""

from __future__ import annotations

from jpay_server.api.pagination import day_range
from jpay_server.api.schemas.queries import PaymentQuery
from jpay_server.domain.payments import PaymentFilter
from jpay_server.domain.phones import parse_phone
from jpay_server.errors import InvalidRequest, invalid_query_parameter


def payment_filter(q: PaymentQuery) -> PaymentFilter:
    """The list filter from a validated query string."""
    phone = q.phone
    if phone is not None:
        try:
            phone = parse_phone(phone, "phone").e164
        except InvalidRequest:
            raise invalid_query_parameter("phone") from None
    start, end = day_range(q.date_from, q.date_to)
    return PaymentFilter(q.status, start, end, phone, q.ref_no)
