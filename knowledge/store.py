"""The knowledge base: a SQLite file written through sqlite-utils.

Tables: ``townships`` with their ``aliases`` and fuzzy-match ``name_keys``, ``reports`` (one per township
and year), ``sections``, ``sentences`` (with FTS5 over their jieba-segmented text), ``facts`` (every figure
with its lead, tail, label and unit class; FTS5 over the jieba-segmented words around it), ``metrics``
and ``meta``; once an upload has replaced a report, ``replaced_reports`` keeps the replaced ones' rows, so that
``Writer.restore_replaced`` can bring one back.

Writing happens in place, in one transaction per ``Writer`` (WAL mode): a build that fails or is killed
half-way leaves the knowledge base exactly as it was, readers go on reading the old state meanwhile, and
adding one report to a large knowledge base writes only that report's rows.
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from knowledge.aliases import county_short, fuzzy_keys, pinyin, short_name, township_aliases
from knowledge.quantities import unit_class
from knowledge.facts import Fact
from knowledge.report import Report
from knowledge.schema import (BUSY_SECONDS, FACTS_BY_AMOUNT, RANKED_COUNTS_TABLE, REPLACED_TABLE, SCHEMA_VERSION,
                              WHOLE_FIGURE, WORDS_TABLE, check_file, check_schema, schema_version)
from knowledge.segment import LookupSegmenter, Segmenter
from knowledge.vocabulary import metrics
from knowledge.wordstats import WordCounts


@dataclass
class Prepared:
    """A parsed report with its text segmented for the full-text indexes: what a build worker hands back."""

    report: Report
    sentence_words: list[str]  # each sentence's words, space-separated, in sentence order
    fact_words: list[str]  # each fact's words (lead and tail), in fact order
    file_digest: str = ""  # of the file's bytes, to skip it unread next time
    words: WordCounts = field(default_factory=WordCounts)  # what these rows add to the ``words`` table


@dataclass
class Stored:
    """What writing one report did: ``added``, ``replaced`` (same township and year, new text) or ``unchanged``."""

    status: str
    report_id: int


@dataclass
class StoredReport:
    """A report in the knowledge base, as an upload of the same township and year would find it."""

    township: str
    year: int
    title: str
    source: str  # the name of the file it was read from
    facts: int
    digest: str  # of its text (and the parser): the same digest, the same report


@dataclass
class Restored:
    """What ``Writer.restore_replaced`` did: ``restored`` is back, ``removed`` (which had replaced it) is gone."""

    restored: StoredReport
    removed: StoredReport
    replaced_at: str


_STORED_REPORT = ("select t.name, r.year, r.title, r.source, r.facts, r.digest from reports r "
                  "join townships t on t.id = r.township_id where t.name = ? and r.year = ?")


def stored_report(path: Path | str, township: str, year: int) -> StoredReport | None:
    """The report of ``township`` and ``year`` in the knowledge base at ``path`` (None if none, or no file); reads only.

    Raises ``KnowledgeBaseError`` when ``path`` is not a knowledge base.
    """
    path = Path(path)
    check_file(path)
    if not path.exists():
        return None
    connection = sqlite3.connect(path)
    try:
        connection.execute(f"pragma busy_timeout = {BUSY_SECONDS * 1000}")
        if schema_version(connection, path) is None:
            return None
        row = connection.execute(_STORED_REPORT, [township, year]).fetchone()
    finally:
        connection.close()
    return StoredReport(*row) if row else None


def prepare(report: Report, segmenter: Segmenter | LookupSegmenter, file_digest: str = "") -> Prepared:
    """Segment ``report``'s sentences and facts' words (the slow part of storing it; done in build workers)."""
    header = report.header
    with segmenter.knowing({header.township, short_name(header.township)}):
        sentences = [" ".join(segmenter.words(sentence.text)) for sentence in report.body.sentences]
        facts = [" ".join(dict.fromkeys(segmenter.words(f"{fact.lead} {fact.tail}"))) if fact.quantity else ""
                 for _, fact in report.facts]
    figures = sum(1 for _, fact in report.facts if fact.quantity)
    return Prepared(report, sentences, facts, file_digest, WordCounts.of(sentences, facts, figures))


def write_reports(path: Path | str, reports: list[Report], segmenter: Segmenter | None = None) -> list[Stored]:
    """Store ``reports`` in the knowledge base at ``path`` (created if missing), all or nothing.

    The same text twice is stored once; a new text for a township and year replaces the old one.
    """
    segmenter = segmenter or Segmenter()
    with Writer(path) as writer:
        return [writer.write(prepare(report, segmenter)) for report in reports]


class Writer:
    """One all-or-nothing write to the knowledge base at ``path``: use as a context manager.

    Everything written inside the ``with`` block is committed when it ends, and rolled back if it ends by an
    exception (or the process dies): the knowledge base then stays exactly as it was.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        check_file(self.path)
        self._created = not self.path.exists()  # removed again if nothing is written to it
        self.connection = sqlite3.connect(self.path, isolation_level=None)
        self.connection.execute(f"pragma busy_timeout = {BUSY_SECONDS * 1000}")
        self.db = sqlite_utils.Database(self.connection)
        try:
            schema_version(self.connection, self.path)  # before any write: another application's file stays untouched
            self.connection.execute("pragma journal_mode = wal")
            self.connection.execute("pragma synchronous = normal")
            self.connection.execute("pragma cache_size = -200000")  # 200 MB: full-text index merges stay in memory
            self.connection.execute("begin immediate")
            self.changed = check_schema(self.connection, self.path)  # migrated: to be committed
            _ensure_schema(self.db)
        except BaseException:
            self.connection.close()
            raise
        self._words = WordCounts()  # written to the ``words`` table when the transaction commits
        self._ranked: Counter = Counter()  # (metric, unit class, year) → townships: added to ``ranked_counts`` then
        self._next_id = {table: (self.connection.execute(f"select max(id) from {table}").fetchone()[0] or 0) + 1
                         for table in ("sections", "sentences", "facts")}

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        try:
            if kind is None and self.changed:
                self._write_word_counts()
                self._write_ranked_counts()
                self.db["meta"].upsert({"key": "built_at", "value": time.strftime("%Y-%m-%d %H:%M:%S")}, pk="key")
                self.connection.execute("commit")
            else:  # failed, or nothing new: the file stays exactly as it was
                self.connection.execute("rollback")
        finally:
            try:
                empty = self._created and not self.connection.execute("select count(*) from sqlite_master").fetchone()[0]
            except sqlite3.Error:
                empty = False
            self.connection.close()
            if empty:  # this write created the file and left nothing in it: no empty file left behind
                for litter in (self.path, self.path.with_name(self.path.name + "-wal"),
                               self.path.with_name(self.path.name + "-shm")):
                    litter.unlink(missing_ok=True)

    def _write_word_counts(self) -> None:
        words = self._words
        self.connection.executemany(
            "insert into words (word, sentences, facts) values (?, ?, ?) on conflict (word) do update set "
            "sentences = sentences + excluded.sentences, facts = facts + excluded.facts",
            [(word, words.sentences[word], words.facts[word]) for word in set(words.sentences) | set(words.facts)])
        fallen = {word for counts in (words.sentences, words.facts) for word, count in counts.items() if count < 0}
        self.connection.executemany("delete from words where word = ? and sentences <= 0 and facts <= 0",
                                    [(word,) for word in fallen])  # only a replaced report's words can reach 0
        self.connection.executemany(
            "update meta set value = cast(value as integer) + ? where key = ?",
            [(count, key) for key, count in words.totals.items()])

    def _write_ranked_counts(self) -> None:
        self.connection.executemany(
            "insert into ranked_counts (metric, unit_class, year, townships) values (?, ?, ?, ?) on conflict "
            "(metric, unit_class, year) do update set townships = townships + excluded.townships",
            [(*key, count) for key, count in self._ranked.items() if count])
        self.connection.executemany(
            "delete from ranked_counts where metric = ? and unit_class = ? and year = ? and townships <= 0",
            [key for key, count in self._ranked.items() if count < 0])

    def _ranked_in(self, report_id: int | None) -> set[tuple[str, str]]:
        """The (metric, unit class) pairs a ranking finds in a report (class "" for any), as ``stated_by`` counts."""
        if report_id is None:
            return set()
        pairs = set(self.connection.execute(
            f"select distinct f.metric, f.unit_class from facts f where f.report_id = ? and f.metric != '' "
            f"and {WHOLE_FIGURE}", [report_id]))
        return pairs | {(metric, "") for metric, _ in pairs}

    def _latest_report(self, township_id: int) -> int | None:
        row = self.connection.execute("select id from reports where township_id = ? and latest = 1",
                                      [township_id]).fetchone()
        return row[0] if row else None

    def stored_file(self, file_digest: str) -> dict | None:
        """The stored report read from a file with these bytes (by the same parser), if any."""
        return next(self.db.query(
            "select t.name as township, r.year, r.facts, r.id from reports r join townships t on t.id = r.township_id "
            "where r.file_digest = ?", [file_digest]), None)

    def stored_report(self, township: str, year: int) -> StoredReport | None:
        """The report of ``township`` and ``year`` as this transaction sees it (None if none)."""
        row = self.connection.execute(_STORED_REPORT, [township, year]).fetchone()
        return StoredReport(*row) if row else None

    def write(self, prepared: Prepared, archive: bool = False) -> Stored:
        """Store one prepared report; the same text as stored is left alone, a new text for its year replaces it.

        With ``archive``, a replaced report's rows are kept in ``replaced_reports`` first (see ``restore_replaced``).
        """
        report = prepared.report
        township_id = self._township_id(report)
        old = self.connection.execute("select id, digest from reports where township_id = ? and year = ?",
                                      [township_id, report.header.year]).fetchone()
        if old is not None and old[1] == report.digest:
            if prepared.file_digest:  # the same text in another file (another encoding): skip that file next time
                self.changed = True
                self.connection.execute("update reports set file_digest = ? where id = ?", [prepared.file_digest, old[0]])
            return Stored("unchanged", old[0])
        if archive and old is not None:
            self._archive(old[0], replaced_by=report.digest)
        report_id = self._swap(township_id, report.header.year, old[0] if old else None,
                               lambda: self._insert_report(township_id, prepared))
        self._words.add(prepared.words)
        return Stored("replaced" if old is not None else "added", report_id)

    def restore_replaced(self) -> Restored | None:
        """Bring back the report most recently archived by a replacing ``write``, in place of the report that
        replaced it; None when there is none to bring back.

        An archived report whose replacement has itself been replaced since (by a build, say) is passed over: only
        the report that stands where it stood is swapped back.
        """
        if not self.connection.execute("select 1 from sqlite_master where name = 'replaced_reports'").fetchone():
            return None
        candidates = self.connection.execute(
            "select id, township, year, replaced_by, replaced_at from replaced_reports where restored_at is null "
            "order by id desc").fetchall()
        for archive_id, township, year, replaced_by, replaced_at in candidates:
            current = self.stored_report(township, year)
            if current is not None and current.digest == replaced_by:
                break
        else:
            return None
        packed = self.connection.execute("select rows from replaced_reports where id = ?", [archive_id]).fetchone()[0]
        rows = json.loads(zlib.decompress(packed))
        report_id = self.connection.execute("select r.id from reports r join townships t on t.id = r.township_id "
                                            "where t.name = ? and r.year = ?", [township, year]).fetchone()[0]
        township_id = rows["report"]["township_id"]
        self._swap(township_id, year, report_id, lambda: self._insert_rows(rows))
        self._words.add(WordCounts.of([sentence["seg"] for sentence in rows["sentences"]],
                                      [fact["words"] for fact in rows["facts"]],
                                      sum(fact["offset"] is not None for fact in rows["facts"])))
        self.connection.execute("update replaced_reports set restored_at = ? where id = ?",
                                [time.strftime("%Y-%m-%d %H:%M:%S"), archive_id])
        return Restored(self.stored_report(township, year), current, replaced_at)

    def _swap(self, township_id: int, year: int, old_id: int | None, insert: Callable[[], int]) -> int:
        """Delete report ``old_id`` (None: none) of this township and year and store the one ``insert`` stores
        (returning its id), keeping the ranked counts and the township's newest report (``latest``) right."""
        ranked_before = self._ranked_in(self._latest_report(township_id))
        if old_id is not None:
            self._count_ranked(self._ranked_in(old_id), year, -1)
            self._delete_report(old_id)
        report_id = insert()
        self._count_ranked(self._ranked_in(report_id), year, 1)
        self.changed = True
        self.connection.execute(
            "update reports set latest = (year = (select max(year) from reports where township_id = ?)) "
            "where township_id = ?", [township_id, township_id])
        self._count_ranked(ranked_before, 0, -1)  # year 0: each township's newest report
        self._count_ranked(self._ranked_in(self._latest_report(township_id)), 0, 1)
        return report_id

    def _archive(self, report_id: int, replaced_by: str) -> None:
        """Keep report ``report_id``'s rows in ``replaced_reports`` (before a replacement deletes them)."""
        def rows(sql: str) -> list[dict]:
            cursor = self.connection.execute(sql, [report_id])
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row)) for row in cursor]

        report = rows("select * from reports where id = ?")[0]
        packed = {"report": report, "sections": rows("select * from sections where report_id = ? order by id"),
                  "sentences": rows("select * from sentences where report_id = ? order by id"),
                  "facts": rows("select * from facts where report_id = ? order by id")}
        township = self.connection.execute("select name from townships where id = ?",
                                           [report["township_id"]]).fetchone()
        self.connection.execute(REPLACED_TABLE)
        self.connection.execute(
            "insert into replaced_reports (township, year, title, facts, digest, replaced_by, replaced_at, rows) "
            "values (?, ?, ?, ?, ?, ?, ?, ?)",
            [township[0], report["year"], report["title"], report["facts"], report["digest"], replaced_by,
             time.strftime("%Y-%m-%d %H:%M:%S"), zlib.compress(json.dumps(packed, ensure_ascii=False).encode())])

    def _insert_rows(self, rows: dict) -> int:
        """Insert an archived report's rows (see ``_archive``) under new ids; returns the report's id."""
        def insert(table: str, row: dict) -> int:
            return self.connection.execute(
                f"insert into {table} ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                list(row.values())).lastrowid

        report_id = insert("reports", {**{key: value for key, value in rows["report"].items() if key != "id"},
                                       "latest": 0})
        first = self._take_ids("sections", len(rows["sections"]))
        section_ids = {row["id"]: first + index for index, row in enumerate(rows["sections"])}
        for row in rows["sections"]:
            insert("sections", {**row, "id": section_ids[row["id"]], "report_id": report_id,
                                "parent": section_ids.get(row["parent"])})
        first = self._take_ids("sentences", len(rows["sentences"]))
        sentence_ids = {row["id"]: first + index for index, row in enumerate(rows["sentences"])}
        for row in rows["sentences"]:
            insert("sentences", {**row, "id": sentence_ids[row["id"]], "report_id": report_id,
                                 "section_id": section_ids[row["section_id"]]})
        first = self._take_ids("facts", len(rows["facts"]))
        for index, row in enumerate(rows["facts"]):
            insert("facts", {**row, "id": first + index, "report_id": report_id,
                             "sentence_id": sentence_ids[row["sentence_id"]]})
        return report_id

    def _count_ranked(self, pairs: set[tuple[str, str]], year: int, sign: int) -> None:
        for metric_and_class in pairs:
            self._ranked[(*metric_and_class, year)] += sign

    def _take_ids(self, table: str, count: int) -> int:
        first = self._next_id[table]
        self._next_id[table] += count
        return first

    def _township_id(self, report: Report) -> int:
        header = report.header
        row = self.connection.execute("select id, county, city, province from townships where name = ?",
                                      [header.township]).fetchone()
        short = short_name(header.township)
        record = {"name": header.township, "short": short, "county": header.county,
                  "county_short": county_short(header.county), "city": header.city, "province": header.province}
        if row is None:
            record["pinyin"] = pinyin(short)
            township_id = self.db["townships"].insert(record).last_pk
        else:
            # A later report may say more about where the township is; never forget what an earlier one said.
            township_id = row[0]
            for index, key in enumerate(("county", "city", "province"), 1):
                record[key] = record[key] or row[index]
            record["county_short"] = county_short(record["county"])
            if tuple(record[key] for key in ("county", "city", "province")) == tuple(row[1:]):
                return township_id  # nothing new: its names, aliases and keys are stored (pinyin takes 0.3 s to load)
            self.db["townships"].update(township_id, record)
        self.connection.executemany(
            "insert or ignore into aliases (alias, township_id, kind) values (?, ?, ?)",
            [(alias, township_id, kind) for alias, kind in township_aliases(header.township, short, record["county"])])
        self.connection.executemany("insert or ignore into name_keys (key, township_id) values (?, ?)",
                                    [(key, township_id) for key in fuzzy_keys(header.township, record.get("pinyin"))])
        return township_id

    def _insert_report(self, township_id: int, prepared: Prepared) -> int:
        report = prepared.report
        header, body = report.header, report.body
        report_id = self.db["reports"].insert({
            "township_id": township_id, "year": header.year, "title": header.title, "date": header.date,
            "source": report.source, "digest": report.digest, "file_digest": prepared.file_digest,
            "sentences": len(body.sentences), "facts": len(report.facts), "latest": 0,
            "stored_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }).last_pk
        first = self._take_ids("sections", len(body.sections))
        section_ids = {section.number: first + index for index, section in enumerate(body.sections)}
        self.connection.executemany(
            "insert into sections (id, report_id, number, level, heading, kind, parent) values (?, ?, ?, ?, ?, ?, ?)",
            [(section_ids[s.number], report_id, s.number, s.level, s.heading, s.kind,
              section_ids.get(s.parent) if s.parent is not None else None) for s in body.sections])
        kinds = {section.number: section.kind for section in body.sections}
        first = self._take_ids("sentences", len(body.sentences))
        sentence_ids = {sentence.position: first + index for index, sentence in enumerate(body.sentences)}
        self.connection.executemany(
            "insert into sentences (id, report_id, section_id, position, text, kind, seg) values (?, ?, ?, ?, ?, ?, ?)",
            [(sentence_ids[s.position], report_id, section_ids[s.section], s.position, s.text, kinds[s.section], words)
             for s, words in zip(body.sentences, prepared.sentence_words)])
        first = self._take_ids("facts", len(report.facts))
        self.connection.executemany(
            f"insert into facts ({', '.join(_FACT_COLUMNS)}) values ({', '.join('?' * len(_FACT_COLUMNS))})",
            [(first + index, report_id, sentence_ids[position], *_fact_values(fact), words)
             for index, ((position, fact), words) in enumerate(zip(report.facts, prepared.fact_words))])
        return report_id

    def _delete_report(self, report_id: int) -> None:
        sentence_words = [row[0] for row in self.connection.execute(
            "select seg from sentences where report_id = ?", [report_id])]
        fact_words, figures = [], 0
        for words, offset in self.connection.execute("select words, offset from facts where report_id = ?",
                                                     [report_id]):
            fact_words.append(words)
            figures += offset is not None
        self._words.add(WordCounts.of(sentence_words, fact_words, figures), sign=-1)
        for table in ("facts", "sentences", "sections"):
            self.connection.execute(f"delete from {table} where report_id = ?", [report_id])
        self.connection.execute("delete from reports where id = ?", [report_id])


def _ensure_schema(db: sqlite_utils.Database) -> None:
    if "reports" in db.table_names():
        return
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["meta"].insert_all([{"key": "schema_version", "value": SCHEMA_VERSION},
                           *({"key": key, "value": "0"} for key in ("sentence_rows", "sentence_tokens", "figures"))])
    db.execute(WORDS_TABLE)
    db["metrics"].insert_all(
        ({"id": m.id, "zh": m.zh, "en": m.en, "family": m.family, "kind": m.kind} for m in metrics().values()),
        pk="id",
    )
    db["townships"].create(
        {"id": int, "name": str, "short": str, "county": str, "county_short": str, "city": str, "province": str,
         "pinyin": str}, pk="id",
    )
    db["townships"].create_index(["name"], unique=True)
    db["townships"].create_index(["county"])
    db["townships"].create_index(["county_short"])
    db.execute("create table aliases (alias text, township_id integer references townships(id), kind text, "
               "primary key (alias, township_id)) without rowid")
    # Fuzzy township matching (typos, homophones) looks up candidates by these keys, not by scanning every name.
    db.execute("create table name_keys (key text, township_id integer references townships(id), "
               "primary key (key, township_id)) without rowid")
    db.execute(RANKED_COUNTS_TABLE)
    db["reports"].create(
        {"id": int, "township_id": int, "year": int, "title": str, "date": str, "source": str, "digest": str,
         "file_digest": str, "sentences": int, "facts": int, "latest": int, "stored_at": str},
        pk="id", foreign_keys=[("township_id", "townships", "id")],
    )
    db["reports"].create_index(["file_digest"])
    db["reports"].create_index(["township_id", "year"], unique=True)
    db["sections"].create(
        {"id": int, "report_id": int, "number": int, "level": int, "heading": str, "kind": str, "parent": int},
        pk="id", foreign_keys=[("report_id", "reports", "id")],
    )
    db["sections"].create_index(["report_id"])  # a replaced report's rows are deleted by report
    db["sentences"].create(
        {"id": int, "report_id": int, "section_id": int, "position": int, "text": str, "kind": str, "seg": str},
        pk="id", foreign_keys=[("report_id", "reports", "id"), ("section_id", "sections", "id")],
    )
    db["sentences"].create_index(["report_id", "position"])
    db["sentences"].enable_fts(["seg"], tokenize="unicode61", create_triggers=True)
    db["facts"].create(
        {"id": int, "report_id": int, "sentence_id": int, "metric": str, "subject": str, "value": float,
         "lower": float, "upper": float, "qualifier": str, "unit": str, "unit_class": str, "figure": str,
         "scope": str, "name": str, "label": str, "lead": str, "tail": str, "offset": int, "words": str},
        pk="id", foreign_keys=[("report_id", "reports", "id"), ("sentence_id", "sentences", "id")],
    )
    db.execute(FACTS_BY_AMOUNT)
    db["facts"].create_index(["report_id"])
    # Rankings over open labels (哪个镇法律咨询人次最多) find their candidate figures through this index.
    db["facts"].enable_fts(["words"], tokenize="unicode61", create_triggers=True)


_FACT_COLUMNS = ("id", "report_id", "sentence_id", "metric", "subject", "value", "lower", "upper", "qualifier",
                 "unit", "unit_class", "figure", "scope", "name", "label", "lead", "tail", "offset", "words")


def _fact_values(fact: Fact) -> tuple:
    """The columns of ``_FACT_COLUMNS`` from ``metric`` to ``offset``."""
    quantity = fact.quantity
    if quantity is None:
        return (fact.metric, fact.subject, None, None, None, "", "", "", fact.text, fact.scope, fact.name, fact.label,
                fact.lead, fact.tail, None)
    return (fact.metric, fact.subject, quantity.value, quantity.lower, quantity.upper, quantity.qualifier,
            quantity.unit, unit_class(quantity.unit), fact.text, fact.scope, fact.name, fact.label, fact.lead,
            fact.tail, quantity.start)
