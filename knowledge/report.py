"""One report, parsed: header, sections, sentences and facts. No storage here (see ``store``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from knowledge.cleaning import clean
from knowledge.facts import Fact, extract_facts
from knowledge.fingerprint import parser_fingerprint
from knowledge.header import Header, parse_header
from knowledge.structure import Body, Sentence, split_body
from knowledge.text import has_cjk, normalize


class ParseError(Exception):
    """Text that is not a township report we can file; ``str(error)`` is the one-line reason."""


@dataclass
class Report:
    """A parsed report; ``facts`` pairs each fact with the position of its sentence."""

    source: str
    digest: str
    header: Header
    body: Body
    facts: list[tuple[int, Fact]]

    @property
    def problems(self) -> list[str]:
        """The sentences of the sections about problems, in order."""
        kinds = {section.number: section.kind for section in self.body.sections}
        return [sentence.text for sentence in self.body.sentences if kinds[sentence.section] == "problems"]


def _trustworthy_part(sentence: Sentence) -> str:
    """The sentence, or for one the text breaks off inside, its clauses before the last (cut) one."""
    if not sentence.truncated:
        return sentence.text
    cut = max(sentence.text.rfind(mark) for mark in "，；：、")
    return sentence.text[: cut + 1] if cut > 0 else ""


def parse_report(text: str, source: str) -> Report:
    """Parse the raw ``text`` of a report read from ``source`` (a file name, for messages).

    Raises ``ParseError`` when the text has no Chinese, names no township or no year.
    """
    canonical = normalize(text)
    if not has_cjk(canonical):
        raise ParseError(f"{source}: no Chinese text in it; is this a township report?")
    cleaned = clean(canonical)
    header = parse_header(cleaned)
    if not header.township:
        raise ParseError(f"{source}: no township (乡/镇/街道) named in the title or text")
    if header.year is None:
        raise ParseError(f"{source}: cannot tell which year the report covers")
    body = split_body(cleaned.lines, header.title)
    facts = [
        (sentence.position, fact)
        for sentence in body.sentences
        for fact in extract_facts(_trustworthy_part(sentence))
    ]
    # The same text read by another version of the parser is a different report to store.
    digest = hashlib.sha256(("\n".join(cleaned.lines) + parser_fingerprint()).encode()).hexdigest()
    return Report(source, digest, header, body, facts)
