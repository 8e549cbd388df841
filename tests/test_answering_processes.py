"""Answering processes (bot.answering_processes): routing by key, a failing call, a killed process, stopping."""

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from bot.answering_processes import AnsweringFailed, AnsweringProcesses

HERE = Path(__file__).resolve().parent


@pytest.fixture
def sleepers(monkeypatch):
    """Two answering processes, each holding a ``tests/answering_objects.Sleeper``."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
    return AnsweringProcesses("answering_objects:Sleeper", ("s",), 2)


def test_a_key_always_reaches_the_same_process_and_no_key_the_least_busy(sleepers):
    async def main():
        await sleepers.start()
        try:
            pids = await sleepers.call_all("pid")
            by_key = {key: {await sleepers.call(key, "pid") for _ in range(5)} for key in map(str, range(20))}
            busy = asyncio.ensure_future(sleepers.call("7", "sleep", 0.5))
            await asyncio.sleep(0.1)
            free = await sleepers.call(None, "pid")
            assert await busy == "s slept 0.5"
            return pids, by_key, free, await sleepers.call("7", "pid")
        finally:
            await sleepers.close()

    pids, by_key, free, busy_pid = asyncio.run(main())
    assert len(set(pids)) == 2
    assert all(len(seen) == 1 for seen in by_key.values())
    assert {pid for seen in by_key.values() for pid in seen} == set(pids)  # both take keys
    assert free != busy_pid  # the call without a key went to the process that was not sleeping


def test_a_call_that_fails_is_reported_and_the_process_answers_on(sleepers):
    async def main():
        await sleepers.start()
        try:
            with pytest.raises(AnsweringFailed, match="TypeError"):
                await sleepers.call("a", "sleep", "not seconds")
            return await sleepers.call("a", "sleep", 0)
        finally:
            await sleepers.close()

    assert asyncio.run(main()) == "s slept 0"


def test_a_killed_process_fails_the_calls_in_hand_and_starts_again_on_the_next(sleepers):
    async def main():
        await sleepers.start()
        try:
            before = await sleepers.call("a", "pid")
            in_hand = asyncio.ensure_future(sleepers.call("a", "sleep", 30))
            queued = asyncio.ensure_future(sleepers.call("a", "sleep", 0))
            await asyncio.sleep(0.2)
            os.kill(before, signal.SIGKILL)
            started = time.monotonic()
            outcomes = await asyncio.gather(in_hand, queued, return_exceptions=True)
            waited = time.monotonic() - started
            return before, outcomes, waited, await sleepers.call("a", "pid")
        finally:
            await sleepers.close()

    before, outcomes, waited, after = asyncio.run(main())
    assert all(isinstance(outcome, AnsweringFailed) for outcome in outcomes)
    assert waited < 10  # failed when the process died, not when its call would have ended
    assert after != before


def test_closing_lets_the_calls_in_hand_finish(sleepers):
    async def main():
        await sleepers.start()
        pids = await sleepers.call_all("pid")
        calls = [asyncio.ensure_future(sleepers.call(key, "sleep", 0.3)) for key in "abcd"]
        await asyncio.sleep(0.05)
        await sleepers.close()
        return pids, await asyncio.gather(*calls)

    pids, answers = asyncio.run(main())
    assert answers == ["s slept 0.3"] * 4
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_factory_that_fails_stops_the_start_with_the_reason(monkeypatch):
    processes = AnsweringProcesses("bot.web_chat:ChatAnswers", ("/nonexistent/kb.db",), 1)
    with pytest.raises(AnsweringFailed, match="no knowledge base"):
        asyncio.run(processes.start())
