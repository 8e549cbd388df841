"""From a question to an answer grounded in the knowledge base. Every figure comes from a stored fact.

An ``Answer`` leads with its first line (the figure, or the plain "the reports do not say"), then
quotes the evidence and names its source. ``answered`` is False for refusals and questions back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from bot import labels, phrases, times
from bot.figures import (BESIDE_THRESHOLD, NEAR_CLASS_THRESHOLD, THRESHOLD, FigureMatcher, Match, Wanted, asked_unit,
                         beside, word_spans)
from bot.figures import data as figures_data
from bot.understand import Question, Understander, intents
from knowledge.facts import ends_list_item
from knowledge.segment import LookupSegmenter, lexicon_path
from knowledge.quantities import unit_class
from knowledge.query import FactRow, KnowledgeBase, SentenceRow, Township
from knowledge.text import has_cjk
from knowledge.vocabulary import Metric, metrics, vocabulary

_MAX_QUESTION = 500
_LIST_LIMIT = 100  # /towns lines; the rest are counted
_RANK_LINES = 20  # a ranking's lines; the rest are counted
_TIME_WORDS_HELD = 0.6  # the share of the question's words (by length) a sentence must hold to give its time
_EXACT_RANKING = 3000  # up to this many candidate figures, an open ranking scores them all
_EN_QUALIFIERS = {"余": "over ", "多": "over ", "以上": "at least ", "逾": "over ", "超过": "over ", "近": "nearly ",
                  "约": "about ", "左右": "about "}


@dataclass
class Quote:
    """A sentence quoted from a report, with where it stands."""

    text: str
    report: str
    section: str


@dataclass
class Answer:
    """A reply: ``headline`` first, then ``lines`` (more figures), ``quotes`` and ``notes``."""

    question: str
    answered: bool
    headline: str
    lines: list[str] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: list[FactRow] = field(default_factory=list)
    choices: list[tuple[int, str]] = field(default_factory=list)  # (township id, label) to ask back with


@dataclass
class Conversation:
    """What a conversation has been about, for follow-ups (那执法证呢？ · 四棵树镇呢)."""

    townships: list[Township] = field(default_factory=list)
    metric: Metric | None = None
    year: int | None = None
    parts: list[tuple[str, list[str]]] = field(default_factory=list)  # what was last asked, in content words
    asks_figure: bool = False  # the last question asked a figure: so does its "那X呢"


class Answerer:
    """Answers questions from one knowledge base, reading from it only what each question needs."""

    def __init__(self, db_path: Path | str) -> None:
        self.path = Path(db_path)
        self.reload()

    def reload(self) -> None:
        """Open the knowledge base afresh (after an upload or a rebuild); questions meanwhile use the old one.

        Cheap at any size: nothing is read until a question needs it.
        """
        kb = KnowledgeBase(self.path)
        segmenter = LookupSegmenter(lexicon_path(), kb.names_among)
        understander = Understander(kb, segmenter.cut)
        matcher = FigureMatcher(kb.word_counts, segmenter.words)
        self.kb, self.segmenter, self.understander, self.matcher = kb, segmenter, understander, matcher

    def answer(self, text: str, conversation: Conversation | None = None) -> Answer:
        """Answer ``text``; with a ``conversation``, take what the question leaves out from it and update it."""
        self.kb.keep_current()
        text = (text or "").strip()
        if not text:
            return self._help(Question("", False))
        question = self.understander.understand(text[:_MAX_QUESTION])
        if conversation is not None:
            self._carry(question, conversation)
        return self._reply(question, text, conversation)

    def answer_choice(self, township_id: int, text: str, conversation: Conversation | None = None) -> Answer:
        """Answer ``text`` again, now about the township the user chose when asked back."""
        self.kb.keep_current()
        question = self.understander.understand(text[:_MAX_QUESTION])
        question.townships, question.ambiguous = [town] if (town := self.kb.township(township_id)) else [], []
        return self._reply(question, text, conversation)

    def townships(self, english: bool = False) -> Answer:
        """The townships in the knowledge base with their years (/towns)."""
        self.kb.keep_current()
        return self._list_towns(Question("", english))

    def town_card(self, name: str, english: bool = False, conversation: Conversation | None = None) -> Answer:
        """One township's key figures on one screen (/town NAME); asks back or refuses like ``answer``, in
        Chinese unless ``english`` (a name alone does not say which language its asker reads). In a
        ``conversation``, the card's township is then the one follow-ups ask about (/town 湘江源, 那执法证呢)."""
        self.kb.keep_current()
        question = self.understander.understand(name[:_MAX_QUESTION])
        question.intent, question.metric, question.english = "overview", None, english
        if question.townships and not question.ambiguous:
            if conversation is not None:
                self._remember(question, conversation)
            return self._overview(question, question.townships[0])
        reply = self._dispatch(question)
        reply.answered = False
        return reply

    def help(self, english: bool = False) -> Answer:
        """What the bot can answer, with example questions."""
        return self._help(Question("", english))

    # -- understanding helpers -------------------------------------------------------------

    def _reply(self, question: Question, text: str, conversation: Conversation | None) -> Answer:
        """Answer ``question``; ``conversation`` then holds its township, year and topic, answered or not."""
        reply = self._dispatch(question)
        reply.question = text
        year = question.year
        if year and len(question.townships) != 1 and any(fact.year != year for fact in reply.facts):
            # a ranking or comparison of a year some townships have no report of: the first line says so too
            # (an answer on one township says so in ``_other_year``)
            reply.headline += self._say(question, f"（有的乡镇没有{year}年的报告，见每行的年份）",
                                        f" (some townships have no {year} report; see each line's year)")
        if conversation is not None and not question.ambiguous and question.intent not in ("list_towns", "help", "greeting"):
            self._remember(question, conversation)
        return reply

    @staticmethod
    def _remember(question: Question, conversation: Conversation) -> None:
        """``conversation`` now holds ``question``'s township, year and topic, for its follow-ups."""
        conversation.townships = question.townships or conversation.townships
        conversation.year = question.year or conversation.year
        if question.metric or question.words:
            conversation.metric, conversation.parts = question.metric, question.parts
        conversation.asks_figure = question.asks_figure

    def _carry(self, question: Question, conversation: Conversation) -> None:
        """Fill in what a follow-up leaves out (the township, the year, the topic); never what it says."""
        if question.ambiguous or question.unknown_place or question.intent in ("rank", "each", "list_towns", "help", "greeting"):
            return
        if not question.townships and conversation.townships:
            question.townships = conversation.townships
        if question.year is None and (not question.townships or question.townships == conversation.townships):
            question.year = conversation.year
        if conversation.asks_figure and question.text.rstrip("？?。").endswith("呢"):
            question.asks_figure = True  # 那上级部门收回的呢: the same kind of question as before
        if question.metric is None and not question.words and question.intent == "value":
            by_verb = [m for m in metrics().values() if m.verbs and any(verb in question.text for verb in m.verbs)]
            question.metric = by_verb[0] if by_verb else conversation.metric
            question.parts = conversation.parts
            question.words = [word for _, words in conversation.parts for word in words]
            question.asks_figure = question.asks_figure or bool(conversation.parts)

    # -- answering ---------------------------------------------------------------------------

    def _dispatch(self, q: Question) -> Answer:
        if q.intent == "help":
            return self._help(q)
        if q.intent == "greeting":
            reply = self._help(q)
            reply.headline = self._say(q, "你好！我是乡镇法治报告助手，回答乡镇法治政府建设报告里的问题，例如：",
                                       "Hello! I answer questions about township rule-of-law reports, e.g.:")
            reply.answered = False  # nothing from a report
            return reply
        if q.intent == "list_towns":
            return self._list_towns(q)
        if q.ambiguous:
            return self._ask_back(q)
        if q.unknowable:
            if len(q.townships) == 1 and q.words and (q.asks_figure or q.english):  # 鲁庄镇总人口7.2万人: a few state it
                reply = self._figure(q, q.townships[0])
                if reply.answered:
                    return reply
            return self._unknowable(q)
        if not q.townships and not q.unknown_place and (first := self.understander.unknown_first_word(q)):
            q.unknown_place = first  # 伊金霍落 法治会议 几次: a place the knowledge base has no report of
        if q.unknown_place and not q.townships:
            return self._unknown_place(q)
        counted = q.metric is not None and q.metric.kind == "count"
        if q.intent in ("rank", "each") or (not q.townships and counted):
            if counted and (q.english or not q.words or self._names_metric(q)) and self._unit_fits_metric(q):
                return self._rank(q)  # 培训人次最多 is no ranking of 培训 sessions: the reports' own figures rank it
            if q.intent in ("rank", "each") and q.words and not q.english:
                return self._rank_open(q)
            return self._not_understood(q)
        if len(q.townships) >= 2 and q.intent in ("compare", "value") and (counted or q.words and not q.english):
            return self._compare(q)
        if not q.townships:
            return self._not_understood(q)
        town = q.townships[0]
        reply = self._about(q, town)
        if q.year is not None and q.year not in town.years:
            return self._other_year(q, town, reply)
        return reply

    def _about(self, q: Question, town: Township) -> Answer:
        """The answer on one township, from the report of the asked year or else the nearest one."""
        if q.intent in ("problems", "plans"):
            return self._passages(q, town, q.intent)
        if q.metric and q.metric.kind == "named":
            return self._named(q, town)
        if not q.english and times.asked_kind(q.text):  # 哪天, 多久一次: a date or a time, never a count
            return self._time_answer(q, town, town.report_year(q.year)) or self._figure(q, town)
        if not q.english and labels.asks_which(q.text) and (label := self._numbered_label(q, town)):
            return label  # 是什么工作思路: “1361”工作思路
        if q.english:
            if q.metric and (not q.words or self._names_metric(q)):
                return self._value(q, town)
            if q.asks_figure and q.words:  # study sessions on Xi Jinping Thought: words beyond the metric's
                reply = self._figure(q, town)
                if reply.answered or not q.metric:
                    return reply
            if q.metric:
                return self._value(q, town)
            return self._not_stated(q, town, *self._report_facts(town, q.year)) if q.asks_figure else self._overview(q, town)
        if q.metric and (not q.words or self._names_metric(q)) and len(q.parts) <= 1 and self._unit_fits_metric(q):
            return self._value(q, town)  # the lexicon knows exactly this: its figure, or "not stated"
        if q.words and not q.asks_figure and any(word in q.text for word in figures_data()["passage_words"]):
            return self._passages_about(q, town)
        if q.words and q.intent != "overview":
            return self._figure(q, town)
        return self._overview(q, town)

    @staticmethod
    def _unit_fits_metric(q: Question) -> bool:
        """False when the question asks a unit its lexicon metric is never counted in (培训多少人次, a count of
        sessions): then the report's figures, not the metric, answer."""
        _, asked = asked_unit(q.topic)
        return not asked or not q.metric.units or any(unit_class(unit) == asked for unit in q.metric.units)

    @staticmethod
    def _names_metric(q: Question) -> bool:
        """True when the question's words all name the lexicon metric (发放|宣传资料, 那|执法证): answer by it."""
        if q.metric is None:
            return False
        own = q.metric.terms + q.metric.verbs + q.metric.ask
        generic = vocabulary()["subject_stops"]
        return all(word in generic or any(word in term or term in word for term in own) for word in q.words)

    def _report_facts(self, town: Township, year: int | None) -> tuple[list[FactRow], int]:
        """The facts of the report to answer from (see ``Township.report_year``), and its year."""
        chosen = town.report_year(year)
        return self.kb.facts(township_id=town.id, year=chosen), chosen

    def _report_id(self, town: Township, year: int) -> int:
        return self.kb.report_id(town.id, year)

    def _other_year(self, q: Question, town: Township, reply: Answer) -> Answer:
        """The asked year has no report: the first line, which names the year it answers from, says so too."""
        years = "、".join(map(str, town.years))
        reply.headline += self._say(q, f"（知识库中没有{q.year}年的报告，现有：{years}年）",
                                    f" (no {q.year} report; it has {years})")
        return reply

    def _value(self, q: Question, town: Township) -> Answer:
        metric = q.metric
        facts, year = self._report_facts(town, q.year)
        measure, asked = asked_unit(q.topic)
        if asked:  # 培训多少人次: not the number of sessions
            facts = [fact for fact in facts if fact.unit_class == asked]
        if measure in figures_data()["distinct_units"] and not any(
                fact.unit.startswith(measure) for fact in facts if fact.metric in _answers_for(metric)):
            return self._figure(q, town)  # 理论学习中心组组织了几期: 12期, though the lexicon's sessions are 次 (场 is 场次)
        exact = _closest_first(q.text, [f for f in facts if f.metric in _answers_for(metric)])
        # a sibling metric's figure (排查 for 化解) stands in only if it names what is asked (矛盾纠纷, not 问题隐患)
        family = [] if exact or not metric.family else _closest_first(
            q.text, [f for f in facts if f.metric and metrics()[f.metric].family == metric.family
                     and any(term in f.label + f.subject for term in metric.terms)])
        chosen = exact or family
        if not chosen and metric.names and any(f.metric == metric.names for f in facts):
            q.metric = metrics()[metric.names]  # 乌苏 法律顾问: the report names its law firm, not a count
            return self._named(q, town)
        if not chosen and q.words and (asked or q.english):
            return self._figure(q, town)  # none in the asked unit (培训覆盖多少人次): any figure the words fit
        if not chosen:
            return self._not_stated(q, town, facts, year)
        main, others = chosen[0], chosen[1:3]
        reply = Answer(q.text, True, self._headline(q, main, metric if exact else None))
        reply.lines = [self._figure_line(q, fact, None) for fact in others]
        if not exact:
            reply.notes.append(self._say(q, f"报告未直接说明“{metric.zh}”，以上是报告中相关的说法。",
                                         f"The report does not state {metric.en} as such; this is its closest wording."))
        reply.facts = [main, *others]
        reply.quotes = _quotes(reply.facts)
        return reply

    def _figure(self, q: Question, town: Township) -> Answer:
        """Any figure the report states, chosen among all of its figures by the question's words and unit."""
        facts, year = self._report_facts(town, q.year)
        found: list[Match | None] = []
        for index, (text, words) in enumerate(q.parts):
            if index and found[-1] and words == q.parts[index - 1][1]:  # 培训几场多少人次: the same thing again
                other = beside(found[-1].fact, text, facts)
                found.append(Match(other, found[-1].score, found[-1].coverage) if other else None)
            else:
                found.append(self._best(self.matcher.wanted(text, words, q.metric), facts,
                                        after=found[-1] if index else None))
        if len(found) == 2 and not found[0] and found[1] and q.parts[0][1] == q.parts[1][1]:
            # 参观学习多少批 多少人次: 446人次 is found by its words, 28批 only as the figure given with it
            other = beside(found[1].fact, q.parts[0][0], facts)
            found[0] = Match(other, found[1].score, found[1].coverage) if other else None
        first_found = list(found)
        for index, match in enumerate(found):  # 中心组学习研讨和机关干部集中学习各几次: one figure answers one part,
            if match and any(other and other.fact is match.fact and other.coverage > match.coverage
                             for other in found[:index] + found[index + 1:]):  # the one it fits best, if another
                found[index] = None  # fits the other part beside it (else it stays: the question was cut badly)
        if len(found) >= 2 and any(found) and not all(found):
            found = [match or self._beside_found(q, index, found, facts) or first_found[index]
                     for index, match in enumerate(found)]
        if len(found) < 2 or not all(found):  # one thing asked, or not each of several found: the whole question
            whole = self.matcher.wanted(q.topic, q.words, q.metric)
            found = [self._best(whole, facts) or self.matcher.only_one_in_sentence(whole, facts)]
        if found[0] is None:
            return self._not_stated(q, town, facts, year) if q.english else self._figure_not_stated(q, town, facts, year)
        chosen = _distinct([match.fact for match in found])
        reply = Answer(q.text, True, self._say(
            q, f"{town.name}（{year}年）：" + "；".join(self._figure_zh(fact, metrics().get(fact.metric)) for fact in chosen),
            f"{self._town_en(town)}, {year}: " + "; ".join(self._figure_en(fact, metrics().get(fact.metric))
                                                         for fact in chosen)))
        reply.facts = chosen
        reply.quotes = _quotes(chosen)
        return reply

    def _beside_found(self, q: Question, index: int, found: list[Match | None], facts: list[FactRow]) -> Match | None:
        """For a part of a question that asks several figures and whose words fit no figure well enough: the
        figure that fits them best in the sentence of a figure found for another part, if its words fit at all
        and it is in the unit asked (专题学习会开了几次、旁听庭审几次: 召开…专题学习会3次, beside 旁听庭审11次)."""
        text, words = q.parts[index]
        asked = asked_unit(text)[1]
        if not asked:  # 专题学法和法治讲座一共有多少人次: a part that asks no unit may be no figure of its own
            return None
        beside_ones = {(m.fact.report_id, m.fact.position) for m in found if m}
        taken = {(m.fact.report_id, m.fact.offset) for m in found if m}
        if not words:  # 组建了多少支普法志愿者队伍，每支多少人以上: the figure of the asked unit right after the other
            after = [m.fact for m in found if m]
            beside_it = [fact for fact in facts if (fact.report_id, fact.position) in beside_ones and fact.unit_class == asked
                         and (fact.report_id, fact.offset) not in taken and fact.offset is not None
                         and any(fact.position == a.position and fact.offset > a.offset for a in after)]
            first = min(beside_it, key=lambda fact: fact.offset, default=None)
            return Match(first, BESIDE_THRESHOLD, BESIDE_THRESHOLD) if first else None
        for match in self.matcher.rank(self.matcher.wanted(text, words, q.metric), facts):
            if match.coverage < BESIDE_THRESHOLD:
                break
            fact = match.fact
            if (fact.report_id, fact.position) in beside_ones and (fact.report_id, fact.offset) not in taken \
                    and fact.unit_class == asked:
                return match
        return None

    def _best(self, wanted: Wanted, facts: list[FactRow], after: Match | None = None) -> Match | None:
        """The figure of ``facts`` that answers best, if one answers well enough. Of figures that answer
        as well, the first one ``after`` the figure found for the question's previous part: 普通程序219件，
        处罚金额294.65万元 answers …多少件，处罚金额是多少, not the 处罚金额 of 简易程序."""
        # a figure of another class than the measure word asked (项 for 多少场) answers only when its words fit
        # well: else it is another thing
        matches = [m for m in self.matcher.rank(wanted, facts) if m.coverage >= (
            THRESHOLD if not (wanted.unit and wanted.unit_class) or m.fact.unit_class == wanted.unit_class
            else NEAR_CLASS_THRESHOLD) and not _another_thing(wanted, m)]
        if after is None or not matches:
            return matches[0] if matches else None
        # as good: as high a score, or every asked word as well covered (收集问题诉求143条，已协调解决142条；收集困难
        # 问题7条，已解决7条: 解决了多少条 after 143条 is 142条, though 已解决 fits 解决 more closely)
        tied = [m for m in matches if m.score >= matches[0].score - 0.02
                or m.coverage >= matches[0].coverage - 0.02 and m.score >= matches[0].score - 0.1]
        where = lambda m: (m.fact.position, m.fact.offset or 0)  # noqa: E731
        later = [m for m in tied if where(m) > where(after)]
        return min(later, key=where) if later else tied[0]

    def _figure_not_stated(self, q: Question, town: Township, facts: list[FactRow], year: int) -> Answer:
        """No figure answers: a named fact if the lexicon has one (乌苏 法律顾问), a passage if no figure was
        asked (综治中心情况), else "not stated" with the closest passage as related reading."""
        if q.metric and q.metric.names and any(f.metric == q.metric.names for f in facts):
            q.metric = metrics()[q.metric.names]
            return self._named(q, town)
        if q.asks_figure and (phrase := self._numbered_phrase(q, town, facts, year)):
            return phrase
        related = self._passages_about(q, town)
        if related.answered and not q.asks_figure:
            return related
        what = "".join(dict.fromkeys(q.words)) or (q.metric.zh if q.metric else "这个问题")
        reply = Answer(q.text, False, f"{town.name}（{year}年）的报告没有说明{what}的数据。")
        if related.answered:
            reply.lines.append("相关原文（其中没有所问的数据）：")
            reply.quotes = related.quotes[:2]
        else:
            reply.notes += self._what_it_states(q, facts)
        return reply

    def _time_answer(self, q: Question, town: Township, year: int) -> Answer | None:
        """A date or a length of time asked (哪天, 多久一次), from the sentence that holds most of the question's
        words, next to them (杜城街道（2025年）：3月14日). None when no such sentence gives one."""
        kind = times.asked_kind(q.text)
        words = [word for word in q.words if len(word) >= 2 and word not in times.ASKING_WORDS]
        if not kind or not words:
            return None
        for hit in self.kb.search(words, self._report_id(town, year), limit=3):
            held = [word for word in words if word in hit.text]
            if sum(map(len, held)) < _TIME_WORDS_HELD * sum(map(len, words)):
                continue  # a sentence about something else: its time is not the one asked
            if found := times.find(kind, held, hit.text):
                return self._phrase_reply(q, town, year, found.shown, hit)
        return None

    def _numbered_phrase(self, q: Question, town: Township, facts: list[FactRow], year: int) -> Answer | None:
        """The report's phrase with a number where the question has 几 (几位一体 → 三位一体, 第几批 → 第三批), if there is one."""
        report_id = self._report_id(town, year)
        sentences = self.kb.sentence_texts(report_id)
        found = phrases.find(q.topic, sentences) or phrases.find_ordinal(q.topic, q.words, sentences)
        if found is None:
            return None
        sentence = next(s for s in self.kb.sentences(report_id) if s.text == found.sentence)
        reply = self._phrase_reply(q, town, year, self._whole_words(found), sentence)
        reply.facts = [fact for fact in facts if fact.evidence == found.sentence and fact.offset is not None
                       and found.start <= fact.offset < found.start + len(found.phrase)]
        return reply

    def _numbered_label(self, q: Question, town: Township) -> Answer | None:
        """The quoted label the question names by its noun (什么工作思路 → “1361”工作思路), if one fits."""
        year = town.report_year(q.year)
        words = [word for word in q.words if len(word) >= 2]
        hits = self.kb.search(words, self._report_id(town, year), limit=3) if words else []
        found = labels.find(q.text, words, [hit.text for hit in hits])
        if found is None:
            return None
        return self._phrase_reply(q, town, year, found.shown, next(hit for hit in hits if hit.text == found.sentence))

    def _phrase_reply(self, q: Question, town: Township, year: int, shown: str, sentence: SentenceRow) -> Answer:
        """A reply led by ``shown``, a phrase of ``sentence`` (三位一体, 3月14日, “1361”工作思路), which it quotes."""
        reply = Answer(q.text, True, f"{town.name}（{year}年）：{shown}")
        reply.quotes = [Quote(_excerpt(sentence.text, [shown]), sentence.report, sentence.section)]
        return reply

    def _whole_words(self, found: phrases.Found) -> str:
        """The found phrase widened to whole words of its sentence (现在四个方面 → 体现在四个方面)."""
        start, end = found.start, found.start + len(found.phrase)
        for at, word in word_spans(found.sentence, self.understander.cut):
            if at < found.start < at + len(word):
                start = at
            if at < end < at + len(word):
                end = at + len(word)
        return found.sentence[start:end]

    def _rank_open(self, q: Question) -> Answer:
        """A ranking on the report's own words (哪个镇法律咨询人次最多): figures of one unit class whose words match."""
        counts, _ = self.kb.word_counts(q.words)
        known = [word for word in q.words if counts.get(word)]
        wanted = self.matcher.wanted(q.topic, q.words, q.metric)
        year = self._ranking_year(q)
        fewest = any(word in q.text for word in ("最少", "最低"))
        # only figures the asked unit allows (人次: people too) are read
        allowed = (wanted.unit_class, *figures_data()["near_classes"].get(wanted.unit_class, ())) if wanted.unit_class else ()
        candidates = list(self.kb.facts_about(known, year, allowed, limit=_EXACT_RANKING + 1)) if known else []
        if len(candidates) <= _EXACT_RANKING:
            rows, stated = self._rank_all(wanted, candidates, fewest), ""
        else:
            rows, stated = self._rank_largest(wanted, known, year, fewest)
        what = "".join(q.words)
        if not rows:
            return Answer(q.text, False, f"知识库中的报告都没有说明{what}的数据。")
        stated = stated or str(len(rows))
        top = rows[0]
        if q.intent == "rank" and len(rows) > 1:
            headline = f"{what}{'最少' if fewest else '最多'}的是{top.township}（{top.year}年）：{self._figure_zh(top, None)}"
        else:
            headline = f"各乡镇{what}（{stated}个乡镇的报告有此数据）："
        reply = Answer(q.text, True, headline)
        reply.lines = [f"{index}. {self._figure_line(q, fact, None)}" for index, fact in enumerate(rows[:_RANK_LINES], 1)]
        if len(rows) > _RANK_LINES or not stated.isdigit():
            reply.lines.append(f"……共{stated}个乡镇")
        if len({fact.year for fact in rows}) > 1:
            reply.notes.append("注意：各报告年份不同。")
        reply.notes.append("各报告的说法不完全相同，请看每行的原话。")
        reply.facts = rows
        reply.quotes = _quotes(rows[:1])
        return reply

    def _rank_all(self, wanted: Wanted, candidates: list[FactRow], fewest: bool) -> list[FactRow]:
        """Every township's best-matching figure among ``candidates``, those of the most common unit class,
        largest first (smallest with ``fewest``)."""
        best: dict[int, Match] = {}
        for match in self.matcher.rank(wanted, candidates):
            if match.coverage >= THRESHOLD and match.fact.township_id not in best:
                best[match.fact.township_id] = match
        classes = [match.fact.unit_class for match in best.values()]
        common = max(set(classes), key=classes.count, default="")
        return sorted((m.fact for m in best.values() if m.fact.unit_class == common), key=_sort_value,
                      reverse=not fewest)

    def _rank_largest(self, wanted: Wanted, known: list[str], year: int | None, fewest: bool) -> tuple[list[FactRow], str]:
        """Too many candidates to score them all (a national knowledge base): the unit class most townships
        state (or the asked one), then its figures largest first until ``_RANK_LINES`` townships match well.
        The count of townships is then of those with such figures, not all checked: "约"."""
        classes = self.kb.classes_about(known, year)
        common = wanted.unit_class if wanted.unit_class in classes else max(classes, key=classes.get, default="")
        best: dict[int, FactRow] = {}
        for fact in self.kb.facts_about(known, year, (common,) if common else (), fewest=fewest):
            if fact.township_id in best:
                continue
            match = self.matcher.rank(wanted, [fact])
            if match and match[0].coverage >= THRESHOLD:
                best[fact.township_id] = fact
                if len(best) >= _RANK_LINES:
                    break
        return list(best.values()), f"约{classes.get(common, 0)}"

    def _not_stated(self, q: Question, town: Township, facts: list[FactRow], year: int) -> Answer:
        what_zh, what_en = (f"{q.metric.zh}的数量", q.metric.en) if q.metric else ("这个问题", "that")
        headline = self._say(q, f"{town.name}（{year}年）的报告没有说明{what_zh}。",
                             f"{self._town_en(town)}'s {year} report does not state {what_en}.")
        return Answer(q.text, False, headline, notes=self._what_it_states(q, facts))

    def _what_it_states(self, q: Question, facts: list[FactRow]) -> list[str]:
        """A note naming the lexicon's figures the report does state (so "not stated" is not a dead end)."""
        known = sorted({metrics()[f.metric].zh if not q.english else metrics()[f.metric].en
                        for f in facts if f.metric and metrics()[f.metric].kind == "count"})
        if not known:
            return []
        return [self._say(q, "报告中有这些数据：" + "、".join(known[:12]), "It does state: " + ", ".join(known[:12]))]

    def _rank(self, q: Question) -> Answer:
        metric = q.metric
        fewest = any(word in q.text for word in ("最少", "最低", "fewest", "least", "lowest"))
        if q.intent == "each" and len(q.townships) > 1:
            picks = (self._township_figure(q, self._report_facts(town, q.year)[0]) for town in q.townships)
            rows = sorted((pick for pick in picks if pick), key=_sort_value, reverse=not fewest)
            stated = len(rows)
        else:
            rows, stated = self._top_townships(q, fewest)
        if not rows and asked_unit(q.topic)[1] and q.words and not q.english:
            return self._rank_open(q)  # no lexicon figure in the asked unit: the reports' own words may have one
        if not rows:
            return self._no_totals(q)
        if q.intent == "each" or (len(rows) == 1 and q.intent != "rank"):
            headline = self._say(q, f"各乡镇{metric.zh}（{stated}个乡镇的报告有此数据）：",
                                 f"{metric.en.capitalize()} by township ({stated} reports state it):")
        elif len(rows) == 1:  # a ranking of one: say so rather than call it the most
            top = rows[0]
            headline = self._say(
                q, f"只有{top.township}的报告说明了{metric.zh}的总数：{top.figure}（{top.year}年）",
                f"Only {self._town_en_name(top)} states a total of {metric.en}: {self._figure_en(top, metric)} "
                f"({top.year})")
        else:
            top = rows[0]
            word = "最少" if fewest else "最多"
            headline = self._say(
                q, f"{metric.zh}{word}的是{top.township}（{top.year}年）：{top.figure}",
                f"{'Fewest' if fewest else 'Most'} {metric.en}: {self._town_en_name(top)} ({top.year}), "
                f"{self._figure_en(top, metric)}")
        reply = Answer(q.text, True, headline)
        reply.lines = [f"{index}. {self._figure_line(q, fact, metric)}" for index, fact in enumerate(rows, 1)]
        if len(rows) < _RANK_LINES:  # few totals: say who states the figure only per village or in part
            listed = {fact.township_id for fact in rows}
            partial = [f for f in self.kb.first_per_township([metric.id], self._ranking_year(q), _RANK_LINES)
                       if f.scope and f.township_id not in listed]
            if partial:
                reply.notes.append(self._say(
                    q, "不是全乡镇总数、未参与排序：" + "；".join(self._figure_line(q, f, metric) for f in partial[:5]),
                    "Not township totals, so not ranked: " + "; ".join(self._figure_line(q, f, metric)
                                                                       for f in partial[:5])))
        if stated > len(rows):
            reply.lines.append(self._say(q, f"……共{stated}个乡镇", f"… {stated} townships in all"))
        if len({fact.year for fact in rows}) > 1:
            reply.notes.append(self._say(q, "注意：各报告年份不同。", "Note: the reports are of different years."))
        reply.facts = rows
        reply.quotes = _quotes(rows[:1])
        return reply

    def _ranking_year(self, q: Question) -> int | None:
        """The year a ranking compares: the asked one if any report covers it, else each township's newest."""
        return q.year if q.year and self.kb.has_year(q.year) else None

    def _top_townships(self, q: Question, fewest: bool) -> tuple[list[FactRow], int]:
        """The first ``_RANK_LINES`` townships by their figure of the metric, and how many state one.

        Each township's figure is the one of its report closest to the question (湘江源 村级调委会); figures
        stream from SQL largest first, so the loop stops once no township still unseen can enter the top.
        """
        metric, year = q.metric, self._ranking_year(q)
        _, asked = asked_unit(q.topic)
        if not self.kb.stated_by(metric.id, year, asked):  # 法治培训人次最多: no township states it in 人次, so
            return [], 0  # walking every training figure to find none is not needed (counted at write time)
        picks: list[FactRow] = []
        seen: set[int] = set()
        for fact in self.kb.ranked([metric.id], year, fewest, asked):
            bound = _sort_value(fact)  # no township seen from here on has a figure beyond this one
            if sum((_sort_value(p) <= bound) if fewest else (_sort_value(p) >= bound) for p in picks) >= _RANK_LINES:
                break
            if fact.township_id in seen:
                continue
            seen.add(fact.township_id)
            if pick := self._township_figure(q, self.kb.facts(report_id=fact.report_id, metrics=[metric.id])):
                picks.append(pick)
        picks.sort(key=_sort_value, reverse=not fewest)
        return picks[:_RANK_LINES], max(self.kb.stated_by(metric.id, year, asked), len(picks[:_RANK_LINES]))

    @staticmethod
    def _township_figure(q: Question, facts: list[FactRow]) -> FactRow | None:
        """What a ranking shows for one township: among its report's ``facts``, the whole figure of the metric
        closest to the question (湘江源 村级调委会), in the asked unit if any (培训人次最多: not the sessions)."""
        _, asked = asked_unit(q.topic)
        own = [f for f in facts if f.metric == q.metric.id and not f.scope and (not asked or f.unit_class == asked)]
        best = _closest_first(q.text, own)[:1]
        return best[0] if best and (best[0].value is not None or best[0].lower is not None) else None

    def _no_totals(self, q: Question) -> Answer:
        """No report states a total to rank by; show the per-village or partial figures there are, unranked."""
        metric = q.metric
        by_town: dict[int, FactRow] = {}
        facts = self.kb.first_per_township([metric.id], self._ranking_year(q), _RANK_LINES)
        for town_id in dict.fromkeys(fact.township_id for fact in facts):
            by_town[town_id] = _closest_first(q.text, [f for f in facts if f.township_id == town_id])[0]
        parts = list(by_town.values())
        if not parts:
            return Answer(q.text, False, self._say(q, f"知识库中的报告都没有说明{metric.zh}的数量。",
                                                   f"No report in the knowledge base states {metric.en}."))
        reply = Answer(q.text, False, self._say(q, f"报告没有给出{metric.zh}的总数，无法排名。报告中的说法：",
                                                f"No report states a total of {metric.en}, so they cannot be ranked. "
                                                f"What the reports say:"))
        reply.lines = [self._figure_line(q, fact, metric) for fact in parts]
        reply.quotes = _quotes(parts)
        return reply

    def _compare(self, q: Question) -> Answer:
        rows = []
        for town in q.townships[:4]:
            facts, _ = self._report_facts(town, q.year)
            if q.words and not q.english and not self._names_metric(q):
                best = self._best(self.matcher.wanted(q.topic, q.words, q.metric), facts)
                if best:
                    rows.append(best.fact)
                continue
            exact = _closest_first(q.text, [f for f in facts if f.metric in _answers_for(q.metric)])
            family = exact or _closest_first(q.text, [f for f in facts if f.metric and q.metric.family
                                           and metrics()[f.metric].family == q.metric.family])
            if family:
                rows.append(family[0])
        what_zh = q.metric.zh if q.metric else "".join(q.words)
        what_en = q.metric.en if q.metric else what_zh
        missing = [town.name for town in q.townships if town.id not in {f.township_id for f in rows}]
        if len(rows) < 2:
            return Answer(q.text, False, self._say(
                q, f"{'、'.join(missing)}的报告没有说明{what_zh}，无法比较。",
                f"{', '.join(missing)} states no {what_en}; cannot compare."))
        scoped = [fact for fact in rows if fact.scope]  # 每村 3—5人 is no township total: never ranked against one
        if scoped:
            reply = Answer(q.text, False, self._say(
                q, f"{'、'.join(dict.fromkeys(f.township for f in scoped))}说的是{scoped[0].scope}的数字，"
                   f"不是全乡镇的总数，无法直接比较：",
                f"{', '.join(dict.fromkeys(f.township for f in scoped))} states a part or per-unit figure "
                f"({scoped[0].scope}), not a total; compare yourself:"))
            reply.lines = [self._figure_line(q, fact, None) for fact in rows]
            reply.quotes = _quotes(rows)
            return reply
        if len({fact.unit_class for fact in rows}) > 1:
            reply = Answer(q.text, False, self._say(q, f"各报告说明{what_zh}的方式不同，无法直接比较：",
                                                    f"The reports state {what_en} in different terms; compare yourself:"))
            reply.lines = [self._figure_line(q, fact, None) for fact in rows]
            reply.quotes = _quotes(rows)
            return reply
        rows.sort(key=_sort_value, reverse=True)
        top = rows[0]
        reply = Answer(q.text, True, self._say(
            q, f"{top.township}更多：{top.figure}（{top.year}年）",
            f"{self._town_en_name(top)} has more: {self._figure_en(top, q.metric)} ({top.year})"))
        reply.lines = [self._figure_line(q, fact, None) for fact in rows]
        if missing:
            reply.notes.append(self._say(q, f"{'、'.join(missing)}的报告没有说明{what_zh}。", f"{', '.join(missing)}: not stated."))
        if len({fact.year for fact in rows}) > 1:
            reply.notes.append(self._say(q, "注意：两份报告年份不同。", "Note: the reports are of different years."))
        if q.metric is None or any(fact.metric != q.metric.id for fact in rows):
            reply.notes.append(self._say(q, "各报告的说法不完全相同，请看引文。", "The reports word it differently; see the quotes."))
        reply.facts = rows
        reply.quotes = _quotes(rows)
        return reply

    def _passages(self, q: Question, town: Township, kind: str) -> Answer:
        year = town.report_year(q.year)
        sentences = [s for s in self.kb.sentences(self._report_id(town, year), (kind,))  # not the headings themselves
                     if len(s.text) > 15 and s.text.rstrip("。：:") != s.section.rstrip("。：:")]
        if kind == "problems":  # …取得了一定的成效 leads into the problems; it is none of them
            words = intents()["problem_sentences"]
            sentences = [s for s in sentences if any(word in s.text for word in words["problem_words"])
                         or not any(word in s.text for word in words["achievement_words"])]
        section, heading, english = {"problems": ("存在问题", "报告指出的问题", "problems"),
                                     "plans": ("下一步工作", "报告中的下一步工作安排", "plans")}[kind]
        if not sentences:
            return Answer(q.text, False, self._say(q, f"{town.name}（{year}年）的报告没有“{section}”这一部分。",
                                                   f"{town.name}'s {year} report has no section on {english}."))
        reply = Answer(q.text, True, self._say(q, f"{town.name}（{year}年）{heading}：",
                                               f"{self._town_en(town)} ({year}), {english} named in the report:"))
        reply.quotes = [Quote(s.text, s.report, s.section) for s in sentences[:6]]
        return reply

    def _named(self, q: Question, town: Township) -> Answer:
        facts, year = self._report_facts(town, q.year)
        named = [f for f in facts if f.metric == q.metric.id]
        if named:
            reply = Answer(q.text, True, self._say(q, f"{town.name}（{year}年）{q.metric.zh}：{'、'.join(f.name for f in named)}",
                                                   f"{self._town_en(town)} ({year}), {q.metric.en}: "
                                                   f"{', '.join(f.name for f in named)}"))
            reply.facts, reply.quotes = named, _quotes(named)
            return reply
        hits = self.kb.search(list(q.metric.terms), self._report_id(town, year), limit=3)
        if not hits:
            return Answer(q.text, False, self._say(q, f"{town.name}（{year}年）的报告没有提到{q.metric.zh}。",
                                                   f"{town.name}'s {year} report does not name the {q.metric.en}."))
        reply = Answer(q.text, True, self._say(q, f"{town.name}（{year}年）报告中相关的说法：",
                                               f"{self._town_en(town)} ({year}), what the report says:"))
        reply.quotes = [Quote(hit.text, hit.report, hit.section) for hit in hits]
        return reply

    def _passages_about(self, q: Question, town: Township) -> Answer:
        """A topic with no figure asked (综治中心的情况): quote the report's sentences on it, claim no figure."""
        facts, year = self._report_facts(town, q.year)
        report_id = self._report_id(town, year)
        words = [word for word in q.words if len(word) >= 2]
        covered = lambda hit: sum(len(word) for word in words if word in hit.text)  # noqa: E731
        hits = self.kb.search(words, report_id, limit=5)
        best = max(map(covered, hits), default=0)
        hits = [hit for hit in hits if best and covered(hit) == best][:3]  # 综治中心: not every 中心
        if not hits:
            return self._not_stated(q, town, facts, year)
        shown = "、".join(dict.fromkeys(word for word in words if any(word in hit.text for hit in hits)))
        reply = Answer(q.text, True, self._say(q, f"{town.name}（{year}年）报告中关于“{shown}”的原文：",
                                               f"{self._town_en(town)} ({year}), what the report says on {shown}:"))
        reply.quotes = [Quote(hit.text, hit.report, hit.section) for hit in hits]
        return reply

    def _overview(self, q: Question, town: Township) -> Answer:
        facts, year = self._report_facts(town, q.year)
        counted = [f for f in facts if f.metric and metrics()[f.metric].kind == "count" and not f.scope]
        seen, lines = set(), []
        for fact in _best_first(counted):
            if fact.metric not in seen:
                seen.add(fact.metric)
                lines.append(self._figure_line(q, fact, metrics()[fact.metric], with_town=False))
        reply = Answer(q.text, True, self._say(q, f"{town.name}（{year}年）报告中的主要数据：",
                                               f"{self._town_en(town)} ({year}), key figures in the report:"))
        reply.lines = lines[:15] or [self._say(q, "（报告中没有可识别的数据）", "(no figures recognised)")]
        reply.facts = counted
        return reply

    # -- refusals and questions back -------------------------------------------------------

    def _help(self, q: Question) -> Answer:
        reply = Answer(q.text, True, self._say(q, "我能回答乡镇法治政府建设报告中的问题，例如：",
                                               "I answer questions about township rule-of-law reports, e.g.:"))
        reply.lines = ["湘江源有多少人民调解员？", "哪个乡镇发放宣传资料最多？", "四棵树镇存在哪些问题？",
                       "How many petitions did Wulingshan handle?", "列出所有乡镇"]
        return reply

    def _list_towns(self, q: Question) -> Answer:
        count = self.kb.township_count()
        reply = Answer(q.text, True, self._say(q, f"知识库中有{count}个乡镇的报告：",
                                               f"The knowledge base has reports of {count} townships:"))
        towns = self.kb.townships(limit=_LIST_LIMIT)
        reply.lines = [f"{town.name}（{town.county or '—'}）：{'、'.join(map(str, town.years))}年" for town in towns]
        if count > len(towns):
            reply.lines.append(self._say(q, f"……共{count}个乡镇；问某个乡镇请写它的名字，例如：{towns[0].short}有多少人民调解员",
                                         f"… {count} in all; name one to ask about it"))
        return reply

    def _ask_back(self, q: Question) -> Answer:
        reply = Answer(q.text, False, self._say(q, "您问的是哪个乡镇？", "Which township do you mean?"))
        reply.choices = [(town.id, f"{town.name}（{town.county}）" if town.county else town.name) for town in q.ambiguous]
        reply.lines = [label for _, label in reply.choices]
        return reply

    def _unknowable(self, q: Question) -> Answer:
        reply = Answer(q.text, False, self._say(q, f"法治政府建设报告不包含“{q.unknowable}”这类数据，我无法回答。",
                                                f"The rule-of-law reports do not cover {q.unknowable}; I cannot answer that."))
        if q.townships:
            reply.notes.append(self._say(q, f"可以问{q.townships[0].name}的调解员、纠纷、普法宣传等数据。",
                                         f"Ask about {q.townships[0].name}'s mediators, disputes or legal publicity."))
        return reply

    def _unknown_place(self, q: Question) -> Answer:
        names = "、".join(town.name for town in self.kb.townships(limit=12))
        return Answer(q.text, False, self._say(q, f"知识库中没有{q.unknown_place}的报告。",
                                               f"There is no report of {q.unknown_place} in the knowledge base."),
                      notes=[self._say(q, f"现有：{names}", f"Townships: {names}")])

    def _not_understood(self, q: Question) -> Answer:
        reply = Answer(q.text, False, self._say(q, "没能理解这个问题。请写明乡镇和想了解的数据，例如：湘江源有多少人民调解员？",
                                                "I did not understand. Name a township and a figure, e.g. "
                                                "How many mediators does Xiangjiangyuan have?"))
        return reply

    # -- wording -----------------------------------------------------------------------------

    @staticmethod
    def _say(q: Question, chinese: str, english: str) -> str:
        return english if q.english else chinese

    @staticmethod
    def _town_en(town: Township) -> str:
        return f"{town.pinyin.capitalize()} ({town.name})"  # pinyin computed at build: no pypinyin at answer time

    def _town_en_name(self, fact: FactRow) -> str:
        return self._town_en(self.kb.township(fact.township_id))

    def _figure_en(self, fact: FactRow, metric: Metric | None) -> str:
        if fact.value is None and fact.lower is not None and fact.upper is not None:
            number = f"{_plain(fact.lower)}–{_plain(fact.upper)}"
        else:
            number = _EN_QUALIFIERS.get(fact.qualifier, "") + f"{_plain(fact.value)}"
            number += "%" if fact.unit == "%" else ""
        scope = f" ({fact.scope})" if fact.scope else ""
        if metric is None:  # no English name: the report's own words
            return f"{number}{scope} — {self._figure_zh(fact, None)}"
        return f"{number} {metric.en}{scope}"

    def _headline(self, q: Question, fact: FactRow, metric: Metric | None) -> str:
        if q.english:
            return f"{self._town_en_name(fact)}, {fact.year}: {self._figure_en(fact, metric)}"
        return f"{fact.township}（{fact.year}年）：" + self._figure_zh(fact, metric)

    @staticmethod
    def _figure_zh(fact: FactRow, metric: Metric | None) -> str:
        # The report's own words for what is counted, unless they run long (年轻干部拥有行政执法证 → 行政执法证).
        if not fact.metric or len(fact.subject) <= 2:  # 覆盖 500余人次 says less than 法治培训10场次，覆盖
            name = fact.label or fact.subject
        else:
            name = fact.subject if fact.subject and (len(fact.subject) <= 10 or not metric) else metric.zh
        figure = fact.figure
        if _noun_after(fact):  # 宣传覆盖辖区25个社区: the noun after the figure says what it counts
            noun = fact.subject.strip("“”\"")
            if not name.startswith(fact.subject):
                figure += noun if noun not in name else ""
            elif fact.lead.strip():  # the label was read off the words after it: 街道及 13个社区, not 社区均与… 13个
                # in a list (5个内设机构、4个事业单位) the words before it are the last figure's: not shown
                name = "" if ends_list_item(fact.lead) else fact.lead.strip()
                figure += noun
        opened = name.rfind("“")
        if opened > name.rfind("”"):  # 深入开展“法律|六进”: a quotation the figure closes
            name = name[:opened] + name[opened + 1:]
        if name[:1] in "（(" and not any(mark in name for mark in "）)"):
            name = name[1:]  # (其中简易程序110件: a bracket the name does not close opens the report's aside
        name = name.removeprefix("的")  # 37支10人以上的普法志愿者队伍: 普法志愿者队伍 10人以上
        if re.search(r"[0-9][\u4e00-\u9fff]{1,2}[，,]$", name) and fact.lead.strip("，, "):
            name = fact.lead.strip("，, ")  # 满意163条，合计965条: the words before it are the last figure's
        if fact.scope == "其中":  # a part of a total stated just before it: 其中村级调委会 5个
            return f"其中{name.removeprefix('其中')} {figure}"
        scope = f"（{fact.scope}）" if fact.scope else ""
        return f"{name}{scope} {figure}" if name or scope else figure

    def _figure_line(self, q: Question, fact: FactRow, metric: Metric | None, with_town: bool = True) -> str:
        if q.english:
            figure = self._figure_en(fact, metric)
            return f"{self._town_en_name(fact)} ({fact.year}): {figure}" if with_town else figure
        figure = self._figure_zh(fact, metric)
        return f"{fact.township}（{fact.year}年）：{figure}" if with_town else figure


