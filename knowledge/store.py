"""The knowledge base: a SQLite file written through sqlite-utils.

Tables: ``townships`` and their ``aliases``, ``reports`` (one per township and year), ``sections``,
``sentences`` (with FTS5 over their jieba-segmented text), ``facts`` (every figure with its lead, tail,
label and unit class; FTS5 over the jieba-segmented words around it), ``metrics`` and ``meta``.

Writing is atomic: ``write_reports`` copies the file, writes into the copy and renames it over the
original, so a build that fails or is killed half-way leaves the knowledge base exactly as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from knowledge.aliases import short_name, township_aliases
from knowledge.quantities import unit_class
from knowledge.facts import Fact
from knowledge.report import Report
from knowledge.segment import Segmenter
from knowledge.vocabulary import metrics

SCHEMA_VERSION = "2"


@dataclass
class Stored:
    """What writing one report did: ``added``, ``replaced`` (same township and year, new text) or ``unchanged``."""

    report: Report
    status: str
    report_id: int


def open_database(path: Path | str) -> sqlite_utils.Database:
    """Open the knowledge base at ``path`` for reading (it must exist)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no knowledge base at {path}; run: township-bot --db {path} build")
    db = sqlite_utils.Database(sqlite3.connect(path, check_same_thread=False))
    check_schema(db, path)
    return db


class SchemaError(RuntimeError):
    """A knowledge base written by another version of this program; the message says what to run."""


def check_schema(db: sqlite_utils.Database, path: Path) -> None:
    """Raise ``SchemaError`` unless the knowledge base at ``path`` is empty or of this schema version."""
    if "meta" not in db.table_names():
        return
    row = next(db["meta"].rows_where("key = 'schema_version'"), None)
    if row is None or row["value"] != SCHEMA_VERSION:
        raise SchemaError(f"{path} was built by an older version of township-bot (schema "
                          f"{row['value'] if row else '?'}, now {SCHEMA_VERSION}); rebuild it from the report files: "
                          f"township-bot --db {path} build FOLDER")


def write_reports(path: Path | str, reports: list[Report], segmenter: Segmenter | None = None) -> list[Stored]:
    """Store ``reports`` in the knowledge base at ``path`` (created if missing), all or nothing.

    The same text twice is stored once; a new text for a township and year replaces the old one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    segmenter = segmenter or Segmenter()
    segmenter.add_words(report.header.township for report in reports)
    with _writer_lock(path):
        return _write_atomically(path, reports, segmenter)


@contextlib.contextmanager
def _writer_lock(path: Path) -> Iterator[None]:
    """One writer at a time per knowledge base (a bot upload and a `build` may overlap): each copies the
    file and replaces it, so without the lock the later one would drop the earlier one's reports."""
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_atomically(path: Path, reports: list[Report], segmenter: Segmenter) -> list[Stored]:
    handle, scratch = tempfile.mkstemp(prefix=path.name + ".", suffix=".building", dir=path.parent)
    os.close(handle)
    try:
        target = sqlite3.connect(scratch)
        if path.exists():
            with sqlite3.connect(path) as source:
                source.backup(target)
        db = sqlite_utils.Database(target)
        check_schema(db, path)
        _ensure_schema(db)
        stored = [_write_report(db, report, segmenter) for report in reports]
        db["meta"].upsert({"key": "built_at", "value": time.strftime("%Y-%m-%d %H:%M:%S")}, pk="key")
        target.commit()
        target.close()
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    return stored


def _ensure_schema(db: sqlite_utils.Database) -> None:
    if "reports" in db.table_names():
        return
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["meta"].insert({"key": "schema_version", "value": SCHEMA_VERSION})
    db["metrics"].insert_all(
        ({"id": m.id, "zh": m.zh, "en": m.en, "family": m.family, "kind": m.kind} for m in metrics().values()),
        pk="id",
    )
    db["townships"].create(
        {"id": int, "name": str, "short": str, "county": str, "city": str, "province": str}, pk="id",
    )
    db["townships"].create_index(["name"], unique=True)
    db["aliases"].create({"alias": str, "township_id": int, "kind": str}, pk=("alias", "township_id"),
                         foreign_keys=[("township_id", "townships", "id")])
    db["reports"].create(
        {"id": int, "township_id": int, "year": int, "title": str, "date": str, "source": str, "digest": str,
         "sentences": int, "facts": int, "stored_at": str},
        pk="id", foreign_keys=[("township_id", "townships", "id")],
    )
    db["reports"].create_index(["township_id", "year"], unique=True)
    db["sections"].create(
        {"id": int, "report_id": int, "number": int, "level": int, "heading": str, "kind": str, "parent": int},
        pk="id", foreign_keys=[("report_id", "reports", "id")],
    )
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
    db["facts"].create_index(["metric", "report_id"])
    db["facts"].create_index(["report_id"])
    # Rankings over open labels (哪个镇法律咨询人次最多) find their candidate figures through this index.
    db["facts"].enable_fts(["words"], tokenize="unicode61", create_triggers=True)


