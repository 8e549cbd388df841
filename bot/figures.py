"""Which of a report's figures a question asks for: every figure is a candidate, not only the lexicon's.

A question's content words (jieba, without the place, the year and the question words) are looked
for around each figure: right before it (its *lead*, full credit, less the further away), right after
its unit (its *tail*), earlier in its clause, elsewhere in its sentence. Each word counts by how rare
it is among the knowledge base's figures, so 8890诉求 outweighs 开展. A figure no question word touches
(the anchor rule) scores low, and the asked unit (多少人次, 几件, 比例) drops figures of another class:

>>> matcher = FigureMatcher(lambda words: ({word: 1 for word in words}, 100))
>>> wanted = matcher.wanted("法治培训覆盖了多少人次", ["法治", "培训", "覆盖"])
>>> wanted.unit_class
'person_times'
>>> sentence = "组织干部职工开展法治培训10场次，覆盖500余人次。"
>>> training = _figure(sentence, "10场次", "组织干部职工开展法治培训", "times")
>>> reached = _figure(sentence, "500余人次", "覆盖", "person_times")
>>> [(match.fact.figure, round(match.coverage, 2)) for match in matcher.rank(wanted, [training, reached])]
[('500余人次', 0.83)]

The lexicon helps, it does not gate: its terms are synonyms of each other, and a figure it names as
the question's metric gets a bonus.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from knowledge.facts import ends_list_item, strip_linking
from knowledge.quantities import unit_class
from knowledge.query import FactRow
from knowledge.vocabulary import Metric, metrics, vocabulary

THRESHOLD = 0.5  # below this no figure is claimed: the report does not state it
NEAR_CLASS_THRESHOLD = 0.65  # the same, for a figure in a class near the asked one (多少场 → 10项)
BESIDE_THRESHOLD = 0.2  # the same, for one of several figures asked, in the sentence of another one found
SENTENCE_THRESHOLD = 0.8  # the share of the question's words a sentence holding the only figure of the unit must have

_LATER = 0.05  # the credit of a question word written after a figure, beyond its tail and clause
_ANCHOR_SLACK = 3  # characters between a question word and the figure that still "touch" it
_CLAUSE_MARKS = "，。；！？：,;"
_AS_OF = re.compile(r"(?:截至|截止|截止到|到)(?:20\d{2}年)?\d{1,2}月(?:底|末|份)?")


@functools.cache
def data() -> dict:
    """``data_figures.toml``: stopwords, low-weight words, conjunctions, asked classes, synonyms."""
    with open(Path(__file__).parent / "data_figures.toml", "rb") as handle:
        return tomllib.load(handle)


@functools.cache
def _objects() -> re.Pattern[str]:
    """What a figure's words name as the thing studied or done, between the verb and the figure: 《…》 titles, a
    quoted name right before it (取消“临时摊点备案”1项),
    a closing 等… (with the list after 学习 that it closes: 专题学习保密、疫情防控、《…》等22场次), and the data's
    ``studied`` or another 学习…精神/思想 (中心组学习习近平法治思想4次: 4 study sessions)."""
    studied = "|".join(map(re.escape, data()["studied"]))
    return re.compile("|".join([
        r"(?<=学习)[^，。；,;]{2,60}?等[\u4e00-\u9fff]{0,8}$",  # 学习保密、疫情防控、《…》等: a list 等 closes
        r"《[^》]*》",  # titles
        r"“[^”]{2,20}”$",  # a quoted name right before the figure
        r"等[\u4e00-\u9fff]{0,8}$",  # a closing 等…
        rf"(?<=[学习])(?:{studied}|(?:(?!学习)[\u4e00-\u9fff]){{2,16}}?(?:精神|思想))$",  # the studied, …精神/思想
    ]))


@functools.cache
def _synonyms() -> dict[str, tuple[tuple[str, float], ...]]:
    """word → the words that stand for it: the data file's groups and the lexicon's terms of one metric."""
    table: dict[str, dict[str, float]] = {}
    groups = [(set(group), 0.9) for group in data()["synonyms"]["groups"]]
    # the lexicon's terms of one metric are looser kin (宣讲 and 法治党课 are both lectures)
    groups += [(set(metric.terms), 0.6) for metric in metrics().values() if metric.kind == "count"]
    for group, credit in groups:
        for word in group:
            for other in group - {word}:
                table.setdefault(word, {})[other] = max(credit, table.get(word, {}).get(other, 0))
    return {word: tuple(others.items()) for word, others in table.items()}


@functools.cache
def _asked_unit_pattern() -> re.Pattern[str]:
    units = sorted(vocabulary()["units"], key=len, reverse=True)
    return re.compile(rf"(?:多少|几)({'|'.join(re.escape(unit) for unit in units)})")


def _asked_units(text: str) -> list[re.Match[str]]:
    """The 多少/几 + measure word phrases of ``text``; not 多少人民调解员, where 人 starts a word."""
    starts = vocabulary()["unit_word_starts"]
    return [match for match in _asked_unit_pattern().finditer(text)
            if text[match.end():match.end() + 1] not in starts.get(match.group(1), "") or match.end() == len(text)]


@dataclass(frozen=True)
class Wanted:
    """What a figure question asks for."""

    words: tuple[str, ...]  # content words, in the question's order
    weights: tuple[float, ...]  # how much each word says (rarer words more)
    pieces: dict[str, tuple[str, ...]]  # a long word's own words, for when only they are found
    unit_class: str = ""  # the class the question asks (people, person_times, percent…), "" if none
    unit: str = ""  # the measure word it asks (人次, 件), "" if none
    metric_ids: frozenset[str] = frozenset()  # lexicon metrics the question names
    metric_classes: frozenset[str] = frozenset()  # the unit classes those metrics are counted in
    per_unit: bool = False  # asks a per-village or partial figure (每村, 平均, 其中)
    quoted: tuple[str, ...] = ()  # words the question puts in quotation marks: a figure's words exactly (“满意”)
    counted: str = ""  # the words right after the asked unit (几个党委…, 多少个政府文件): what the figure counts
    head: str = ""  # the content word written right before the ask (…开展专题研讨几次 → 专题研讨): what is counted


@dataclass(frozen=True)
class Match:
    """A figure and how well it answers: ``coverage`` (0–1, the share of the question's words found
    around it; ``THRESHOLD`` and up is an answer) and ``score`` (coverage with unit and lexicon bonuses,
    for ordering)."""

    fact: FactRow
    score: float
    coverage: float


class FigureMatcher:
    """Scores a report's figures against a question. ``word_counts(words)`` gives each word's number of
    figures in the knowledge base and the number of figures (``KnowledgeBase.word_counts``)."""

    def __init__(self, word_counts: Callable[[list[str]], tuple[dict[str, int], int]],
                 parts: Callable[[str], list[str]] = lambda word: []) -> None:
        self.word_counts = word_counts
        self.parts = parts  # a long word's own words (宣传活动 → 宣传, 活动): jieba's search mode

    def wanted(self, text: str, words: list[str], metric: Metric | None = None) -> Wanted:
        """What ``text`` (canonical, place and year taken out) asks, given its content ``words``."""
        unit, asked_class = asked_unit(text)
        pieces = {word: tuple(part for part in self.parts(word) if len(part) >= 2 and part != word)
                  for word in words if len(word) >= 3}
        counts, total = self.word_counts(words + [part for parts in pieces.values() for part in parts])
        idf = lambda word: math.log(1 + total / (1 + counts.get(word, 0)))  # noqa: E731
        low = set(data()["low_weight"])
        weights = []
        for word in words:
            # a word the index does not hold whole (工作推进会) weighs what its own words weigh
            weight = idf(word) if counts.get(word) or not pieces.get(word) else max(map(idf, pieces[word]))
            if word in low:
                weight *= 0.3
            if len(word) == 1:
                weight *= 0.4
            weights.append(weight)
        chosen = [metric] if metric and metric.kind == "count" else []
        return Wanted(
            tuple(words), tuple(weights), pieces, asked_class, unit,
            frozenset(m.id for m in chosen),
            frozenset(unit_class(u) for m in chosen for u in m.units),
            per_unit=any(word in text for word in ("每村", "每个村", "平均", "其中")),
            counted=_counted(text),
            quoted=_quoted(text),
            head=_head(text, words),
        )

    def rank(self, wanted: Wanted, facts: list[FactRow]) -> list[Match]:
        """The figures of ``facts`` that may answer, best first (those the asked unit rules out are left out)."""
        matches = []
        for fact in facts:
            if fact.offset is None:
                continue  # a named fact (a law firm), not a figure
            scored = _score(wanted, fact)
            if scored is not None:
                matches.append(Match(fact, *scored))
        matches.sort(key=lambda match: (-match.score, match.fact.position, match.fact.offset))
        return matches

    def only_one_in_sentence(self, wanted: Wanted, facts: list[FactRow]) -> Match | None:
        """When no figure's own words answer: the one figure of the asked measure word in a sentence that holds
        the question's words, if its own words name nothing else (…组织…参加专题讲座，涉及…，今年共计8场 answers
        应知应会专题讲座多少场; …处理各类矛盾纠纷400余件 does not answer 信访多少件, though 信访 is in the sentence)."""
        if not (wanted.unit and wanted.unit_class and wanted.words):
            return None
        in_sentence: dict[tuple[int, int], list[FactRow]] = {}
        for fact in facts:
            if fact.offset is not None:
                in_sentence.setdefault((fact.report_id, fact.position), []).append(fact)
        total = sum(wanted.weights)
        best: Match | None = None
        for figures in in_sentence.values():
            sentence = figures[0].evidence
            coverage = sum(weight for word, weight in zip(wanted.words, wanted.weights) if word in sentence) / total
            if coverage < SENTENCE_THRESHOLD or best and coverage <= best.coverage:
                continue
            of_class = [fact for fact in figures if fact.unit_class == wanted.unit_class]
            if len(of_class) == 1 and of_class[0].unit == wanted.unit and _names_nothing_else(of_class[0], wanted):
                best = Match(of_class[0], coverage, coverage)
        return best


def content_words(text: str, cut: Callable[[str], list[str]]) -> list[str]:
    """The words of ``text`` that say what is asked (jieba ``cut``), without question words and the asked unit.

    >>> content_words("受理答复8890诉求多少件", lambda text: ["受理", "答复", "8890", "诉求", " "])
    ['受理', '答复', '8890', '诉求']
    """
    stop = _stopwords()
    for match in reversed(_asked_units(text)):
        text = text[:match.start()] + " " + text[match.end():]
    text = _AS_OF.sub(" ", text)  # 截至11月受理了多少件: when, not what
    words = [word[:-1] if len(word) > 1 and word.endswith(("了", "过")) else word for word in cut(text)]  # 发了 → 发
    quoted = set(_quoted(text))  # 权责清单里“其他”类事项: a word in quotation marks is asked, whatever it is
    words = [word for word in words if (word not in stop or word in quoted) and re.search(r"[\u4e00-\u9fff0-9]", word)]
    # 学法 一年学了几次: a one-character word another of its words holds says nothing more
    words = [word for word in words if len(word) > 1 or not any(word in other for other in words if other != word)]
    return list(dict.fromkeys(words))


def _head(text: str, words: list[str]) -> str:
    """The content word that ends right before the question's first ask (多少/几), if one does."""
    ask = re.search(r"多少|几", text)
    if not ask:
        return ""
    before = text[:ask.start()].rstrip("了过的有是共")
    return next((word for word in sorted(words, key=len, reverse=True) if len(word) >= 2 and before.endswith(word)), "")


