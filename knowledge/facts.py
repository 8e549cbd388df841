"""Sentences to facts: every figure with what it counts, and the names a report states.

Every figure keeps its *lead* (the report's words from the clause start or the previous figure up to
the number), its *tail* (from the unit to the next figure, 、 or clause end) and a *label* for
display, so that any figure can be asked for in the report's own words:

>>> [(f.text, f.label) for f in extract_facts("受理答复8890诉求655件，掌上基层流转12089件，办结率、满意率均为100%。")]
[('655件', '受理答复8890诉求'), ('12089件', '掌上基层流转'), ('100%', '办结率、满意率')]
>>> [(f.text, f.label) for f in extract_facts("组织干部职工开展法治培训10场次，覆盖500余人次。")]
[('10场次', '组织干部职工开展法治培训'), ('500余人次', '法治培训10场次，覆盖')]

A figure's metric is named by the lexicon term nearest to it in its clause: before it
(发放宣传资料8000余份) or right after its unit (11名年轻干部拥有行政执法证). Metrics that share a term
are told apart by the verb that governs the figure (排查/调解/化解 矛盾纠纷), and a metric never
takes a figure in a unit it is not counted in.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

from knowledge.quantities import Quantity, find_quantities, quoted_spans, unit_class
from knowledge.vocabulary import Metric, term_index, vocabulary

_CLAUSE_DELIMITERS = "，。；！？：,;"
_NEAR = 4  # characters between a term and its figure that still count as "right next to it"
_SUBJECT_MAX = 16
# How far back in its clause a figure's words are looked for. A report's clauses are far shorter (its longest
# sentences have 800 characters); a text of one endless clause (no punctuation) must not cost time squared.
_WINDOW = 1000


@dataclass(frozen=True)
class Fact:
    """A figure (or a name) a report states, with what it is about."""

    metric: str  # lexicon id, "" when the lexicon does not know what the figure counts
    subject: str  # the phrase it counts, in the report's words
    quantity: Quantity | None  # None for named facts
    scope: str = ""  # 每村, 平均一个行政村, 其中: the figure is per unit or a part
    name: str = ""  # for named facts: the name itself
    lead: str = ""  # the words before the figure, back to the previous figure or the clause start
    tail: str = ""  # the words after the unit, up to the next figure, 、 or the clause end
    label: str = ""  # what the figure counts, in the report's words, for display

    @property
    def text(self) -> str:
        """The figure or the name as the report writes it."""
        return self.quantity.text if self.quantity else self.name


def extract_facts(sentence: str) -> list[Fact]:
    """All facts of one sentence (canonical text), figures first, then names."""
    quantities = find_quantities(sentence)
    plain = _mask_quotes(sentence) if quantities else sentence
    facts = []
    # 开展镇、村两级干部专题培训4次: a tier (两级) is no figure the next one's words stop at
    is_bound = [unit_class(quantity.unit) != "levels" for quantity in quantities]
    previous_ends = _previous_bound_ends(quantities, is_bound)
    next_starts = _previous_bound_ends(quantities[::-1], is_bound[::-1], attribute="start", none=len(sentence))[::-1]
    for index, quantity in enumerate(quantities):
        previous_end, next_start = previous_ends[index], next_starts[index]
        metric, term_span = _metric_for(plain, quantity, previous_end, next_start)
        if quantity.chinese and quantity.value == 1 and metric is None and not _counts_one(sentence, quantity):
            continue  # 形成一个依法办事的局面: a manner of speaking, not a figure
        if sentence.endswith(("平均", "每"), 0, quantity.start):
            continue  # 平均一个行政村3人: the 一个 only sets the scope of the next figure
        subject = _subject(sentence, quantity, term_span, previous_end)
        lead, tail = _lead_and_tail(sentence, quantity, previous_end, next_start)
        label = _label(lead, tail, facts[-1] if facts and quantity.start - len(lead) > facts[-1].quantity.end else None)
        facts.append(Fact(metric.id if metric else "", subject, quantity, _scope(sentence, quantity),
                          lead=lead, tail=tail, label=label))
    facts.extend(_named_facts(sentence))
    return facts


def _previous_bound_ends(quantities: list[Quantity], is_bound: list[bool], attribute: str = "end", none: int = 0
                         ) -> list[int]:
    """For each quantity, the ``attribute`` of the nearest bounding quantity before it (``none`` when there is none).

    Called on the reversed list, it gives the start of the nearest one after each. One pass: a sentence may
    hold thousands of figures.
    """
    result, last = [], none
    for quantity, bound in zip(quantities, is_bound):
        result.append(last)
        if bound:
            last = getattr(quantity, attribute)
    return result


def _lead_and_tail(sentence: str, quantity: Quantity, previous_end: int, next_start: int) -> tuple[str, str]:
    """The words right before a figure (to the previous figure or clause start) and right after its unit."""
    clause_start, clause_end = _clause(sentence, quantity.start, quantity.end)
    lead = sentence[max(clause_start, previous_end):quantity.start]
    tail = sentence[quantity.end:min(clause_end, next_start)]
    return lead, tail.split("、")[0]


@functools.cache
def _fillers() -> tuple[str, ...]:
    return tuple(sorted(vocabulary()["label_fillers"], key=len, reverse=True))


def _label(lead: str, tail: str, previous: Fact | None) -> str:
    """What a figure counts, for display: its lead without fillers; the noun after it when the lead says
    nothing (11名年轻干部); after a bare verb (覆盖), the figure of the clause before (培训10场次，覆盖)."""
    plain = strip_linking(lead.strip("、 "))
    # 包括132项基本履职事项、138项配合履职事项以及41项…: in a list of figures each written before its noun, the
    # words before a figure are the last one's noun (or a listing verb): its own noun is after it
    own = _own_noun(tail)
    if own and (ends_list_item(lead) or plain in vocabulary()["listing_words"]):
        return own
    core = plain
    changed = True
    while changed:
        stripped = re.sub(r"^(?:20\d{2}年度?|\d{1,2}月份?)", "", core)
        for filler in _fillers():
            if stripped.startswith(filler) and len(stripped) > len(filler):
                stripped = stripped[len(filler):]
                break
        changed, core = stripped != core, stripped
    noun = re.match(r"[\u4e00-\u9fff]{2,8}", tail)
    if sum(_is_cjk(char) for char in core) < 2 or core in _stops():
        if noun and not tail.startswith(_stops()):
            return noun.group(0)
        if previous is not None:
            return f"{_object_of(previous.label)}{previous.text}，{core or plain}"
    if len(core) > 16:
        core = _object_of(core)
    return core[-24:] or plain


_LIST_JOINT = re.compile(r"(?:、|以及|及|和|与)\s*$")


def ends_list_item(lead: str) -> bool:
    """True when the words before a figure end with a list's joint (…基本履职事项、|138项, …法律顾问和|2名): in a
    list of figures each written before its noun, those words are the last figure's, not this one's."""
    return _LIST_JOINT.search(lead) is not None


def _own_noun(tail: str) -> str:
    """The noun a figure is written before (132项基本履职事项、… → 基本履职事项), "" when none follows it."""
    noun = re.match(r"[\u4e00-\u9fff]{2,10}", tail)
    if not noun or tail.startswith(_stops()):
        return ""
    return re.split(r"以及|及|和|与", noun.group(0))[0] if len(noun.group(0)) > 2 else noun.group(0)


def _object_of(phrase: str) -> str:
    """What a phrase is about: the words after its last verb (组织干部职工开展法治培训 → 法治培训)."""
    cuts = [phrase.rfind(stop) + len(stop) for stop in _stops() if stop in phrase[:-2]]
    return phrase[max(cuts, default=0):]


def _counts_one(sentence: str, quantity: Quantity) -> bool:
    """True when a Chinese "one" is a real count: of people (一名工作人员), or after its noun (综治中心一个，)."""
    if quantity.unit in ("名", "人", "位"):
        return True
    after = sentence[quantity.end:quantity.end + 1]
    return (not after or after in _CLAUSE_DELIMITERS) and quantity.start > 0 and _is_cjk(sentence[quantity.start - 1])


def _mask_quotes(sentence: str) -> str:
    """``sentence`` with quoted and titled spans blanked (same length): 《信访工作条例》 names no petitions."""
    pieces, done = [], 0
    for start, end in quoted_spans(sentence):
        if sentence[start + 1:end - 1] in term_index():
            continue  # “法律明白人”: a quoted term still names what is counted
        pieces += [sentence[done:start], "□" * (end - start)]
        done = end
    return "".join(pieces) + sentence[done:]


def _clause(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The clause around ``sentence[start:end]``: from after the delimiter before it to the delimiter after it."""
    marks = _delimiter_positions(sentence)
    before = bisect.bisect_left(marks, start)
    after = bisect.bisect_left(marks, end)
    return (marks[before - 1] + 1 if before else 0), (marks[after] if after < len(marks) else len(sentence))


