"""Files and folders in, knowledge base out: read and parse on every core, store in one transaction.

A file whose bytes are already stored (read by the same parser) is skipped without being parsed, so
rebuilding an unchanged folder only hashes its files.
"""

from __future__ import annotations

import hashlib
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from knowledge.fingerprint import parser_fingerprint
from knowledge.reading import SUPPORTED_SUFFIXES, ReadError, read_file, read_text
from knowledge.report import ParseError, Report, parse_report
from knowledge.segment import LookupSegmenter, Segmenter, lexicon_path
from knowledge.store import Prepared, Writer, prepare

PARALLEL_FROM = 40  # fewer files than this are parsed in this process: starting workers costs ~1 s
LOOKUP_UP_TO = 10  # this many files or fewer are cut through the lexicon file: loading jieba's dictionary costs 0.9 s


@dataclass
class FileResult:
    """What happened to one file: ``status`` is added, replaced, unchanged or failed (then ``error`` says why).

    ``report`` is kept only for single uploads; a build keeps the township, year and number of facts.
    """

    path: Path
    status: str
    township: str = ""
    year: int | None = None
    facts: int = 0
    error: str = ""
    report: Report | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def collect_files(paths: Iterable[Path]) -> tuple[list[Path], list[FileResult]]:
    """The report files named by ``paths`` (files as given, folders searched recursively for supported files),
    and a failed result for each folder that could not be searched (so that none is skipped silently)."""
    found: list[Path] = []
    unreadable: list[FileResult] = []

    def cannot_list(error: OSError) -> None:
        folder = Path(error.filename or "?")
        unreadable.append(FileResult(folder, "failed", error=f"{folder}: cannot read the folder "
                                                              f"({error.strerror or error}); its reports were not read"))

    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        for folder, subfolders, names in os.walk(path, onerror=cannot_list):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            found.extend(Path(folder) / name for name in sorted(names)
                         if Path(name).suffix.lower() in SUPPORTED_SUFFIXES and not name.startswith(".")
                         and (Path(folder) / name).is_file())
    return found, unreadable


def read_report(path: Path, data: bytes | None = None, name: str | None = None) -> Report:
    """Read and parse one report file; raises ``ReadError`` or ``ParseError`` with a one-line reason."""
    source = name or path.name
    text = read_text(Path(source) if name else path, data)
    return parse_report(text, source)


def file_digest(data: bytes) -> str:
    """What identifies a file's stored result: its bytes, and the parser that read them."""
    return hashlib.sha256(data + parser_fingerprint().encode()).hexdigest()


_segmenter: Segmenter | None = None  # one per process: the dictionary takes a second to load


def _prepare_file(path: Path, segmenter: LookupSegmenter | None = None) -> Prepared | str:
    """Read, parse and segment one file (in a worker process); the error's one-line reason if it fails.

    Without a ``segmenter``, the process's own in-memory one cuts the text.
    """
    global _segmenter
    try:
        data = read_file(path)
        report = read_report(path, data)
    except (ReadError, ParseError) as error:
        return str(error)
    if segmenter is None:
        segmenter = _segmenter = _segmenter or Segmenter()
    return prepare(report, segmenter, file_digest(data))


def _prepared(paths: list[Path]) -> Iterator[Prepared | str]:
    """``_prepare_file`` of each path, in order; on every core when there are many."""
    if len(paths) <= LOOKUP_UP_TO:
        lookup = LookupSegmenter(lexicon_path())
        yield from (_prepare_file(path, lookup) for path in paths)
        return
    if len(paths) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        yield from map(_prepare_file, paths)
        return
    pool = ProcessPoolExecutor(max_workers=os.cpu_count(), initializer=_leave_interrupts_to_the_parent)
    try:
        yield from pool.map(_prepare_file, paths, chunksize=16)
    finally:  # stopped early (Ctrl-C, a failed write): drop the queued files rather than parse them all first
        pool.shutdown(wait=True, cancel_futures=True)


def _leave_interrupts_to_the_parent() -> None:
    """In a build worker: Ctrl-C goes to the whole process group; the parent alone stops the build."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def ingest(paths: Iterable[Path], db_path: Path, progress: Callable[[FileResult, int], None] | None = None
           ) -> list[FileResult]:
    """Read every report under ``paths`` into the knowledge base at ``db_path``, all in one transaction.

    A file that cannot be read or parsed is reported as failed and the others go on; if the write itself
    fails or is interrupted, nothing is stored. ``progress`` is called once per file as it is done, with
    the number of files in all.
    """
    files, unreadable = collect_files(paths)
    results: list[FileResult] = []

    def done(result: FileResult) -> None:
        results.append(result)
        if progress:
            progress(result, len(files))

    for result in unreadable:
        if progress:
            progress(result, len(files))
    with Writer(db_path) as writer:
        todo = []
        for path in files:
            try:
                stored = writer.stored_file(file_digest(read_file(path)))
            except ReadError:
                stored = None  # reading it again says what is wrong
            if stored is None:
                todo.append(path)
            else:
                done(FileResult(path, "unchanged", stored["township"], stored["year"], stored["facts"]))
        for path, prepared in zip(todo, _prepared(todo)):
            if isinstance(prepared, str):
                done(FileResult(path, "failed", error=prepared))
                continue
            header = prepared.report.header
            status = writer.write(prepared).status
            done(FileResult(path, status, header.township, header.year, len(prepared.report.facts)))
    order = {path: index for index, path in enumerate(files)}
    return unreadable + sorted(results, key=lambda result: order[result.path])


def ingest_upload(name: str, data: bytes, db_path: Path) -> FileResult:
    """Read one uploaded file (its ``name`` and bytes) into the knowledge base at ``db_path``, atomically.

    Nothing is written unless the file reads and parses: a bad upload leaves the knowledge base as it was.
    """
    path = Path(Path(name).name)  # only the file name counts: its suffix says how to read it
    try:
        report = read_report(path, data, path.name)
    except (ReadError, ParseError) as error:
        return FileResult(path, "failed", error=str(error))
    # The lexicon cuts as the in-memory dictionary does, without holding it (100 MB) in a serving bot.
    prepared = prepare(report, LookupSegmenter(lexicon_path()), file_digest(data))
    with Writer(db_path) as writer:
        stored = writer.write(prepared)
    return FileResult(path, stored.status, report.header.township, report.header.year, len(report.facts),
                      report=report)
