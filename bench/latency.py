"""Answer latency: warm p50/p99 over the question set, and the cold wall time of `township-bot ask`.

    python bench/latency.py [--rounds 20] [--cold-runs 5]

Builds the seeds' and the corpus's knowledge bases in a temporary folder, then prints figures, each
beside a baseline measured in the same run, so that the ratios hold on any machine:

- warm: every question of tests/data/questions.tsv and corpus_questions.tsv answered ``--rounds`` times
  by a warm ``Answerer`` over one knowledge base of the seeds and the corpus, by kind of answer (figure,
  passage, ranking); baseline: one indexed SQL lookup of a township's facts (the floor of any answer).
- cold: ``township-bot ask "…"`` as a fresh process with the seeds' knowledge base already built;
  baseline: a bare ``python -c pass``.

Goals: p99 ≤ 5 ms for a figure answer, ≤ 50 ms for a ranking (issue 8); cold ≤ 0.5 s (issue 9).
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
from knowledge.ingest import ingest  # noqa: E402
from knowledge.paths import bundled_seeds  # noqa: E402

QUESTIONS = ROOT / "tests" / "data" / "questions.tsv"
REAL_REPORT_QUESTIONS = ROOT / "tests" / "data" / "corpus_questions.tsv"
CORPUS = ROOT.parent / "shared" / "corpus"


def percentile(samples: list[float], share: float) -> float:
    """The ``share`` percentile (0–1) of ``samples``, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def warm_latencies(db: Path, questions: list[str], rounds: int) -> dict[str, list[float]]:
    """Seconds per answer by kind of answer, every question ``rounds`` times, follow-ups in their conversation."""
    answerer = Answerer(db)
    kinds = []
    for text, conversation in in_conversations(questions):  # warm-up: jieba and caches load here, not below
        reply = answerer.answer(text, conversation)
        kinds.append(_kind(answerer, text, reply))
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for kind, (text, conversation) in zip(kinds, in_conversations(questions)):
            start = time.perf_counter()
            answerer.answer(text, conversation)
            samples.setdefault(kind, []).append(time.perf_counter() - start)
    return samples


def _kind(answerer: Answerer, text: str, reply) -> str:
    """figure, passage, ranking or other (refusals, help, questions back)."""
    if answerer.understander.understand(text).intent in ("rank", "each") and reply.answered:
        return "ranking"
    if reply.answered and reply.facts:
        return "figure"
    return "passage" if reply.answered and reply.quotes else "other"


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

    rows = read_tsv(QUESTIONS) + read_tsv(REAL_REPORT_QUESTIONS)
    with tempfile.TemporaryDirectory() as folder:
        dbs = {"seeds": Path(folder) / "seeds.db", "seeds+corpus": Path(folder) / "all.db"}
        ingest([bundled_seeds()], dbs["seeds"])
        ingest([bundled_seeds()] + ([CORPUS] if CORPUS.exists() else []), dbs["seeds+corpus"])

        db = dbs["seeds+corpus"]
        questions = [row["question"] for row in rows]
        lookups = lookup_latencies(db, args.rounds)
        base = percentile(lookups, 0.5)
        print(f"warm answers, {len(questions)} questions × {args.rounds} rounds over seeds + corpus"
              f"  (baseline: indexed SQL lookup p50 {ms(base)})")
        for kind, answers in sorted(warm_latencies(db, questions, args.rounds).items()):
            p50, p99 = percentile(answers, 0.5), percentile(answers, 0.99)
            print(f"  {kind:8s} {len(answers) // args.rounds:4d} questions  p50 {ms(p50)}  p99 {ms(p99)}"
                  f"  max {ms(max(answers))}  | p50 {p50 / base:.0f}x the SQL lookup")

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
