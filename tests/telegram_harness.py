"""What the Telegram tests share: the fake Bot API, a private knowledge base, the bot running in a thread
(or as a ``township-bot serve`` process), and helpers to ask and upload as a user would."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.telegram_serving import Server
from fake_telegram import FakeTelegram, message

STAFF, ADMIN, STRANGER = 1001, 1002, 6666
GROUP = -100500


class RunningBot:
    """The bot's ``Server`` running in a thread of its own, as ``township-bot serve`` runs it."""

    def __init__(self, settings: Settings, kb: Path) -> None:
        self.settings, self.kb = settings, kb
        self.started = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self.server = Server(self.settings, self.kb)
        self.application = self.server.application
        self.loop = asyncio.get_running_loop()
        self.started.set()
        self.status = await self.server.run()

    def __enter__(self) -> RunningBot:
        self.thread.start()
        assert self.started.wait(15), "the bot did not start"
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.thread.join(15)


@pytest.fixture
def fake():
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def kb(tmp_path, twins_db) -> Path:
    """A private copy of the seeds-and-twins knowledge base: uploads may change it."""
    path = tmp_path / "kb.db"
    shutil.copy(twins_db, path)
    return path


@pytest.fixture
def bot(fake, kb, tmp_path):
    with RunningBot(bot_settings(fake, kb, tmp_path), kb) as running:
        yield running


def bot_settings(fake, kb, tmp_path, **changes) -> Settings:
    """The test bot's settings: short polls, timeouts and retries, so that faults show quickly."""
    return Settings(**{"token": fake.token, "db_path": kb, "api_url": fake.api_url, "allowed_users": frozenset({STAFF}),
                       "allowed_chats": frozenset({GROUP}), "admin_users": frozenset({ADMIN}),
                       "audit_log": tmp_path / "uploads.log", "journal": tmp_path / "journal.sqlite",
                       "poll_timeout": 1, "request_timeout": 1.0, "retry_seconds": 5.0, **changes})


def ask(fake, text, user_id=STAFF, chat_id=None, count=1, timeout: float = 10.0):
    """Send ``text`` and return the bot's new replies to that chat (at least ``count``)."""
    chat = chat_id or user_id
    before = len(fake.sent(chat_id=chat))
    fake.push(message(text, user_id, chat))
    return fake.wait_sent(before + count, chat_id=chat, timeout=timeout)[before:]


def ask_document(fake, name, data, user_id):
    document = fake.add_file(name, data)
    before = len(fake.sent(chat_id=user_id))
    fake.push(message("", user_id, document=document))
    return fake.wait_sent(before + 1, chat_id=user_id, timeout=30)[before:]


@contextlib.contextmanager
def serving(fake, kb, cwd, **settings):
    """``township-bot serve`` as a process against ``fake``; yields it, killed at the end if still running."""
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.api_url,
           "TELEGRAM_ALLOWED_USERS": str(STAFF), "TOWNSHIP_BOT_DB": str(kb), "PYTHONUTF8": "1",
           "TELEGRAM_POLL_TIMEOUT": "1", "TELEGRAM_REQUEST_TIMEOUT": "1", "TELEGRAM_RETRY_SECONDS": "5", **settings}
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(port: int, update: object, secret: str) -> int:
    """POST ``update`` (bytes as they are, anything else as JSON) to the bot's webhook; the HTTP status."""
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/telegram", data=body,
                                     headers={"Content-Type": "application/json",
                                              "X-Telegram-Bot-Api-Secret-Token": secret})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 20
    while True:
        try:
            with opener.open(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except urllib.error.URLError:  # the webhook server may start listening just after setWebhook
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


