"""Which knowledge bases this version reads: the schema version, and opening a knowledge base to read.

Plain ``sqlite3`` on purpose: answering imports this, and starts faster without sqlite-utils.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

SCHEMA_VERSION = "5"
BUSY_SECONDS = 60  # how long a reader or writer waits for another writer (a bot upload during a build)


class SchemaError(RuntimeError):
    """A knowledge base written by another version of this program; the message says what to run."""


def check_schema(connection: sqlite3.Connection, path: Path) -> None:
    """Raise ``SchemaError`` unless the knowledge base at ``path`` is empty or of this schema version."""
    tables = {row[0] for row in connection.execute("select name from sqlite_master where type = 'table'")}
    if "meta" not in tables:
        return
    row = connection.execute("select value from meta where key = 'schema_version'").fetchone()
    if row is None or row[0] != SCHEMA_VERSION:
        raise SchemaError(f"{path} was built by an older version of township-bot (schema "
                          f"{row[0] if row else '?'}, now {SCHEMA_VERSION}); rebuild it from the report files: "
                          f"township-bot --db {path} build FOLDER")


def rows_in(connection: sqlite3.Connection, sql: str, values: Iterable[str]) -> Iterator[tuple]:
    """The rows of ``sql``, whose ``{values}`` stands for a list of placeholders, over all distinct ``values``
    (queried in chunks of a size SQLite accepts)."""
    values = list(set(values))
    for start in range(0, len(values), 900):
        chunk = values[start:start + 900]
        yield from connection.execute(sql.format(values=",".join("?" * len(chunk))), chunk)


def open_database(path: Path | str) -> sqlite3.Connection:
    """Open the knowledge base at ``path`` for reading (it must exist)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no knowledge base at {path}; run: township-bot --db {path} build")
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.execute(f"pragma busy_timeout = {BUSY_SECONDS * 1000}")
    check_schema(connection, path)
    return connection
