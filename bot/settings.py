"""The Telegram bot's settings, read from the environment (and an optional ``.env`` file).

Every setting is an environment variable; the README lists them. A setting that is wrong stops the
bot before it starts, with a ``SettingsError`` that says what to do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

TELEGRAM_API = "https://api.telegram.org/bot"

NO_TOKEN = """No bot token: set TELEGRAM_BOT_TOKEN (in the environment or in a .env file).

To get one: open Telegram, talk to @BotFather, send /newbot, choose a name and a username ending in
"bot"; BotFather replies with a token like 123456789:AAE...; then:

    export TELEGRAM_BOT_TOKEN=123456789:AAE...
"""

NO_ALLOWLIST = """No staff allowlist: the reports are for township staff, so the bot does not serve everyone.

Set TELEGRAM_ALLOWED_USERS to the staff's Telegram user ids, comma-separated (a user learns their id by
writing to the bot: it replies with it), and TELEGRAM_ADMIN_USERS to those who may upload reports.
Group chats may be allowed too, by their (negative) chat ids. To serve everyone, set TELEGRAM_ALLOW_ALL=1.
"""


class SettingsError(ValueError):
    """A setting is missing or wrong; the message says how to fix it."""


@dataclass(frozen=True)
class Settings:
    """What ``township-bot serve`` needs to run."""

    token: str
    db_path: Path | None  # None: the knowledge base built from the bundled seeds
    api_url: str = TELEGRAM_API  # Bot API base URL; the token is appended to it
    file_url: str = ""  # where files are downloaded from; derived from api_url when empty
    allowed_users: frozenset[int] = field(default_factory=frozenset)
    allowed_chats: frozenset[int] = field(default_factory=frozenset)  # group chats whose members may ask
    admin_users: frozenset[int] = field(default_factory=frozenset)  # may upload reports and /reload
    allow_all: bool = False
    webhook_url: str = ""  # set: webhook mode, Telegram posts updates to this public URL
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    audit_log: Path | None = None  # uploads are recorded here (JSON lines)
    journal: Path | None = None  # the updates fetched and not yet answered; default: beside the knowledge base
    poll_timeout: int = 25  # seconds a getUpdates long poll waits for news
    request_timeout: float = 15.0  # seconds to wait for Telegram's answer to a send (after that: maybe delivered)
    retry_seconds: float = 60.0  # how long a send that surely did not arrive is retried before the user is told

    @property
    def download_url(self) -> str:
        """The base URL for file downloads: ``file_url``, else the API host's ``/file/bot``."""
        if self.file_url:
            return self.file_url
        if self.api_url.rstrip("/").endswith("/bot"):
            return self.api_url.rstrip("/")[: -len("/bot")] + "/file/bot"
        parts = urlsplit(self.api_url)
        return f"{parts.scheme}://{parts.netloc}/file/bot"

    @property
    def loopback_api(self) -> bool:
        """True when the Bot API server runs on this machine (a self-hosted server, or tests)."""
        return urlsplit(self.api_url).hostname in ("127.0.0.1", "localhost", "::1")

    def journal_path(self, db_path: Path) -> Path:
        """Where the updates journal lives: ``journal``, else ``telegram-updates.sqlite`` beside ``db_path``."""
        return self.journal or Path(db_path).with_name("telegram-updates.sqlite")

    def may_ask(self, user_id: int | None, chat_id: int | None) -> bool:
        """True when this user (in this chat) is staff: allowlisted, an admin, in an allowed group, or all are."""
        return (self.allow_all or user_id in self.allowed_users or user_id in self.admin_users
                or chat_id in self.allowed_chats)

    def is_admin(self, user_id: int | None) -> bool:
        return user_id in self.admin_users


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """Settings from ``environ`` (default: the process environment), after loading ``env_file`` if it exists.

    Variables already set win over the file. Raises ``SettingsError`` with what to do.
    """
    if environ is None:
        if env_file is not None and env_file.is_file():
            from dotenv import load_dotenv

            load_dotenv(env_file, override=False)
        environ = os.environ
    token = environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        raise SettingsError(NO_TOKEN)
    users = _ids(environ, "TELEGRAM_ALLOWED_USERS")
    settings = Settings(
        token=token,
        db_path=Path(environ["TOWNSHIP_BOT_DB"]) if environ.get("TOWNSHIP_BOT_DB") else None,
        api_url=environ.get("TELEGRAM_API_URL", "").strip() or TELEGRAM_API,
        file_url=environ.get("TELEGRAM_FILE_URL", "").strip(),
        allowed_users=frozenset(i for i in users if i > 0),
        allowed_chats=frozenset(i for i in users if i < 0) | frozenset(_ids(environ, "TELEGRAM_ALLOWED_CHATS")),
        admin_users=frozenset(_ids(environ, "TELEGRAM_ADMIN_USERS")),
        allow_all=environ.get("TELEGRAM_ALLOW_ALL", "").strip().lower() in ("1", "true", "yes"),
        webhook_url=environ.get("TELEGRAM_WEBHOOK_URL", "").strip(),
        webhook_secret=environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip(),
        webhook_listen=environ.get("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1").strip(),
        webhook_port=_port(environ.get("TELEGRAM_WEBHOOK_PORT", "8443")),
        audit_log=Path(environ["TELEGRAM_AUDIT_LOG"]) if environ.get("TELEGRAM_AUDIT_LOG") else None,
        journal=Path(environ["TELEGRAM_JOURNAL"]) if environ.get("TELEGRAM_JOURNAL") else None,
        poll_timeout=int(_seconds(environ, "TELEGRAM_POLL_TIMEOUT", 25)),
        request_timeout=_seconds(environ, "TELEGRAM_REQUEST_TIMEOUT", 15.0),
        retry_seconds=_seconds(environ, "TELEGRAM_RETRY_SECONDS", 60.0),
    )
    if not (settings.allow_all or settings.allowed_users or settings.allowed_chats or settings.admin_users):
        raise SettingsError(NO_ALLOWLIST)
    if settings.webhook_url and len(settings.webhook_secret) < 16:
        raise SettingsError("Webhook mode needs TELEGRAM_WEBHOOK_SECRET: 16 to 256 characters of A-Z, a-z, 0-9, _ "
                            "and -, which Telegram sends with every update so that others cannot post to the bot.")
    return settings


def _ids(environ: Mapping[str, str], name: str) -> list[int]:
    """The comma-separated ids in variable ``name``."""
    ids = []
    for part in environ.get(name, "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.append(int(part))
        except ValueError:
            raise SettingsError(f"{name}: {part!r} is not a Telegram id (a whole number, e.g. 123456789)") from None
    return ids


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    """A duration in seconds from variable ``name`` (``default`` when unset)."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise SettingsError(f"{name}: {text!r} is not a number of seconds (0 to 3600)")
    return value


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise SettingsError(f"TELEGRAM_WEBHOOK_PORT: {text!r} is not a port number")
    return port
