"""An English question in the reports' own words: Chinese content words and asking words for the figure
matcher (How many 8890 requests did Lipu handle? → 8890诉求). The vocabulary is ``data_english.toml``."""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

from bot.glossary import chinese_for


@functools.cache
def data() -> dict:
    with open(Path(__file__).parent / "data_english.toml", "rb") as handle:
        return tomllib.load(handle)


class ReportDictionary:
    """The dictionary's Chinese words for English ones, of those one report uses (``bot.glossary``)."""

    def __init__(self, sentences: tuple[str, ...] = ()) -> None:
        self.sentences = sentences
        self.text = "".join(sentences)

    def writes(self, word: str) -> bool:
        """True unless the report is known and never writes ``word`` (joint law enforcement operations: 行动 is
        not in 开展联合执法28次, and a word no sentence has only lowers every figure's fit)."""
        return not self.text or word in self.text

    def options(self, english: str) -> tuple[str, ...]:
        """The Chinese words for ``english`` that the report uses (staff → 人员, 职工)."""
        return tuple(word for word in chinese_for(english) if word in self.text) if self.text else ()

    def choose(self, options: tuple[str, ...], others: list[str]) -> str:
        """Of ``options``, the one the report writes most often in a sentence with the question's ``others``
        (干部职工集中学习法律法规17次: staff is 职工 beside 法律法规, though the report says 人员 more often)."""
        def uses(word: str) -> tuple[int, int]:
            beside = sum(1 for sentence in self.sentences if word in sentence and any(o in sentence for o in others))
            return beside, self.text.count(word)
        return max(options, key=uses)


def in_report_words(text: str, places: list[str], fillers: list[str],
                    dictionary: ReportDictionary | None = None) -> tuple[str, list[str]]:
    """(Chinese topic, content words) of an English question: known phrases become the reports' words, the
    asked unit its asking words (person-times → 多少人次); place names, years and ``fillers`` are left out.
    Other words and phrases (up to four words, longest first) become the ``dictionary``'s words for them. A
    word that is none of these stays English: it matches no figure, so the answer is "not stated".

    >>> in_report_words("How many 8890 requests did Lipu handle in 2023?", ["lipu"], ["how", "did", "handle", "in"])
    ('8890诉求', ['8890诉求'])
    >>> in_report_words("How many police officers does Beizi have?", ["beizi"], ["how", "does", "have"])
    ('police人员', ['police', '人员'])
    """
    lowered = f" {text.lower()} "
    for place in places:
        lowered = lowered.replace(place.lower(), " ")
    lowered = re.sub(r"(?<!\d)20\d{2}(?!\d)|'s\b", " ", lowered)
    found: list[tuple[int, str]] = []
    asks = ""
    for phrase, chinese in sorted(data()["words"].items(), key=lambda item: -len(item[0])):
        for match in re.finditer(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z])", lowered):
            found += [(match.start(), word) for word in chinese if not dictionary or dictionary.writes(word)]
            lowered = lowered[:match.start()] + " " * len(phrase) + lowered[match.end():]
    for phrase, chinese in sorted(data()["asks"].items(), key=lambda item: -len(item[0])):
        if match := re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", lowered):
            asks = asks or chinese
            lowered = lowered[:match.start()] + " " * len(phrase) + lowered[match.end():]
    skip = set(fillers) | set(data()["fillers"]["words"])
    glossed: list[tuple[int, tuple[str, ...]]] = []
    for size in (4, 3, 2, 1):  # rule of law → 法治, before rule and law
        run = list(re.finditer(r"[a-z][a-z\-]*", lowered))
        for window in (run[i:i + size] for i in range(len(run) - size + 1)):
            start, end = window[0].start(), window[-1].end()
            phrase = lowered[start:end]
            if window[0].group() in skip or window[-1].group() in skip or not re.fullmatch(r"[a-z\- ]+", phrase):
                continue
            if dictionary and (options := dictionary.options(phrase.replace("-", " "))):
                glossed.append((start, options))
                lowered = lowered[:start] + " " * (end - start) + lowered[end:]
    found += [(match.start(), match.group()) for match in re.finditer(r"[a-z0-9]+", lowered) if match.group() not in skip]
    others = [word for _, word in found]
    found += [(start, dictionary.choose(options, others)) for start, options in glossed if dictionary]
    words = list(dict.fromkeys(word for _, word in sorted(found)))
    return "".join(words) + asks, words
