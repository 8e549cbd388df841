"""What to ask next: the tap-to-ask chips under an answer in the web chat.

A chip either asks a question (``{"label", "ask"}``) or opens a township's card (``{"label", "town"}``). After an
answer about one township the chips follow up on it: the figures its report states that were not just asked
(那行政执法证呢), its key figures and the problems its report names. Otherwise they are the help's examples.
Every chip is a question the ``Answerer`` understands; nothing here answers.
"""

from __future__ import annotations

from collections import OrderedDict

from bot.answer import Answer, Answerer, Conversation
from knowledge.vocabulary import metrics

FOLLOW_UPS = 3  # "那X呢" chips after an answer
_CACHED_REPORTS = 256


class Suggester:
    """Chips for answers of one ``Answerer``; call it in the thread that answers (it reads the knowledge base)."""

    def __init__(self, answerer: Answerer) -> None:
        self.answerer = answerer
        self._stated: OrderedDict[tuple[int, int], list[str]] = OrderedDict()  # (township, year) → metric ids

    def forget(self) -> None:
        """Drop what was read from the knowledge base (after a reload)."""
        self._stated.clear()

    def after(self, answer: Answer, conversation: Conversation | None) -> list[dict]:
        """The chips to show under ``answer`` (none under a "which township?" question: its buttons choose)."""
        if answer.choices:
            return []
        towns = conversation.townships if conversation else []
        if len(towns) != 1:
            return self.examples()
        town = towns[0]
        year = conversation.year if conversation.year in town.years else max(town.years)
        asked = conversation.metric.id if conversation.metric else None
        chips = [{"label": f"那{metrics()[m].zh}呢", "ask": f"那{metrics()[m].zh}呢"}
                 for m in self._stated_metrics(town.id, year) if m != asked][:FOLLOW_UPS]
        chips.append({"label": f"{town.short}主要数据", "town": town.name})
        chips.append({"label": f"{town.short}存在哪些问题", "ask": f"{town.name}存在哪些问题？"})
        return chips

    def for_card(self, answer: Answer) -> list[dict]:
        """Under a township's card: its problems and plans (a name that fit no single township: its choices)."""
        if answer.choices or not answer.answered or not answer.facts:
            return []
        name = answer.facts[0].township
        return [{"label": f"{name}存在哪些问题", "ask": f"{name}存在哪些问题？"},
                {"label": f"{name}下一步工作", "ask": f"{name}下一步工作安排是什么？"}]

    def for_towns(self, answer: Answer, limit: int = 12) -> list[dict]:
        """Under the township list: a card chip for each of the first ``limit`` townships."""
        return [{"label": town.short or town.name, "town": town.name}
                for town in self.answerer.kb.townships(limit=limit)] if answer.answered else []

    def examples(self) -> list[dict]:
        """The help's example questions, as chips."""
        return [{"label": line, "ask": line} for line in self.answerer.help().lines]

    def _stated_metrics(self, township_id: int, year: int) -> list[str]:
        """The counted metrics (lexicon order) that the report of this township and year states a figure of."""
        key = (township_id, year)
        if key not in self._stated:
            stated = {fact.metric for fact in self.answerer.kb.facts(township_id=township_id, year=year)
                      if fact.metric and not fact.scope}
            self._stated[key] = [m for m, metric in metrics().items() if m in stated and metric.kind == "count"]
            while len(self._stated) > _CACHED_REPORTS:
                self._stated.popitem(last=False)
        self._stated.move_to_end(key)
        return self._stated[key]
