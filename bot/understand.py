"""A question, understood: which townships, which metric, which year, what kind of answer.

Townships are found by exact aliases first (all 2–8-character spans of the question, pinyin words
for Latin text), then by rapidfuzz over names and pinyin for typos and homophones (湘江原, 背子乡).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from knowledge.aliases import county_short, pinyin
from knowledge.query import Township
from knowledge.text import has_cjk, normalize
from knowledge.vocabulary import Metric, metrics

_YEAR = re.compile(r"(20\d{2})\s*年?")
_FUZZY_CUTOFF = 80
_CLOSE = 3  # two fuzzy candidates this close in score are ambiguous


@dataclass
class Question:
    """What a question asks, as far as it could be understood."""

    text: str  # canonical text
    english: bool
    townships: list[Township] = field(default_factory=list)
    ambiguous: list[Township] = field(default_factory=list)  # close candidates when unsure
    unknown_place: str = ""  # a place name that matches no township in the knowledge base
    metric: Metric | None = None
    metric_choices: list[Metric] = field(default_factory=list)
    year: int | None = None
    intent: str = "value"
    unknowable: str = ""  # a thing the reports never state (人口, 天气)


@functools.cache
def _intents() -> dict:
    with open(Path(__file__).parent / "data_intents.toml", "rb") as handle:
        return tomllib.load(handle)


class Understander:
    """Turns question text into a ``Question`` against one knowledge base's townships."""

    def __init__(self, townships: list[Township], aliases: list[tuple[str, int, str]]) -> None:
        self.townships = {town.id: town for town in townships}
        self.alias_ids: dict[str, set[int]] = {}
        for alias, township_id, _kind in aliases:
            if township_id in self.townships:
                self.alias_ids.setdefault(alias, set()).add(township_id)
        self.pinyin_names = {pinyin(town.short): town.id for town in townships}
        self.fuzzy_names = {town.name: town.id for town in townships} | {town.short: town.id for town in townships}
        self.counties = {}
        for town in townships:
            for prefix in {town.county, county_short(town.county)} - {""}:
                self.counties.setdefault(prefix, set()).add(town.id)
        self._metric_terms = sorted(
            ((term, metric) for metric in metrics().values() for term in metric.terms), key=lambda item: -len(item[0]))
        self._ask_words = sorted(((word, metric) for metric in metrics().values() for word in metric.ask),
                                 key=lambda item: -len(item[0]))

    def understand(self, text: str) -> Question:
        """Read one question."""
        canonical = normalize(text)[:500]
        question = Question(canonical, english=not has_cjk(canonical))
        lowered = canonical.lower()
        if match := _YEAR.search(canonical):
            question.year = int(match.group(1))
        question.intent = next((entry["name"] for entry in _intents()["intent"]
                                if any(word.lower() in lowered for word in entry["words"])), "value")
        question.unknowable = next((word for word in _intents()["unknowable"]["words"] if word.lower() in lowered), "")
        self._find_townships(question)
        self._find_metric(question)
        return question

    def _find_townships(self, question: Question) -> None:
        text = question.text
        found: list[int] = []
        spans: list[tuple[int, int]] = []
        for length in range(8, 1, -1):
            for start in range(0, max(len(text) - length + 1, 0)):
                piece = text[start:start + length]
                ids = self.alias_ids.get(piece) or self.alias_ids.get(piece.lower())
                if ids and not any(s <= start < e for s, e in spans):
                    spans.append((start, start + length))
                    found.extend((start, i) for i in sorted(ids) if i not in {f for _, f in found})
        found = [township_id for _, township_id in sorted(found)]  # in the order the question names them
        for word in re.findall(r"[a-z]+", text.lower()):
            if word in self.pinyin_names and self.pinyin_names[word] not in found:
                found.append(self.pinyin_names[word])
        if not found:
            for county, ids in self.counties.items():
                if county in text:
                    found.extend(sorted(ids))
        if not found:
            self._fuzzy(question)
            return
        question.townships = [self.townships[i] for i in found]

    def _fuzzy(self, question: Question) -> None:
        """Typos and homophones: 湘江原 → 湘江源, 背子乡 → 背孜乡, xiangjiangyan → 湘江源."""
        text = question.text
        place = re.search(r"([\u4e00-\u9fff]{2,6}?)(?:瑶族乡|街道|镇|乡)", text)
        candidates = [place.group(0), place.group(1)] if place else []
        candidates += re.findall(r"[\u4e00-\u9fff]{2,4}", text)[:3] + re.findall(r"[a-z]{5,}", text.lower())
        best: dict[int, float] = {}
        for candidate in candidates:
            ascii_word = candidate.isascii()
            choices = self.pinyin_names if ascii_word else self.fuzzy_names
            for name, score, _ in process.extract(candidate, list(choices), scorer=fuzz.ratio, limit=3):
                if score >= _FUZZY_CUTOFF:
                    best[choices[name]] = max(best.get(choices[name], 0), score)
            if not ascii_word:  # homophones: compare pinyin
                for name, score, _ in process.extract(pinyin(candidate), list(self.pinyin_names), scorer=fuzz.ratio,
                                                      limit=3):
                    if score >= 90:
                        best[self.pinyin_names[name]] = max(best.get(self.pinyin_names[name], 0), score - 1)
        if not best:
            if place and not any(word in place.group(0) for word in ("乡镇", "哪个", "各")):
                question.unknown_place = place.group(0)
            return
        ranked = sorted(best.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < _CLOSE:
            question.ambiguous = [self.townships[i] for i, _ in ranked[:3]]
        else:
            question.townships = [self.townships[ranked[0][0]]]

    def _find_metric(self, question: Question) -> None:
        text = question.text
        lowered = text.lower()
        hits = [(text.find(term), term, metric) for term, metric in self._metric_terms if term in text]
        if not hits:
            hits = [(lowered.find(word), word, metric) for word, metric in self._ask_words
                    if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", lowered)]
        if not hits:
            return
        named = [metric for _, _, metric in hits if metric.kind == "named"]
        if named:  # 法律顾问是哪家律所: the question asks for a name, not a count
            question.metric = named[0]
            return
        longest = max(len(term) for _, term, _ in hits)
        top = [metric for _, term, metric in hits if len(term) == longest]
        verbs = [metric for metric in top if metric.verbs and any(verb in text for verb in metric.verbs)]
        plain = [metric for metric in top if not metric.verbs]
        english_verbs = [metric for metric in {m.id: m for _, _, m in hits}.values()
                         if metric.verbs and any(word in lowered for word in metric.ask)]
        question.metric = (verbs or english_verbs or plain or top)[0]
