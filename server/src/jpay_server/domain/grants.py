"""Product grants: which products a merchant may enable on its apps.

The operator grants products per merchant (`jpay-server merchants set-products`); a merchant's
developers then enable them per app, within the grant. Outside production an approved merchant
has every product, so that development and the sandbox need no operator step.
"""

from __future__ import annotations

from collections.abc import Iterable

from jpay_server.domain.apps import PRODUCTS
from jpay_server.domain.merchants import MerchantStatus
from jpay_server.errors import product_not_granted


def effective(stored: Iterable[str], status: MerchantStatus, env: str) -> frozenset[str]:
    """The products a merchant may enable now: its grants, or all when approved outside prod."""
    if env != "production" and status is MerchantStatus.APPROVED:
        return frozenset(PRODUCTS)
    return frozenset(stored)


def check_granted(products: Iterable[str], granted: frozenset[str]) -> None:
    """Raise 403 `product_not_granted` for the first product outside the grant."""
    for product in sorted(products):
        if product not in granted:
            raise product_not_granted(product)
