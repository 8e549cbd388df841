"""One ``Answerer`` and the one thread that every call into it runs in, for the Telegram bot.

The ``Answerer`` (and the SQLite connection under it) is not thread-safe, and a question may take a while at
national scale: so the Telegram bot hands each call to this thread, one at a time, and the event loop stays free
to send answers meanwhile. (Telegram's own rate limit, ~30 messages/s, is far below what one thread answers; the
web chat, which has no such limit, answers in processes of their own: ``bot.answering_processes``.)
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.answer import Answerer


class AnsweringThread:
    """``answerer``, opened on the knowledge base at ``db_path`` in the thread that will answer with it."""

    def __init__(self, db_path: Path | str) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="answering")
        self.answerer: Answerer = self._thread.submit(Answerer, Path(db_path)).result()

    async def run(self, function, *args):
        """``function(*args)`` run in the answering thread, after the calls handed over before it."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    def close(self, wait: bool = True) -> None:
        """Stop the thread; ``wait``: finish the call in hand first (calls not yet started are dropped)."""
        self._thread.shutdown(wait=wait, cancel_futures=True)