def _township_id(db: sqlite_utils.Database, report: Report) -> int:
    header = report.header
    row = next(db["townships"].rows_where("name = ?", [header.township]), None)
    record = {"name": header.township, "short": short_name(header.township), "county": header.county,
              "city": header.city, "province": header.province}
    if row is None:
        township_id = db["townships"].insert(record).last_pk
    else:
        township_id = row["id"]
        # A later report may say more about where the township is; never forget what an earlier one said.
        db["townships"].update(township_id, {key: value or row[key] for key, value in record.items()})
        record["county"] = record["county"] or row["county"]
    aliases = township_aliases(header.township, record["short"], record["county"])
    db["aliases"].upsert_all(
        ({"alias": alias, "township_id": township_id, "kind": kind} for alias, kind in aliases),
        pk=("alias", "township_id"),
    )
    return township_id


def _write_report(db: sqlite_utils.Database, report: Report, segmenter: Segmenter) -> Stored:
    township_id = _township_id(db, report)
    old = next(db["reports"].rows_where("township_id = ? and year = ?", [township_id, report.header.year]), None)
    if old is not None and old["digest"] == report.digest:
        return Stored(report, "unchanged", old["id"])
    if old is not None:
        _delete_report(db, old["id"])
    header, body = report.header, report.body
    report_id = db["reports"].insert({
        "township_id": township_id, "year": header.year, "title": header.title, "date": header.date,
        "source": report.source, "digest": report.digest, "sentences": len(body.sentences),
        "facts": len(report.facts), "stored_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }).last_pk
    section_ids = {}
    for section in body.sections:
        section_ids[section.number] = db["sections"].insert({
            "report_id": report_id, "number": section.number, "level": section.level, "heading": section.heading,
            "kind": section.kind, "parent": section_ids.get(section.parent) if section.parent is not None else None,
        }).last_pk
    kinds = {section.number: section.kind for section in body.sections}
    sentence_ids = {}
    for sentence in body.sentences:
        sentence_ids[sentence.position] = db["sentences"].insert({
            "report_id": report_id, "section_id": section_ids[sentence.section], "position": sentence.position,
            "text": sentence.text, "kind": kinds[sentence.section], "seg": " ".join(segmenter.words(sentence.text)),
        }).last_pk
    db["facts"].insert_all(_fact_record(fact, report_id, sentence_ids[position], segmenter)
                           for position, fact in report.facts)
    return Stored(report, "replaced" if old is not None else "added", report_id)


def _fact_record(fact: Fact, report_id: int, sentence_id: int, segmenter: Segmenter) -> dict:
    quantity = fact.quantity
    return {
        "report_id": report_id, "sentence_id": sentence_id, "metric": fact.metric, "subject": fact.subject,
        "value": quantity.value if quantity else None, "lower": quantity.lower if quantity else None,
        "upper": quantity.upper if quantity else None, "qualifier": quantity.qualifier if quantity else "",
        "unit": quantity.unit if quantity else "", "unit_class": unit_class(quantity.unit) if quantity else "",
        "figure": fact.text, "scope": fact.scope, "name": fact.name, "label": fact.label, "lead": fact.lead,
        "tail": fact.tail, "offset": quantity.start if quantity else None,
        "words": " ".join(dict.fromkeys(segmenter.words(f"{fact.lead} {fact.tail}"))) if quantity else "",
    }


def _delete_report(db: sqlite_utils.Database, report_id: int) -> None:
    for table in ("facts", "sentences", "sections"):
        db[table].delete_where("report_id = ?", [report_id])
    db["reports"].delete(report_id)
