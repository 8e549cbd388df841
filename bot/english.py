"""An English question in the reports' own words: Chinese content words and asking words for the figure
matcher (How many 8890 requests did Lipu handle? → 8890诉求). The vocabulary is ``data_english.toml``."""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path


@functools.cache
def data() -> dict:
    with open(Path(__file__).parent / "data_english.toml", "rb") as handle:
        return tomllib.load(handle)


def in_report_words(text: str, places: list[str], fillers: list[str]) -> tuple[str, list[str]]:
    """(Chinese topic, content words) of an English question: known phrases become the reports' words, the
    asked unit its asking words (person-times → 多少人次); place names, years and ``fillers`` are left out.
    A word that is none of these stays English: it matches no figure, so the answer is "not stated".

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
            found += [(match.start(), word) for word in chinese]
            lowered = lowered[:match.start()] + " " * len(phrase) + lowered[match.end():]
    for phrase, chinese in sorted(data()["asks"].items(), key=lambda item: -len(item[0])):
        if match := re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", lowered):
            asks = asks or chinese
            lowered = lowered[:match.start()] + " " * len(phrase) + lowered[match.end():]
    skip = set(fillers) | set(data()["fillers"]["words"])
    found += [(match.start(), match.group()) for match in re.finditer(r"[a-z0-9]+", lowered) if match.group() not in skip]
    words = list(dict.fromkeys(word for _, word in sorted(found)))
    return "".join(words) + asks, words
