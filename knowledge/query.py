"""Reading the knowledge base: townships, facts, rankings and full-text search. Nothing is written here."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from knowledge.schema import WHOLE_FIGURE, open_database, rows_in
from knowledge.text import normalize
from knowledge.wordstats import bm25, tokens


@dataclass(frozen=True)
class FactRow:
    """One stored fact with everything needed to cite it (the JSON contract's fields, and ids)."""

    township: str
    county: str
    province: str
    year: int
    metric: str
    subject: str
    value: float | None
    lower: float | None
    upper: float | None
    qualifier: str
    unit: str
    figure: str  # the figure as written: 1000余份, 3—5人
    scope: str  # 每村, 平均一个行政村, 其中
    name: str  # a named fact's name (a law firm)
    label: str  # what the figure counts, in the report's words (受理答复8890诉求)
    lead: str  # the words right before the figure, back to the previous figure or the clause start
    tail: str  # the words right after its unit
    unit_class: str  # people, person_times, times, items, percent, money, area, hours, other
    offset: int | None  # where the figure starts in ``evidence``
    evidence: str
    report: str
    section: str
    section_kind: str
    township_id: int
    report_id: int
    position: int

    def contract(self) -> dict:
        """The fact as the JSON contract of DESIGN.md has it (plus ``figure``, ``scope`` and ``name``)."""
        keys = ("township", "county", "province", "year", "metric", "subject", "value", "lower", "upper",
                "qualifier", "unit", "figure", "scope", "name", "label", "evidence", "report", "section")
        return {key: _plain(getattr(self, key)) for key in keys}


@dataclass(frozen=True)
class SentenceRow:
    """One sentence of a report, with where it stands."""

    township: str
    year: int
    text: str
    section: str
    kind: str
    report: str
    township_id: int
    report_id: int
    position: int


@dataclass(frozen=True)
class Township:
    id: int
    name: str
    short: str
    county: str
    province: str
    years: tuple[int, ...]
    pinyin: str = ""  # of the short name

    def report_year(self, asked: int | None) -> int:
        """The year of the report to answer from: the asked one if there is one, else the nearest (or newest)."""
        if asked is None or asked in self.years:
            return asked or max(self.years)
        return min(self.years, key=lambda year: (abs(year - asked), -year))


def _plain(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


# How a report is cited: its title, or, when the text has none, the township, year and file it came from.
_REPORT_NAME = "coalesce(nullif(r.title, ''), t.name || r.year || '年报告（' || r.source || '）')"

_FACT_SQL = f"""
select t.name as township, t.county, t.province, r.year, f.metric, f.subject, f.value, f.lower, f.upper,
       f.qualifier, f.unit, f.figure, f.scope, f.name, f.label, f.lead, f.tail, f.unit_class, f.offset,
       s.text as evidence, {_REPORT_NAME} as report,
       sec.heading as section, s.kind as section_kind, t.id as township_id, r.id as report_id,
       s.position as position
from facts f
join reports r on r.id = f.report_id
join townships t on t.id = r.township_id
join sentences s on s.id = f.sentence_id
join sections sec on sec.id = s.section_id
"""


_TOWNSHIP_SQL = """
select t.id, t.name, t.short, t.county, t.province, group_concat(r.year), t.pinyin
from townships t join reports r on r.township_id = t.id
"""


def _township(row) -> Township:
    return Township(row[0], row[1], row[2], row[3], row[4], tuple(sorted(int(y) for y in row[5].split(","))), row[6])


def _placeholders(values: list) -> str:
    return ",".join("?" * len(values))


def _ranking_filter(metrics: list[str], year: int | None, unit_class: str) -> tuple[str, list]:
    """The where clause (and its parameters) of the figures a ranking compares."""
    where = [f"f.metric in ({_placeholders(metrics)})", WHOLE_FIGURE, "r.year = ?" if year else "r.latest = 1"]
    params: list = [*metrics, *([year] if year else [])]
    if unit_class:
        where.append("f.unit_class = ?")
        params.append(unit_class)
    return " and ".join(where), params


class KnowledgeBase:
    """Read access to one knowledge base file: every lookup is an indexed query, nothing is held in memory."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.db = open_database(self.path)
        # Per instance, so that a reload (a new KnowledgeBase) starts afresh and the old one can be freed.
        self.township = functools.lru_cache(maxsize=4096)(self._township)
        self._report_facts = functools.lru_cache(maxsize=128)(self._read_report_facts)
        self._name_starts = functools.cache(self._read_name_starts)
        self._sentence_tokens = functools.lru_cache(maxsize=32)(self._read_sentence_tokens)
        self.sentence_texts = functools.lru_cache(maxsize=32)(self._read_sentence_texts)
        self._data_version = self._read_data_version()

    def keep_current(self) -> None:
        """Forget what is cached from the file if another connection has written to it since (an upload, or a
        ``build`` beside a running bot): one cheap pragma, so call it before each question."""
        version = self._read_data_version()
        if version != self._data_version:
            self._data_version = version
            self.township.cache_clear()
            self._report_facts.cache_clear()
            self._name_starts.cache_clear()
            self._sentence_tokens.cache_clear()
            self.sentence_texts.cache_clear()

    def _read_data_version(self) -> int:
        return self.db.execute("pragma data_version").fetchone()[0]

    def _total(self, key: str) -> int:
        """One of the totals kept in ``meta`` as reports are written: sentence_rows, sentence_tokens, figures."""
        row = self.db.execute("select value from meta where key = ?", [key]).fetchone()
        return int(row[0]) if row else 0

    def _township(self, township_id: int) -> Township | None:
        """One township with the years it has reports for (``None`` if it has none)."""
        row = self.db.execute(_TOWNSHIP_SQL + " where t.id = ? group by t.id", [township_id]).fetchone()
        return _township(row) if row else None

    def townships(self, limit: int = -1) -> list[Township]:
        """Townships with the years they have reports for, by name (the first ``limit``; all by default)."""
        rows = self.db.execute(_TOWNSHIP_SQL + " group by t.id order by t.name limit ?", [limit])
        return [_township(row) for row in rows]

    def township_count(self) -> int:
        """How many townships have a report."""
        return self.db.execute("select count(distinct township_id) from reports").fetchone()[0]

    def _read_name_starts(self) -> frozenset[str]:
        """The first two characters of every alias and county name: a question's pieces that start otherwise
        name nothing, and are not looked up (a question has ~130 pieces; a handful pass)."""
        return frozenset(row[0] for row in self.db.execute(
            "select substr(alias, 1, 2) from aliases union select substr(county, 1, 2) from townships "
            "union select substr(county_short, 1, 2) from townships"))

    def _may_name(self, pieces: Iterable[str]) -> list[str]:
        starts = self._name_starts()
        return [piece for piece in set(pieces) if piece and piece[:2] in starts]

    def by_alias(self, pieces: Iterable[str]) -> dict[str, set[int]]:
        """Which of ``pieces`` are a township's alias (full or short name, with county, pinyin): piece → ids."""
        found: dict[str, set[int]] = {}
        for alias, township_id in rows_in(self.db, "select alias, township_id from aliases where alias in ({values})",
                                          self._may_name(pieces)):
            found.setdefault(alias, set()).add(township_id)
        return found

    def by_county(self, pieces: Iterable[str]) -> dict[str, set[int]]:
        """Which of ``pieces`` are a county (沈丘县 or 沈丘): county → the ids of its townships."""
        pieces = self._may_name(pieces)
        found: dict[str, set[int]] = {}
        for column in ("county", "county_short"):
            for county, township_id in rows_in(self.db, f"select {column}, id from townships where {column} in ({{values}})",
                                               pieces):
                found.setdefault(county, set()).add(township_id)
        return found

    def filed_under(self, keys: Iterable[str]) -> dict[str, list[tuple[int, str, str, str]]]:
        """For each of the fuzzy-match ``keys`` that has townships: their (id, name, short, pinyin)."""
        filed: dict[str, list[tuple[int, str, str, str]]] = {}
        for key, *township in rows_in(self.db, "select k.key, t.id, t.name, t.short, t.pinyin from name_keys k "
                                      "join townships t on t.id = k.township_id where k.key in ({values})", keys):
            filed.setdefault(key, []).append(tuple(township))
        return filed

    def names_among(self, pieces: list[str]) -> list[str]:
        """Which of ``pieces`` are a township's full name."""
        return [row[0] for row in rows_in(self.db, "select name from townships where name in ({values})", pieces)]

    def find_townships(self, name: str) -> list[Township]:
        """Townships whose alias is ``name`` exactly, else whose name contains it or whose county it is."""
        name = normalize(name).strip()
        if not name:
            return []
        ids = self.by_alias([name]).get(name, set()) or set().union(*self.by_county([name]).values())
        if not ids:
            ids = {row[0] for row in self.db.execute("select id from townships where instr(name, ?) > 0", [name])}
        return sorted((town for town in map(self.township, ids) if town), key=lambda town: town.name)

    def facts(self, township_id: int | None = None, metrics: list[str] | None = None, year: int | None = None,
              report_id: int | None = None) -> list[FactRow]:
        """Facts, filtered by township, metrics, year or report; newest report first, then report order."""
        if township_id is not None and year is not None and not metrics and report_id is None:
            return list(self._report_facts(township_id, year))  # the most asked: one report's facts
        where, params = [], []
        if township_id is not None:
            where.append("t.id = ?")
            params.append(township_id)
        if metrics:
            where.append(f"f.metric in ({','.join('?' * len(metrics))})")
            params.extend(metrics)
        if year is not None:
            where.append("r.year = ?")
            params.append(year)
        if report_id is not None:
            where.append("r.id = ?")
            params.append(report_id)
        sql = _FACT_SQL + (" where " + " and ".join(where) if where else "") + " order by t.name, r.year desc, f.id"
        return [FactRow(*row) for row in self.db.execute(sql, params)]

    def _read_report_facts(self, township_id: int, year: int) -> tuple[FactRow, ...]:
        sql = _FACT_SQL + " where t.id = ? and r.year = ? order by f.id"
        return tuple(FactRow(*row) for row in self.db.execute(sql, [township_id, year]))

    def ranked(self, metrics: list[str], year: int | None = None, fewest: bool = False, unit_class: str = ""
               ) -> Iterator[FactRow]:
        """Whole figures (no 每村 or 其中 scope) of ``metrics`` (of ``unit_class`` if given) in every township's
        report of ``year`` (its newest when None), largest first (smallest with ``fewest``), read as needed."""
        where, params = _ranking_filter(metrics, year, unit_class)
        sql = _FACT_SQL + f" where {where} order by coalesce(f.value, f.lower) {'asc' if fewest else 'desc'}"
        for row in self.db.execute(sql, params):
            yield FactRow(*row)

    def stated_by(self, metric: str, year: int | None = None, unit_class: str = "") -> int:
        """How many townships' reports of ``year`` (newest when None) state a whole figure of ``metric`` (of
        ``unit_class`` if given): the count kept as reports are written."""
        row = self.db.execute("select townships from ranked_counts where metric = ? and unit_class = ? and year = ?",
                              [metric, unit_class, year or 0]).fetchone()
        return row[0] if row else 0

    def first_per_township(self, metrics: list[str], year: int | None = None, limit: int = 20) -> list[FactRow]:
        """The facts of ``metrics`` (any scope) in the reports of ``year`` (newest when None) of the first
        ``limit`` townships that state one, by township name."""
        where = "r.year = ?" if year else "r.latest = 1"
        ids = [row[0] for row in self.db.execute(
            f"select distinct r.township_id from facts f join reports r on r.id = f.report_id join townships t "
            f"on t.id = r.township_id where f.metric in ({_placeholders(metrics)}) and {where} order by t.name limit ?",
            [*metrics, *([year] if year else []), limit])]
        sql = (_FACT_SQL + f" where f.metric in ({_placeholders(metrics)}) and {where}"
               f" and t.id in ({_placeholders(ids)}) order by t.name, f.id")
        return [FactRow(*row) for row in self.db.execute(sql, [*metrics, *([year] if year else []), *ids])]

    def has_year(self, year: int) -> bool:
        """True when some report covers ``year``."""
        return self.db.execute("select 1 from reports where year = ? limit 1", [year]).fetchone() is not None

    def word_counts(self, words: list[str]) -> tuple[dict[str, int], int]:
        """How many figures have each of ``words`` around them (their lead or tail), and how many figures there are."""
        stored = dict(rows_in(self.db, "select word, facts from words where word in ({values})",
                              [word.lower() for word in words]))
        return {word: stored.get(word.lower(), 0) for word in dict.fromkeys(words)}, self._total("figures")

    def facts_about(self, words: list[str], year: int | None = None, unit_classes: tuple[str, ...] = (),
                    fewest: bool | None = None, limit: int = -1) -> Iterator[FactRow]:
        """Whole figures (no scope) whose lead or tail holds every one of ``words``, through the full-text index, in
        every township's report of ``year`` (newest when None); only of ``unit_classes`` if given. By township
        name, or largest first (``fewest``: smallest first) when ``fewest`` is given; read as needed."""
        where, params = self._about_filter(words, year, unit_classes)
        if where is None:
            return
        order = "t.name, f.id" if fewest is None else f"coalesce(f.value, f.lower) {'asc' if fewest else 'desc'}"
        for row in self.db.execute(_FACT_SQL + f" join facts_fts on facts_fts.rowid = f.id where {where} "
                                   f"order by {order} limit ?", [*params, limit]):
            yield FactRow(*row)

    def classes_about(self, words: list[str], year: int | None = None) -> dict[str, int]:
        """For ``facts_about(words, year)``: how many townships have such figures, by unit class."""
        where, params = self._about_filter(words, year)
        if where is None:
            return {}
        return dict(self.db.execute(
            "select f.unit_class, count(distinct r.township_id) from facts f join reports r on r.id = f.report_id "
            f"join facts_fts on facts_fts.rowid = f.id where {where} group by f.unit_class", params))

    @staticmethod
    def _about_filter(words: list[str], year: int | None, unit_classes: tuple[str, ...] = ()) -> tuple[str | None, list]:
        words = [word.replace('"', "") for word in words if word.strip()]
        if not words:
            return None, []
        where = ["facts_fts match ?", "f.scope = ''", "f.offset is not null", "r.year = ?" if year else "r.latest = 1"]
        params: list = [" AND ".join(f'"{word}"' for word in words), *([year] if year else [])]
        if unit_classes:
            where.append(f"f.unit_class in ({_placeholders(unit_classes)})")
            params.extend(unit_classes)
        return " and ".join(where), params

    def report_id(self, township_id: int, year: int) -> int | None:
        """The id of a township's report of ``year``."""
        row = self.db.execute("select id from reports where township_id = ? and year = ?", [township_id, year]).fetchone()
        return row[0] if row else None

    def sentences(self, report_id: int, kinds: tuple[str, ...] = ()) -> list[SentenceRow]:
        """The sentences of one report in order, only of the given section kinds if any are given."""
        sql = _SENTENCE_SQL + " where r.id = ?"
        params: list = [report_id]
        if kinds:
            sql += f" and s.kind in ({','.join('?' * len(kinds))})"
            params.extend(kinds)
        return [SentenceRow(*row) for row in self.db.execute(sql + " order by s.position", params)]

    def search(self, words: list[str], report_id: int, limit: int = 5) -> list[SentenceRow]:
        """The ``limit`` sentences of one report that best match any of ``words``, best first: the order of FTS5's
        bm25() over the whole knowledge base, computed here from the counts kept at write time (FTS5 would count
        each word's rows anew on every question)."""
        phrases = [phrase for phrase in map(tokens, dict.fromkeys(words)) if phrase]
        if not phrases:
            return []
        rows = self._sentence_tokens(report_id)
        hits = dict(rows_in(self.db, "select word, sentences from words where word in ({values})",
                            {token for phrase in phrases for token in phrase}))
        count = self._total("sentence_rows")
        average = self._total("sentence_tokens") / count if count else 1.0
        scored = sorted(((-bm25(phrases, row, hits, count, average), position) for position, row in rows))
        best = [position for score, position in scored[:limit] if score < 0]
        if not best:
            return []
        found = {row[-1]: SentenceRow(*row) for row in self.db.execute(
            _SENTENCE_SQL + f" where r.id = ? and s.position in ({_placeholders(best)})", [report_id, *best])}
        return [found[position] for position in best]

    def _read_sentence_texts(self, report_id: int) -> tuple[str, ...]:
        """The text of each sentence of one report, in order (what ``sentences`` gives, without the rest)."""
        return tuple(row[0] for row in self.db.execute(
            "select text from sentences where report_id = ? order by position", [report_id]))

    def _read_sentence_tokens(self, report_id: int) -> list[tuple[int, list[str]]]:
        """(position, FTS5 tokens) of each sentence of one report: what ``search`` ranks."""
        return [(position, tokens(seg)) for position, seg in self.db.execute(
            "select position, seg from sentences where report_id = ?", [report_id])]

    def stats(self) -> dict:
        """Sizes and build time of the knowledge base."""
        count = lambda table: self.db.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: E731
        built = (self.db.execute("select value from meta where key = 'built_at'").fetchone() or [""])[0]
        return {"townships": count("townships"), "reports": count("reports"), "sentences": self._total("sentence_rows"),
                "facts": count("facts"), "built_at": built, "path": str(self.path)}


_SENTENCE_SQL = f"""
select t.name, r.year, s.text, sec.heading, s.kind, {_REPORT_NAME}, t.id, r.id, s.position
from sentences s
join reports r on r.id = s.report_id
join townships t on t.id = r.township_id
join sections sec on sec.id = s.section_id
"""
