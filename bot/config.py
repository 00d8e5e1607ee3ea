"""Settings from the environment or `.env`, validated once at start."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.limits import utf16_len
from bot.locales import offered_languages

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOG = REPO_ROOT / "catalog.example.toml"

LogLevel = Literal["TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL"]
# Telegram's limit on a message's text, in UTF-16 code units; /paysupport adds a line to its text.
PAYSUPPORT_TEXT_LIMIT = 3500
TERMS_TEXT_LIMIT = 4096
# setMyDescription and setMyShortDescription's limits.
DESCRIPTION_LIMIT = 512
SHORT_DESCRIPTION_LIMIT = 120
# The texts a shop may give per language: NAME for every language, NAME_RU for Russian only.
TEXT_LIMITS = {
    "paysupport_text": PAYSUPPORT_TEXT_LIMIT,
    "terms_text": TERMS_TEXT_LIMIT,
    "bot_description": DESCRIPTION_LIMIT,
    "bot_short_description": SHORT_DESCRIPTION_LIMIT,
}
ShopText = Literal["paysupport_text", "terms_text", "bot_description", "bot_short_description"]
PAYLOAD_SECRET_MIN_LENGTH = 16


# The async drivers the bot is built and tested with.
DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class DatabaseSettings(BaseSettings):
    """What commands that only touch the database (`python -m bot migrate`) read."""

    # An empty value (`CATALOG_PATH=` in .env) means the default, as .env.example shows.
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    database_url: str = "sqlite+aiosqlite:///data/bot.db"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # The message never repeats the URL: it may hold a password.
        try:
            driver = make_url(value).drivername
        except ArgumentError:
            driver = None
        if driver not in DATABASE_DRIVERS:
            raise ValueError(
                "must start with sqlite+aiosqlite:/// (a file) or postgresql+asyncpg:// "
                "(e.g. postgresql+asyncpg://user:password@host/db)"
            )
        return value


class OfflineSettings(DatabaseSettings):
    """What the commands that read the shop's data without Telegram read (export, stats)."""

    catalog_path: Path = DEFAULT_CATALOG
    # The language of a user who chose none that the bot offers (bot/locales/), and the
    # catalog's texts written as one string.
    default_language: str = "en"

    @field_validator("default_language")
    @classmethod
    def _offered(cls, value: str) -> str:
        offered = offered_languages()
        if value not in offered:
            raise ValueError(f"must be one of the languages the bot speaks: {', '.join(offered)}")
        return value


