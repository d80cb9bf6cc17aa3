"""The dashboard's pages, one module per area; `routes` lists them all."""

from __future__ import annotations

from starlette.routing import BaseRoute

from jpay_server.web.pages import (
    account,
    apps,
    auth,
    base,
    onboarding,
    overview,
    payments,
    security,
    team,
    webhooks,
)

__all__ = ["base", "routes"]


def routes(prefix: str) -> list[BaseRoute]:
    """Every page route under `prefix`."""
    return [
        *auth.routes(prefix),
        *onboarding.routes(prefix),
        *overview.routes(prefix),
        *apps.routes(prefix),
        *payments.routes(prefix),
        *webhooks.routes(prefix),
        *team.routes(prefix),
        *account.routes(prefix),
        *security.routes(prefix),
    ]
