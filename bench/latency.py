"""Answer latency: warm p50/p99 over the question set, and the cold wall time of `township-bot ask`.

    python bench/latency.py [--rounds 20] [--cold-runs 5]

Builds the seeds' and the corpus's knowledge bases in a temporary folder, then prints figures, each
beside a baseline measured in the same run, so that the ratios hold on any machine:

- warm: every question of tests/data/questions.tsv answered ``--rounds`` times by a warm ``Answerer``;
  baseline: one indexed SQL lookup of a township's facts (the floor of any answer).
- cold: ``township-bot ask "…"`` as a fresh process with the seeds' knowledge base already built;
  baseline: a bare ``python -c pass``.

Goals (issue 3): p50 ≤ 1 ms and p99 ≤ 5 ms warm; cold ≤ 1.5 s.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answer import Answerer  # noqa: E402
from bot.evaluate import in_conversations, read_tsv  # noqa: E402
from knowledge.ingest import bundled_seeds, ingest  # noqa: E402

QUESTIONS = ROOT / "tests" / "data" / "questions.tsv"
CORPUS = ROOT.parent / "shared" / "corpus"


def percentile(samples: list[float], share: float) -> float:
    """The ``share`` percentile (0–1) of ``samples``, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def warm_latencies(db: Path, questions: list[str], rounds: int) -> list[float]:
    """Seconds per answer, every question ``rounds`` times, follow-ups in their conversation."""
    answerer = Answerer(db)
    for text, conversation in in_conversations(questions):  # warm-up: jieba and caches load here, not below
        answerer.answer(text, conversation)
    samples = []
    for _ in range(rounds):
        for text, conversation in in_conversations(questions):
            start = time.perf_counter()
            answerer.answer(text, conversation)
            samples.append(time.perf_counter() - start)
    return samples


def lookup_latencies(db: Path, rounds: int) -> list[float]:
    """Seconds per indexed lookup of one township's facts of one metric: the baseline for answers."""
    connection = sqlite3.connect(db)
    pairs = connection.execute("select distinct r.township_id, f.metric from facts f "
                               "join reports r on r.id = f.report_id where f.metric != ''").fetchall()
    samples = []
    for _ in range(rounds):
        for township_id, metric in pairs:
            start = time.perf_counter()
            connection.execute("select f.* from facts f join reports r on r.id = f.report_id "
                               "where r.township_id = ? and f.metric = ?", (township_id, metric)).fetchall()
            samples.append(time.perf_counter() - start)
    return samples


def wall_times(command: list[str], runs: int, env: dict) -> list[float]:
    """Seconds of wall time for ``runs`` fresh runs of ``command``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="times each question is asked (default 20)")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh processes timed (default 5)")
    args = parser.parse_args()

    rows = read_tsv(QUESTIONS)
    with tempfile.TemporaryDirectory() as folder:
        sources = {"seeds": [bundled_seeds()], "corpus": [CORPUS]}
        if not CORPUS.exists():
            del sources["corpus"]
        dbs = {}
        for kb, paths in sources.items():
            dbs[kb] = Path(folder) / f"{kb}.db"
            ingest(paths, dbs[kb])

        print(f"warm answers ({args.rounds} rounds)")
        for kb, db in dbs.items():
            questions = [row["question"] for row in rows if row["kb"] == kb]
            answers = warm_latencies(db, questions, args.rounds)
            lookups = lookup_latencies(db, args.rounds)
            p50, p99 = percentile(answers, 0.5), percentile(answers, 0.99)
            base = percentile(lookups, 0.5)
            print(f"  {kb:7s} {len(questions):3d} questions  p50 {ms(p50)}  p99 {ms(p99)}  max {ms(max(answers))}"
                  f"  | baseline SQL lookup p50 {ms(base)}  ratio p50 {p50 / base:.1f}x")

        env = {**os.environ, "TOWNSHIP_BOT_DB": str(dbs["seeds"]), "PYTHONUTF8": "1"}
        ask = [sys.executable, "-m", "bot.cli", "ask", "湘江源有多少人民调解员？"]
        cold = wall_times(ask, args.cold_runs, env)
        bare = wall_times([sys.executable, "-c", "pass"], args.cold_runs, env)
        print(f"cold `township-bot ask` ({args.cold_runs} runs, seeds built)")
        print(f"  median {statistics.median(cold):.3f} s  min {min(cold):.3f} s"
              f"  | baseline python -c pass {statistics.median(bare):.3f} s"
              f"  ratio {statistics.median(cold) / statistics.median(bare):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
