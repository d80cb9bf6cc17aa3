"""Settings, read once from `JPAY_*` environment variables and passed down explicitly."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from jpay_server.domain.mail import parse_smtp_url
from jpay_server.domain.ratelimits import Rate

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Environment = Literal["development", "sandbox", "production"]

MIN_SECRET_KEY_CHARS = 32
DEV_SECRET_FILE = "secret.key"  # noqa: S105 - a file name


class SettingsError(Exception):
    """The settings cannot be used (e.g. a default secret in production)."""


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class Settings(BaseSettings):
    """Every knob of the server; each is documented in the README."""

    model_config = SettingsConfigDict(env_prefix="JPAY_", frozen=True, extra="ignore")

    env: Environment = "development"
    database_url: str = "sqlite+aiosqlite:///./var/jpay.db"
    database_timeout: float = Field(5.0, gt=0.0, le=300.0)
    database_pool_size: int = Field(10, ge=1, le=100)
    redis_url: SecretStr | None = None
    secret_key: SecretStr | None = None
    var_dir: Path = Path("./var")

    access_token_lifetime: int = Field(900, ge=10, le=86_400)
    refresh_token_lifetime: int = Field(604_800, ge=60, le=90 * 86_400)
    refresh_reuse_grace: int = Field(30, ge=0, le=600)
    token_issuer: str = Field("jpay", min_length=1, max_length=200)
    token_leeway: int = Field(5, ge=0, le=120)

    trusted_proxies: Annotated[tuple[Network, ...], NoDecode] = ()

    rate_limit_enabled: bool = True
    rate_limit_token_per_ip: Annotated[Rate, NoDecode] = Rate.parse("30/minute")
    rate_limit_token_per_key: Annotated[Rate, NoDecode] = Rate.parse("20/minute")
    rate_limit_refresh_per_ip: Annotated[Rate, NoDecode] = Rate.parse("60/minute")
    rate_limit_login_per_ip: Annotated[Rate, NoDecode] = Rate.parse("20/minute")
    rate_limit_login_per_account: Annotated[Rate, NoDecode] = Rate.parse("10/hour")
    rate_limit_email_per_address: Annotated[Rate, NoDecode] = Rate.parse("5/hour")

    max_body_bytes: int = Field(65_536, ge=1_024, le=10 * 1_048_576)
    access_state_poll_interval: float = Field(0.25, gt=0, le=1.0)
    access_state_max_staleness: float = Field(5.0, ge=1.0, le=300.0)

    public_url: str = Field("http://127.0.0.1:8000", min_length=1, max_length=200)
    signup: Literal["open", "invite"] | None = None
    smtp_url: SecretStr | None = None
    mail_from: str = Field("JPay <no-reply@jpay.localhost>", min_length=3, max_length=200)
    smtp_timeout: float = Field(10.0, gt=0, le=120)

    sandbox_step_delay: float = Field(2.0, ge=0, le=3600)
    worker_in_process: bool = True
    worker_poll_interval: float = Field(0.5, gt=0, le=60)
    webhook_timeout: float = Field(10.0, gt=0, le=60)
    webhook_concurrency: int = Field(32, ge=1, le=1_000)
    webhook_concurrency_per_app: int = Field(4, ge=1, le=100)
    webhook_retry_schedule: Annotated[tuple[float, ...], NoDecode] = (
        0,
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        50400,
        72000,
        86400,
    )

    dashboard_idle_timeout: int = Field(1800, ge=2, le=86_400)
    dashboard_absolute_timeout: int = Field(43_200, ge=2, le=30 * 86_400)

    log_level: LogLevel = "INFO"
    log_format: Literal["json", "text"] = "json"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        # `warning` is how most tools spell it; Python's logging names the levels in capitals.
        # Anything else is left as written, for the error to quote.
        if isinstance(value, str) and value.upper() in get_args(LogLevel):
            return value.upper()
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_networks(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            return tuple(ipaddress.ip_network(part, strict=False) for part in parts)
        return value

    @field_validator("smtp_url", mode="after")
    @classmethod
    def _check_smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_smtp_url(value.get_secret_value())  # refused at start, not at first send
        return value

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _parse_schedule(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(float(part) for part in value.split(",") if part.strip())
        if isinstance(value, tuple | list) and (
            not value or any(not 0 <= float(v) <= 7 * 86_400 for v in value)
        ):
            raise ValueError("webhook_retry_schedule: 1 or more delays of 0-604800 seconds")
        return value

    @field_validator(
        "rate_limit_token_per_ip",
        "rate_limit_token_per_key",
        "rate_limit_refresh_per_ip",
        "rate_limit_login_per_ip",
        "rate_limit_login_per_account",
        "rate_limit_email_per_address",
        mode="before",
    )
    @classmethod
    def _parse_rate(cls, value: object) -> object:
        return Rate.parse(value) if isinstance(value, str) else value

    @property
    def is_production(self) -> bool:
        """True when the server must refuse insecure defaults."""
        return self.env == "production"

    @property
    def signup_mode(self) -> Literal["open", "invite"]:
        """Who may create a merchant: anyone (`open`), or only the invited (production)."""
        if self.signup is not None:
            return self.signup
        return "invite" if self.is_production else "open"

    @property
    def key_activation_delay(self) -> float:
        """Seconds before a new signing key signs: by then every process verifies it."""
        return 2 * self.access_state_max_staleness

    @property
    def allow_private_callbacks(self) -> bool:
        """Callback URLs may point at private or loopback addresses: in development only.

        The sandbox is where outside merchants integrate; it must not reach our network.
        """
        return self.env == "development"

    def master_secret(self) -> bytes:
        """The master secret, from which the pepper and key-encryption key are derived."""
        if self.secret_key is None:
            raise SettingsError("JPAY_SECRET_KEY is not set")
        return self.secret_key.get_secret_value().encode()


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, resolve the dev secret, refuse unsafe ones."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None
    if settings.secret_key is None:
        if settings.is_production:
            raise SettingsError(
                "JPAY_SECRET_KEY must be set in production "
                f"(at least {MIN_SECRET_KEY_CHARS} random characters)"
            )
        secret = _dev_secret(settings.var_dir)
        settings = settings.model_copy(update={"secret_key": SecretStr(secret)})
    _check_secret(settings)
    return settings


# Values an error message must not echo: they may hold passwords or the master secret.
_HIDDEN_VALUES = frozenset({"secret_key", "redis_url", "database_url", "smtp_url"})
_BOUNDS = (("ge", "at least"), ("gt", "more than"), ("le", "at most"), ("lt", "less than"))


def describe_errors(error: ValidationError) -> str:
    """Each bad setting named as its variable, with its value, the problem and what is allowed."""
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else ""
        shown = "(value hidden)" if name in _HIDDEN_VALUES else repr(item.get("input"))
        message = str(item["msg"]).removeprefix("Value error, ")
        allowed = _allowed(name)
        suffix = f" (allowed: {allowed})" if allowed else ""
        problems.append(f"JPAY_{name.upper()}={shown}: {message}{suffix}")
    count = len(problems)
    return f"{count} invalid setting{'s' if count > 1 else ''}: " + "; ".join(problems)


def _allowed(name: str) -> str:
    """A numeric field's range as words, e.g. "at least 10 and at most 86400"."""
    field = Settings.model_fields.get(name)
    if field is None:
        return ""
    words = []
    for constraint in field.metadata:
        for attribute, text in _BOUNDS:
            value = getattr(constraint, attribute, None)
            if value is not None:
                words.append(f"{text} {value}")
    return " and ".join(words)


def _check_secret(settings: Settings) -> None:
    value = settings.master_secret().decode()
    if len(value) < MIN_SECRET_KEY_CHARS:
        raise SettingsError(f"JPAY_SECRET_KEY must be at least {MIN_SECRET_KEY_CHARS} characters")
    if settings.is_production and value.lower().startswith(("change", "dev", "default", "test")):
        raise SettingsError("JPAY_SECRET_KEY looks like a placeholder; refusing to start")


def _dev_secret(var_dir: Path) -> str:
    """Outside production, a random secret kept in var/secret.key (0600), made on first use."""
    path = var_dir / DEV_SECRET_FILE
    if not path.exists():
        var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = var_dir / f".{DEV_SECRET_FILE}.{os.getpid()}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        # link() fails if another process won the race; then its secret is the one.
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
        temp.unlink()
    return path.read_text().strip()
