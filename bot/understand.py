"""A question, understood: which townships, which metric, which year, what kind of answer.

Townships are found by exact aliases first (all 2–8-character spans of the question, pinyin words
for Latin text), then by rapidfuzz over names and pinyin for typos and homophones (湘江原, 背子乡). Every
lookup is a query of the knowledge base's indexes: the candidates for rapidfuzz are only the townships
that share a fuzzy key (a bigram, a one-character-off pattern, a pinyin end) with the question.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.english import ReportDictionary, in_report_words
from bot.figures import data as figures_data
from bot.figures import question_parts
from bot.glossary import chinese_for
from knowledge.aliases import admin_pattern, bigrams, county_short, one_off_keys, pinyin, pinyin_ends, spelling_key
from knowledge.query import KnowledgeBase, Township
from knowledge.text import has_cjk, normalize
from knowledge.vocabulary import Metric, metrics

_YEAR = re.compile(r"(20\d{2})\s*年?")
_ASKED_UNIT = re.compile(r"(?:多少|几)([\u4e00-\u9fff]{1,2})")
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
    place_words: list[str] = field(default_factory=list)  # the question's words that name places
    words: list[str] = field(default_factory=list)  # content words: what is asked, places and question words out
    parts: list[tuple[str, list[str]]] = field(default_factory=list)  # each asked thing (办结率和满意率: two)
    asks_figure: bool = False  # 多少, 几, 比例…: wants a figure, not a passage
    report_words: str = ""  # an English question's topic in the reports' words (8890诉求多少人次)

    @property
    def topic(self) -> str:
        """The question without its places and year: what is asked about (in Chinese for an English one)."""
        if self.report_words:
            return self.report_words
        rest = _YEAR.sub(" ", self.text)
        for word in sorted(self.place_words, key=len, reverse=True):
            rest = rest.replace(word, " ")
        return rest


@functools.cache
def intents() -> dict:
    """The question vocabulary of ``data_intents.toml``: intents, unknowable things, which-words, question words."""
    with open(Path(__file__).parent / "data_intents.toml", "rb") as handle:
        return tomllib.load(handle)


@functools.cache
def _intent_words() -> list[tuple[str, re.Pattern[str]]]:
    """Each intent's name and one pattern of its words (lower case), in the order the data gives them."""
    return [(entry["name"], re.compile("|".join(re.escape(word.lower()) for word in entry["words"])))
            for entry in intents()["intent"]]


