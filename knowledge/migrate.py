"""Upgrading a knowledge base of an older schema in place, from the rows it stores.

Schemas 3 to 7 hold the same reports, sentences and facts as schema 8. Schemas 3 and 4 lack counts kept at write
time (``words`` and the totals in ``meta``, ``ranked_counts``): counted here once. Schema 5 lacks the index that
rankings walk (``FACTS_BY_AMOUNT``); 7 and older the exact spelling keys of fuzzy township matching (7 had keys
one letter off too: at national scale those find other places).
"""

from __future__ import annotations

import sqlite3

from knowledge.aliases import spelling_key
from knowledge.schema import FACTS_BY_AMOUNT, RANKED_COUNTS_TABLE, SCHEMA_VERSION, WHOLE_FIGURE, WORDS_TABLE
from knowledge.wordstats import WordCounts

_CHUNK = 20_000  # rows counted at a time: memory stays flat however large the knowledge base

# (metric, unit class, year) → townships, as ``Writer`` keeps it: class '' for any class, year 0 for the newest report
_RANKED = """
insert into ranked_counts (metric, unit_class, year, townships)
select f.metric, {unit_class}, {year}, count(distinct r.township_id) from facts f join reports r on r.id = f.report_id
where f.metric != '' and {whole} and {where}
group by 1, 2, 3
"""


def migrate(connection: sqlite3.Connection, version: str) -> None:
    """Bring the knowledge base on ``connection`` (of schema ``version``, 3 to 7, inside a write transaction) to
    this version's schema."""
    if version in ("3", "4"):
        _count(connection)
    connection.execute("drop index if exists idx_facts_metric_value")
    connection.execute(FACTS_BY_AMOUNT)
    connection.execute("delete from name_keys where key like 'd:%'")
    connection.executemany("insert or ignore into name_keys (key, township_id) values (?, ?)",
                           [(spelling_key(spelled), township_id) for township_id, spelled in connection.execute(
                               "select id, pinyin from townships")])
    connection.execute("update meta set value = ? where key = 'schema_version'", [SCHEMA_VERSION])


def _count(connection: sqlite3.Connection) -> None:
    """Count what ``Writer`` keeps as it writes: the ``words`` table, the totals in ``meta``, ``ranked_counts``."""
    connection.execute("drop table if exists words")
    connection.execute(WORDS_TABLE)
    connection.execute("drop table if exists ranked_counts")
    connection.execute(RANKED_COUNTS_TABLE)
    counts = WordCounts()
    for sentences in _chunks(connection.execute("select seg from sentences")):
        counts.add(WordCounts.of(sentences, [], 0))
    for facts in _chunks(connection.execute("select words, offset is not null from facts")):
        counts.add(WordCounts.of([], [words for words, _ in facts], sum(figure for _, figure in facts)))
    connection.executemany("insert into words (word, sentences, facts) values (?, ?, ?)",
                           [(word, counts.sentences[word], counts.facts[word])
                            for word in set(counts.sentences) | set(counts.facts)])
    connection.executemany("insert or replace into meta (key, value) values (?, ?)",
                           [(key, str(counts.totals[key])) for key in ("sentence_rows", "sentence_tokens", "figures")])
    for year, where in (("r.year", "1"), ("0", "r.latest = 1")):
        for unit_class in ("f.unit_class", "''"):
            connection.execute(_RANKED.format(unit_class=unit_class, year=year, where=where, whole=WHOLE_FIGURE))


def _chunks(cursor: sqlite3.Cursor):
    while rows := cursor.fetchmany(_CHUNK):
        yield [row[0] for row in rows] if len(rows[0]) == 1 else rows