_DELIMITER = re.compile(f"[{_CLAUSE_DELIMITERS}]")


@functools.lru_cache(maxsize=8)
def _delimiter_positions(sentence: str) -> list[int]:
    """Where ``sentence``'s clause delimiters stand, in order: found once, not once per figure."""
    return [match.start() for match in _DELIMITER.finditer(sentence)]


@functools.cache
def _terms_longest_first(unit: str) -> tuple[str, ...]:
    """The lexicon terms whose metric can count ``unit``, longest first."""
    return tuple(term for term in sorted(term_index(), key=len, reverse=True)
                 if any(metric.accepts_unit(unit) for metric in term_index()[term]))


def _find_terms(text: str, offset: int, unit: str) -> list[tuple[int, int, str]]:
    """(start, end, term) of every lexicon term in ``text`` whose metric can count ``unit``; nested ones dropped."""
    found: list[tuple[int, int, str]] = []
    for term in _terms_longest_first(unit):
        if term not in text:
            continue
        start = text.find(term)
        while start != -1:
            span = (offset + start, offset + start + len(term))
            if not any(s <= span[0] and span[1] <= e for s, e, _ in found):
                found.append((*span, term))
            start = text.find(term, start + 1)
    return found


def _metric_for(sentence: str, quantity: Quantity, previous_end: int, next_start: int
                ) -> tuple[Metric | None, tuple[int, int] | None]:
    """The metric a figure counts and where its term stands; (None, None) when no term fits."""
    clause_start, clause_end = _clause(sentence, quantity.start, quantity.end)
    lead_start = max(clause_start, previous_end)
    tail_end = min(clause_end, next_start)
    lead = [found for found in _find_terms(sentence[lead_start:quantity.start], lead_start, quantity.unit)
            if not any(word in sentence[found[1]:quantity.start] for word in vocabulary()["lead_blockers"])]
    tail = _find_terms(sentence[quantity.end:tail_end], quantity.end, quantity.unit)
    best_lead = max(lead, key=lambda found: (found[1], found[1] - found[0]), default=None)
    best_tail = min(tail, key=lambda found: (found[0], found[0] - found[1]), default=None)
    lead_gap = len(strip_linking(sentence[best_lead[1]:quantity.start])) if best_lead else None
    tail_gap = best_tail[0] - quantity.end if best_tail else None
    listed = ends_list_item(sentence[lead_start:quantity.start]) and _names_own_thing(sentence[quantity.end:tail_end])
    if listed:  # 1名常年法律顾问和2名兼职法治员: the words before 2名 are the last figure's; its own noun follows it
        chosen = best_tail if best_tail and tail_gap <= _NEAR else None
    elif best_lead and lead_gap <= _NEAR:
        chosen = best_lead
    elif best_tail and (tail_gap <= _NEAR or any(
            verb in sentence[quantity.end:best_tail[0]] for verb in vocabulary()["holding_verbs"])):
        chosen = best_tail
    elif _names_own_thing(sentence[quantity.end:tail_end]):
        chosen = None  # 信访矛盾预防、…疏导5个环节: the figure counts the word after it, unknown to the lexicon
    else:
        chosen = best_lead or best_tail
    if chosen is None and _scope(sentence, quantity).startswith("平均"):
        # 积极培养各村法律明白人，平均一个行政村3人: the counted thing stands in the clause before.
        before_start, _ = _clause(sentence, max(clause_start - 1, 0), max(clause_start - 1, 0))
        before_start = max(before_start, clause_start - _WINDOW)
        earlier = _find_terms(sentence[before_start:clause_start], before_start, quantity.unit)
        chosen = max(earlier, key=lambda found: found[1], default=None)
    if chosen is None:
        return None, None
    start, end, term = chosen
    governing = sentence[max(clause_start, quantity.start - _WINDOW):quantity.start] + sentence[quantity.end:tail_end]
    return _by_verb(term_index()[term], governing, quantity.unit), (start, end)


