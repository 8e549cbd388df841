"""Files and folders in, knowledge base out: read and parse on every core, store in one transaction.

A file whose bytes are already stored (read by the same parser) is skipped without being parsed, so
rebuilding an unchanged folder only hashes its files.

A single uploaded file is read apart (``read_upload``): in a child process bounded in time and memory, and
refused when it says nothing to answer from. Storing it (``store_upload``) keeps the report it replaces, so that
``restore_replaced`` can bring that one back.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from knowledge.fingerprint import parser_fingerprint
from knowledge.reading import MAX_TEXT_BYTES, SUPPORTED_SUFFIXES, ReadError, read_file, read_text
from knowledge.report import ParseError, Report, parse_report
from knowledge.segment import LookupSegmenter, Segmenter, lexicon_path
from knowledge.store import Prepared, Restored, Stored, Writer, prepare

PARALLEL_FROM = 40  # fewer files than this are parsed in this process: starting workers costs ~1 s
LOOKUP_UP_TO = 10  # this many files or fewer are cut through the lexicon file: loading jieba's dictionary costs 0.9 s

# An upload is read, parsed and segmented in a child process that is killed after UPLOAD_SECONDS and may use no
# more than UPLOAD_MEMORY of address space: whatever the file, the bot waits at most that long and stays small.
# A real report takes about half a second there (mostly the child's start); the slowest made-up file measured
# within UPLOAD_TEXT_BYTES (36,500 figures in one unpunctuated sentence) took 10–14 s on 2 cores.
UPLOAD_SECONDS = 20
UPLOAD_MEMORY = 2 * 2**30
UPLOAD_TEXT_BYTES = MAX_TEXT_BYTES // 4  # 512 KB of text: reports have 3–30 KB
# Texts up to this many characters are cut through the lexicon file (a real report in ~0.2 s); longer ones with
# jieba's dictionary loaded (~1-2 s to load, then five times faster per character).
UPLOAD_LOOKUP_CHARS = 60_000


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
        return self.status in ("failed", "refused")


class NothingToAnswer(ParseError):
    """An upload that reads and names its township and year, but holds no figure, no name and no headed section
    (a draft of two lines): storing it would replace a report by nothing."""


class KnowledgeBaseChanged(RuntimeError):
    """The knowledge base no longer holds the report that an upload was read against (another upload or a build
    stored one since): nothing was stored."""


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


def read_upload(name: str, data: bytes, seconds: float = UPLOAD_SECONDS, memory: int = UPLOAD_MEMORY) -> Prepared:
    """Read, parse and segment one uploaded file (its ``name`` and bytes) in a child process; write nothing.

    Raises ``ReadError`` (also when reading took over ``seconds`` or more than ``memory`` bytes of address space)
    or ``ParseError``
    (``NothingToAnswer`` for a report with nothing to answer from), each with its reason in English and Chinese.
    """
    lexicon = lexicon_path()  # made here, once, if missing: never by each child
    # -P: this package, not whatever the working folder holds, is imported
    command = [sys.executable, "-P", "-c", "from knowledge.ingest import _read_upload_child; _read_upload_child()"]
    package_root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run(command, input=pickle.dumps((name, data, lexicon, memory)), capture_output=True, env=env,
                              timeout=seconds)
    except subprocess.TimeoutExpired:
        raise ReadError(f"{name}: reading it took longer than {seconds:.0f} s, far longer than a report takes; "
                        f"save it again as .docx or .txt and check that it is a report",
                        f"读取超过 {seconds:.0f} 秒，一份报告远用不了这么久：请确认这是报告，或另存为 .docx 或 .txt 再发送"
                        ) from None
    try:
        outcome = pickle.loads(done.stdout)
    except Exception:  # noqa: BLE001 - killed (out of memory in C code) or crashed: no answer to read
        outcome = ("crashed", [f"exit {done.returncode}", *done.stderr.decode("utf-8", "replace").splitlines()[-1:]])
    if outcome[0] == "ok":
        return outcome[1]
    if outcome[0] == "error":
        kind, message, chinese = outcome[1:]
        raise {"ReadError": ReadError, "ParseError": ParseError, "NothingToAnswer": NothingToAnswer}[kind](
            message, chinese)
    reason = "out of memory" if outcome[0] == "memory" else f"the reader stopped: {': '.join(outcome[1])[:120]}"
    raise ReadError(f"{name}: cannot be read ({reason}); save it again as .docx or .txt",
                    "无法读取（文件内容过于庞大或异常）：请确认这是报告，或另存为 .docx 或 .txt 再发送")


def _read_upload_child() -> None:
    """In the child of ``read_upload``: (name, bytes, lexicon, memory) pickled on stdin, the outcome pickled to
    stdout."""
    import resource

    name, data, lexicon, memory = pickle.load(sys.stdin.buffer)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        outcome: tuple = ("ok", _prepare_upload(name, data, lexicon))
    except (ReadError, ParseError) as error:
        outcome = ("error", type(error).__name__, str(error), error.chinese)
    except MemoryError:
        outcome = ("memory",)
    sys.stdout.buffer.write(pickle.dumps(outcome))


def _prepare_upload(name: str, data: bytes, lexicon: Path) -> Prepared:
    path = Path(Path(name).name)  # only the file name counts: its suffix says how to read it
    report = parse_report(read_text(path, data, max_text=UPLOAD_TEXT_BYTES), path.name)
    if report.says_nothing:
        raise NothingToAnswer(
            f"{path.name}: no figure and no section in it (only {len(report.body.sentences)} sentences): "
            f"not stored, so that it replaces no report; send the whole report",
            f"报告里没有任何数据，也没有分节标题（只有 {len(report.body.sentences)} 句），像是草稿或片段："
            f"没有存入，以免替换已有的报告。请发送完整的报告")
    characters = sum(map(len, {sentence.text for sentence in report.body.sentences}))  # each text is cut once
    # The lexicon cuts as the in-memory dictionary does, without loading it (1-2 s, 100 MB) for a short report.
    segmenter = LookupSegmenter(lexicon) if characters <= UPLOAD_LOOKUP_CHARS else Segmenter()
    return prepare(report, segmenter, file_digest(data))


def store_upload(prepared: Prepared, db_path: Path, replacing: str | None) -> Stored:
    """Store an upload read by ``read_upload`` in the knowledge base at ``db_path``, in one transaction; a report
    it replaces is archived first (``restore_replaced`` brings it back).

    ``replacing`` is the digest of the stored report of the same township and year that the caller showed and had
    confirmed (None: there was none). If the knowledge base holds another one by now, ``KnowledgeBaseChanged`` is
    raised and nothing is stored.
    """
    header = prepared.report.header
    with Writer(db_path) as writer:
        current = writer.stored_report(header.township, header.year)
        if (current.digest if current else None) != replacing:
            raise KnowledgeBaseChanged(f"the report of {header.township} {header.year} changed meanwhile")
        return writer.write(prepared, archive=True)


def restore_replaced(db_path: Path) -> Restored | None:
    """Bring back the report most recently replaced by an upload (``Writer.restore_replaced``), atomically;
    None (and nothing written) when there is none."""
    if not Path(db_path).exists():
        return None
    with Writer(db_path) as writer:
        return writer.restore_replaced()

