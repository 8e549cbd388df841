"""Answering in several processes, for the web chat: one ``Answerer`` per process, so that answers use every core.

Python runs one thread of Python at a time, so one answering thread answers on one core however many the machine
has. Here each of ``count`` child processes holds an object made by ``factory`` (for the web chat,
``bot.web_chat.ChatAnswers``: an ``Answerer``, its chips and the conversations it serves) and runs the calls
handed to it one at a time, in the order they came. A call with a ``key`` (a conversation) always goes to the same
process, so a conversation's follow-ups find what it was about; a call without one goes to the least busy.

The parent and a child talk over the child's stdin and stdout: each message is a pickle of (method, args) or
(outcome, value), after its length in 4 bytes. A child that dies fails the calls it had in hand and is started
again on the next call (the conversations it held start afresh). Children ignore SIGINT and SIGTERM and stop when
their stdin closes, so a stopping server finishes the questions in hand first; a killed parent takes them with it.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import pickle
import signal
import struct
import sys
import zlib
from collections import deque
from typing import Any

log = logging.getLogger("township_bot.answering")

_LENGTH = struct.Struct("!I")


class AnsweringFailed(RuntimeError):
    """A call could not be answered: the process answering it failed or stopped."""


class _Child:
    """One answering process and the calls it has in hand (their futures, oldest first)."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.process: asyncio.subprocess.Process | None = None
        self.waiting: deque[asyncio.Future] = deque()
        self.reader: asyncio.Task | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None and self.reader is not None \
            and not self.reader.done()


class AnsweringProcesses:
    """``count`` processes, each holding ``factory(*args)`` (``factory`` named "module:attribute")."""

    def __init__(self, factory: str, args: tuple, count: int) -> None:
        self.factory, self.args = factory, args
        self.children = [_Child(number) for number in range(max(1, count))]
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        """Start every process and wait until each holds its object (raises ``AnsweringFailed`` if one cannot)."""
        await asyncio.gather(*(self._start(child) for child in self.children))

    async def call(self, key: str | None, method: str, *args) -> Any:
        """``method(*args)`` of the object in the process ``key`` belongs to (the least busy when None)."""
        if key is None:
            child = min(self.children, key=lambda child: (len(child.waiting), child.number))
        else:
            child = self.children[zlib.crc32(key.encode("utf-8", "surrogatepass")) % len(self.children)]
        return await self._call(child, method, args)

    async def call_all(self, method: str, *args) -> list:
        """``method(*args)`` in every process (after the calls each already has in hand)."""
        return await asyncio.gather(*(self._call(child, method, args) for child in self.children))

    async def _call(self, child: _Child, method: str, args: tuple) -> Any:
        if not child.alive:
            async with self._starting:
                if not child.alive:
                    await self._start(child)
        future = asyncio.get_running_loop().create_future()
        child.waiting.append(future)
        try:
            child.process.stdin.write(_frame((method, args)))
            await child.process.stdin.drain()
        except ConnectionError as error:  # it died just now: its reader fails the future too
            raise AnsweringFailed("the answering process stopped") from error
        return await future

    async def close(self, timeout: float = 10.0) -> None:
        """Let each process finish the calls in hand, then stop it (killed after ``timeout`` seconds)."""
        await asyncio.gather(*(self._stop(child, timeout) for child in self.children))

    async def _start(self, child: _Child) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.answering_processes", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE)
        process.stdin.write(_frame((self.factory, self.args)))
        await process.stdin.drain()
        try:
            outcome, value = await _read(process.stdout)
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            await process.wait()
            raise AnsweringFailed(f"answering process {child.number} did not start "
                                  f"(exit status {process.returncode})") from error
        if outcome != "ready":
            process.stdin.close()
            await process.wait()
            raise AnsweringFailed(f"answering process {child.number} did not start: {value}")
        child.process, child.waiting = process, deque()
        child.reader = asyncio.create_task(self._read_answers(child, process))

    async def _read_answers(self, child: _Child, process: asyncio.subprocess.Process) -> None:
        """Hand each answer to the oldest call waiting for it; when the process ends, fail the calls left."""
        waiting = child.waiting
        try:
            while True:
                outcome, value = await _read(process.stdout)
                future = waiting.popleft()
                if future.done():  # the request that asked went away meanwhile
                    continue
                if outcome == "ok":
                    future.set_result(value)
                else:
                    future.set_exception(AnsweringFailed(value))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        status = await process.wait()
        if waiting or status not in (0, None):
            log.error("answering process %d stopped (exit status %s); %d questions in hand failed; it starts "
                      "again on the next question", child.number, status, len(waiting))
        while waiting:
            future = waiting.popleft()
            if not future.done():
                future.set_exception(AnsweringFailed("the answering process stopped"))

    async def _stop(self, child: _Child, timeout: float) -> None:
        process = child.process
        if process is None or process.returncode is not None:
            return
        process.stdin.close()  # the child stops once it has answered what it read before
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
        if child.reader is not None:
            await child.reader


def _frame(message) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


async def _read(stream: asyncio.StreamReader):
    (length,) = _LENGTH.unpack(await stream.readexactly(_LENGTH.size))
    return pickle.loads(await stream.readexactly(length))


def _read_blocking(stream) -> Any:
    """The next message on ``stream``, or None at its end."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    data = stream.read(length)
    if len(data) < length:
        return None
    return pickle.loads(data)


def child_main() -> int:
    """The child's side: make the object, then answer calls read from stdin until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the parent stops it by closing stdin, after the calls in hand
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not break the messages
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    requests = sys.stdin.buffer
    factory, args = _read_blocking(requests)
    try:
        module, name = factory.split(":")
        held = getattr(importlib.import_module(module), name)(*args)
    except Exception as error:  # noqa: BLE001  (said to the parent, which says it in its log)
        log.exception("cannot start the answering process")
        answers.write(_frame(("failed", f"{type(error).__name__}: {error}")))
        answers.flush()
        return 1
    answers.write(_frame(("ready", None)))
    answers.flush()
    while (request := _read_blocking(requests)) is not None:
        method, call_args = request
        try:
            reply = ("ok", getattr(held, method)(*call_args))
        except Exception as error:  # noqa: BLE001  (one question failing must not stop the others)
            log.exception("answering %s failed", method)
            reply = ("error", f"{type(error).__name__}")
        answers.write(_frame(reply))
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(child_main())