def strip_linking(text: str) -> str:
    """``text`` without the linking words at its end (法律问题共 → 法律问题)."""
    for word in sorted(vocabulary()["linking_words"], key=len, reverse=True):
        if text.endswith(word):
            return text[: -len(word)]
    return text


def _names_own_thing(tail: str) -> bool:
    """True when a figure is followed directly by a noun of its own (5个环节), not by punctuation or a verb."""
    head = tail[:2]
    return len(head) == 2 and all(_is_cjk(char) for char in head) and not tail.startswith(_stops())


def _by_verb(candidates: tuple[Metric, ...], context: str, unit: str) -> Metric | None:
    """Among metrics sharing a term, the one whose verb stands last in ``context``, else the plain one."""
    fitting = [metric for metric in candidates if metric.accepts_unit(unit)]
    best, best_position = None, -1
    for metric in fitting:
        for verb in metric.verbs:
            position = context.rfind(verb)
            if position > best_position:
                best, best_position = metric, position
    if best is not None:
        return best
    return next((metric for metric in fitting if not metric.verbs), fitting[0] if fitting else None)


@functools.cache
def _stops() -> tuple[str, ...]:
    return tuple(sorted(vocabulary()["subject_stops"], key=len, reverse=True))


def _subject(sentence: str, quantity: Quantity, term_span: tuple[int, int] | None, previous_end: int) -> str:
    """The phrase a figure counts, in the report's words (人民调解员, 一般纠纷, 年轻干部拥有行政执法证)."""
    clause_start, clause_end = _clause(sentence, quantity.start, quantity.end)
    if term_span and term_span[0] >= quantity.end:  # the counted thing follows the figure
        return sentence[quantity.end:term_span[1]][:_SUBJECT_MAX]
    end = term_span[1] if term_span else quantity.start
    if not term_span:
        before = sentence[max(clause_start, end - _WINDOW):end]
        end -= len(before) - len(strip_linking(before))
    floor = max(clause_start, previous_end)
    start = term_span[0] if term_span else end
    while start > floor and end - start < _SUBJECT_MAX:
        if sentence.endswith(_stops(), 0, start) or not _is_cjk(sentence[start - 1]):
            break
        start -= 1
    subject = sentence[start:end].lstrip("年度")
    if not subject:  # nothing before the figure: take what follows it
        tail = sentence[quantity.end:min(clause_end, quantity.end + 8)]
        subject = re.split(r"[，。；、]", tail)[0]
    return subject


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or char in "（）"


