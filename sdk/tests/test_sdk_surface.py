"""The public surface: exactly `__all__`, documented, typed, configured as the README says."""

from __future__ import annotations

import ast
import inspect
import socket
import time
from pathlib import Path

import httpx
import pytest
from live_server import SyncInProcess, jpay_reprs

import jpay
from jpay import APIConnectionError, AsyncJPay, AuthenticationError, JPay, JPayError

SRC = Path(jpay.__file__).parent
PUBLIC = {
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
}


def test_the_public_surface_is_exactly_all() -> None:
    assert set(jpay.__all__) == PUBLIC
    assert len(jpay.__all__) == len(PUBLIC)
    exported = {name for name in vars(jpay) if not name.startswith("_")}
    # Submodules become attributes of the package when imported; only `webhooks` is public.
    private_modules = {name for name in exported if name not in PUBLIC}
    assert private_modules == set()
    assert jpay.webhooks.__all__ == ["DEFAULT_TOLERANCE", "verify"]


def _public_members(obj: object) -> list[tuple[str, object]]:
    members = []
    for name, member in vars(obj).items():
        if name.startswith("_"):
            continue
        if inspect.isfunction(member) or isinstance(member, property):
            members.append((name, member))
    return members


@pytest.mark.parametrize("name", sorted(PUBLIC - {"__version__"}))
def test_every_public_name_has_a_one_line_summary(name: str) -> None:
    obj = getattr(jpay, name)
    doc = inspect.getdoc(obj)
    assert doc, name
    assert doc.splitlines()[0].strip(), name
    if inspect.isclass(obj):
        for member_name, member in _public_members(obj):
            assert inspect.getdoc(member), f"{name}.{member_name}"


def test_resource_methods_are_documented() -> None:
    for client in (JPay("k", "s"), AsyncJPay("k", "s")):
        for resource in ("collections", "payouts", "wallets", "channels"):
            instance = getattr(client, resource)
            assert inspect.getdoc(type(instance)), resource
            for name, member in _public_members(type(instance)):
                assert inspect.getdoc(member), f"{resource}.{name}"
    assert inspect.getdoc(jpay.webhooks.verify)


def test_sync_and_async_resources_mirror_each_other() -> None:
    sync, asynchronous = JPay("k", "s"), AsyncJPay("k", "s")
    for resource in ("collections", "payouts", "wallets", "channels"):
        left, right = type(getattr(sync, resource)), type(getattr(asynchronous, resource))
        assert [n for n, _ in _public_members(left)] == [n for n, _ in _public_members(right)]
        for name, member in _public_members(left):
            other = getattr(right, name)
            assert inspect.iscoroutinefunction(other), f"{resource}.{name}"
            assert list(inspect.signature(member).parameters) == list(
                inspect.signature(other).parameters
            )
            # What help() shows: the answer's type, not the internal Call that fetches it.
            assert inspect.signature(member) == inspect.signature(other)
            assert "Call[" not in str(inspect.signature(member)), f"{resource}.{name}"


def test_typed_package_marker_and_no_server_imports() -> None:
    assert (SRC / "py.typed").exists()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in {"jpay", "httpx", "__future__"} or top in _stdlib(), (path, name)


def _stdlib() -> frozenset[str]:
    import sys

    return frozenset(sys.stdlib_module_names)


def test_credentials_and_base_url_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, sync_server: SyncInProcess
) -> None:
    creds = sync_server.new_app()
    monkeypatch.setenv("JPAY_APP_KEY", creds.app_key)
    monkeypatch.setenv("JPAY_APP_SECRET", creds.app_secret)
    monkeypatch.setenv("JPAY_BASE_URL", sync_server.base_url + "/")
    client = JPay(http_client=sync_server.client)
    assert client.base_url == sync_server.base_url
    assert client.collections.list().count == 0  # logged in with the environment's credentials
    assert sync_server.recorder.count("/auth/app/token", 200) == 1
    # Arguments win over the environment.
    assert JPay(environment="production").base_url == "https://api.jpay.africa/api/v1"
    assert JPay(base_url="http://h.test:1/x/api/v1").base_url == "http://h.test:1/x/api/v1"
    wrong = JPay(app_secret=creds.app_secret + "x", http_client=sync_server.client)
    with pytest.raises(AuthenticationError):
        wrong.channels.list()


