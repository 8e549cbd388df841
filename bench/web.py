"""The web chat's JSON API under load: 50 concurrent clients on loopback.

    python bench/web.py [--clients 50] [--seconds 5] [--rate 1000]

Runs ``township-bot web`` as a process of its own over the bundled seeds' knowledge base, signed in as a
member of a throw-away staff file, and asks it the seeds' staff questions (tests/data/questions.tsv) from
``--clients`` concurrent clients in this process. Beside it, in the same run, a bare aiohttp app (its own
process) whose handler returns a constant shows what the HTTP layer alone costs on this machine. Printed:

- saturation: every client sends its next request as soon as its answer is back, for ``--seconds``:
  answers per second, and the latency of each answer (with 50 clients always waiting, latency is queueing:
  50 / throughput on average);
- at a fixed rate: ``--rate`` requests per second in all (``--rate-answered`` for the uncached ones), spread
  over the clients: p50 / p99 latency.

And, as the baseline of answering, the ``Answerer`` called directly in one thread (no HTTP).

Two kinds of request: ``GET /api/ask?q=`` (no conversation: the answer depends only on the question and is
cached until the knowledge base changes) and ``POST /api/ask`` with a conversation id (never cached: each
is answered by the Answerer in its one thread).
Goal (issue 12): p99 ≤ 20 ms and ≥ 1,000 answers/s on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bot.evaluate import read_tsv  # noqa: E402
from bot.web_users import StaffFile  # noqa: E402
from knowledge.paths import ensure_database  # noqa: E402

BARE_APP = """
import sys
from aiohttp import web
async def constant(request):
    return web.Response(text='{"question": "", "answered": true, "text": "constant", "facts": []}',
                        content_type="application/json")
app = web.Application()
app.router.add_get("/bot/api/ask", constant)
app.router.add_post("/bot/api/ask", constant)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def wait_until_up(base: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            try:
                async with session.get(base + "api/ask"):
                    return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"{base} did not start")


def request_for(kind: str, question: str, client: int) -> tuple[str, str, dict]:
    if kind == "cached":
        return "GET", "api/ask", {"params": {"q": question}}
    return "POST", "api/ask", {"json": {"question": question, "conversation": f"bench-{client}"}}


async def timed(session, kind: str, question: str, index: int) -> float:
    """Ask ``question`` as client ``index``; milliseconds until the whole answer has arrived."""
    method, path, kwargs = request_for(kind, question, index)
    started = time.perf_counter()
    async with session.request(method, path, **kwargs) as response:
        await response.read()
        assert response.status == 200, response.status
    return (time.perf_counter() - started) * 1000


async def saturate(session, kind: str, questions: list[str], clients: int, seconds: float) -> tuple[int, list[float]]:
    """Every client asks again as soon as it is answered; (answers, latencies in ms)."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def client(index: int) -> int:
        done = 0
        while time.perf_counter() < stop:
            latencies.append(await timed(session, kind, questions[(index * 7 + done) % len(questions)], index))
            done += 1
        return done

    answered = sum(await asyncio.gather(*(client(index) for index in range(clients))))
    return answered, latencies


async def at_rate(session, kind: str, questions: list[str], clients: int, rate: float, seconds: float) -> list[float]:
    """``rate`` requests per second in all, each client sending on its own schedule; latencies in ms."""
    latencies: list[float] = []
    interval = clients / rate
    begin = time.perf_counter()

    async def client(index: int) -> None:
        due = begin + interval * index / clients
        sent = 0
        while due < begin + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            latencies.append(await timed(session, kind, questions[(index * 7 + sent) % len(questions)], index))
            sent += 1
            due += interval

    await asyncio.gather(*(client(index) for index in range(clients)))
    return latencies


async def measure(name: str, base: str, cookie: str, questions: list[str], args) -> None:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(base_url=base, connector=connector, headers={"Cookie": cookie}) as session:
        for kind in ("cached", "conversation"):
            await saturate(session, kind, questions, args.clients, 0.5)  # warm up: connections, caches
            answered, latencies = await saturate(session, kind, questions, args.clients, args.seconds)
            rate = args.rate if kind == "cached" else args.rate_answered
            rated = await at_rate(session, kind, questions, args.clients, rate, args.seconds)
            print(f"{name:22s} {kind:15s} saturated: {answered / args.seconds:5.0f} answers/s "
                  f"(p50 {percentile(latencies, .5):5.1f} ms, p99 {percentile(latencies, .99):6.1f} ms)   "
                  f"at {rate:4.0f}/s: p50 {percentile(rated, .5):5.1f} ms, p99 {percentile(rated, .99):6.1f} ms"
                  f" ({len(rated)} answers)", flush=True)


def direct(db: Path, questions: list[str], clients: int) -> None:
    """The baseline of answering: the Answerer called in a loop, no HTTP, each client's conversation kept."""
    from bot.answer import Answerer, Conversation
    from bot.render import as_json

    answerer, conversations = Answerer(db), [Conversation() for _ in range(clients)]
    for question in questions:
        answerer.answer(question)
    for kind in ("no conversation", "conversation"):
        latencies = []
        for round_ in range(3):
            for index, question in enumerate(questions):
                started = time.perf_counter()
                as_json(answerer.answer(question, conversations[index % clients] if kind == "conversation" else None))
                latencies.append((time.perf_counter() - started) * 1000)
        print(f"{'Answerer, no HTTP':22s} {kind:15s} one thread: {1000 * len(latencies) / sum(latencies):5.0f} answers/s "
              f"(p50 {percentile(latencies, .5):5.1f} ms, p99 {percentile(latencies, .99):6.1f} ms)", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=1000.0, help="cached requests per second in all, for the latency")
    parser.add_argument("--rate-answered", type=float, default=200.0,
                        help="uncached requests per second in all, for the latency (below what one thread answers)")
    args = parser.parse_args()
    questions = [row["question"].removeprefix("+ ") for row in read_tsv(ROOT / "tests" / "data" / "questions.tsv")
                 if row["kb"] == "seeds"]
    db = ensure_database(None)
    print(f"{len(questions)} questions of the seeds, {args.clients} clients, {os.cpu_count()} cores; "
          f"knowledge base {db}")
    with tempfile.TemporaryDirectory() as folder:
        staff = StaffFile(Path(folder) / "staff.json")
        code = staff.add("bench")
        env = {**os.environ, "TOWNSHIP_BOT_WEB_USERS": str(staff.path), "PYTHONUTF8": "1"}
        env.pop("TOWNSHIP_BOT_WEB_ALLOW_ALL", None)
        web_port, bare_port = free_port(), free_port()
        processes = [
            subprocess.Popen([sys.executable, "-m", "bot.cli", "--db", str(db), "web", "--port", str(web_port),
                              "--root-path", "/bot"], env=env, cwd=folder, stderr=subprocess.DEVNULL),
            subprocess.Popen([sys.executable, "-c", BARE_APP, str(bare_port)], cwd=folder),
        ]
        try:
            web_base, bare_base = f"http://127.0.0.1:{web_port}/bot/", f"http://127.0.0.1:{bare_port}/bot/"
            await wait_until_up(web_base)
            await wait_until_up(bare_base)
            async with aiohttp.ClientSession() as session:
                async with session.post(web_base + "api/signin", json={"name": "bench", "code": code}) as response:
                    assert response.status == 200
                    cookie = f"township_bot_session={response.cookies['township_bot_session'].value}"
            direct(db, questions, args.clients)
            await measure("bare aiohttp constant", bare_base, "", questions, args)
            await measure("township-bot web", web_base, cookie, questions, args)
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
