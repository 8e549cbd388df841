"""The web chat's settings: where it listens (from the command line) and whom it serves (from the environment,
or a ``.env`` file in the working directory, as for the Telegram bot).

Fails closed: with nobody in the staff file and ``TOWNSHIP_BOT_WEB_ALLOW_ALL`` unset, ``township-bot web``
refuses to start, saying how to add staff.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

NO_STAFF = """No staff can sign in: the staff file {path} lists nobody, so the web chat does not start.

Add each member of staff (it prints their access code, to hand over once):

    township-bot web-user add 张三
    township-bot web-user add 李四 --admin      # admins may also upload reports from the page

Or, on a trusted intranet only, serve everyone without signing in: TOWNSHIP_BOT_WEB_ALLOW_ALL=1.
"""


class WebSettingsError(ValueError):
    """A web setting is missing or wrong; the message says how to fix it."""


@dataclass(frozen=True)
class WebSettings:
    """What ``township-bot web`` needs besides the knowledge base."""

    users: Path  # the staff file
    secret: str = ""  # signs session cookies; empty: kept in ``secret_file``
    allow_all: bool = False  # anyone may ask without signing in (admins still sign in to upload)
    audit_log: Path | None = None  # uploads from the page are recorded here; default: beside the staff file
    host: str = "127.0.0.1"
    port: int = 8080
    root_path: str = ""  # the sub-path a reverse proxy serves the chat under, e.g. /bot
    answering_processes: int = 1  # processes that answer questions (one core each)

    @property
    def secret_file(self) -> Path:
        """Where the generated session secret is kept: ``web-secret`` beside the staff file."""
        return self.users.with_name("web-secret")

    @property
    def upload_log(self) -> Path:
        """The audit log of uploads: ``audit_log``, else ``uploads.log`` beside the staff file."""
        return self.audit_log or self.users.with_name("uploads.log")


def default_users_path(environ: Mapping[str, str]) -> Path:
    """``$TOWNSHIP_BOT_WEB_USERS``, else ``web-users.json`` in ``$XDG_CONFIG_HOME/township-bot`` (~/.config)."""
    if environ.get("TOWNSHIP_BOT_WEB_USERS"):
        return Path(environ["TOWNSHIP_BOT_WEB_USERS"])
    config = Path(environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "township-bot" / "web-users.json"


def load_web_settings(host: str = "127.0.0.1", port: int = 8080, root_path: str = "", processes: int | None = None,
                      environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> WebSettings:
    """Settings from the command line's ``host``, ``port``, ``root_path`` and ``processes`` (answering processes;
    default ``$TOWNSHIP_BOT_WEB_PROCESSES``, else one per core but one) and from ``environ`` (default: the process
    environment, after loading ``env_file`` if it exists). Raises ``WebSettingsError``."""
    if environ is None:
        if env_file is not None and env_file.is_file():
            from dotenv import load_dotenv

            load_dotenv(env_file, override=False)
        environ = os.environ
    root_path = "/" + root_path.strip("/") if root_path.strip("/") else ""
    if any(char in root_path for char in "?#%\\ ") or "//" in root_path:
        raise WebSettingsError(f"--root-path must be a plain path such as /bot: {root_path!r}")
    if not 0 < port < 65536:
        raise WebSettingsError(f"--port must be between 1 and 65535: {port}")
    if processes is None:
        given = environ.get("TOWNSHIP_BOT_WEB_PROCESSES", "").strip()
        if given and not given.isdigit():
            raise WebSettingsError(f"TOWNSHIP_BOT_WEB_PROCESSES must be a number of processes: {given!r}")
        # one core stays with the server process itself (HTTP, sign-in, uploads): measured on 2 cores, a second
        # answering process there raised the p99 (three busy processes on two cores) more than it added answers
        processes = int(given) if given else max(1, (os.cpu_count() or 1) - 1)
    if not 1 <= processes <= 64:
        raise WebSettingsError(f"--processes must be between 1 and 64: {processes}")
    allow_all = environ.get("TOWNSHIP_BOT_WEB_ALLOW_ALL", "").strip().lower() in ("1", "true", "yes")
    audit = environ.get("TOWNSHIP_BOT_AUDIT_LOG") or environ.get("TELEGRAM_AUDIT_LOG") or ""
    secret = environ.get("TOWNSHIP_BOT_WEB_SECRET", "").strip()
    return WebSettings(users=default_users_path(environ), secret=secret, allow_all=allow_all,
                       audit_log=Path(audit) if audit else None, host=host, port=port, root_path=root_path,
                       answering_processes=processes)
