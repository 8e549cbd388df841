"""The web chat's answering side: one ``Answerer`` in one thread, the conversations of the browsers, and a cache
of answers that depend on nothing but the question.

Every call into the ``Answerer`` (and into the ``Suggester``, which reads the same knowledge base) runs in the
``AnsweringThread``, as on Telegram: the event loop stays free to take requests while a question is answered. Conversations are kept here, by (member, conversation id), for the most
recent ``MAX_CONVERSATIONS``; a conversation that was forgotten simply starts afresh.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

from bot.answer import Answer, Answerer, Conversation
from bot.answering import AnsweringThread
from bot.render import as_json, as_page
from bot.suggest import Suggester

MAX_CONVERSATIONS = 10_000
MAX_CACHED = 4_096  # answers to questions asked without a conversation, as ``ask --json`` lines


class ChatService:
    """Answers for the web: as ``ask --json`` lines for the API and as page parts with chips for the chat."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self._answering = AnsweringThread(self.db_path)
        self.answerer: Answerer = self._answering.answerer
        self.suggester = Suggester(self.answerer)
        self._conversations: OrderedDict[tuple[str, str], Conversation] = OrderedDict()
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._cache_version = self._version()

    async def ask_json(self, text: str, member: str = "", conversation: str | None = None) -> str:
        """The ``ask --json`` line for ``text``; with a ``conversation`` id, asked in that conversation of
        ``member`` (follow-ups carry). Without one the answer depends only on the text and is cached until the
        knowledge base changes."""
        if conversation is not None:
            kept = self._conversation(member, conversation)
            return await self._run(lambda: as_json(self.answerer.answer(text, kept)))
        version = self._version()
        if version != self._cache_version:
            self._cache.clear()
            self._cache_version = version
        if (line := self._cache.get(text)) is not None:
            self._cache.move_to_end(text)
            return line
        line = await self._run(lambda: as_json(self.answerer.answer(text)))
        if self._cache_version == version:
            self._cache[text] = line
            while len(self._cache) > MAX_CACHED:
                self._cache.popitem(last=False)
        return line

    async def chat(self, member: str, conversation: str, text: str, township: int | None = None) -> dict:
        """The page parts (with chips) answering ``text`` in ``member``'s ``conversation``; with ``township``,
        the answer to a "which township?" question once the member chose one."""
        kept = self._conversation(member, conversation)

        def answer() -> dict:
            if township is None:
                reply = self.answerer.answer(text, kept)
            else:
                reply = self.answerer.answer_choice(township, text, kept)
            return self._page(reply, self.suggester.after(reply, kept))

        return await self._run(answer)

    async def towns(self) -> dict:
        """The township list, with a card chip for the first townships."""
        return await self._run(lambda: self._page(reply := self.answerer.townships(), self.suggester.for_towns(reply)))

    async def town(self, name: str) -> dict:
        """A township's card (its key figures), or the question back or refusal when ``name`` is not one."""
        return await self._run(lambda: self._page(reply := self.answerer.town_card(name), self.suggester.for_card(reply)))

    async def help(self) -> dict:
        """What the bot answers, with the examples as chips."""
        return await self._run(lambda: self._page(self.answerer.help(), self.suggester.examples()))

    async def reload(self) -> None:
        """Read the knowledge base afresh (after an upload); cached answers and chips are dropped."""
        def reload() -> None:
            self.answerer.reload()
            self.suggester.forget()

        await self._run(reload)
        self._cache.clear()
        self._cache_version = self._version()

    def forget(self, member: str, conversation: str) -> None:
        """End ``member``'s ``conversation`` (the page's "new conversation")."""
        self._conversations.pop((member, conversation), None)

    def close(self) -> None:
        """Finish the question in hand and stop the answering thread."""
        self._answering.close()

    def _conversation(self, member: str, conversation: str) -> Conversation:
        key = (member, conversation)
        kept = self._conversations.get(key)
        if kept is None:
            kept = self._conversations[key] = Conversation()
            while len(self._conversations) > MAX_CONVERSATIONS:
                self._conversations.popitem(last=False)
        else:
            self._conversations.move_to_end(key)
        return kept

    async def _run(self, function):
        return await self._answering.run(function)

    def _version(self) -> tuple:
        """What changes when the knowledge base is written (its file and its write-ahead log)."""
        version = []
        for path in (self.db_path, self.db_path.with_name(self.db_path.name + "-wal")):
            try:
                stat = os.stat(path)
                version.append((stat.st_mtime_ns, stat.st_size))
            except FileNotFoundError:
                version.append(None)
        return tuple(version)

    @staticmethod
    def _page(reply: Answer, chips: list[dict]) -> dict:
        return {**as_page(reply), "suggestions": chips}
