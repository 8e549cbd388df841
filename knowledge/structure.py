"""A report's body as a section tree (一、 / （一） / 1. / unnumbered headings) and its sentences.

Each section has a kind: ``measures`` (what was done and achieved), ``problems`` (problems and
causes), ``plans`` (next year), ``duties`` (the leaders' own duties) or ``preamble``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from knowledge.vocabulary import vocabulary

_CN = "一二三四五六七八九十"
_LEVELS = (
    (1, re.compile(rf"^([{_CN}]{{1,3}})[、.．]\s*")),
    (2, re.compile(rf"^[（(]([{_CN}]{{1,3}})[）)]\s*|^([{_CN}]{{1,3}})[）)]\s*")),
    (3, re.compile(r"^(\d{1,2})[、.．](?!\d)\s*|^[（(](\d{1,2})[）)]\s*")),
)
_SENTENCE_END = re.compile(r"(?<=[。！？])")
_TERMINAL = tuple("。！？；：”」）)…")
_LONG_SENTENCE = 220


@dataclass
class Section:
    """One heading and what stands under it."""

    number: int  # position in the report, 0 for the preamble
    level: int  # 0 preamble, 1 一、, 2 （一）, 3 1.
    heading: str
    kind: str
    parent: int | None = None


@dataclass
class Sentence:
    """One sentence of the report, with the section it stands in."""

    position: int
    text: str
    section: int
    truncated: bool = False  # the report's text ends inside it: its figures are not trusted


@dataclass
class Body:
    sections: list[Section] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)


def section_kind(heading: str) -> str:
    """The kind a heading's words name, or "" when they name none.

    >>> section_kind("二、存在的问题和原因"), section_kind("三、下一步工作措施"), section_kind("（一）强化组织领导")
    ('problems', 'plans', '')
    """
    return next((entry["kind"] for entry in _kinds() if any(word in heading for word in entry["words"])), "")


@functools.cache
def _kinds() -> list[dict]:
    return vocabulary()["section_kinds"]


def _mixed(heading: str) -> bool:
    """True when a heading names two kinds (主要做法和存在问题): its children then decide their own."""
    return sum(any(word in heading for word in entry["words"]) for entry in _kinds()) >= 2


def split_body(lines: list[str], title: str) -> Body:
    """Sections and sentences of the report's ``lines`` (cleaned), the title lines left out."""
    body = Body([Section(0, 0, "", "preamble")])
    stack: list[Section] = []  # open sections, outermost first
    title_left = title
    for index, line in enumerate(lines):
        if title_left and line in title_left:
            title_left = title_left.replace(line, "", 1)
            continue
        level, heading, rest = _heading(line)
        if level:
            while stack and stack[-1].level >= level:
                stack.pop()
            parent = stack[-1] if stack else None
            kind = section_kind(heading)
            if parent and (not kind or not (_mixed(parent.heading) or parent.kind == "preamble")):
                kind = parent.kind if parent.kind != "preamble" or not kind else kind
            section = Section(len(body.sections), level, heading, kind or "measures", parent.number if parent else None)
            body.sections.append(section)
            stack.append(section)
            if not rest.startswith(heading):
                _add_sentences(body, heading + ("" if heading.endswith(_TERMINAL) else "。"), section.number, False)
            if not rest:
                continue
            line = rest
        if index >= len(lines) - 3 and len(line) <= 20 and line.endswith(("人民政府", "办事处", "街道", "镇", "乡")):
            continue  # the signature under the report
        current = stack[-1].number if stack else 0
        _add_sentences(body, line, current, index == len(lines) - 1 and not line.endswith(_TERMINAL))
    return body


def _heading(line: str) -> tuple[int, str, str]:
    """(level, heading, text after the heading) of a heading line; level 0 for a plain line."""
    for level, pattern in _LEVELS:
        match = pattern.match(line)
        if match:
            rest = line[match.end():]
            head, sep, tail = rest.partition("。")
            if sep and len(head) <= 40:
                return level, head, tail.strip()
            if not sep and len(rest) <= 60:
                return level, rest.rstrip("：:"), ""
            return level, rest[:40], rest
    if len(line) <= 30 and not line.endswith(_TERMINAL) and "，" in line and not re.search(r"\d", line):
        return 2, line, ""  # an unnumbered heading (推进依法行政，提升政府职能)
    return 0, "", line


def _add_sentences(body: Body, text: str, section: int, last_truncated: bool) -> None:
    pieces = [piece.strip() for piece in _SENTENCE_END.split(text) if piece.strip()]
    for count, piece in enumerate(pieces):
        for part in _split_long(piece):
            truncated = last_truncated and count == len(pieces) - 1
            body.sentences.append(Sentence(len(body.sentences), part, section, truncated))


def _split_long(sentence: str) -> list[str]:
    """Very long sentences are cut at semicolons, so that an evidence quote stays readable on a phone."""
    if len(sentence) <= _LONG_SENTENCE or "；" not in sentence:
        return [sentence]
    parts = [part + "；" for part in sentence.split("；")]
    parts[-1] = parts[-1][:-1]
    return [part for part in parts if part.strip("；")]
