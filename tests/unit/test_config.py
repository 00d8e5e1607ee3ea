"""Settings: defaults, parsing, and one clear line for every bad value."""

from __future__ import annotations

import pytest

from bot.config import (
    DEFAULT_CATALOG,
    ConfigError,
    Settings,
    listen_address,
    load_database_settings,
    load_settings,
)
from bot.telegram import api_server

TOKEN = "123456:TEST-token"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in Settings.model_fields:  # no stray variables from the developer's shell
        monkeypatch.delenv(name.upper(), raising=False)


def test_defaults(monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.admin_ids == frozenset()
    assert settings.database_url == "sqlite+aiosqlite:///data/bot.db"
    assert settings.catalog_path == DEFAULT_CATALOG
    assert (settings.log_level, settings.log_json, settings.telegram_test_env) == (
        "INFO",
        False,
        False,
    )
    assert api_server(settings).api_url(TOKEN, "getMe") == (
        f"https://api.telegram.org/bot{TOKEN}/getMe"
    )


def test_env_file_is_read(tmp_path):
    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nADMIN_IDS=1, 2\nLOG_LEVEL=debug\n")
    settings = load_settings()
    assert settings.admin_ids == {1, 2}
    assert settings.log_level == "DEBUG"


def test_empty_values_in_env_file_mean_the_defaults(tmp_path):
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN={TOKEN}\nCATALOG_PATH=\nTELEGRAM_API_BASE=\nPAYSUPPORT_TEXT=\nADMIN_IDS=\n"
    )
    settings = load_settings()
    assert settings.catalog_path == DEFAULT_CATALOG
    assert settings.telegram_api_base is None
    assert settings.paysupport_text is None  # the bot's own text, in each language
    assert settings.admin_ids == frozenset()


def test_token_is_never_shown():
    settings = load_settings(bot_token=TOKEN)
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())


def test_test_environment_and_custom_server_urls():
    test_env = load_settings(bot_token=TOKEN, telegram_test_env=True)
    assert api_server(test_env).api_url(TOKEN, "getMe").endswith(f"/bot{TOKEN}/test/getMe")
    local = load_settings(bot_token=TOKEN, telegram_api_base="http://127.0.0.1:8081/")
    assert api_server(local).api_url(TOKEN, "getMe") == f"http://127.0.0.1:8081/bot{TOKEN}/getMe"
    both = load_settings(
        bot_token=TOKEN, telegram_api_base="http://127.0.0.1:8081", telegram_test_env=True
    )
    assert api_server(both).api_url(TOKEN, "getMe") == (
        f"http://127.0.0.1:8081/bot{TOKEN}/test/getMe"
    )


def test_database_settings_need_no_token(monkeypatch):
    assert load_database_settings().database_url == "sqlite+aiosqlite:///data/bot.db"
    url = "postgresql+asyncpg://shop:secret@db.internal:5432/shop"
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_database_settings().database_url == url
    assert load_settings(bot_token=TOKEN).database_url == url


