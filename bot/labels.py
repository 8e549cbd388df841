"""Numbered labels asked for by name: 立足实际谋划部署的是什么工作思路 → “1361”工作思路, 区委总体架构是哪个 →
“15441”总体架构. Reports quote such a label right before the noun it names, often after whose it is (省委, 市委,
区委, 县委); the question names the noun (and maybe whose), so the quoted label before that noun answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_LABEL = re.compile(r"“([0-9A-Za-z+＋一二三四五六七八九十]{2,10})”([\u4e00-\u9fff]{2,4})")
_OWNERS = ("中央", "省委", "市委", "区委", "县委", "镇委", "党委", "省政府", "市政府", "区政府", "县政府")
_ASKS_WHICH = re.compile(r"哪个|哪一个|什么|是啥|哪项|哪一项")


@dataclass(frozen=True)
class Found:
    """A quoted label and the noun it names (“1361”工作思路), in ``sentence``."""

    shown: str
    sentence: str


def asks_which(question: str) -> bool:
    """True when ``question`` asks which one (是哪个, 是什么), not how many."""
    return bool(_ASKS_WHICH.search(question)) and not re.search(r"多少|几", question)


def find(question: str, words: Sequence[str], sentences: Sequence[str]) -> Found | None:
    """The quoted label whose noun the question names best (工作思路 → “1361”工作思路, not “1312”思路举措), of the
    owner it names if any (省委“1310”, not 市委“1312”). None unless exactly one label fits best."""
    owners = [owner for owner in _OWNERS if owner in question]
    fits: dict[str, tuple[int, Found]] = {}
    for sentence in sentences:
        for match in _LABEL.finditer(sentence):
            label, noun = match.groups()
            shared = max((_shared(noun, word) for word in words), default=0)
            before = sentence[max(0, match.start() - 3):match.start()]
            if shared < 2 or owners and not any(owner in before for owner in owners):
                continue
            if shared > fits.get(label, (0, None))[0]:
                fits[label] = (shared, Found(f"“{label}”{noun}", sentence))
    best = max((shared for shared, _ in fits.values()), default=0)
    chosen = [found for shared, found in fits.values() if shared == best]
    return chosen[0] if len(chosen) == 1 else None


def _shared(noun: str, word: str) -> int:
    """How many characters in a row the label's noun and a question word share (思路举措, 思路 → 2)."""
    return max((size for size in range(min(len(noun), len(word)), 1, -1)
                for start in range(len(word) - size + 1) if word[start:start + size] in noun), default=0)