def _noun_after(fact: FactRow) -> bool:
    """The figure's subject is a whole short noun right after it (25个社区，…; 13个社区均与…), not the start of a
    longer phrase cut short (1585项工作事项并精炼归…)."""
    noun = fact.subject
    if not noun or len(noun) > 6 or not fact.tail.startswith(noun):
        return False
    following = fact.tail[len(noun):len(noun) + 1]
    return not following or not has_cjk(following) or following in "均都各和及等"


def _distinct(facts: list[FactRow]) -> list[FactRow]:
    """``facts`` without repeats (办结率、满意率均为100%: one figure answers both), in order."""
    return list({(fact.report_id, fact.position, fact.offset): fact for fact in facts}.values())


def _answers_for(metric: Metric) -> set[str]:
    """Metric ids that answer for ``metric``: itself, and for a family's plain member (纠纷) the whole family."""
    if metric.family and not metric.verbs and metric.family == metric.id:
        return {m.id for m in metrics().values() if m.family == metric.family}
    return {metric.id}


def _plain(number: float | None) -> str:
    if number is None:
        return "?"
    return str(int(number)) if float(number).is_integer() else str(number)


def _sort_value(fact: FactRow) -> float:
    return fact.value if fact.value is not None else (fact.lower or 0)


def _another_thing(wanted: Wanted, match: Match) -> bool:
    """A figure of another measure word of the class asked (办理业务19048笔 for 受理了多少件), that only a kin word of
    the question's one word fits, counts something else."""
    return bool(len(wanted.words) == 1 and wanted.unit and match.fact.unit_class == wanted.unit_class
                and match.fact.unit != wanted.unit and match.coverage < 1)


