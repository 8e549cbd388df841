"""The web chat's answering side: ``ChatAnswers`` (one ``Answerer``, its chips and the conversations of the
browsers), held in each of several answering processes, and ``ChatService``, which hands each call to one of them
and caches the answers that depend on nothing but the question.

A conversation always goes to the same process (``bot.answering_processes`` routes by its key), so follow-ups find
what it was about; each process keeps the most recent ``MAX_CONVERSATIONS`` of its own, and a conversation that was
forgotten (or whose process was restarted) simply starts afresh.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

from bot.answer import Answer, Answerer, Conversation
from bot.answering_processes import AnsweringProcesses
from bot.render import as_json, as_page
from bot.suggest import Suggester

MAX_CONVERSATIONS = 10_000
MAX_CACHED = 4_096  # answers to questions asked without a conversation, as ``ask --json`` lines


class ChatAnswers:
    """What one answering process holds: answers as ``ask --json`` lines and as page parts with chips."""

    def __init__(self, db_path: str) -> None:
        self.answerer = Answerer(Path(db_path))
        self.suggester = Suggester(self.answerer)
        self._conversations: OrderedDict[tuple[str, str], Conversation] = OrderedDict()

    def ask_json(self, text: str, member: str, conversation: str | None) -> str:
        """The ``ask --json`` line for ``text``, in ``member``'s ``conversation`` when one is given."""
        kept = self._conversation(member, conversation) if conversation is not None else None
        return as_json(self.answerer.answer(text, kept))

    def chat(self, member: str, conversation: str, text: str, township: int | None) -> dict:
        """The page parts (with chips) answering ``text``; with ``township``, once the member chose one."""
        kept = self._conversation(member, conversation)
        if township is None:
            reply = self.answerer.answer(text, kept)
        else:
            reply = self.answerer.answer_choice(township, text, kept)
        return _page(reply, self.suggester.after(reply, kept))

    def towns(self) -> dict:
        return _page(reply := self.answerer.townships(), self.suggester.for_towns(reply))

    def town(self, name: str, member: str = "", conversation: str | None = None) -> dict:
        kept = self._conversation(member, conversation) if conversation is not None else None
        return _page(reply := self.answerer.town_card(name, conversation=kept), self.suggester.for_card(reply))

    def help(self) -> dict:
        return _page(self.answerer.help(), self.suggester.examples())

    def reload(self) -> None:
        self.answerer.reload()
        self.suggester.forget()

    def forget(self, member: str, conversation: str) -> None:
        self._conversations.pop((member, conversation), None)

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


def _page(reply: Answer, chips: list[dict]) -> dict:
    return {**as_page(reply), "suggestions": chips}


class ChatService:
    """Answers for the web, from ``processes`` answering processes (``start`` them first, ``close`` at the end)."""

    def __init__(self, db_path: Path, processes: int = 1) -> None:
        self.db_path = Path(db_path)
        self._processes = AnsweringProcesses("bot.web_chat:ChatAnswers", (str(self.db_path),), processes)
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._cache_version = self._version()

    async def start(self) -> None:
        """Start the answering processes; each has opened the knowledge base once this returns."""
        await self._processes.start()

    async def ask_json(self, text: str, member: str = "", conversation: str | None = None) -> str:
        """The ``ask --json`` line for ``text``; with a ``conversation`` id, asked in that conversation of
        ``member`` (follow-ups carry). Without one the answer depends only on the text and is cached until the
        knowledge base changes."""
        if conversation is not None:
            return await self._processes.call(_key(member, conversation), "ask_json", text, member, conversation)
        version = self._version()
        if version != self._cache_version:
            self._cache.clear()
            self._cache_version = version
        if (line := self._cache.get(text)) is not None:
            self._cache.move_to_end(text)
            return line
        line = await self._processes.call(None, "ask_json", text, member, None)
        if self._cache_version == version:
            self._cache[text] = line
            while len(self._cache) > MAX_CACHED:
                self._cache.popitem(last=False)
        return line

    async def chat(self, member: str, conversation: str, text: str, township: int | None = None) -> dict:
        """The page parts (with chips) answering ``text`` in ``member``'s ``conversation``; with ``township``,
        the answer to a "which township?" question once the member chose one."""
        return await self._processes.call(_key(member, conversation), "chat", member, conversation, text, township)

    async def towns(self) -> dict:
        """The township list, with a card chip for the first townships."""
        return await self._processes.call(None, "towns")

    async def town(self, name: str, member: str = "", conversation: str | None = None) -> dict:
        """A township's card (its key figures), or the question back or refusal when ``name`` is not one; in
        ``member``'s ``conversation`` when one is given (follow-ups then ask about the card's township)."""
        if conversation is None:
            return await self._processes.call(None, "town", name)
        return await self._processes.call(_key(member, conversation), "town", name, member, conversation)

    async def help(self) -> dict:
        """What the bot answers, with the examples as chips."""
        return await self._processes.call(None, "help")

    async def reload(self) -> None:
        """Read the knowledge base afresh in every process (after an upload); cached answers and chips are dropped."""
        await self._processes.call_all("reload")
        self._cache.clear()
        self._cache_version = self._version()

    async def forget(self, member: str, conversation: str) -> None:
        """End ``member``'s ``conversation`` (the page's "new conversation")."""
        await self._processes.call(_key(member, conversation), "forget", member, conversation)

    async def close(self) -> None:
        """Finish the questions in hand and stop the answering processes."""
        await self._processes.close()

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


def _key(member: str, conversation: str) -> str:
    return f"{member}\n{conversation}"