def test_missing_token_says_where_to_get_one():
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "@BotFather" in str(error.value) and ".env" in str(error.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BOT_TOKEN", "not-a-token"),
        ("ADMIN_IDS", "12,abc"),
        ("TELEGRAM_API_BASE", "not a url"),
        ("TELEGRAM_TEST_ENV", "maybe"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_JSON", "sometimes"),
        ("TERMS_TEXT", "x" * 4097),
        ("DATABASE_URL", "postgresql://shop:secret@db/shop"),
        ("DATABASE_URL", "sqlite:///data/bot.db"),
        ("DATABASE_URL", "not a url"),
        # Telegram counts UTF-16 code units: 2049 emoji are 4098 of them.
        ("TERMS_TEXT", "🌟" * 2049),
        ("PAYSUPPORT_TEXT", "🌟" * 1751),
        ("PAYLOAD_SECRET", "too-short"),
        # An old secret still accepts invoices: it must be as hard to guess as the new one.
        ("PAYLOAD_SECRETS_OLD", "old-one-0123456789,too-short"),
        ("TELEGRAM_API_BASE", "http://bot-api.example:8081"),
        ("INBOX_LEASE", "0.5"),
        ("INBOX_LEASE", "forever"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    message = str(error.value)
    assert message.startswith(f"invalid {variable}:")
    assert "\n" not in message
    assert TOKEN not in message
    assert variable != "DATABASE_URL" or "secret" not in message  # the URL's password


def test_texts_are_measured_as_telegram_counts_them():
    fits = load_settings(bot_token=TOKEN, terms_text="🌟" * 2048, paysupport_text="🌟" * 1750)
    assert fits.terms_text is not None and len(fits.terms_text) == 2048
    with pytest.raises(ConfigError, match="invalid TERMS_TEXT: is 4098 characters"):
        load_settings(bot_token=TOKEN, terms_text="🌟" * 2049)


@pytest.mark.parametrize(
    "base",
    [
        "https://bot-api.example",
        "http://127.0.0.1:8081",
        "http://127.8.0.1",
        "http://localhost:8081",
        "http://[::1]:8081",
    ],
)
def test_api_base_over_https_or_to_loopback_is_accepted(base):
    assert load_settings(bot_token=TOKEN, telegram_api_base=base).telegram_api_base is not None


def test_plain_http_to_another_host_needs_telegram_api_insecure():
    with pytest.raises(ConfigError, match="invalid TELEGRAM_API_BASE: plain http://"):
        load_settings(bot_token=TOKEN, telegram_api_base="http://10.0.0.5:8081")
    insecure = load_settings(
        bot_token=TOKEN, telegram_api_base="http://10.0.0.5:8081", telegram_api_insecure=True
    )
    assert str(insecure.telegram_api_base) == "http://10.0.0.5:8081/"


def test_payload_secrets_are_read_and_never_shown(monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("PAYLOAD_SECRET", "new-payload-secret-0123")
    monkeypatch.setenv("PAYLOAD_SECRETS_OLD", " old-one-0123456789 ,, old-two-0123456789 ")
    settings = load_settings()
    assert settings.payload_secret is not None
    assert settings.payload_secret.get_secret_value() == "new-payload-secret-0123"
    assert [s.get_secret_value() for s in settings.payload_secrets_old] == [
        "old-one-0123456789",
        "old-two-0123456789",
    ]
    shown = repr(settings) + str(settings.model_dump())
    assert "payload-secret" not in shown and "old-one" not in shown


# -- webhook mode ----------------------------------------------------------------------------

HOOK = "https://shop.example.com/telegram"
HOOK_SECRET = "webhook-secret-0123456789-abcdefghij"


def test_polling_is_the_default_and_webhook_mode_reads_its_settings(monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    polling = load_settings()
    assert (polling.webhook_mode, polling.webhook_listen, polling.webhook_max_connections) == (
        False,
        "0.0.0.0:8080",
        40,
    )
    for name, value in {
        "WEBHOOK_URL": "https://shop.example.com:8443/telegram/updates",
        "WEBHOOK_SECRET": HOOK_SECRET,
        "WEBHOOK_LISTEN": "[::1]:9000",
        "WEBHOOK_MAX_CONNECTIONS": "100",
    }.items():
        monkeypatch.setenv(name, value)
    webhook = load_settings()
    assert webhook.webhook_mode and webhook.webhook_max_connections == 100
    assert listen_address(webhook.webhook_listen) == ("::1", 9000)
    assert HOOK_SECRET in webhook.secrets  # redacted wherever the process logs
    assert HOOK_SECRET not in repr(webhook) + str(webhook.model_dump())


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("WEBHOOK_URL", "http://hooks.internal/telegram", "must be an https:// URL"),
        ("WEBHOOK_URL", "https:///telegram", "must be an https:// URL"),
        ("WEBHOOK_URL", "https://hooks.internal:8080/telegram", "port 443, 80, 88 or 8443"),
        ("WEBHOOK_URL", "https://hooks.internal:99999/telegram", "port 443, 80, 88 or 8443"),
        ("WEBHOOK_URL", "https://hooks.internal", "must have a path of its own"),
        ("WEBHOOK_URL", "https://hooks.internal/", "must have a path of its own"),
        ("WEBHOOK_URL", "https://hooks.internal/healthz", "must have a path of its own"),
        ("WEBHOOK_SECRET", "", "is required when WEBHOOK_URL is set"),
        ("WEBHOOK_SECRET", "x" * 31, "32-256 characters of A-Z, a-z, 0-9, _ and -"),
        ("WEBHOOK_SECRET", "x" * 257, "32-256 characters"),
        ("WEBHOOK_SECRET", "x" * 31 + "!", "32-256 characters"),
        ("WEBHOOK_LISTEN", "8080", "must be host:port"),
        ("WEBHOOK_LISTEN", "0.0.0.0:http", "must be host:port"),
        ("WEBHOOK_LISTEN", "0.0.0.0:70000", "must be host:port"),
        ("WEBHOOK_MAX_CONNECTIONS", "0", "greater than or equal to 1"),
        ("WEBHOOK_MAX_CONNECTIONS", "101", "less than or equal to 100"),
    ],
)
def test_a_bad_webhook_setting_names_itself_in_one_line(monkeypatch, variable, value, says):
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_URL", HOOK)
    monkeypatch.setenv("WEBHOOK_SECRET", HOOK_SECRET)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    message = str(error.value)
    assert message.startswith(f"invalid {variable}: ") and says in message
    assert "\n" not in message
    # Neither the secret nor the URL (its path may be meant to be hard to guess) is repeated.
    assert "hooks.internal" not in message and (len(value) < 30 or value not in message)
