"""Files and folders in, knowledge base out: read, parse, then store everything in one atomic write."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge.fingerprint import parser_fingerprint
from knowledge.reading import SUPPORTED_SUFFIXES, ReadError, read_text
from knowledge.report import ParseError, Report, parse_report
from knowledge.store import write_reports


@dataclass
class FileResult:
    """What happened to one file: ``status`` is added, replaced, unchanged or failed (then ``error`` says why)."""

    path: Path
    status: str
    report: Report | None = None
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """The report files named by ``paths``: files as given, folders searched recursively for supported files."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                                and not p.name.startswith(".")))
        else:
            found.append(path)
    return found


def read_report(path: Path, data: bytes | None = None, name: str | None = None) -> Report:
    """Read and parse one report file; raises ``ReadError`` or ``ParseError`` with a one-line reason."""
    source = name or path.name
    text = read_text(Path(source) if name else path, data)
    return parse_report(text, source)


def ingest(paths: Iterable[Path], db_path: Path, progress: Callable[[FileResult], None] | None = None
           ) -> list[FileResult]:
    """Read every report under ``paths`` into the knowledge base at ``db_path``.

    A file that cannot be read or parsed is reported as failed and the others go on; the ones that
    parsed are then written in one atomic step. ``progress`` is called once per file as it is parsed.
    """
    results: list[FileResult] = []
    for path in collect_files(paths):
        try:
            result = FileResult(path, "parsed", read_report(path))
        except (ReadError, ParseError) as error:
            result = FileResult(path, "failed", error=str(error))
        results.append(result)
        if progress:
            progress(result)
    parsed = [result for result in results if not result.failed]
    if parsed:
        stored = write_reports(db_path, [result.report for result in parsed])
        for result, outcome in zip(parsed, stored):
            result.status = outcome.status
    return results


def ingest_upload(name: str, data: bytes, db_path: Path) -> FileResult:
    """Read one uploaded file (its ``name`` and bytes) into the knowledge base at ``db_path``, atomically.

    Nothing is written unless the file reads and parses: a bad upload leaves the knowledge base as it was.
    """
    path = Path(Path(name).name)  # only the file name counts: its suffix says how to read it
    try:
        report = read_report(path, data, path.name)
    except (ReadError, ParseError) as error:
        return FileResult(path, "failed", error=str(error))
    [stored] = write_reports(db_path, [report])
    return FileResult(path, stored.status, report)


def bundled_seeds() -> Path:
    """The folder of the five reports that ship with the package."""
    here = Path(__file__).parent
    installed = here / "seeds"
    return installed if installed.is_dir() else here.parent / "seeds"


def default_database() -> Path:
    """The knowledge base used when none is named: ``$TOWNSHIP_BOT_DB``, else one built from the seeds.

    The seeds' knowledge base lives in the user's cache, named after the seeds and the parser's own
    code, so that it is rebuilt (on first use) whenever either changes.
    """
    if os.environ.get("TOWNSHIP_BOT_DB"):
        return Path(os.environ["TOWNSHIP_BOT_DB"])
    digest = hashlib.sha256(parser_fingerprint().encode())
    for path in sorted(bundled_seeds().glob("*")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "township-bot"
    return cache / f"seeds-{digest.hexdigest()[:12]}.db"


def ensure_database(db_path: Path | None) -> Path:
    """``db_path`` if given; otherwise the default knowledge base, built from the seeds if missing."""
    if db_path is not None:
        return db_path
    path = default_database()
    if not path.exists() and "TOWNSHIP_BOT_DB" not in os.environ:
        failures = [result for result in ingest([bundled_seeds()], path) if result.failed]
        if failures:
            raise RuntimeError("; ".join(result.error for result in failures))
    return path
