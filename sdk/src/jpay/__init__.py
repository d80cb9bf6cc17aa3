"""The JPay Africa payments API for Python: sync and async clients that handle tokens for you.

```python
from jpay import JPay

with JPay() as client:  # JPAY_APP_KEY, JPAY_APP_SECRET, JPAY_BASE_URL from the environment
    checkout = client.collections.initiate(
        payfrom="+254712345678", amount="100.00", ref_no="ORDER-1",
        callback_url="https://example.com/jpay/webhook",
    )
```
"""

from jpay import webhooks
from jpay._client import AsyncJPay, JPay
from jpay._errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    JPayError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    WebhookVerificationError,
)
from jpay._models import (
    Balance,
    Channel,
    ChannelPage,
    Collection,
    Page,
    Payout,
    Transfer,
    WalletTransaction,
    WebhookEvent,
)
from jpay._store import FileTokenStore, MemoryTokenStore, TokenStore
from jpay._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "AsyncJPay",
    "AuthenticationError",
    "Balance",
    "Channel",
    "ChannelPage",
    "Collection",
    "ConflictError",
    "FileTokenStore",
    "InvalidRequestError",
    "JPay",
    "JPayError",
    "MemoryTokenStore",
    "NotFoundError",
    "Page",
    "Payout",
    "PermissionDeniedError",
    "RateLimitError",
    "TokenStore",
    "Transfer",
    "WalletTransaction",
    "WebhookEvent",
    "WebhookVerificationError",
    "__version__",
    "webhooks",
]
