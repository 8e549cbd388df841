"""Which files are knowledge bases this version can use: the schema version, checks, migration, opening to read.

Plain ``sqlite3`` on purpose: answering imports this, and starts faster without sqlite-utils.

Every file that is not a usable knowledge base (a folder, garbage, a truncated or damaged file, another
application's SQLite database, one written by another version) gives one ``KnowledgeBaseError`` whose message
says what is wrong and what to run. Another application's database is never written to. An older schema that
differs only in tables derived from the stored rows is migrated in place.
"""

from __future__ import annotations

import os
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path

SCHEMA_VERSION = "8"
MIGRATES_FROM = ("3", "4", "5", "6", "7")  # these differ from this one only in what derives from the rows (migrate)
# Rankings walk a metric's figures from the largest (or smallest) straight off this index: no sort of them all.
# Queries must order by exactly this expression for SQLite to use it.
FACTS_BY_AMOUNT = "create index if not exists facts_by_amount on facts (metric, coalesce(value, lower))"
# How many sentences and figures hold each word: kept as reports come and go (knowledge.wordstats).
WORDS_TABLE = ("create table words (word text primary key, sentences integer not null, facts integer not null) "
               "without rowid")
# How many townships a ranking compares, by metric, unit class ('' for any) and year (0 for each township's newest
# report): kept as reports come and go, not counted per question.
RANKED_COUNTS_TABLE = ("create table ranked_counts (metric text, unit_class text, year integer, townships integer, "
                       "primary key (metric, unit_class, year)) without rowid")
# Reports that an upload replaced, kept so that the replacement can be undone: each one's rows (reports, sections,
# sentences, facts) as zlib-compressed JSON. Made by the first replacing upload: older knowledge bases and those
# only ever built from folders have none, and no reader needs it.
REPLACED_TABLE = ("create table if not exists replaced_reports (id integer primary key, township text not null, "
                  "year integer not null, title text, facts integer, digest text, replaced_by text not null, "
                  "replaced_at text not null, restored_at text, rows blob not null)")
# The figures (of facts ``f``) a ranking compares: whole ones (no 每村 or 其中 scope) with a value.
WHOLE_FIGURE = "f.scope = '' and coalesce(f.value, f.lower) is not null"
BUSY_SECONDS = 60  # how long a reader or writer waits for another writer (a bot upload during a build)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_OUR_TABLES = {"meta", "townships", "reports", "sentences", "facts"}


class KnowledgeBaseError(RuntimeError):
    """A file that is not a knowledge base this version can use; the message says what is wrong and what to run."""


def _rebuild(path: Path) -> str:
    return f"rebuild it from the report files: township-bot --db {path} build FOLDER"


# One open descriptor per knowledge base file (device, inode) this process has read the header of, never closed
# while the process may hold SQLite connections to it: closing any descriptor of a file drops every POSIX lock the
# process holds on that file, SQLite's included, and another process that then finds the file unlocked may
# checkpoint and delete the write-ahead log under this process's connections ("database disk image is
# malformed"). A kept descriptor also keeps the inode from being reused by another file.
_HEADERS: OrderedDict[tuple[int, int], int] = OrderedDict()
_MAX_HEADERS = 64  # past this, the least recently checked is closed: a long-gone test file, not a served one


def _read_header(path: Path) -> tuple[bytes, int]:
    """The first 100 bytes of ``path`` and its size, through the descriptor kept for its inode."""
    status = path.stat()
    key = (status.st_dev, status.st_ino)
    descriptor = _HEADERS.get(key)
    if descriptor is None:
        descriptor = _HEADERS[key] = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        while len(_HEADERS) > _MAX_HEADERS:
            os.close(_HEADERS.popitem(last=False)[1])
    _HEADERS.move_to_end(key)
    return os.pread(descriptor, 100, 0), os.fstat(descriptor).st_size


