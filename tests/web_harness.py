"""What the web tests share: ``township-bot web``'s app running in a thread on a free loopback port, a staff
file with a member and an admin, and HTTP clients signed in as either (real HTTP, nothing mocked)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.web import run
from bot.web_settings import WebSettings
from bot.web_users import StaffFile

STAFF, ADMIN = "张三", "李主任"
ROOT = "/bot"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningWeb:
    """The web app served by ``bot.web.run`` in a thread of its own, as ``township-bot web`` serves it."""

    def __init__(self, settings: WebSettings, db: Path, codes: dict[str, str]) -> None:
        self.settings, self.db, self.codes = settings, db, codes
        self.base = f"http://127.0.0.1:{settings.port}{settings.root_path}/"
        self._started = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self.loop, self.stop, started = asyncio.get_running_loop(), asyncio.Event(), asyncio.Event()
        server = asyncio.ensure_future(run(self.settings, self.db, started=started, stop=self.stop))
        await asyncio.wait({server, asyncio.ensure_future(started.wait())}, return_when=asyncio.FIRST_COMPLETED)
        self._started.set()
        await server

    def __enter__(self) -> RunningWeb:
        self.thread.start()
        assert self._started.wait(30), "the web app did not start"
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(15)
        assert not self.thread.is_alive(), "the web app did not stop"

    @contextlib.contextmanager
    def client(self, name: str | None = None, **kwargs) -> Iterator[httpx.Client]:
        """An HTTP client of the app; signed in as ``name`` (with their code) when given."""
        with httpx.Client(base_url=self.base, timeout=30, **kwargs) as client:
            if name is not None:
                reply = client.post("api/signin", json={"name": name, "code": self.codes[name]})
                assert reply.status_code == 200, reply.text
            yield client


def staff_file(folder: Path) -> tuple[Path, dict[str, str]]:
    """A staff file with a member (STAFF) and an admin (ADMIN), and their access codes."""
    staff = StaffFile(folder / "web-users.json")
    return staff.path, {STAFF: staff.add(STAFF), ADMIN: staff.add(ADMIN, admin=True)}


def web_settings(folder: Path, users: Path, **changes) -> WebSettings:
    return WebSettings(**{"users": users, "audit_log": folder / "uploads.log", "port": free_port(),
                          "root_path": ROOT, **changes})


@pytest.fixture(scope="module")
def shared_web(tmp_path_factory, twins_db):
    """One app over a copy of the seeds-and-twins knowledge base, for the tests that only ask; with two
    answering processes, so that conversations are routed between them."""
    folder = tmp_path_factory.mktemp("web")
    db = folder / "kb.db"
    shutil.copy(twins_db, db)
    users, codes = staff_file(folder)
    with RunningWeb(web_settings(folder, users, answering_processes=2), db, codes) as running:
        yield running


@pytest.fixture
def own_web(tmp_path, twins_db):
    """A factory of apps of one test's own (uploads, limits, a damaged knowledge base): ``own_web(**settings)``."""
    db = tmp_path / "kb.db"
    shutil.copy(twins_db, db)
    users, codes = staff_file(tmp_path)
    running: list[RunningWeb] = []

    def start(**changes) -> RunningWeb:
        web = RunningWeb(web_settings(tmp_path, users, **changes), db, codes).__enter__()
        running.append(web)
        return web

    yield start
    for web in running:
        web.__exit__(None, None, None)