def _counted(text: str) -> str:
    """The words right after the first asked unit that has any (几个党委开展… → 党委开展), "" if none does."""
    return next((run.group() for match in _asked_units(text)
                 if (run := re.match(r"[\u4e00-\u9fff]{2,6}", text[match.end():]))), "")


def _quoted(text: str) -> tuple[str, ...]:
    """The words ``text`` puts in quotation marks (好差评“满意”的有多少条 → 满意)."""
    return tuple(re.findall(r"[“\"‘「]([\u4e00-\u9fff]{1,8})[”\"’」]", text))


def question_parts(text: str, cut: Callable[[str], list[str]]) -> list[tuple[str, list[str]]]:
    """The asked things of a question that asks two or more (办结率和满意率), each with its content words;
    a question that asks one thing is one part."""
    conjunctions = data()["conjunctions"]
    asked = _asked_units(text)
    # 办结率和满意率是多少 asks once for two things, split at 和; 开展主题宣传几场次，发放资料多少份 asks twice
    # after its nouns, split after each ask; 几名乡法律顾问和几名村法律顾问 asks before its nouns, split at 和
    asks_last = bool(asked) and not re.search(r"[\u4e00-\u9fff]", text[asked[-1].end():].replace("呢", ""))
    by_conjunction = _split_at_conjunctions(text, cut)
    one_ask_each = len(by_conjunction) > 1 and all(len(_asked_units(piece)) == 1 for piece in by_conjunction)
    ends = [m.end() for m in asked][:-1] if not one_ask_each and (
        asks_last or not any(word in text for word in conjunctions)) else []
    for end in reversed(ends):  # 宣讲多少场受众多少人次: each asked unit ends an asked thing
        text = text[:end] + "？" + text[end:]
    pieces = [piece for chunk in re.split("[？?]", text)
              for piece in (_split_at_conjunctions(chunk, cut) if not ends else [chunk])]
    if len(pieces) == 1 and len(re.findall("多少|几", text)) >= 2:
        pieces = _split_after_asks(cut(text))
    if len(pieces) == 1 and asks_last and "各" in text:  # 简易程序 普通程序各几件: the things, written apart
        pieces = re.split(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", text.strip())
    asks_own = [bool(re.search("多少|几", piece)) for piece in pieces]
    if not ends and asks_last and len(pieces) > 1:
        # 中心组学习和会前学法各几次: the one ask at the end is each part's (公开率是多少，…多少次: not this one's)
        pieces = [piece if own else piece + asked[-1].group(0) for piece, own in zip(pieces[:-1], asks_own)] + pieces[-1:]
    parts: list[tuple[str, list[str]]] = []
    for index, piece in enumerate(pieces):
        if words := content_words(piece, cut):
            parts.append((piece, words))
            if len(parts) == 2 and not asks_own[index - 1] and len(parts[0][1]) == 1 and len(parts[0][1][0]) <= 2:
                # 新增和取消的权责事项: 新增 is said of the noun the next part names
                shared = [word for word in words[1:] if word not in parts[0][1]]
                parts[0] = (parts[0][0] + "".join(shared), parts[0][1] + shared)
        elif parts and asked_unit(piece)[1]:  # 培训几场多少人次: the same thing, in another unit (see ``beside``)
            parts.append((" ".join(parts[-1][1]) + piece, parts[-1][1]))
    return parts if len(parts) >= 2 else [(text, content_words(text, cut))]


def word_spans(text: str, cut: Callable[[str], list[str]]) -> Iterator[tuple[int, str]]:
    """(where it starts, word) for each word ``cut`` finds in ``text`` (it drops spaces, so they are found)."""
    position = 0
    for word in cut(text):
        at = text.find(word, position)
        if at == -1:  # the segmenter changed the word (it never should): no place for it
            continue
        position = at + len(word)
        yield at, word


def _split_at_conjunctions(text: str, cut: Callable[[str], list[str]]) -> list[str]:
    """``text`` cut where a conjunction stands as a word of its own: at 和 in 办结率和满意率, not in 参与 or 和谐."""
    conjunctions = set(data()["conjunctions"])
    pieces, start = [], 0
    for at, word in word_spans(text, cut):
        if word in conjunctions:
            pieces.append(text[start:at])
            start = at + len(word)
    return pieces + [text[start:]]


def beside(found: FactRow, text: str, facts: list[FactRow]) -> FactRow | None:
    """The figure in the unit ``text`` asks that the report gives with ``found``, in its sentence: after
    组织执法规范化培训6场 (found), 参训人员120人次 answers 多少人次. The nearest one after it, else before it."""
    unit, asked = asked_unit(text)
    same = [fact for fact in facts if fact.report_id == found.report_id and fact.position == found.position
            and fact.offset is not None and fact.offset != found.offset
            and (fact.unit_class == asked if asked else fact.unit == unit)]
    after = [fact for fact in same if fact.offset > found.offset]
    if after:
        return min(after, key=lambda fact: fact.offset)
    return max(same, key=lambda fact: fact.offset, default=None)


def _split_after_asks(words: list[str]) -> list[str]:
    """化解了多少纠纷化解率多少 → 化解了多少纠纷, 化解率多少: a piece ends after each 多少/几 and its noun."""
    pieces, current, asked = [], "", False
    for word in words:
        if asked and (word in _stopwords() or not re.search(r"[\u4e00-\u9fff]", word)):
            pieces.append(current)
            current, asked = "", False
        current += word
        if asked:
            pieces.append(current)
            current, asked = "", False
        elif word in ("多少", "几", "几个", "多少个"):  # its noun comes next (多少纠纷)
            asked = True
        elif word.startswith(("多少", "几")):  # 几次: the ask with its unit ends the piece
            pieces.append(current)
            current = ""
    return pieces + [current]


@functools.cache
def _stopwords() -> frozenset[str]:
    return frozenset(data()["stopwords"])


def asked_unit(text: str) -> tuple[str, str]:
    """(measure word, unit class) the question asks for; ("", "") when it asks none.

    >>> asked_unit("覆盖了多少人次"), asked_unit("调撤率是多少"), asked_unit("投资多少钱"), asked_unit("几个调解员")
    (('人次', 'person_times'), ('', 'percent'), ('', 'money'), ('个', ''))
    >>> asked_unit("有多少人民调解员")  # people, but 人 is not cut off 人民调解员
    ('', 'people')
    """
    if asked := _asked_units(text):
        unit = asked[0].group(1)
        # 几个 is what people say of anything countable: it asks no class (几个调解员 wants 6名)
        return unit, "" if unit == "个" else unit_class(unit)
    if re.search(rf"(?:多少|几)(?:名|个)?[\u4e00-\u9fff]{{0,2}}(?:{'|'.join(data()['people_nouns'])})", text):
        return "", "people"
    if re.search(r"占[\u4e00-\u9fff]{1,8}?(?:的)?(?:多少|几成)", text):
        return "", "percent"  # 持证的占在编人数多少: a share, though 人数 is said
    for name, phrases in data()["asked_classes"].items():
        if any(phrase in text for phrase in phrases):
            return "", name
    if re.search(r"[\u4e00-\u9fff]率", text):
        return "", "percent"
    return "", ""


def _score(wanted: Wanted, fact: FactRow) -> tuple[float, float] | None:
    """(score, coverage) of ``fact`` for ``wanted``, or None when its unit rules it out."""
    unit_bonus = _unit_fit(wanted, fact)
    if unit_bonus is None:
        return None
    if not wanted.words:
        return None
    places = _places_of(fact)
    total = sum(wanted.weights)
    gained, anchored, parts = 0.0, False, 0.0
    for word, weight in zip(wanted.words, wanted.weights):
        credit, touches = places.credit(word, wanted.pieces.get(word, ()))
        gained += weight * credit
        anchored = anchored or touches
        if credit == _LATER and places.parts_from != -1 and places.sentence.find(word, places.parts_from) != -1:
            parts += weight
    coverage = gained / total if total else 0.0
    if not anchored:
        coverage *= 0.4
    if parts >= 0.25 * total:  # 权责清单中行政裁决事项几项: a part listed after the total's 其中 is asked, not the total
        coverage *= 0.6
    score = coverage + unit_bonus + 0.15 * places.covered(wanted.words)
    if wanted.head and places.ends_with(wanted.head):
        score += 0.2  # 工委理论学习中心组…开展专题研讨几次: 开展专题研讨4次, not the 专题学习3次 of the same 中心组
    if wanted.counted and wanted.unit == fact.unit == "个" and (
            fact.tail.startswith(wanted.counted[:2]) or places.ends_with(wanted.counted)):
        score += 0.3  # 带动几个党委开展集体学法: 14个党委, not 200余场次 (几个 asks no class); 政府文件14个, not 党委文件
    if any(re.sub(r"[^\u4e00-\u9fff0-9]", "", places.core) == word for word in wanted.quoted):
        score += 0.3  # 好差评“满意”的有多少条: 满意163条, not 非常满意802条
    if fact.metric and fact.metric in wanted.metric_ids and coverage > 0.3:
        score += 0.15
    if fact.scope and not wanted.per_unit:
        score -= 0.05 if fact.scope == "其中" else 0.1  # a part may be what is asked; a per-village figure rarely
    return score, coverage


def _names_nothing_else(fact: FactRow, wanted: Wanted) -> bool:
    """True when a figure's own words (its label and the noun after it) hold a question word, or only say
    when and how it was counted (今年共计, 积极组建)."""
    own = fact.label + fact.tail[:4]
    if any(word in own for word in wanted.words):
        return True
    for word in sorted(data()["counting_words"] + data()["bare_verbs"], key=len, reverse=True):
        own = own.replace(word, "")
    return len(re.sub(r"[^\u4e00-\u9fff]", "", fact.label)) <= 2 or len(strip_linking(own)) <= 2


def _unit_fit(wanted: Wanted, fact: FactRow) -> float | None:
    """The bonus (or penalty) the figure's unit earns; None when it cannot be what is asked."""
    have = fact.unit_class
    if wanted.unit_class:
        if have == wanted.unit_class:
            if wanted.unit != fact.unit:
                return 0.1
            return 0.35 if wanted.unit in data()["distinct_units"] else 0.15  # 几类 wants 10类, not 39项 beside it
        if have in data()["near_classes"].get(wanted.unit_class, ()) and wanted.unit not in ("名", "位"):
            return -0.1
        return None
    if have in ("percent", "money", "area") and wanted.unit == "个":
        return None
    if wanted.metric_classes:
        return 0.0 if have in wanted.metric_classes else -0.15
    return 0.0


class _Places:
    """Where a figure's words stand: its lead (before it), tail (after it), clause and sentence."""

    def __init__(self, evidence: str, offset: int | None, figure: str, lead: str, tail: str, label: str) -> None:
        sentence, start = evidence, offset or 0
        self.lead = lead
        self.core = strip_linking(lead.rstrip("、 "))
        # 专题学习《行政复议法》等相关法律法规11次: the titles and the closing 等… are what was studied
        self.plain_core = _objects().sub("", self.core)
        self.tail = tail
        lead_start = start - len(lead)
        clause_start = max(sentence.rfind(mark, 0, max(lead_start, 0)) for mark in _CLAUSE_MARKS) + 1
        # 开展“法律进村”活动50余场，…，覆盖群众2万余人次: what 覆盖 covers stands earlier in the sentence
        # …专题集中学习，全年累计开展20余次: a lead that is only a bare verb (开展) counts the clause before, too
        bare = label in data()["bare_verbs"] and label in self.core
        # …参加县级法治培训，参训率达100%: a bare rate is of what the clause before it did
        rate = len(self.core) <= 5 and bool(re.fullmatch(r"[\u4e00-\u9fff]{1,3}率(?:达|为|达到)?", self.core))
        self.continues = not self.core or self.core.startswith(_continuing_verbs()) or bare or rate
        # 非常满意802条，满意163条，合计965条: a total counts what the sentence counted before it
        own = lead.strip("，, ")
        self.totals = own.endswith(("合计", "共计", "总计")) and len(own) <= 4
        if self.continues and clause_start > 1:
            clause_start = max(sentence.rfind(mark, 0, clause_start - 1) for mark in _CLAUSE_MARKS) + 1
        self.clause = sentence[clause_start:max(lead_start, clause_start)]
        self.tail_credit = 0.9 if len(self.core) <= 3 else 0.7  # 对原有2件行政规范文件: the noun after it
        self.names_first = bool(re.match(r"[\u4e00-\u9fff]{2}", tail))  # 116名在编干部: its noun follows it
        # 设立5个内设机构、4个事业单位 (or …基本履职事项以及41项…): a figure written before its noun; the words
        # before it are the last one's
        if ends_list_item(lead) and self.names_first:
            self.clause, self.lead, self.core, self.plain_core, self.tail_credit = self.clause + lead, "", "", "", 1.0
        # 其中简易程序512件，处罚金额2.7万元；普通程序…: the words since the last ； still speak of this figure
        segment_start = max(sentence.rfind(mark, 0, max(clause_start - 1, 0)) for mark in "；;。") + 1
        self.segment = sentence[segment_start:clause_start]
        # 组织116名在编干部、村干部参加法治理论考试: what the people after the figure did is what it counts
        end = start + len(figure)
        clause_end = min((i for i in (sentence.find(mark, end) for mark in _CLAUSE_MARKS) if i != -1), default=len(sentence))
        self.after = sentence[end:clause_end]
        self.sentence, self.start = sentence, start
        self.parts_from = sentence.find("其中", start)  # 合计80项，其中：…: the parts of this figure follow, or -1

    def ends_with(self, word: str) -> bool:
        """True when ``word`` ends the figure's own words (专题研讨 of 开展专题研讨4次)."""
        return self.plain_core.endswith(word) or self.core.endswith(word)

    def covered(self, words: tuple[str, ...]) -> float:
        """The share of the figure's own words (its lead) that the question's words cover: 满意 fits the
        figure led by 满意 better than the one led by 非常满意."""
        core = re.sub(r"[^\u4e00-\u9fff0-9]", "", self.core)
        if not core:
            return 0.0
        for word in sorted(words, key=len, reverse=True):
            core = core.replace(word, "")
        return 1 - len(core) / len(re.sub(r"[^\u4e00-\u9fff0-9]", "", self.core))

    def credit(self, word: str, pieces: tuple[str, ...] = ()) -> tuple[float, bool]:
        """(credit 0–1, touches the figure) for one question word, its synonyms and its parts."""
        best = self._exact(word)
        for other, kin in _synonyms().get(word, ()):
            credit, touches = self._exact(other)
            if credit * kin > best[0]:
                best = (credit * kin, touches)
        if best[0] < 0.8 and len(word) >= 3:
            best = max(best, self._near(word, pieces))
        return best

    def _exact(self, word: str) -> tuple[float, bool]:
        if word not in self.sentence:  # every place below is part of the sentence: one search rules them all out
            return 0.0, False
        position = self.core.rfind(word)
        if position != -1:
            gap = len(self.plain_core) - self.plain_core.rfind(word) - len(word) if word in self.plain_core else \
                len(self.core) - position - len(word)
            # 法治讲座、业务培训60场次 or 法治讲座和业务培训60场次: a word of a short list the figure counts
            joined = "、" in self.core[position:] or self.core[position + len(word):][:1] in ("和", "及", "与")
            in_list = joined and len(self.core) - position <= 14
            touches = gap <= _ANCHOR_SLACK or in_list or len(self.plain_core) <= 8  # a short lead is the figure's own
            return (1.0 if touches else max(0.6, 1 - 0.025 * gap)), touches
        if word in self.lead:  # inside the linking words (…均为)
            return 0.8, True
        position = self.tail.find(word)
        if position != -1:
            return self.tail_credit, position <= 2 or self.names_first
        if word in self.clause:
            return (0.7, True) if self.continues else (0.5, False)
        if word in self.after:
            return (0.6, True) if self.names_first else (0.4, False)
        whole = self.sentence.rfind("其中", 0, self.start)  # 权责清单事项合计80项，其中：…其他47项: of the whole
        if whole != -1 and word in self.sentence[:whole]:
            return 0.6, False
        if self.totals and word in self.sentence[:self.start]:
            return 0.7, True
        if word in self.segment:
            return 0.4, False
        if word in self.sentence[:self.start]:
            return 0.2, False
        if word in self.sentence:  # 权责清单事项合计80项，其中…行政裁决3项: later words are later figures'
            return _LATER, False
        return 0.0, False

    def _near(self, word: str, pieces: tuple[str, ...]) -> tuple[float, bool]:
        """A long word the figure's words have only in part (宣传活动 ~ 宣传“六进”活动) or nearly (调解员 ~ 调解人员)."""
        found = [piece for piece in pieces if piece in self.lead or piece in self.tail]
        covered = {i for piece in found for start in _starts(word, piece) for i in range(start, start + len(piece))}
        share = len(covered) / len(word)  # 法治宣传活动 in 法治宣传“六进”活动: every character, in its parts
        near = fuzz.partial_ratio(word, self.lead + "|" + self.tail) / 100
        credit = max(0.8 * share, 0.6 * near if near >= 0.8 else 0.0)
        window = self.core[-(len(word) + _ANCHOR_SLACK):] + "|" + self.tail[:len(word)]
        return credit, credit >= 0.4 and (any(piece in window for piece in found) or near >= 0.8)


@functools.lru_cache(maxsize=8192)
def _places_at(evidence: str, offset: int | None, figure: str, lead: str, tail: str, label: str) -> _Places:
    return _Places(evidence, offset, figure, lead, tail, label)


def _places_of(fact: FactRow) -> _Places:
    """A figure's places: they depend on the figure alone, and the same report's figures are scored question
    after question (cached on the strings, whose hashes Python keeps, not on the whole row)."""
    return _places_at(fact.evidence, fact.offset, fact.figure, fact.lead, fact.tail, fact.label)


def _starts(text: str, piece: str) -> list[int]:
    return [match.start() for match in re.finditer(re.escape(piece), text)]


@functools.cache
def _continuing_verbs() -> tuple[str, ...]:
    return tuple(data()["continuing_verbs"])


def _figure(sentence: str, figure: str, lead: str, unit_class: str) -> FactRow:
    """A stand-alone figure of ``sentence`` (for examples and tests)."""
    offset = sentence.index(figure)
    return FactRow(township="", county="", province="", year=0, metric="", subject=lead, value=None, lower=None,
                   upper=None, qualifier="", unit="", figure=figure, scope="", name="", label=lead, lead=lead,
                   tail="", unit_class=unit_class, offset=offset, evidence=sentence, report="", section="",
                   section_kind="", township_id=0, report_id=0, position=0)