def test_environments_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JPAY_BASE_URL", raising=False)
    assert JPay("k", "s").base_url == "https://sandbox.api.jpay.africa/api/v1"
    assert JPay("k", "s", environment="sandbox").base_url == (
        "https://sandbox.api.jpay.africa/api/v1"
    )
    assert AsyncJPay("k", "s", environment="production").base_url == (
        "https://api.jpay.africa/api/v1"
    )
    # A bare host means the API under its documented prefix (`make serve` prints one).
    assert JPay("k", "s", base_url="http://127.0.0.1:8000").base_url == (
        "http://127.0.0.1:8000/api/v1"
    )
    with pytest.raises(ValueError, match="environment"):
        JPay("k", "s", environment="staging")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="base_url"):
        JPay("k", "s", base_url="ftp://example.com")


def test_missing_credentials_are_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JPAY_APP_KEY", raising=False)
    monkeypatch.delenv("JPAY_APP_SECRET", raising=False)
    with pytest.raises(JPayError) as caught:
        JPay(app_key="jpay_ak_only")
    assert caught.value.code == "missing_credentials"
    assert "JPAY_APP_SECRET" in str(caught.value)


def test_secrets_stay_out_of_reprs() -> None:
    client = JPay("jpay_ak_public", "jpay_sk_very_secret")
    shown = " ".join(jpay_reprs(client))
    assert "jpay_ak_public" in shown  # the walk reached the credentials
    assert "jpay_sk_very_secret" not in shown
    assert repr(client) == "JPay(base_url='https://sandbox.api.jpay.africa/api/v1')"


def test_context_managers_close_their_own_client_but_not_an_injected_one() -> None:
    injected = httpx.Client()
    with JPay("k", "s", http_client=injected):
        pass
    assert not injected.is_closed
    with JPay("k", "s") as own:
        pass
    with pytest.raises(RuntimeError, match="closed"):  # httpx refuses to send on a closed client
        own.channels.list()
    injected.close()


@pytest.mark.anyio
async def test_async_context_manager_closes_its_own_client() -> None:
    async with AsyncJPay("k", "s") as client:
        pass
    with pytest.raises(RuntimeError, match="closed"):
        await client.channels.list()
    injected = httpx.AsyncClient()
    async with AsyncJPay("k", "s", http_client=injected):
        pass
    assert not injected.is_closed
    await injected.aclose()


def test_a_timeout_given_to_the_client_is_each_requests_timeout() -> None:
    # Public behaviour: the timeout each request goes out with, as an injected client's
    # request hook sees it (nothing listens on port 9, so the call then fails).
    seen: list[dict[str, float | None]] = []
    hooks = {"request": [lambda request: seen.append(request.extensions["timeout"])]}
    for given, expected in ((3.5, httpx.Timeout(3.5)), (None, httpx.Timeout(9.0))):
        injected = httpx.Client(timeout=9.0, event_hooks=hooks)
        client = JPay(
            "k",
            "s",
            base_url="http://127.0.0.1:9",
            timeout=given,
            max_retries=0,
            http_client=injected,
        )
        with pytest.raises(APIConnectionError):
            client.channels.list()
        assert seen.pop() == expected.as_dict()  # an injected client keeps its own unless given
        injected.close()
    with pytest.raises(ValueError, match="max_retries"):
        JPay("k", "s", max_retries=-1)


def test_the_clients_own_http_client_applies_the_timeout() -> None:
    # A server that accepts and never answers: the call times out after the given 0.3 s,
    # not the 30 s default (the bound below is that difference, not a speed target).
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        client = JPay("k", "s", base_url=url, timeout=0.3, max_retries=0)
        with client, pytest.raises(APIConnectionError, match="timed out"):
            client.channels.list()
        assert time.monotonic() - started < 10


SWAPPED = """
from jpay import JPay
client = JPay("k", "s")
client.collections.initiate(payfrom="+254712345678", amount=100, ref_no=1, callback_url="u")
client.collections.initiate("+254712345678", "100.00", "ORDER-1", "https://x.test/h")
client.payouts.list(status=3)
"""


def test_mypy_catches_wrong_and_positional_arguments(tmp_path: Path) -> None:
    # Keyword-only parameters: two strings cannot be swapped by position unnoticed.
    from mypy import api

    (tmp_path / "use.py").write_text(SWAPPED)
    out, _, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(tmp_path / "use.py"),
        ]
    )
    assert status == 1
    assert 'use.py:4: error: Argument "ref_no" has incompatible type "int"' in out
    assert "use.py:5: error: Too many positional arguments" in out
    assert 'use.py:6: error: Argument "status" has incompatible type "int"' in out
    with pytest.raises(TypeError):
        JPay("k", "s").collections.initiate("+254712345678", "100.00", "ORDER-1", "u")  # type: ignore[misc]