def _best_first(facts: list[FactRow]) -> list[FactRow]:
    """The fact to lead with first: a whole figure (no 每村 or 其中 scope) before parts, then the largest."""
    return sorted(facts, key=lambda f: (bool(f.scope), -_sort_value(f) if f.value is not None or f.lower else 0,
                                        f.position))


def _closest_first(question: str, facts: list[FactRow]) -> list[FactRow]:
    """``_best_first``, except that a fact whose subject shares more of the question's words leads.

    湘江源 村级调委会 → the 村级调委会 figure, not the township's total; 武陵山 横幅 → 横幅, not 标语.
    """
    def shared(fact: FactRow) -> int:
        subject = fact.subject.strip("[]（）() ")
        match = SequenceMatcher(None, question, subject, autojunk=False).find_longest_match()
        return match.size if match.size >= 2 else 0
    return sorted(_best_first(facts), key=lambda fact: -shared(fact))


def _quotes(facts: list[FactRow]) -> list[Quote]:
    """One quote per evidence sentence, cut to the clauses that hold the facts' figures (for phones)."""
    by_evidence: dict[str, list[FactRow]] = {}
    for fact in facts:
        by_evidence.setdefault(fact.evidence, []).append(fact)
    return [Quote(_excerpt(evidence, [fact.figure for fact in group]), group[0].report, group[0].section)
            for evidence, group in by_evidence.items()]


_CLAUSE_END = re.compile(r"(?<=[，；。！？])")
_QUOTE_MIN = 20  # characters: a clause shorter than this gets its neighbours for context


def _excerpt(sentence: str, figures: list[str]) -> str:
    """The clauses of ``sentence`` from the first to the last that holds one of ``figures``, with "……" where cut.

    >>> _excerpt("全面深入宣传贯彻宪法和民法典，发放宣传资料8000余份，悬挂宣传横幅10条，营造了氛围。", ["10条"])
    '……发放宣传资料8000余份，悬挂宣传横幅10条，……'
    """
    clauses = [clause for clause in _CLAUSE_END.split(sentence) if clause]
    holding = [i for i, clause in enumerate(clauses) if any(figure and figure in clause for figure in figures)]
    if not holding:
        return sentence
    first, last = min(holding), max(holding)
    while sum(len(clause) for clause in clauses[first:last + 1]) < _QUOTE_MIN and (first > 0 or last < len(clauses) - 1):
        if first > 0:
            first -= 1
        elif last < len(clauses) - 1:
            last += 1
    text = "".join(clauses[first:last + 1])
    return ("……" if first > 0 else "") + text + ("……" if last < len(clauses) - 1 else "")
