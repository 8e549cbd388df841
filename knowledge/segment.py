"""Word segmentation: jieba, taught the domain's words, in two forms that cut text the same way.

- ``Segmenter`` holds jieba's whole dictionary in memory (about 0.9 s to load, ~100 MB): for building,
  where it cuts every sentence of thousands of reports.
- ``LookupSegmenter`` reads from a *lexicon* file (the same dictionary, in SQLite) only the words that
  occur in the text at hand, then runs jieba's own algorithm on them: for answering, where a process
  cuts one short question at a time and must start in milliseconds.

Both know the metric terms and ``vocabulary.toml``'s segment words; township names are taught per
report at build time and looked up in the knowledge base at answer time.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from knowledge.paths import cache_folder
from knowledge.schema import rows_in
from knowledge.vocabulary import metrics, vocabulary

NAME_FREQ = 50_000  # a township name or domain term outweighs any split of it


def domain_words() -> set[str]:
    """The words jieba is taught on top of its dictionary: metric terms and ``segment_words``."""
    return {term for metric in metrics().values() for term in metric.terms} | set(vocabulary()["segment_words"])


class Segmenter:
    """Cuts Chinese text into words for FTS5, with jieba's dictionary in memory.

    The dictionary loads on first use (about 0.9 s), once per segmenter: keep one per process.
    """

    def __init__(self) -> None:
        self._tokenizer = _jieba().Tokenizer()
        self._words = domain_words()
        self._ready = False

    @contextlib.contextmanager
    def knowing(self, words: Iterable[str]) -> Iterator[None]:
        """Within the block, also know ``words`` (one report's township names); forget them after.

        So that how a report is cut never depends on which reports a build process read before it.
        """
        self._load()
        freq, saved_total = self._tokenizer.FREQ, self._tokenizer.total
        saved: dict[str, int | None] = {}
        for word in set(words) - self._words:
            for end in range(1, len(word) + 1):
                saved.setdefault(word[:end], freq.get(word[:end]))
            self._tokenizer.add_word(word, freq=NAME_FREQ)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    del freq[key]
                else:
                    freq[key] = value
            self._tokenizer.total = saved_total

    def _load(self) -> None:
        if not self._ready:
            self._tokenizer.initialize()
            for word in self._words:
                self._tokenizer.add_word(word, freq=NAME_FREQ)
            self._ready = True

    def words(self, text: str) -> list[str]:
        """Search-grained words of ``text``: long words also give their parts (人民调解员 → 调解, 调解员…)."""
        self._load()
        return _search_words(self._tokenizer.lcut_for_search(text))

    def cut(self, text: str) -> list[str]:
        """Plain segmentation of ``text`` (one word per token, no overlapping parts)."""
        self._load()
        return [word for word in self._tokenizer.lcut(text) if word.strip()]

    def export(self, path: Path) -> None:
        """Write the dictionary (with its domain words) as a lexicon file for ``LookupSegmenter``."""
        self._load()
        tokenizer = self._tokenizer
        with sqlite3.connect(path) as db:
            db.execute("create table lexicon (word text primary key, freq integer) without rowid")
            db.executemany("insert into lexicon values (?, ?)", tokenizer.FREQ.items())
            db.execute("create table meta (key text primary key, value)")
            db.executemany("insert into meta values (?, ?)", [
                ("total", tokenizer.total), ("longest", max(map(len, tokenizer.FREQ)))])


class LookupSegmenter:
    """Cuts text as ``Segmenter`` does, reading only the words of that text from a lexicon file.

    ``names`` says which of some strings are township names (the knowledge base knows); they count as
    words of the dictionary too.
    """

    def __init__(self, lexicon: Path, names: Callable[[list[str]], Iterable[str]] = lambda pieces: ()) -> None:
        self._db = sqlite3.connect(f"file:{lexicon}?mode=ro", uri=True, check_same_thread=False)
        meta = dict(self._db.execute("select key, value from meta"))
        self._total, self._longest = int(meta["total"]), int(meta["longest"])
        self._names = names
        self._known: set[str] = set()
        self._known_total = 0  # what teaching ``_known`` adds to the dictionary's total, as Segmenter.knowing
        # A question is cut several times (its parts, its words): cut each text once.
        self._cut = functools.lru_cache(maxsize=4096)(self._cut)

    @contextlib.contextmanager
    def knowing(self, words: Iterable[str]) -> Iterator[None]:
        """Within the block, also know ``words``, as ``Segmenter.knowing`` does (an upload read by the bot)."""
        self._known = set(words)
        self._known_total = NAME_FREQ * len(self._known - domain_words())
        self._cut.cache_clear()
        try:
            yield
        finally:
            self._known, self._known_total = set(), 0
            self._cut.cache_clear()

    def _tokenizer(self, text: str):
        """A jieba tokenizer whose dictionary is the part of the lexicon that ``text`` can use."""
        jieba = _jieba()
        pieces = list({text[start:end] for start in range(len(text))
                       for end in range(start + 1, min(len(text), start + self._longest) + 1)})
        freq = dict(rows_in(self._db, "select word, freq from lexicon where word in ({values})", pieces))
        known = [word for word in self._known if word in text]
        for name in [*self._names([piece for piece in pieces if len(piece) >= 2]), *known]:
            freq[name] = max(freq.get(name) or 0, NAME_FREQ)
            for end in range(1, len(name)):
                freq.setdefault(name[:end], 0)
        tokenizer = jieba.Tokenizer()
        tokenizer.FREQ, tokenizer.initialized = freq, True
        tokenizer.total = self._total + self._known_total
        return tokenizer

    def _cut(self, text: str, for_search: bool) -> tuple[str, ...]:
        tokenizer = self._tokenizer(text)
        if for_search:
            return tuple(_search_words(tokenizer.lcut_for_search(text)))
        return tuple(word for word in tokenizer.lcut(text) if word.strip())

    def words(self, text: str) -> list[str]:
        """Search-grained words of ``text``, as ``Segmenter.words`` gives them."""
        return list(self._cut(text, True))

    def cut(self, text: str) -> list[str]:
        """Plain segmentation of ``text``, as ``Segmenter.cut`` gives it."""
        return list(self._cut(text, False))


def lexicon_path() -> Path:
    """The lexicon file for this jieba and these domain words, in the user's cache; made on first use."""
    digest = hashlib.sha256(_jieba().__version__.encode())
    for word in sorted(domain_words()):
        digest.update(word.encode() + b"\n")
    folder = cache_folder()
    path = folder / f"lexicon-{digest.hexdigest()[:12]}.db"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=folder)
        os.close(handle)
        os.unlink(scratch)
        try:
            Segmenter().export(Path(scratch))
            os.replace(scratch, path)  # two processes may race here; both write the same file
        finally:
            Path(scratch).unlink(missing_ok=True)
    return path


def _jieba():
    """jieba, imported without pkg_resources: jieba only uses it to find its own files, and importing it
    costs 0.2 s of every start (jieba falls back to plain paths when it is missing)."""
    if "jieba" not in sys.modules:
        blocked = "pkg_resources" not in sys.modules
        if blocked:
            sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes `import pkg_resources` fail
        try:
            import jieba
        finally:
            if blocked:
                del sys.modules["pkg_resources"]
        jieba.setLogLevel(logging.WARNING)
    return sys.modules["jieba"]


@functools.cache
def _punctuation(word: str) -> bool:
    return all(not char.isalnum() for char in word)


def _search_words(words: Iterable[str]) -> list[str]:
    return [word for word in words if word.strip() and not _punctuation(word)]
