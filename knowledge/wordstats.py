"""How many rows of each full-text index hold each word: counted when reports are written, so that answering
never counts.

SQLite's FTS5 can rank and count by itself, but both read a word's whole list of rows (``bm25()`` counts the rows
of every phrase on each query; ``fts5vocab`` counts on each lookup): time that grows with the knowledge base.
Here the counts live in the ``words`` table (word → sentences and figures holding it) and the totals in ``meta``;
a report's sentences are ranked in Python by FTS5's own bm25 formula over those counts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_TOKEN = re.compile(r"[^\W_]+")  # FTS5's unicode61 tokenizer: runs of letters and digits, case folded

# FTS5's bm25() parameters
_K1, _B = 1.2, 0.75


def tokens(text: str) -> list[str]:
    """The tokens FTS5 (unicode61) indexes for ``text``."""
    return _TOKEN.findall(text.lower())


def rows_holding(texts: Iterable[str]) -> Counter:
    """Token → how many of ``texts`` hold it."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(set(tokens(text)))
    return counts


@dataclass
class WordCounts:
    """What a set of rows adds to the ``words`` table and to the totals in ``meta``."""

    sentences: Counter = field(default_factory=Counter)  # token → sentences holding it
    facts: Counter = field(default_factory=Counter)  # token → figures whose words hold it
    totals: Counter = field(default_factory=Counter)  # sentence_rows, sentence_tokens, figures

    @classmethod
    def of(cls, sentence_words: list[str], fact_words: list[str], figures: int) -> WordCounts:
        """The counts of one report's segmented sentences and facts' words, with ``figures`` figures."""
        return cls(rows_holding(sentence_words), rows_holding(fact_words),
                   Counter(sentence_rows=len(sentence_words), figures=figures,
                           sentence_tokens=sum(len(tokens(text)) for text in sentence_words)))

    def add(self, other: WordCounts, sign: int = 1) -> None:
        """Add ``other``'s counts to these (subtract them with ``sign=-1``: rows deleted)."""
        for mine, theirs in ((self.sentences, other.sentences), (self.facts, other.facts),
                             (self.totals, other.totals)):
            for key, count in theirs.items():
                mine[key] += sign * count


def bm25(phrases: list[list[str]], row: list[str], hits: Mapping[str, int], rows: int, average_length: float) -> float:
    """FTS5's ``bm25()`` of one row (its ``tokens``), negated: larger is better. ``phrases`` are the query's phrases
    (each a list of tokens), ``hits`` the number of rows holding each token, ``rows`` the number of rows and
    ``average_length`` their mean length in tokens. A phrase of several tokens counts as held by as many rows as its
    rarest token (FTS5 counts the phrase itself; such phrases, 3.5 or e-mail, are rare in questions)."""
    score = 0.0
    for phrase in phrases:
        frequency = occurrences(phrase, row)
        if not frequency:
            continue
        held = min((hits.get(token, 0) for token in phrase), default=0)
        idf = math.log((rows - held + 0.5) / (held + 0.5))
        idf = idf if idf > 0 else 1e-6
        score += idf * frequency * (_K1 + 1) / (frequency + _K1 * (1 - _B + _B * len(row) / average_length))
    return score


def occurrences(phrase: list[str], row: list[str]) -> int:
    """How many times the tokens of ``phrase`` stand in a row in ``row``."""
    if not phrase:
        return 0
    size = len(phrase)
    if size == 1:
        return row.count(phrase[0])
    return sum(1 for start in range(len(row) - size + 1) if row[start:start + size] == phrase)
