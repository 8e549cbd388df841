"""Word segmentation for full-text search: a private jieba tokenizer that knows the domain words."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import jieba

from knowledge.vocabulary import metrics, vocabulary

jieba.setLogLevel(logging.WARNING)


class Segmenter:
    """Cuts Chinese text into words for FTS5; knows metric terms and the township names it is told.

    The dictionary loads on first use (about 0.6 s), once per segmenter: keep one per process.
    """

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        self._tokenizer = jieba.Tokenizer()
        self._words = {term for metric in metrics().values() for term in metric.terms} | set(extra_words)
        self._words |= set(vocabulary()["segment_words"])
        self._ready = False

    def add_words(self, words: Iterable[str]) -> None:
        """Teach the segmenter more words (township names, aliases)."""
        new = set(words) - self._words
        self._words |= new
        if self._ready:
            for word in new:
                self._tokenizer.add_word(word, freq=50_000)

    def _load(self) -> None:
        if not self._ready:
            self._tokenizer.initialize()
            for word in self._words:
                self._tokenizer.add_word(word, freq=50_000)
            self._ready = True

    def words(self, text: str) -> list[str]:
        """Search-grained words of ``text``: long words also give their parts (人民调解员 → 调解, 调解员…)."""
        self._load()
        return [word for word in self._tokenizer.lcut_for_search(text) if word.strip() and not _is_punctuation(word)]

    def cut(self, text: str) -> list[str]:
        """Plain segmentation of ``text`` (one word per token, no overlapping parts)."""
        self._load()
        return [word for word in self._tokenizer.lcut(text) if word.strip()]


def _is_punctuation(word: str) -> bool:
    return all(not char.isalnum() for char in word)
