"""Figures in a sentence: value, bounds, qualifier and unit, each with its own text.

>>> [(q.text, q.value, q.lower, q.upper, q.qualifier, q.unit) for q in find_quantities("发放宣传资料1000余份，村级调解员3—5人")]
[('1000余份', 1000, 1000, None, '余', '份'), ('3—5人', None, 3, 5, '', '人')]
>>> [(q.text, q.value) for q in find_quantities("覆盖两万余人次，惠及师生近千人，参学率达到95%以上")]
[('两万余人次', 20000), ('近千人', 1000), ('95%以上', 95)]
>>> [(q.text, q.value, q.unit, q.qualifier) for q in find_quantities("合格率百分之百，修订村规民约2项")]
[('百分之百', 100, '%', ''), ('2项', 2, '项', '')]
>>> unit_class("人次"), unit_class("场"), unit_class("%"), unit_class("元")
('person_times', 'times', 'percent', 'money')

Not figures: years and dates (2023年, 11月份), document numbers (〔2025〕37号), hotlines (12345),
anything inside quotation marks or book-title marks (“3·15”, 《…2021—2025年》), ordinals (第一, 一是).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

from knowledge.numerals import chinese_number
from knowledge.vocabulary import vocabulary

_CN_DIGITS = "零〇一二两三四五六七八九十百千"
_NUMBER = rf"\d+(?:\.\d+)?|[{_CN_DIGITS}]+(?:万[{_CN_DIGITS}]+)?"  # 一万四千余份: a 万 inside the numeral
# Spans whose figures are names, not counts: quotations, titles, document numbers.
_QUOTED = re.compile(r"“[^”]{0,40}”|‘[^’]{0,40}’|《[^》]{0,80}》|〔[^〕]{0,20}〕|【[^】]{0,40}】|「[^」]{0,40}」")


@dataclass(frozen=True)
class Quantity:
    """One figure as a report states it.

    ``value`` is None for a range (3—5人: lower 3, upper 5); ``lower``/``upper`` carry what the
    qualifier implies (余, 多, 以上, 逾 → lower; 近 → upper). ``text`` is the figure as written.
    """

    text: str
    start: int
    end: int
    value: float | None
    lower: float | None
    upper: float | None
    qualifier: str
    unit: str
    chinese: bool  # written in Chinese numerals (一名, 两次)


_PERCENT_WORDS = re.compile(rf"百分之(?P<num>[{_CN_DIGITS}]+|\d+(?:\.\d+)?)")


@functools.cache
def _unit_classes() -> dict[str, str]:
    return {unit: name for name, units in vocabulary()["unit_classes"].items() for unit in units}


def unit_class(unit: str) -> str:
    """What a figure in ``unit`` counts: people, person_times, times, items, percent, money, area, hours or other."""
    return _unit_classes().get(unit, "other")


@functools.cache
def _pattern() -> re.Pattern[str]:
    vocab = vocabulary()
    units = sorted(vocab["units"], key=len, reverse=True)
    prefixes = sorted(vocab["prefix_qualifiers"], key=len, reverse=True)
    return re.compile(
        rf"(?P<pre>{'|'.join(prefixes)})?"
        rf"(?P<num>{_NUMBER})"
        rf"(?:(?P<dash>[—\-~～至到])(?P<num2>{_NUMBER}))?"
        r"(?P<mult>万|亿)?"
        r"(?P<approx>余|多)?"
        rf"(?P<unit>{'|'.join(re.escape(unit) for unit in units)})"
        r"(?P<post>以上|左右)?"
    )


def quoted_spans(sentence: str) -> list[tuple[int, int]]:
    """Spans of quotations, titles and document numbers: their words and figures are names."""
    return [match.span() for match in _QUOTED.finditer(sentence)]


def find_quantities(sentence: str) -> list[Quantity]:
    """Every counted figure in ``sentence`` (canonical text), in order of appearance."""
    vocab = vocabulary()
    quoted = quoted_spans(sentence)
    quoted_starts = [start for start, _ in quoted]

    def is_quoted(position: int) -> bool:
        # the spans do not overlap and come in order: only the last one starting at or before ``position`` can hold it
        index = bisect.bisect_right(quoted_starts, position) - 1
        return index >= 0 and position < quoted[index][1]

    found = []
    for match in _pattern().finditer(sentence):
        if is_quoted(match.start()) and match.group("unit") not in vocab["quoted_units"]:
            continue
        if not _stands_alone(match, sentence, vocab):
            continue
        quantity = _quantity(match, vocab, sentence)
        if quantity is not None:
            found.append(quantity)
    for match in _PERCENT_WORDS.finditer(sentence):  # 百分之百, 百分之九十五
        if not is_quoted(match.start()) and (value := _number(match.group("num"))):
            found.append(Quantity(match.group(0), match.start(), match.end(), _tidy(value), None, None, "", "%", True))
    return sorted(found, key=lambda quantity: quantity.start)


def _stands_alone(match: re.Match[str], sentence: str, vocab: dict) -> bool:
    """False when the match is part of a word, an ordinal or a longer number."""
    start, end = match.start("num"), match.end()
    before = sentence[start - 1] if start > 0 else ""
    after = sentence[end] if end < len(sentence) else ""
    unit = match.group("unit")
    if before.isdigit() or before in ".．" or before == "第":
        return False
    chinese = not match.group("num")[0].isdigit()
    if chinese and before and before in vocab["numeral_word_ends"] and not match.group("pre"):
        return False
    if match.group("post") is None and after and after in vocab["unit_word_starts"].get(unit, ""):
        return False
    if chinese and unit in vocab["units_digits_only"]:
        return False
    return True


def _number(text: str) -> float | None:
    if text[0].isdigit():
        return float(text)
    if text[0] in "百千":  # 千余人, 近千人
        text = "一" + text
    value = chinese_number(text)
    return None if value is None else float(value)


def _quantity(match: re.Match[str], vocab: dict, sentence: str) -> Quantity | None:
    first = _number(match.group("num"))
    if first is None:
        return None
    scale = {"万": 10_000, "亿": 100_000_000}.get(match.group("mult") or "", 1)
    second = _number(match.group("num2")) if match.group("num2") else None
    pre, approx, post = match.group("pre") or "", match.group("approx") or "", match.group("post") or ""
    start = match.start()
    if pre and start and sentence[start - 1] in vocab["prefix_word_ends"].get(pre, ""):
        pre, start = "", match.start("num")  # 村规民约2项: the 约 ends a word, it is no "about"
    qualifier = pre + approx + post
    bounds = {**vocab["prefix_qualifiers"], **vocab["suffix_qualifiers"]}
    direction = next((bounds[word] for word in (pre, approx, post) if word and bounds.get(word)), "")
    if second is not None:
        value, lower, upper = None, _tidy(first * scale), _tidy(second * scale)
    else:
        value = _tidy(first * scale)
        lower = value if direction == "lower" else None
        upper = value if direction == "upper" else None
    return Quantity(
        text=sentence[start:match.end()], start=start, end=match.end(), value=value, lower=lower, upper=upper,
        qualifier=qualifier, unit=match.group("unit"), chinese=not match.group("num")[0].isdigit(),
    )


def _tidy(number: float) -> float | int:
    return int(number) if float(number).is_integer() else round(number, 4)
