"""The parser's vocabulary and the metric lexicon, loaded once from ``knowledge/data``."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"


@functools.cache
def vocabulary() -> dict:
    """``data/vocabulary.toml`` as a dict (units, qualifiers, township suffixes, provinces, section kinds)."""
    with open(DATA / "vocabulary.toml", "rb") as handle:
        return tomllib.load(handle)


@dataclass(frozen=True)
class Metric:
    """One entry of the lexicon: what a figure counts (see ``data/metrics.toml``)."""

    id: str
    zh: str
    en: str
    terms: tuple[str, ...]
    verbs: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    family: str = ""
    ask: tuple[str, ...] = ()
    kind: str = "count"  # "count": a figure; "named": a name the report states (a law firm)
    names: str = ""  # the named metric that says which one (legal_advisers → law_firm)

    def accepts_unit(self, unit: str) -> bool:
        """True when a figure counted in ``unit`` can be this metric."""
        return not self.units or unit in self.units


@functools.cache
def metrics() -> dict[str, Metric]:
    """The metric lexicon, by id, in the file's order."""
    with open(DATA / "metrics.toml", "rb") as handle:
        entries = tomllib.load(handle)["metric"]
    return {
        entry["id"]: Metric(
            id=entry["id"], zh=entry["zh"], en=entry["en"], terms=tuple(entry["terms"]),
            verbs=tuple(entry.get("verbs", ())), units=tuple(entry.get("units", ())),
            family=entry.get("family", ""), ask=tuple(entry.get("ask", ())), kind=entry.get("kind", "count"),
            names=entry.get("names", ""),
        )
        for entry in entries
    }


@functools.cache
def term_index() -> dict[str, tuple[Metric, ...]]:
    """Every report term → the counted metrics it may name (several when verbs tell them apart)."""
    index: dict[str, list[Metric]] = {}
    for metric in metrics().values():
        if metric.kind != "count":
            continue
        for term in metric.terms:
            index.setdefault(term, []).append(metric)
    return {term: tuple(found) for term, found in index.items()}