@functools.cache
def _scope_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in vocabulary()["scope_patterns"])


@functools.cache
def _sentence_scope_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in vocabulary()["sentence_scope_patterns"])


def _scope(sentence: str, quantity: Quantity) -> str:
    clause_start, _ = _clause(sentence, quantity.start, quantity.end)
    window = max(clause_start, quantity.start - _WINDOW)
    before = sentence[window:quantity.end]  # with the figure: patterns look ahead to it
    for pattern in _scope_patterns():
        if (match := pattern.search(before)) and match.end() <= quantity.start - window:
            return match.group(0)
    if quantity.unit != "%" and not any(word in before for word in vocabulary()["total_words"]):
        for pattern in _sentence_scope_patterns():
            # (the patterns look only ahead, never back: none can match in the part before the clause unless
            # it matches in the whole sentence, and not before its first match there)
            first = _first_match(pattern, sentence)
            if first is not None and (match := pattern.search(sentence, first, clause_start)):
                return match.group(0)
    return ""


@functools.lru_cache(maxsize=8)
def _first_match(pattern: re.Pattern[str], sentence: str) -> int | None:
    """Where ``pattern`` first matches in ``sentence``, None when nowhere: looked for once per sentence."""
    match = pattern.search(sentence)
    return match.start() if match else None


_LAW_FIRM = re.compile(r"(?:聘请了?|聘用了?|聘任了?|委托|与)([^，。；、“”]{2,20}?律师事务所)")
_GROUP_HEAD = re.compile(r"(?:由|以)([^，。；“”]{2,24}?)(?:担任|任|为)[^，。；]{0,12}?组长")
_HONOURED = re.compile(r"([\u4e00-\u9fff]{2,8}村)[^。；]{0,24}?(?:被评选为|被评为|获评|评为|荣获|被命名为|成功创建)"
                       r"([^。；，]{0,24}?示范村)")


def _named_facts(sentence: str) -> list[Fact]:
    facts = []
    if match := _LAW_FIRM.search(sentence):
        facts.append(Fact("law_firm", "法律顾问", None, name=match.group(1)))
    if match := _GROUP_HEAD.search(sentence):
        facts.append(Fact("leading_group_head", "领导小组组长", None, name=match.group(1)))
    for match in _HONOURED.finditer(sentence):
        facts.append(Fact("honoured_villages", match.group(2), None, name=match.group(1)))
    return facts