class PayloadSecrets(BaseSettings):
    """The keys that sign invoice payloads: `check` reads them even without a token."""

    model_config = DatabaseSettings.model_config

    # Signs invoice payloads; unset, a key derived from the token does (docs/security.md).
    payload_secret: SecretStr | None = None
    # Earlier payload secrets: invoices they signed are still accepted, never signed any more.
    payload_secrets_old: Annotated[tuple[SecretStr, ...], NoDecode] = ()

    @field_validator("payload_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            _check_secret_length(value.get_secret_value(), "must be")
        return value

    @field_validator("payload_secrets_old", mode="before")
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        return tuple(part.strip() for part in value.split(",") if part.strip())

    @field_validator("payload_secrets_old")
    @classmethod
    def _old_ones_long_enough(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        # An old secret still makes invoices valid: it must be as hard to guess as a new one.
        for number, secret in enumerate(value, start=1):
            _check_secret_length(secret.get_secret_value(), f"secret {number} must be")
        return value


# Webhook mode: Telegram's rules for setWebhook's url and secret_token (ours: 32 at least).
WEBHOOK_PORTS = (443, 80, 88, 8443)
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{32,256}")
HEALTH_PATH = "/healthz"


class WebhookSettings(BaseSettings):
    """Webhook mode: set WEBHOOK_URL and Telegram posts updates to this process; unset, the
    process long-polls (the default)."""

    model_config = DatabaseSettings.model_config

    webhook_url: str | None = None
    # Declared after webhook_url, whose value its check reads; checked even when unset.
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    webhook_listen: str = "0.0.0.0:8080"
    webhook_max_connections: int = Field(default=40, ge=1, le=100)

    @field_validator("webhook_url")
    @classmethod
    def _telegram_accepts(cls, value: str | None) -> str | None:
        # The message never repeats the URL: its path may be meant to be hard to guess.
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("must be an https:// URL, e.g. https://shop.example.com/telegram")
        try:
            port = parts.port or 443
        except ValueError:
            port = 0
        if port not in WEBHOOK_PORTS:
            raise ValueError("must use port 443, 80, 88 or 8443 (the ports Telegram posts to)")
        if parts.path in ("", "/", HEALTH_PATH) or parts.fragment:
            raise ValueError(
                "must have a path of its own (not / or /healthz) that the bot serves updates "
                "on, e.g. https://shop.example.com/telegram"
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            if info.data.get("webhook_url") is not None:
                raise ValueError(f"is required when WEBHOOK_URL is set; {MAKE_SECRET}")
            return None
        if not WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(f"must be 32-256 characters of A-Z, a-z, 0-9, _ and -; {MAKE_SECRET}")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        listen_address(value)
        return value

    @property
    def webhook_mode(self) -> bool:
        return self.webhook_url is not None


def listen_address(value: str) -> tuple[str, int]:
    """WEBHOOK_LISTEN's host and port: 0.0.0.0:8080, 127.0.0.1:8080, [::]:8080."""
    host, _, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError("must be host:port, e.g. 0.0.0.0:8080 or 127.0.0.1:8080")
    return host, int(port)


class Settings(WebhookSettings, PayloadSecrets, OfflineSettings):
    """Everything the bot reads from its environment; see docs/configuration.md."""

    bot_token: SecretStr
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # Declared before telegram_api_base, whose check reads it.
    telegram_api_insecure: bool = False
    telegram_api_base: AnyHttpUrl | None = None
    telegram_test_env: bool = False
    log_level: LogLevel = "INFO"
    log_json: bool = False
    # Unset: the bot's own text in each language (the descriptions: what @BotFather holds).
    paysupport_text: str | None = Field(default=None, min_length=1)
    paysupport_text_ru: str | None = Field(default=None, min_length=1)
    terms_text: str | None = Field(default=None, min_length=1)
    terms_text_ru: str | None = Field(default=None, min_length=1)
    bot_description: str | None = Field(default=None, min_length=1)
    bot_description_ru: str | None = Field(default=None, min_length=1)
    bot_short_description: str | None = Field(default=None, min_length=1)
    bot_short_description_ru: str | None = Field(default=None, min_length=1)
    outbox_rate: float = Field(default=25.0, gt=0, le=30)
    reconcile_interval: float = Field(default=600.0, ge=0)
    reconcile_settle: float = Field(default=60.0, ge=0)
    # An accepted pre-checkout of a limited product holds a unit this long for its payment.
    reservation_seconds: float = Field(default=120.0, gt=0, le=3600)
    # Admins are told when a limited product's stock falls to this many (and to none).
    low_stock: int = Field(default=10, ge=0)
    # Updates handled at once (one chat's in order); the rest wait in the inbox table.
    concurrent_updates: int = Field(default=200, ge=1, le=10_000)
    # PostgreSQL, several processes: how long a process's claim on updates lasts unrenewed, so
    # how long the updates of a hung process wait before another takes them (a killed
    # process's claims go with its connection).
    inbox_lease: float = Field(default=30.0, ge=1, le=600)
    # A buyer's support request reaches the admins at most once in this many seconds.
    support_cooldown: float = Field(default=600.0, ge=0)
    # More than flood_limit updates from one user within flood_window seconds: one answer, then
    # their updates are dropped for flood_pause seconds (payments never). 0: no limit.
    flood_limit: int = Field(default=5, ge=0)
    flood_window: float = Field(default=1.0, gt=0)
    flood_pause: float = Field(default=10.0, ge=0)
    # Days that sent messages and pre-checkout records are kept (other handled updates that are
    # not payments: 2 days at most); 0: forever. Payments, refunds and grants are always kept.
    retention_days: int = Field(default=90, ge=0)
    # Seconds a member whose key expired stays in the private chats it unlocked, so that a
    # renewal a little late does not throw them out; a refund or a revocation removes at once.
    access_grace: float = Field(default=3600.0, ge=0)
    # Handlers' share of the 10 s a stop may take; the rest confirms updates and drains the outbox.
    shutdown_grace: float = Field(default=8.0, gt=0, le=8.0)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        bot_id, _, secret = value.get_secret_value().partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("must look like 123456789:AA... (the token @BotFather gave you)")
        return value

    @field_validator("telegram_api_base")
    @classmethod
    def _not_in_clear(cls, value: AnyHttpUrl | None, info: ValidationInfo) -> AnyHttpUrl | None:
        # Every request URL holds the token: over plain http it is readable on the way.
        if value is None or value.scheme != "http" or _is_loopback(value.host or ""):
            return value
        if info.data.get("telegram_api_insecure"):
            return value
        raise ValueError(
            "plain http:// to a host other than loopback sends the bot token in clear; use "
            "https://, or set TELEGRAM_API_INSECURE=true if the network to it is private"
        )

    @field_validator(*(f"{name}{suffix}" for name in TEXT_LIMITS for suffix in ("", "_ru")))
    @classmethod
    def _fits(cls, value: str | None, info: ValidationInfo) -> str | None:
        limit = TEXT_LIMITS[(info.field_name or "").removesuffix("_ru")]
        if value is not None and utf16_len(value) > limit:
            raise ValueError(
                f"is {utf16_len(value)} characters as Telegram counts them (UTF-16 code units; "
                f"an emoji counts 2); at most {limit}"
            )
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        parts = [part for part in value.replace(" ", "").split(",") if part]
        if not all(part.isdigit() for part in parts):
            raise ValueError("must be comma-separated numeric Telegram user ids, e.g. 111,222")
        return frozenset(int(part) for part in parts)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    def text_in(self, name: ShopText, language: str) -> str | None:
        """The shop's `name` text in `language`: NAME_<LANGUAGE>, else NAME; None: neither."""
        own: str | None = getattr(self, f"{name}_{language}", None)
        general: str | None = getattr(self, name)
        return own or general

    @property
    def secrets(self) -> list[str]:
        """Every secret the process holds, to keep out of logs and errors. The token's part after
        the bot id is listed on its own: it is the secret, and URL-encoding leaves it as is."""
        token = self.bot_token.get_secret_value()
        others = [self.payload_secret, *self.payload_secrets_old, self.webhook_secret]
        return [token, token.partition(":")[2], *(s.get_secret_value() for s in others if s)]


MAKE_SECRET = "make one with python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def _check_secret_length(secret: str, what: str) -> None:
    if len(secret) < PAYLOAD_SECRET_MIN_LENGTH:
        raise ValueError(f"{what} at least {PAYLOAD_SECRET_MIN_LENGTH} characters; {MAKE_SECRET}")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ConfigError(Exception):
    """Bad configuration: the message is the one line the operator sees."""


NO_TOKEN_HINT = (
    "BOT_TOKEN is not set: get a token from @BotFather in Telegram and put "
    "BOT_TOKEN=<token> in .env (see .env.example)"
)


def load_settings(**overrides: object) -> Settings:
    """Build the bot's settings, turning a validation error into one line naming the variable."""
    return _load(Settings, overrides)


def load_database_settings(**overrides: object) -> DatabaseSettings:
    """Build only the database settings: no BOT_TOKEN needed."""
    return _load(DatabaseSettings, overrides)


def load_payload_secrets(**overrides: object) -> PayloadSecrets:
    """Build only PAYLOAD_SECRET and PAYLOAD_SECRETS_OLD: no BOT_TOKEN needed."""
    return _load(PayloadSecrets, overrides)


def load_offline_settings(**overrides: object) -> OfflineSettings:
    """Build the database and catalog settings: no BOT_TOKEN needed."""
    return _load(OfflineSettings, overrides)


AnySettings = TypeVar("AnySettings", bound=BaseSettings)


def _load(cls: type[AnySettings], overrides: dict[str, object]) -> AnySettings:
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        variable = str(error["loc"][0]).upper() if error["loc"] else "settings"
        if variable == "BOT_TOKEN" and (error["type"] == "missing" or not error.get("input")):
            raise ConfigError(NO_TOKEN_HINT) from None
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"invalid {variable}: {message}") from None
