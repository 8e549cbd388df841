"""Canonical text: one form for reports and questions alike, so that matching is symmetric.

NFKC folds full-width letters and digits; traditional characters become simplified; the ASCII
punctuation that NFKC (or a web page) leaves in Chinese text goes back to its Chinese form; spaces
inside Chinese text go. Figures keep their own text (``1000余份`` stays ``1000余份``).

>>> normalize("調解員 ６名,共１００％")
'调解员6名，共100%'
>>> normalize("How many mediators?")
'how many mediators?'
"""

from __future__ import annotations

import functools
import re
import unicodedata

from pathlib import Path

import opencc

_T2S = opencc.OpenCC("t2s")

CJK = r"\u3400-\u9fff"
_CJK_PUNCT = "，。；：！？、（）“”‘’《》〔〕【】—…"

_SPACE_NEAR_CJK = re.compile(rf"(?<=[{CJK}{_CJK_PUNCT}])[ \t\u3000]+|[ \t\u3000]+(?=[{CJK}{_CJK_PUNCT}])")
_COMMA = re.compile(r"(?<!\d),|,(?!\d)")
_COLON = re.compile(r"(?<!\d):|:(?!\d)")
_ASCII_TO_CJK = str.maketrans({";": "；", "(": "（", ")": "）", "!": "！", "?": "？"})
_STRAIGHT_QUOTES = re.compile(r'"([^"\n]{0,80})"')
_HAS_CJK = re.compile(rf"[{CJK}]")


def has_cjk(text: str) -> bool:
    """True when ``text`` holds at least one Chinese character."""
    return bool(_HAS_CJK.search(text))


@functools.cache
def _converted_chars() -> re.Pattern[str]:
    """Any character that t2s may change: the differing characters of its dictionaries' entries.

    A line without one comes out of OpenCC unchanged, so it need not go in (parsing: twice as fast).
    """
    chars: set[str] = set()
    folder = Path(opencc.__file__).parent / "dictionary"
    for name in ("TSPhrases.txt", "TSCharacters.txt"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            key, _, values = line.partition("\t")
            for value in values.split():
                if len(value) == len(key):
                    chars |= {k for k, v in zip(key, value) if k != v}
                elif value != key:
                    chars |= set(key)
    return re.compile("[" + re.escape("".join(sorted(chars))) + "]")


def to_simplified(text: str) -> str:
    """Traditional characters to simplified ones (character by character, length kept)."""
    changing = _converted_chars()
    if not changing.search(text):
        return text
    return "\n".join(_T2S.convert(line) if changing.search(line) else line for line in text.split("\n"))


def normalize(text: str) -> str:
    """The canonical form of ``text``: see the module docstring.

    Text without Chinese characters (an English or pinyin question) is NFKC-folded and lower-cased;
    Latin letters inside Chinese text keep their case (学习强国APP).
    """
    text = unicodedata.normalize("NFKC", text)
    if not has_cjk(text):
        return text.lower()
    text = to_simplified(text)
    text = _STRAIGHT_QUOTES.sub(r"“\1”", text)
    text = _COMMA.sub("，", text)
    text = _COLON.sub("：", text)
    text = text.translate(_ASCII_TO_CJK)
    return _SPACE_NEAR_CJK.sub("", text)


@functools.lru_cache(maxsize=4096)
def normalize_cached(text: str) -> str:
    """``normalize`` with a cache, for short strings met again and again (names, terms)."""
    return normalize(text)
