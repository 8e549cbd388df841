"""The web chat's JSON API under load: 50 concurrent clients on loopback.

    python bench/web.py [--clients 50] [--seconds 5] [--rate 1000] [--processes 2]

Runs ``township-bot web`` as a process of its own over the bundled seeds' knowledge base, signed in as a
member of a throw-away staff file, and asks it the seeds' staff questions (tests/data/questions.tsv) from
``--clients`` concurrent clients. The load comes from ``wrk`` when it is installed (``apt-get install wrk``: a C
load generator that leaves the two cores to the server), else from aiohttp clients in this process (which take
a core of their own: the figures are then lower). Beside it, in the same run: a bare aiohttp app whose handler
returns a constant (what the HTTP layer alone costs here), and the same server with one answering process (the
baseline of ``--processes``). Printed:

- saturation: every client sends its next request as soon as its answer is back, for ``--seconds``:
  answers per second, and the latency of each answer (with 50 clients always waiting, latency is queueing:
  50 / throughput on average);
- paced: ``--rate`` requests per second in all, spread over the clients (with wrk each client waits a random
  0 to 2 × its mean pause between its answer and its next request; the mean pause is set from a first run so
  that pause plus latency makes the rate; the rate reached is printed): p50 / p99 latency.

And, as the baseline of answering, the ``Answerer`` called directly in one thread (no HTTP).

Two kinds of request: ``GET /api/ask?q=`` (no conversation: the answer depends only on the question and is
cached until the knowledge base changes) and ``POST /api/ask`` with a conversation id (never cached: each is
answered by the answering process its conversation belongs to).
Goal (issue 12): p99 ≤ 20 ms and ≥ 1,000 answers/s on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
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
            rate = args.rate
            rated = await at_rate(session, kind, questions, args.clients, rate, args.seconds)
            print(f"{name:30s} {kind:13s} saturated: {answered / args.seconds:5.0f} answers/s "
                  f"(p50 {percentile(latencies, .5):5.1f} ms, p99 {percentile(latencies, .99):6.1f} ms)   "
                  f"at {rate:4.0f}/s: p50 {percentile(rated, .5):5.1f} ms, p99 {percentile(rated, .99):6.1f} ms"
                  f" ({len(rated)} answers)", flush=True)


WRK_SCRIPT = """
local requests, counter, thread_number = {}, 0, 0
local pause = tonumber(os.getenv("BENCH_PAUSE_MS") or "0")
for line in io.lines(os.getenv("BENCH_REQUESTS")) do requests[#requests + 1] = line end
function setup(thread) thread_number = thread_number + 1; thread:set("number", thread_number) end
function request()
  counter = counter + 1
  local line = requests[(counter % #requests) + 1]
  if os.getenv("BENCH_KIND") == "cached" then
    return wrk.format("GET", os.getenv("BENCH_PATH") .. "?q=" .. line)
  end
  local body = string.gsub(line, "CONVERSATION", "bench-" .. (number or 0) .. "-" .. (counter % 25))
  local headers = {["Content-Type"] = "application/json"}
  for name, value in pairs(wrk.headers) do headers[name] = value end  -- the cookie given with -H
  return wrk.format("POST", os.getenv("BENCH_PATH"), headers, body)
end
-- each wait drawn from 0 to twice the mean, so that the clients do not ask in step (bursts of 50 at once)
if pause > 0 then function delay() return math.random(0, 2 * pause) end end
"""


def wrk_measure(name: str, base: str, cookie: str, questions: list[str], args, folder: Path) -> None:
    """The same measures as ``measure``, with wrk as the load: two threads, ``--clients`` connections."""
    script, lines = folder / "bench.lua", folder / "requests.txt"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    for kind in ("cached", "conversation"):
        if kind == "cached":
            lines.write_text("\n".join(urllib.parse.quote(q, safe="") for q in questions) + "\n", encoding="utf-8")
        else:
            lines.write_text("\n".join(json.dumps({"question": q, "conversation": "CONVERSATION"}, ensure_ascii=False)
                                       for q in questions) + "\n", encoding="utf-8")
        path = urllib.parse.urlsplit(base).path + "api/ask"

        def run_wrk(pause: float) -> tuple[float, float, float]:
            env = {**os.environ, "BENCH_KIND": kind, "BENCH_PATH": path, "BENCH_REQUESTS": str(lines),
                   "BENCH_PAUSE_MS": f"{pause:.0f}"}
            run = subprocess.run(["wrk", "-t2", f"-c{args.clients}", f"-d{args.seconds:.0f}s", "--latency",
                                  "-s", str(script), *(["-H", f"Cookie: {cookie}"] if cookie else []), base],
                                 env=env, capture_output=True, text=True, check=True)
            return _wrk_figures(run.stdout)

        run_wrk(0)  # warms caches and connections
        rate, p50, p99 = run_wrk(0)
        # paced: each client's mean cycle is its pause plus the mean latency, so a first run at clients / rate
        # falls short of the rate by that latency (Little's law); the second pauses that much less
        pause = 1000 * args.clients / args.rate
        first_rate = run_wrk(pause)[0]
        latency = 1000 * args.clients / first_rate - pause
        paced_rate, paced_p50, paced_p99 = run_wrk(max(0.0, pause - latency))
        print(f"{name:30s} {kind:13s} saturated: {rate:5.0f} answers/s (p50 {p50:5.1f} ms, p99 {p99:6.1f} ms)   "
              f"paced at {paced_rate:4.0f}/s: p50 {paced_p50:5.1f} ms, p99 {paced_p99:6.1f} ms", flush=True)


def _wrk_figures(output: str) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) from wrk's --latency report."""
    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    if re.search(r"Non-2xx", output):
        raise RuntimeError("wrk got error answers:\n" + output)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), ms("50"), ms("99")


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
        print(f"{'Answerer, no HTTP':30s} {kind:13s} one thread: {1000 * len(latencies) / sum(latencies):5.0f} answers/s "
              f"(p50 {percentile(latencies, .5):5.1f} ms, p99 {percentile(latencies, .99):6.1f} ms)", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=1000.0, help="requests per second in all, for the latency")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="answering processes to compare with one (default: one per core)")
    args = parser.parse_args()
    questions = [row["question"].removeprefix("+ ") for row in read_tsv(ROOT / "tests" / "data" / "questions.tsv")
                 if row["kb"] == "seeds"]
    db = ensure_database(None)
    load = "wrk" if shutil.which("wrk") else "aiohttp clients in this process (install wrk for a lighter load)"
    print(f"{len(questions)} questions of the seeds, {args.clients} clients, {os.cpu_count()} cores, load from "
          f"{load}; knowledge base {db}")
    with tempfile.TemporaryDirectory() as folder:
        staff = StaffFile(Path(folder) / "staff.json")
        code = staff.add("bench")
        env = {**os.environ, "TOWNSHIP_BOT_WEB_USERS": str(staff.path), "PYTHONUTF8": "1"}
        env.pop("TOWNSHIP_BOT_WEB_ALLOW_ALL", None)
        direct(db, questions, args.clients)
        servers = [("bare aiohttp constant", [sys.executable, "-c", BARE_APP])]
        for count in sorted({1, args.processes}):
            servers.append((f"web, {count} answering process{'es' if count > 1 else ''}",
                            [sys.executable, "-m", "bot.cli", "--db", str(db), "web", "--root-path", "/bot",
                             "--processes", str(count), "--port"]))
        for name, command in servers:
            port = free_port()
            process = subprocess.Popen([*command, str(port)], env=env, cwd=folder, stderr=subprocess.DEVNULL)
            try:
                base = f"http://127.0.0.1:{port}/bot/"
                await wait_until_up(base)
                cookie = await sign_in(base, code) if "web" in name else ""
                if shutil.which("wrk"):
                    wrk_measure(name, base, cookie, questions, args, Path(folder))
                else:
                    await measure(name, base, cookie, questions, args)
            finally:
                process.terminate()
                process.wait(10)


async def sign_in(base: str, code: str) -> str:
    """The session cookie of the throw-away member ``bench``."""
    async with aiohttp.ClientSession() as session:
        async with session.post(base + "api/signin", json={"name": "bench", "code": code}) as response:
            assert response.status == 200
            return f"township_bot_session={response.cookies['township_bot_session'].value}"


if __name__ == "__main__":
    asyncio.run(main())
