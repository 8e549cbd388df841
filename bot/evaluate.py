"""Run a question file against a knowledge base and score it: correct, wrong figures, refusals.

A question file is tab-separated: ``question`` and ``expect`` (words the first line must contain,
joined by `` & ``; or ``REFUSE`` when the bot must not answer). A question written ``+ 那执法证呢``
is a follow-up: it is asked in the same conversation as the question above it. A wrong figure, an
answer that is not the expected one, is counted apart from refusals: it is the worst thing the bot
can do.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.answer import Answerer, Conversation


@dataclass
class Outcome:
    question: str
    expect: str
    verdict: str  # correct, wrong, refused
    headline: str


def read_tsv(path: Path) -> list[dict]:
    """The rows of a tab-separated file with a header row; lines starting with # are comments."""
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"))


def in_conversations(questions: Iterable[str]) -> Iterator[tuple[str, Conversation]]:
    """Each question with the conversation to ask it in: a new one, unless it is a follow-up (``+ `` before it)."""
    conversation = Conversation()
    for text in questions:
        if text.startswith("+ "):
            yield text[2:], conversation
        else:
            conversation = Conversation()
            yield text, conversation


def score(answerer: Answerer, rows: list[dict]) -> list[Outcome]:
    """Ask every question of ``rows`` (keys question, expect), in conversations, and judge each first line."""
    outcomes = []
    for row, (text, conversation) in zip(rows, in_conversations(row["question"] for row in rows)):
        reply = answerer.answer(text, conversation)
        if row["expect"] == "REFUSE":
            verdict = "correct" if not reply.answered else "wrong"
        elif not reply.answered:
            verdict = "refused"
        else:
            verdict = "correct" if all(_states(reply.headline, part) for part in row["expect"].split(" & ")) else "wrong"
        outcomes.append(Outcome(row["question"], row["expect"], verdict, reply.headline))
    return outcomes


def _states(headline: str, expected: str) -> bool:
    """True when ``headline`` holds ``expected``; a figure must not be the tail of a longer one (7件 in 17件).

    >>> _states("增福镇（2022年）：行政处罚 17件", "7件"), _states("增福镇（2022年）：行政处罚 7件", "7件")
    (False, True)
    """
    if not expected[:1].isdigit():
        return expected in headline
    return re.search(rf"(?<![\d.]){re.escape(expected)}", headline) is not None


def summary(outcomes: list[Outcome]) -> str:
    """One line of figures: accuracy, wrong figures, refusals."""
    total = len(outcomes)
    counts = {verdict: sum(o.verdict == verdict for o in outcomes) for verdict in ("correct", "wrong", "refused")}
    return (f"{total} questions: right {counts['correct'] / total:.1%} ({counts['correct']}), "
            f"wrong or unled {counts['wrong'] / total:.1%} ({counts['wrong']}), "
            f"wrongly refused {counts['refused'] / total:.1%} ({counts['refused']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate", description=__doc__)
    parser.add_argument("questions", type=Path, help="question file (tab-separated: question, expect[, kb])")
    parser.add_argument("--db", type=Path, required=True, help="knowledge base to ask")
    parser.add_argument("--kb", help="only rows whose kb column is this")
    args = parser.parse_args(argv)
    rows = [row for row in read_tsv(args.questions) if not args.kb or row.get("kb") == args.kb]
    outcomes = score(Answerer(args.db), rows)
    for outcome in outcomes:
        if outcome.verdict != "correct":
            print(f"{outcome.verdict.upper():8s} {outcome.question}  → {outcome.headline}  (want {outcome.expect})")
    print(summary(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
