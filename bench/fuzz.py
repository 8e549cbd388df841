"""How long the bot takes over generated input (the property test's lines): p50, p99 and the slowest reply.

    python bench/fuzz.py [--db KB] [--count 10000]

The baseline in the same run is a plain figure question. The issue's bar: no reply over 1 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import fuzz_questions  # noqa: E402
from bot.answer import Answerer, Conversation  # noqa: E402
from knowledge.paths import ensure_database  # noqa: E402


def timed(answerer: Answerer, texts: list[str], conversation: Conversation | None = None) -> list[tuple[float, str]]:
    samples = []
    for text in texts:
        start = time.perf_counter()
        answerer.answer(text, conversation)
        samples.append((time.perf_counter() - start, text))
    return sorted(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="knowledge base (default: the seeds')")
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    answerer = Answerer(ensure_database(args.db))
    texts = [raw.decode("utf-8", errors="replace") for raw in fuzz_questions.lines(args.count, seed=1)]
    baseline = timed(answerer, ["湘江源有多少人民调解员"] * 200)
    for name, samples in (("ask", timed(answerer, texts)), ("chat", timed(answerer, texts, Conversation()))):
        p50, p99 = samples[len(samples) // 2][0], samples[int(len(samples) * 0.99)][0]
        slowest, text = samples[-1]
        print(f"{name:5s} {len(samples)} lines  p50 {p50 * 1000:6.2f} ms  p99 {p99 * 1000:6.2f} ms  "
              f"slowest {slowest * 1000:7.1f} ms ({len(text)} characters: {text[:30]!r})  "
              f"over 1 s: {sum(s > 1 for s, _ in samples)}")
    base = baseline[len(baseline) // 2][0]
    print(f"baseline: a plain figure question p50 {base * 1000:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
