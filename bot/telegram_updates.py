"""Updates between Telegram and the handlers: kept until answered, and handled a chat at a time.

``UpdateJournal`` is a small SQLite file of the updates fetched and whether each has been answered. It
decides the ``offset`` that confirms updates to Telegram: only updates answered (or given up on with a
reply) are confirmed, so a crash or a restart loses nothing. Telegram hands out at most 100 updates past
the offset; when that many wait behind one slow update, the offset moves on anyway and the journal alone
keeps the unanswered ones, which are handled at the next start.

``ChatQueues`` runs one worker per chat: the chats are handled concurrently, each chat's updates in order.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable
from pathlib import Path

FETCH_LIMIT = 100  # getUpdates returns at most this many updates from the offset on


class UpdateJournal:
    """The updates fetched from Telegram (their JSON) and whether each is answered; survives a crash."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("pragma journal_mode = wal")
        self.db.execute("pragma synchronous = normal")  # a power cut may lose the last answers' marks, not updates
        self.db.execute("create table if not exists updates (id integer primary key, body text not null, "
                        "answered integer not null default 0)")
        self.confirmed = 0  # the last offset Telegram accepted in this run: updates below it are forgotten there

    def close(self) -> None:
        self.db.close()

    def add(self, bodies: Iterable[dict]) -> list[dict]:
        """Record fetched updates; return those not seen before (a refetched update is not handled twice)."""
        new = []
        self.db.execute("begin")
        try:
            for body in bodies:
                cursor = self.db.execute("insert or ignore into updates (id, body) values (?, ?)",
                                         [int(body["update_id"]), json.dumps(body, ensure_ascii=False)])
                if cursor.rowcount:
                    new.append(body)
        finally:
            self.db.execute("commit")
        return new

    def answered(self, update_id: int) -> None:
        """Mark an update answered (or given up on with a reply): it is confirmed at the next fetch."""
        self.db.execute("update updates set answered = 1 where id = ?", [update_id])

    def unanswered(self) -> list[dict]:
        """The updates fetched in an earlier run and never answered, oldest first."""
        rows = self.db.execute("select body from updates where not answered order by id")
        return [json.loads(body) for body, in rows]

    def offset(self) -> int:
        """The offset for the next getUpdates: past every answered update, not past the oldest unanswered one.

        0 (Telegram's "from the oldest unconfirmed") when the journal is empty.
        """
        oldest, = self.db.execute("select min(id) from updates where not answered").fetchone()
        newest, = self.db.execute("select max(id) from updates").fetchone()
        if newest is None:
            return self.confirmed
        if oldest is None:
            return max(newest + 1, self.confirmed)
        waiting, = self.db.execute("select count(*) from updates where id >= ?", [oldest]).fetchone()
        if waiting >= FETCH_LIMIT:  # Telegram would return only updates already here: move on, the journal keeps them
            return max(newest + 1, self.confirmed)
        return max(oldest, self.confirmed)

    def forget_answered(self, keep: int = 1000) -> None:
        """Webhook mode (no offsets): forget answered updates but the newest ``keep``, kept to spot redeliveries."""
        self.db.execute("delete from updates where answered and id < (select max(id) from updates) - ?", [keep])

    def accepted(self, offset: int) -> None:
        """Telegram accepted ``offset``: answered updates below it can never come back, so forget them."""
        self.confirmed = max(self.confirmed, offset)
        self.db.execute("delete from updates where answered and id < ?", [self.confirmed])


class ChatQueues:
    """One worker per chat: chats handled concurrently, each chat's items in the order submitted."""

    def __init__(self, handle: Callable[[object], Awaitable[None]]) -> None:
        self._handle = handle
        self._queues: dict[Hashable, deque] = {}
        self._workers: dict[Hashable, asyncio.Task] = {}
        self._stopping = False

    def __len__(self) -> int:
        """How many items wait or are being handled."""
        return sum(len(queue) for queue in self._queues.values())

    def submit(self, chat: Hashable, item: object) -> None:
        """Queue ``item`` behind the chat's earlier items; start the chat's worker if it is idle."""
        self._queues.setdefault(chat, deque()).append(item)
        if chat not in self._workers and not self._stopping:
            self._workers[chat] = asyncio.create_task(self._work(chat), name=f"chat {chat}")

    async def _work(self, chat: Hashable) -> None:
        queue = self._queues[chat]
        try:
            while queue and not self._stopping:
                await self._handle(queue[0])
                queue.popleft()
        finally:
            del self._workers[chat]
            if not queue:
                del self._queues[chat]

    async def stop(self, grace: float) -> int:
        """Let each chat finish the item in hand (for up to ``grace`` seconds; then cut it short) and start
        no more. Returns how many items were left unhandled."""
        self._stopping = True
        workers = list(self._workers.values())
        if workers:
            _, late = await asyncio.wait(workers, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        return len(self)
