"""Answers that are a date, a length of time or how often: 哪天 → 3月14日, 多长时间到达现场 → 十分钟, 多久学一次 →
每月1次. They are no counts, so the figure matcher has none to offer; the sentence that holds the question's
words does, next to those words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.figures import data as figures_data

_NUMERAL = r"[0-9一二两三四五六七八九十半]+"
SPANS = {
    "date": re.compile(r"(?:20\d{2}年)?\d{1,2}月(?:\d{1,2}日|份|上旬|中旬|下旬|底)?"),
    "duration": re.compile(
        rf"每(?:[日天周月季年]|个月|季度)(?:至少)?(?:组织|开展|召开|举办)?(?:{_NUMERAL}次)?"  # 每月1次, 每月至少组织一次
        rf"|一[日周月季年]一[\u4e00-\u9fff]{{1,2}}"  # 一月一研判
        rf"|一刻钟|{_NUMERAL}(?:个)?(?:分钟|小时|个工作日|工作日|天|周|个月|年)"),  # 十分钟, 半小时, 3个工作日
}
ASKING_WORDS = frozenset({"一次", "一回"})  # 多久开一次: how often, not what is counted
_CLAUSE_END = re.compile(r"[，。；、,;！？”’」》）)]")
_SHOWN_AFTER = 12  # characters of the span's clause shown after it, when the clause ends that soon


@dataclass(frozen=True)
class Found:
    """The time a sentence gives: ``shown`` (the span, with the rest of its clause when short) at ``start``."""

    shown: str
    start: int


def asked_kind(question: str) -> str:
    """"date" or "duration" when ``question`` asks for one (杜城哪天组织考试 → date), else ""."""
    asks = figures_data()["asked_times"]
    return next((kind for kind, words in asks.items() if any(word in question for word in words)), "")


def find(kind: str, words: list[str], sentence: str) -> Found | None:
    """The span of ``kind`` in ``sentence`` nearest to where ``words`` stand (十分钟到达现场、半小时查清点源: 到达现场
    → 十分钟), or None when the sentence has none."""
    places = [match.start() for word in words for match in re.finditer(re.escape(word), sentence)]
    spans = list(SPANS[kind].finditer(sentence))
    if not spans or not places:
        return None
    best = min(spans, key=lambda span: min(_distance(span, place) for place in places))
    rest = sentence[best.end():]
    clause_end = _CLAUSE_END.search(rest)
    tail = rest[:clause_end.start()] if clause_end else rest
    shown = best.group(0) + (tail if len(tail) <= _SHOWN_AFTER else "")
    return Found(shown, best.start())


def _distance(span: re.Match[str], place: int) -> int:
    if place >= span.end():
        return place - span.end()
    return max(0, span.start() - place)
