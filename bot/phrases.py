"""Numbers written inside set phrases: 几位一体, 几办几中心, 连续几年, 几大行动, 带动几个党委; and ordinals (第几批).

A question may ask for a number that the report writes into a phrase of its own (“三位一体”工作机制, 完成五办四中心
挂牌, 连续五年获评, 八大行动), where the figure matcher finds no figure with words around it. Here the question's
words around 几/多少 are looked for verbatim in the report with a number in its place: the longest such phrase
found answers, in the report's words, and only when every place it stands gives the same number.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

NUMBER = r"(?:[0-9]+(?:\.[0-9]+)?|[一二两三四五六七八九十百千万]+|双)"  # 双组长: two heads
_MEASURES = "个名位"  # 几个组长 asks 双组长: the measure word after the ask may be left out
_ASK = re.compile(r"几|多少")
_OPENING_MARKS, _CLOSING_MARKS = "“\"‘「", "”\"’」"
_OPENING = f"[{_OPENING_MARKS}]?"
_RUN = re.compile(r"[\u4e00-\u9fff]+")  # a run of Chinese characters: a phrase never spans punctuation or spaces
_MOST_BEFORE, _MOST_AFTER = 2, 10  # characters of context looked at before the first and after the last ask
_LEAST_CONTEXT = 3  # fewer words around the number match too much (几次 → every 2次)


@dataclass(frozen=True)
class Found:
    """A phrase of a report that answers: the phrase as written, its sentence, and where the phrase stands."""

    phrase: str
    sentence: str
    start: int


def templates(question: str) -> list[tuple[int, re.Pattern[str]]]:
    """(how many characters of context, pattern) for each phrase of ``question`` around its asks, most context
    first. 庙行镇…是几位一体的工作机制 → 是几位一体的工作机制, …, 几位一体, each with the number as a group."""
    found: list[tuple[int, re.Pattern[str]]] = []
    for run in _RUN.findall(question):
        asks = list(_ASK.finditer(run))
        if not asks:
            continue
        first, last = asks[0], asks[-1]
        middle = _ASK.split(run[first.start():last.end()])  # 几办几中心: the literal words between the asks
        before_all, after_all = run[:first.start()][-_MOST_BEFORE:], run[last.end():][:_MOST_AFTER]
        for after in range(len(after_all), 0, -1):
            for before in range(len(before_all), -1, -1):
                context = before + after + sum(map(len, middle))
                # 几站几室: two numbers with a word between them and after them say enough (“1站36室”)
                least = _LEAST_CONTEXT if len(asks) < 2 else 2
                if context < least or (len(asks) < 2 and after < 2 and before < 2):
                    continue
                body = f"({NUMBER})".join(map(re.escape, middle))
                tail = re.escape(after_all[:after])
                if after >= 3 and after_all[0] in _MEASURES:
                    tail = after_all[0] + "?" + re.escape(after_all[1:after])
                # the report may quote the phrase (评议考核“三到位”): a quotation mark may open it
                pattern = re.escape(before_all[len(before_all) - before:]) + _OPENING + body + tail
                found.append((context, re.compile(pattern)))
    found.sort(key=lambda item: -item[0])
    return found


def find(question: str, sentences: Sequence[str]) -> Found | None:
    """The report's phrase that answers ``question``'s numbered phrase, if exactly one number answers it."""
    text = "\n".join(sentences)  # one search per pattern over the whole report: no phrase spans a line break
    starts = list(itertools.accumulate((len(sentence) + 1 for sentence in sentences[:-1]), initial=0))
    for _, pattern in templates(question):
        matches = list(pattern.finditer(text))
        if not matches:
            continue
        if len({match.groups() for match in matches}) > 1:
            return None  # 几个村: 39个村 here, 12个村 there; the figure matcher knows better
        match = matches[0]
        index = bisect.bisect_right(starts, match.start()) - 1
        sentence, offset = sentences[index], starts[index]
        start, end = match.start() - offset, match.end() - offset
        if sentence[start] in _OPENING_MARKS:  # “三位一体”: the phrase, not its quotation mark
            start += 1
        elif any(mark in match.group(0) for mark in _OPENING_MARKS) and sentence[end:end + 1] in _CLOSING_MARKS:
            end += 1  # 评议考核“三到位”: closed as it was opened
        return Found(sentence[start:end], sentence, start)
    return None


_ORDINAL_ASK = re.compile(r"第(?:几|多少)([\u4e00-\u9fff]?)")
ORDINAL_SHARE = 0.6  # of the question's words (by length) the sentence of an ordinal must hold


def find_ordinal(question: str, words: Sequence[str], sentences: Sequence[str]) -> Found | None:
    """The ordinal a question asks (民主法治示范社区第几批 → 第三批; 述法是在第几次党工委会 → 第25, written without
    次 before 党工委会): in the sentence that holds most of the question's ``words``, if it holds enough of them
    and that sentence's ordinals of the asked kind are one."""
    ask = _ORDINAL_ASK.search(question)
    if not ask or not words:
        return None
    kind = ask.group(1)
    after = question[ask.end():ask.end() + 2]  # 第几次党工委会: the report may write 第25党工委会
    pattern = re.compile(f"第({NUMBER})" + (f"(?:{re.escape(kind)}|(?={re.escape(after)}))" if after else re.escape(kind)))
    total = sum(map(len, words))
    best: tuple[int, str, re.Match[str]] | None = None
    tied = False
    for sentence in sentences:
        matches = list(pattern.finditer(sentence))
        if not matches:
            continue
        held = sum(len(word) for word in words if word in sentence)
        if held / total < ORDINAL_SHARE or len({match.group(1) for match in matches}) > 1:
            continue
        if best is None or held > best[0]:
            best, tied = (held, sentence, matches[0]), False
        elif held == best[0] and matches[0].group() != best[2].group():
            tied = True
    if best is None or tied:
        return None
    _, sentence, match = best
    return Found(match.group(), sentence, match.start())