class Understander:
    """Turns question text into a ``Question`` against one knowledge base's townships."""

    def __init__(self, kb: KnowledgeBase, cut: Callable[[str], list[str]]) -> None:
        self.kb = kb
        self.cut = cut
        terms = sorted(((term, metric) for metric in metrics().values() for term in metric.terms),
                       key=lambda item: -len(item[0]))
        # filed by first character, each with its place in the longest-first order: a question looks only at
        # the terms that start with one of its characters
        self._metric_terms: dict[str, list[tuple[int, str, Metric]]] = {}
        for order, (term, metric) in enumerate(terms):
            self._metric_terms.setdefault(term[:1], []).append((order, term, metric))
        # English and pinyin names of metrics, matched as whole words (officers, not officers' in "officership")
        self._ask_words = [(re.compile(rf"(?<![a-z]){re.escape(word)}(?![a-z])"), word, metric) for word, metric in
                           sorted(((word.lower(), metric) for metric in metrics().values() for word in metric.ask),
                                  key=lambda item: -len(item[0]))]

    def understand(self, text: str) -> Question:
        """Read one question."""
        # the spaces someone types between Chinese words are word boundaries (执法证年审 办了几个): keep them
        canonical = " ".join(normalize(chunk) for chunk in text.split())[:500] if has_cjk(text) else normalize(text)[:500]
        question = Question(canonical, english=not has_cjk(canonical))
        lowered = canonical.lower()
        if match := _YEAR.search(canonical):
            question.year = int(match.group(1))
        question.intent = next((name for name, words in _intent_words() if words.search(lowered)), "value")
        if re.sub(r"[\W_]+", " ", lowered).strip() in intents()["greeting"]["words"]:
            question.intent = "greeting"
            return question
        question.unknowable = next((word for word in intents()["unknowable"]["words"] if word.lower() in lowered), "")
        self._find_townships(question)
        self._find_metric(question)
        if not question.english:
            question.parts = question_parts(question.topic, self.cut)
            question.words = [word for _, words in question.parts for word in words]
        else:  # How many 8890 requests…: the reports' words for the figure matcher
            topic, words = in_report_words(canonical, question.place_words, intents()["english_fillers"]["words"],
                                           self._dictionary(question))
            if len(question.townships) == 1 and any(word.isascii() and word.isalpha() and not chinese_for(word)
                                                    for word in words):
                # Yongping town (Dianjiang): its county, no thing asked (pinyin, 0.3 s to import, only for a word
                # that is no English)
                county = pinyin(county_short(question.townships[0].county)) if question.townships[0].county else ""
                topic, words = topic.replace(county, "") if county else topic, [w for w in words if w != county]
            question.report_words, question.words = topic, words
            question.parts = [(topic, words)] if words else []
        question.asks_figure = any(word in lowered for word in figures_data()["figure_words"])
        if question.asks_figure and question.metric and question.metric.kind == "named":
            question.metric = None  # 领导小组召开专题会议几次: a figure about the group, not its head
        if question.asks_figure and question.intent in ("problems", "plans"):
            question.intent = "value"  # 发现整改法律问题多少个: a figure about problems, not the problems section
        if question.intent == "help" and question.asks_figure and question.townships:
            question.intent = "value"  # 帮助19家市场主体融资多少钱: 帮助 is what the township did, not a plea
        if question.intent == "each" and len(question.townships) == 1:
            question.intent = "value"  # 宝城镇部署会和推进会分别开了几次: its two figures, not every township's
        return question

    def _find_townships(self, question: Question) -> None:
        text = question.text
        named: list[tuple[int, set[int]]] = []  # (where in the question, the townships a name fits)
        spans: list[tuple[int, int]] = []
        lowered = text.lower()
        if len(lowered) != len(text):  # a letter whose lower case is longer (İ): match as typed
            lowered = text
        pieces = {source[start:start + length] for source in {text, lowered} for length in range(2, 9)
                  for start in range(len(text) - length + 1)}
        alias_ids = self.kb.by_alias(pieces | set(re.findall(r"[a-z]+", lowered)))
        # every place a found alias stands, longest first, then leftmost: a longer name wins over its parts
        places = {(length, start) for alias in alias_ids if 2 <= (length := len(alias)) <= 8
                  for source in (text, lowered) for start in _occurrences(source, alias)}
        for length, start in sorted(places, key=lambda place: (-place[0], place[1])):
            piece = text[start:start + length]
            ids = alias_ids.get(piece) or alias_ids.get(lowered[start:start + length])
            if ids and not any(s <= start < e for s, e in spans):
                spans.append((start, start + length))
                named.append((start, ids))
                question.place_words.append(_with_suffix(text, piece, start + length))
        for match in re.finditer(r"[a-z]+", lowered):
            if ids := alias_ids.get(match.group()):
                named.append((len(text) + match.start(), ids))
                question.place_words.append(match.group())
        named.sort(key=lambda item: item[0])  # in the order the question names them
        first = min((start for start, _ in spans), default=0)
        before = text[:first].strip()  # 苍溪 东溪镇: the county typed with a space after it
        named_place = 2 <= len(before) <= 4 or len(before) <= 12 and admin_pattern().fullmatch(before)
        if named_place and re.fullmatch(r"[\u4e00-\u9fff]+", before):
            # 清流里田, 常州钟楼区五星街道: a county or city the knowledge base does not know, not what is asked
            question.place_words.append(before)
        if named and all(len(ids) > 1 for _, ids in named):
            # every name in the question fits several townships (xinhua: 新华乡 or 新化乡): ask which
            question.ambiguous = self._towns(sorted(set().union(*(ids for _, ids in named))))[:4]
            return
        found = list(dict.fromkeys(i for _, ids in named for i in sorted(ids)))
        if not found:
            for county, ids in sorted(self.kb.by_county(pieces).items(), key=lambda item: text.find(item[0])):
                found.extend(sorted(ids))
                question.place_words.append(county)
        if not found:
            self._fuzzy(question)
            return
        question.townships = self._towns(found)
        self._place_words_of(question)

    def unknown_first_word(self, question: Question) -> str:
        """The question's first word, typed apart before the rest, when no figure of any report has a word of it and
        no lexicon term names it: a place the knowledge base has no report of (伊金霍落 法治会议 几次), not what is
        asked (调解员 有多少). Asked only of a question that names no township, nor has one from its conversation."""
        first = re.match(r"\s*([\u4e00-\u9fff]{2,5})\s+\S", question.text)
        if not first or not question.asks_figure or question.metric and any(
                first.group(1) in term or term in first.group(1) for term in question.metric.terms):
            return ""
        pieces = [piece for piece in self.cut(first.group(1)) if len(piece) >= 2]
        counts, _ = self.kb.word_counts(pieces or [first.group(1)])
        return "" if any(counts.values()) else first.group(1)

    def _dictionary(self, question: Question) -> ReportDictionary:
        """The English dictionary of the asked township's report (a word no report of its uses is no help)."""
        if len(question.townships) != 1:
            return ReportDictionary()
        town = question.townships[0]
        report_id = self.kb.report_id(town.id, town.report_year(question.year))
        return ReportDictionary(self.kb.sentence_texts(report_id) if report_id else ())

    def _towns(self, ids: list[int]) -> list[Township]:
        return [town for town in map(self.kb.township, ids) if town]

    def _place_words_of(self, question: Question) -> None:
        """Add to the question's place words the names of its townships' counties (金东区澧浦镇: 金东区 too)."""
        for town in question.townships:
            question.place_words += [word for word in (town.county, county_short(town.county), town.name, town.short)
                                     if word and word in question.text]
            if typed := _typed_name(question.text, town):
                question.place_words.append(typed)

    def _fuzzy(self, question: Question) -> None:
        """Typos and homophones: 湘江原 → 湘江源, 背子乡 → 背孜乡, 长受镇 → 长寿镇, xiangjiangyan → 湘江源."""
        text = question.text
        for word in intents()["follow_up"]["words"]:  # 那行政许可呢 does not name 南星 (nanxing)
            if text.startswith(word):
                text = " " * len(word) + text[len(word):]
                break
        place = re.search(r"([\u4e00-\u9fff]{2,6}?)(?:瑶族乡|街道|镇|乡)", text)
        if place and any(word in place.group(0) for word in ("乡镇", "哪个", "各")):
            place = None  # 哪个乡, 各乡镇: no name
        if question.intent in ("rank", "each", "list_towns", "help") and not place:
            # 行政复议最少的是哪个乡镇 names no township: its first words are no typo of one
            question.unknown_place = _unknown_admin(text) or ""
            return
        candidates = [place.group(0), place.group(1)] if place else []
        candidates += [text[:length] for length in (2, 3, 4) if has_cjk(text[:length])]  # names usually come first
        sounded = set(candidates)  # homophones are looked for only where a name is likely: 有多少人 sounds like many
        candidates += re.findall(r"[\u4e00-\u9fff]{2,4}", text)[:3] + re.findall(r"[a-z]{5,}", text.lower())
        candidates = list(dict.fromkeys(candidates))
        spellings = {candidate: pinyin(candidate) for candidate in sounded}
        keys = {candidate: pinyin_ends(candidate) if candidate.isascii() else {"b:" + pair for pair in bigrams(candidate)}
                for candidate in candidates}
        filed = self.kb.filed_under({key for wanted in keys.values() for key in wanted}
                                    | {spelling_key(spelled) for spelled in spellings.values()})
        best: dict[int, float] = {}

        def consider(query: str, choices: dict[str, set[int]], cutoff: float, source: str, penalty: float = 0) -> None:
            for name, score, _ in process.extract(query, list(choices), scorer=fuzz.ratio, limit=3, score_cutoff=cutoff):
                if score >= cutoff:
                    for township_id in choices[name]:
                        best[township_id] = max(best.get(township_id, 0), score - penalty)
                    question.place_words.append(source)
                    if place and source in place.group(0):
                        question.place_words.append(place.group(0))

        for candidate in candidates:
            names, spelled_names = _choices(filed, keys[candidate])
            if candidate.isascii():
                consider(candidate, spelled_names, _FUZZY_CUTOFF, candidate)
                continue
            consider(candidate, names, _FUZZY_CUTOFF, candidate)
            if candidate in sounded:
                # homophones (背子乡 → 背孜乡) sound exactly alike: among 38,000 names, one letter off is another place
                spelled = spellings[candidate]
                consider(spelled, _choices(filed, [spelling_key(spelled)])[1], 100, candidate, penalty=1)
        if not best and place:
            for township_id in self._one_character_off(place.group(0)):  # 长受镇 → 长寿镇
                best[township_id] = 85.0
                question.place_words.append(place.group(0))
        first = re.match(r"([\u4e00-\u9fff]{2,4}) ", text.lstrip())
        if not best and first and len(ids := self._one_character_off(first.group(1))) == 1:
            best[ids.pop()] = 85.0  # 凤呜 轻微违法…: a short name typed first, one character wrong
            question.place_words.append(first.group(1))
        if not best:
            if place:
                question.unknown_place = place.group(0)
            elif admin := _unknown_admin(text):
                question.unknown_place = admin
            return
        ranked = sorted(best.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < _CLOSE:
            question.ambiguous = self._towns([i for i, _ in ranked[:3]])
        else:
            question.townships = self._towns([ranked[0][0]])
            self._place_words_of(question)

    def _one_character_off(self, name: str) -> set[int]:
        """Townships whose full name differs from ``name`` in one character of its stem (same suffix)."""
        filed = self.kb.filed_under({"1:" + key for key in one_off_keys(name)})
        return {township[0] for townships in filed.values() for township in townships}

    def _find_metric(self, question: Question) -> None:
        text = question.text
        lowered = text.lower()
        hits = [(text.find(term), term, metric) for _, term, metric in sorted(
            entry for char in set(text) for entry in self._metric_terms.get(char, ()) if entry[1] in text)]
        if not hits:
            hits = [(lowered.find(word), word, metric) for pattern, word, metric in self._ask_words
                    if word in lowered and pattern.search(lowered)]
        if not hits:
            return
        named = [metric for _, _, metric in hits if metric.kind == "named"]
        if named:  # 法律顾问是哪家律所: the question asks for a name, not a count
            question.metric = named[0]
            return
        longest = max(len(term) for _, term, _ in hits)
        top = [metric for _, term, metric in hits if len(term) == longest]
        if asked := _ASKED_UNIT.search(text):  # 排查矛盾纠纷多少场次: the unit tells screenings from disputes
            units = (asked.group(1), asked.group(1)[:1])
            top = [metric for metric in top if any(metric.accepts_unit(unit) for unit in units)] or top
        verbs = [metric for metric in top if metric.verbs and any(verb in text for verb in metric.verbs)]
        plain = [metric for metric in top if not metric.verbs]
        english_verbs = [metric for metric in {m.id: m for _, _, m in hits}.values()
                         if metric.verbs and any(word in lowered for word in metric.ask)]
        question.metric = (verbs or english_verbs or plain or top)[0]
        if question.english and _modified(lowered, question.metric, question.place_words):
            question.metric = None  # police officers are not law-enforcement officers: nothing to match
        if question.metric and question.metric.names and any(word in lowered for word in intents()["which"]["words"]):
            question.metric = metrics()[question.metric.names]  # 示范村是哪个: a name, not a count


def _occurrences(text: str, piece: str) -> Iterator[int]:
    """Where ``piece`` starts in ``text``, overlaps included."""
    start = text.find(piece)
    while start != -1:
        yield start
        start = text.find(piece, start + 1)


def _typed_name(text: str, town: Township) -> str:
    """The township's name as ``text`` types it with the last character of its stem wrong (长寿胡镇 for 长寿湖镇,
    found by 长寿: the whole of it is the place, not 胡镇 asked), or ""."""
    stem, suffix = town.short, town.name[len(town.short):]
    if not (suffix and len(stem) >= 3 and town.name.startswith(stem)):
        return ""
    start = text.find(stem[:-1])
    while start != -1:
        typed = text[start:start + len(town.name)]
        if typed.endswith(suffix) and has_cjk(typed[len(stem) - 1]):
            return typed
        start = text.find(stem[:-1], start + 1)
    return ""


def _with_suffix(text: str, name: str, end: int) -> str:
    """``name`` with what the question writes after it as a suffix: 人民街道 for 人民街 (of 人民街街道), 龙井镇."""
    if name.endswith("街") and text[end:end + 1] == "道":
        return name + "道"
    return name


_ADMIN = re.compile(r"(?:[\u4e00-\u9fff]{2,8}?(?:自治县|县|区|市|旗|州))+")


def _choices(filed: dict[str, list[tuple[int, str, str, str]]],
             keys: Iterable[str]) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """The townships ``filed`` under any of ``keys``: (name or short name → ids, pinyin → ids)."""
    names: dict[str, set[int]] = {}
    spellings: dict[str, set[int]] = {}
    for key in keys:
        for township_id, name, short, spelled in filed.get(key, ()):
            for choice in (name, short):
                names.setdefault(choice, set()).add(township_id)
            spellings.setdefault(spelled, set()).add(township_id)
    return names, spellings


def _unknown_admin(text: str) -> str:
    """A county, district or city the question names (北京市朝阳区), "" when it names none."""
    for match in _ADMIN.finditer(text):
        name = match.group(0)
        # 先后对几个重点居民区: a question's own words, not a place
        if not any(word in name for word in intents()["not_places"]["words"]) and not re.search("几|多少", name):
            return name
    return ""


def _modified(lowered: str, metric: Metric, places: list[str]) -> bool:
    """True when the English question puts its own word before the metric's (police officers)."""
    for phrase in sorted(metric.ask, key=len, reverse=True):
        if match := re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", lowered):
            before = re.findall(r"[a-z]+", lowered[:match.start()])
            word = before[-1] if before else ""
            return bool(word) and word not in intents()["english_fillers"]["words"] and word not in places and \
                not word.isdigit() and not any(word in ask for ask in metric.ask)
    return False
