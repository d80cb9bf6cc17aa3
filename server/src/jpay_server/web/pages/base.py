"""What every page handler shares: state, rendering, CSRF checks, the signed-in viewer."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from jpay_server.domain import client_ip as client_ips
from jpay_server.domain.allowlists import IPAddress
from jpay_server.domain.dashboard_sessions import DashboardSession
from jpay_server.domain.members import Member, Permission, allows
from jpay_server.domain.users import UserAccess, UserStatus, check_permission
from jpay_server.services import dashboard_sessions
from jpay_server.services.runtime import Runtime
from jpay_server.settings import Settings
from jpay_server.web import cookies
from jpay_server.web.forms import FormRejected, read_form
from jpay_server.web.security import same_origin

FORGED = "This form did not come from this dashboard (or its page expired). Reload and retry."


@dataclass(frozen=True, slots=True)
class WebState:
    """What the dashboard app holds: settings, the runtime, the templates."""

    settings: Settings
    runtime: Callable[[], Runtime]
    templates: Environment


class SignInRequired(Exception):
    """The page needs a signed-in viewer and the browser has no live session."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user of this request: their session, its cookie token, their live state."""

    session: DashboardSession
    token: str
    user: UserAccess

    @property
    def csrf(self) -> str:
        """The synchronizer token every form of this session carries."""
        return self.session.csrf_token

    @property
    def develops(self) -> bool:
        """True if the role may manage apps, credentials, allowlists and webhooks."""
        return allows(self.user.role, Permission.MANAGE_APPS)

    @property
    def manages_team(self) -> bool:
        """True if the role may invite, change roles and remove members."""
        return allows(self.user.role, Permission.MANAGE_TEAM)

    def member(self, permission: Permission) -> Member:
        """The member acting, if the role (and the merchant's state) allow `permission`."""
        return check_permission(self.user, permission)


def state(request: Request) -> WebState:
    """The dashboard's state."""
    web: WebState = request.app.state.web
    return web


def runtime(request: Request) -> Runtime:
    """The process runtime (context and database)."""
    return state(request).runtime()


def client_address(request: Request) -> IPAddress | None:
    """The visitor's address, believing X-Forwarded-For only from trusted proxies."""
    peer = request.client.host if request.client else None
    forwarded = request.headers.getlist("x-forwarded-for")
    return client_ips.resolve(peer, forwarded, state(request).settings.trusted_proxies)


def app_code(request: Request) -> int:
    """The page's `{app_code}` (its route converts it to an int)."""
    code: int = request.path_params["app_code"]
    return code


def client_ip(request: Request) -> str:
    """The visitor's address as text ("unknown" if it cannot be told)."""
    found = client_address(request)
    return str(found) if found is not None else "unknown"


def user_agent(request: Request) -> str:
    """The browser's own description, for the sessions list."""
    return request.headers.get("user-agent", "")[:200]


def when(moment: datetime | None) -> str:
    """A time as merchants read it: UTC, to the second."""
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def money(cents: int) -> str:
    """Integer cents as an amount with two decimals and thousands separators."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{part:02d}"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from its template, with the values every layout needs."""
    page = state(request).templates.get_template(template)
    html = page.render(request=request, prefix="/dashboard", **context)
    return HTMLResponse(html, status_code=status)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    """The error page (no stack trace, no detail beyond the message)."""
    return render(request, "error.html", status, code=status, message=message, viewer=None)


def redirect(path: str) -> RedirectResponse:
    """POST-redirect-GET: a 303 to a dashboard path."""
    return RedirectResponse(f"/dashboard{path}", status_code=303)


async def viewer(request: Request) -> Viewer | None:
    """The signed-in viewer, or None if the browser has no live session.

    The user's role and status come from the process's live user state (as a user token's
    do), so a role change or a removal bites on the next page; a password reset or "end every
    token" (a new token epoch) ends the session too.
    """
    token = cookies.session_token(request, state(request).settings)
    if token is None:
        return None
    rt = runtime(request)
    session = await dashboard_sessions.current_session(rt.ctx, rt.database, token)
    if session is None:
        return None
    user = await rt.access.user(session.user_id)
    if (
        user is None
        or user.merchant_id != session.merchant_id
        or user.status is not UserStatus.ACTIVE
        or user.token_epoch != session.user_epoch
    ):
        return None
    return Viewer(session, token, user)


async def signed_in(request: Request) -> Viewer:
    """The signed-in viewer; anyone else is sent to the sign-in page."""
    found = await viewer(request)
    if found is None:
        raise SignInRequired()
    return found


def to_sign_in() -> RedirectResponse:
    """Where an anonymous visitor of a private page goes."""
    return redirect("/login")


async def posted_form(request: Request, expected_csrf: str | None) -> dict[str, str]:
    """A submitted form, refused (403) unless same-origin and carrying the right token."""
    if not same_origin(request):
        raise HTTPException(403, FORGED)
    try:
        form = await read_form(request)
    except FormRejected as exc:  # not a form of ours, so it cannot carry the token
        raise HTTPException(403, FORGED) from exc
    sent = form.get("csrf", "")
    if expected_csrf is None or not hmac.compare_digest(sent.encode(), expected_csrf.encode()):
        raise HTTPException(403, FORGED)
    return form


def anonymous_csrf(request: Request) -> tuple[str, str | None]:
    """The form token for pre-sign-in pages, and a new seed to set if the browser has none."""
    st = state(request)
    seed = cookies.seed(request, st.settings)
    new_seed = None
    if seed is None:
        new_seed = seed = cookies.new_seed()
    return cookies.seed_token(runtime(request).ctx.keys.pepper, seed), new_seed


def expected_anonymous_csrf(request: Request) -> str | None:
    """The form token a pre-sign-in form from this browser must carry (None: no seed)."""
    seed = cookies.seed(request, state(request).settings)
    return None if seed is None else cookies.seed_token(runtime(request).ctx.keys.pepper, seed)


def with_seed(request: Request, response: Response, new_seed: str | None) -> Response:
    """Set the CSRF seed cookie on a pre-sign-in page when the browser had none."""
    if new_seed is not None:
        cookies.set_seed(response, state(request).settings, new_seed)
    return response


@dataclass(frozen=True, slots=True)
class Flash:
    """What the page after a change shows once: a notice, and maybe a new secret."""

    notice: str | None = None
    secret: str | None = None
    about: str | None = None  # which object the secret belongs to, e.g. "app:1234"


async def put_flash(request: Request, me: Viewer, flash: Flash) -> None:
    """Keep `flash` (sealed, server-side) for this session's next page."""
    rt = runtime(request)
    text = json.dumps({"notice": flash.notice, "secret": flash.secret, "about": flash.about})
    await dashboard_sessions.put_flash(rt.ctx, rt.database, me.token, text)


async def take_flash(request: Request, me: Viewer) -> Flash:
    """This session's one-time flash (empty if there is none): gone once read."""
    rt = runtime(request)
    text = await dashboard_sessions.take_flash(rt.ctx, rt.database, me.token)
    if text is None:
        return Flash()
    values = json.loads(text)
    return Flash(values.get("notice"), values.get("secret"), values.get("about"))