def check_file(path: Path) -> None:
    """Raise ``KnowledgeBaseError`` unless ``path`` is missing, empty or an intact-looking SQLite file.

    Cheap at any size: it reads the 100-byte header and compares the page count it states with the file's size.
    Safe while this process has the file open in SQLite (see ``_HEADERS``).
    """
    if path.is_dir():
        raise KnowledgeBaseError(f"{path} is a folder, not a knowledge base file; name a file: "
                                 f"township-bot --db {path / 'kb.db'} …")
    try:
        header, size = _read_header(path)
    except FileNotFoundError:
        return
    except OSError as error:
        raise KnowledgeBaseError(f"cannot read the knowledge base {path}: {error.strerror}") from None
    if not header:
        return
    if not header.startswith(_SQLITE_MAGIC):
        raise KnowledgeBaseError(f"{path} is not a knowledge base (not an SQLite file); move it away or name "
                                 f"another file with --db, then build: township-bot --db FILE build FOLDER")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    # the page count in the header holds only when its "valid for" counter equals the change counter
    pages = int.from_bytes(header[28:32], "big") if header[92:96] == header[24:28] else 0
    if len(header) < 100 or size % page_size or size < pages * page_size:
        raise KnowledgeBaseError(f"{path} is damaged (cut short: {size} bytes); {_rebuild(path)}")


def schema_version(connection: sqlite3.Connection, path: Path) -> str | None:
    """The schema version of the knowledge base on ``connection`` (None when it has no tables yet).

    Raises ``KnowledgeBaseError`` for another application's database and for a damaged one.
    """
    try:
        tables = {row[0] for row in connection.execute("select name from sqlite_master where type = 'table'")}
        if not tables:
            return None
        if not _OUR_TABLES <= tables:
            raise KnowledgeBaseError(f"{path} is another application's SQLite database, not a knowledge base; "
                                     f"township-bot does not write to it: name another file with --db")
        row = connection.execute("select value from meta where key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as error:
        raise KnowledgeBaseError(f"{path} is damaged ({error}); {_rebuild(path)}") from None
    return row[0] if row else "?"


def check_schema(connection: sqlite3.Connection, path: Path) -> bool:
    """Bring the knowledge base on ``connection`` to this schema version (migrating an older one in place, in
    the connection's transaction: True then), or raise ``KnowledgeBaseError`` saying what to run."""
    version = schema_version(connection, path)
    if version is None or version == SCHEMA_VERSION:
        return False
    if version in MIGRATES_FROM:
        from knowledge.migrate import migrate  # only ever needed once per knowledge base

        migrate(connection, version)
        return True
    newer = version.isdigit() and int(version) > int(SCHEMA_VERSION)
    raise KnowledgeBaseError(f"{path} was built by {'a newer' if newer else 'an older'} version of township-bot "
                             f"(schema {version}, this one reads {SCHEMA_VERSION}); {_rebuild(path)}")


def rows_in(connection: sqlite3.Connection, sql: str, values: Iterable[str]) -> Iterator[tuple]:
    """The rows of ``sql``, whose ``{values}`` stands for a list of placeholders, over all distinct ``values``
    (queried in chunks of a size SQLite accepts)."""
    values = list(set(values))
    for start in range(0, len(values), 900):
        chunk = values[start:start + 900]
        yield from connection.execute(sql.format(values=",".join("?" * len(chunk))), chunk)


def open_database(path: Path | str) -> sqlite3.Connection:
    """Open the knowledge base at ``path`` for reading (it must exist); an older schema is migrated first."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no knowledge base at {path}; run: township-bot --db {path} build")
    check_file(path)
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.execute(f"pragma busy_timeout = {BUSY_SECONDS * 1000}")
    version = schema_version(connection, path)
    if version is None:
        raise KnowledgeBaseError(f"{path} is an empty knowledge base; fill it: township-bot --db {path} build FOLDER")
    if version != SCHEMA_VERSION:
        _migrate_file(path)
    return connection


def _migrate_file(path: Path) -> None:
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute(f"pragma busy_timeout = {BUSY_SECONDS * 1000}")
        writer.execute("begin immediate")
        check_schema(writer, path)
        writer.execute("commit")
    except sqlite3.OperationalError as error:  # read-only file or folder
        raise KnowledgeBaseError(f"{path} was built by an older version of township-bot and cannot be upgraded "
                                 f"here ({error}); upgrade it as its owner: township-bot --db {path} build") from None
    finally:
        writer.close()
