"""One report, parsed: header, sections, sentences and facts. No storage here (see ``store``)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePath

from knowledge.cleaning import clean
from knowledge.facts import Fact, extract_facts
from knowledge.fingerprint import parser_fingerprint
from knowledge.header import Header, parse_header
from knowledge.structure import Body, Sentence, split_body
from knowledge.text import has_cjk, normalize


class ParseError(Exception):
    """Text that is not a township report we can file: ``str(error)`` is the one-line reason, ``chinese`` the same
    in Chinese (for the staff who upload reports)."""

    def __init__(self, message: str, chinese: str = "") -> None:
        super().__init__(message)
        self.chinese = chinese or message


@dataclass
class Report:
    """A parsed report; ``facts`` pairs each fact with the position of its sentence."""

    source: str
    digest: str
    header: Header
    body: Body
    facts: list[tuple[int, Fact]]

    @property
    def says_nothing(self) -> bool:
        """True when there is nothing to answer from: no figure, no name and no headed section (a title and a
        line or two, such as a draft). A heading needs two Chinese characters: a stray "，" line is none."""
        headed = any(sum(map(has_cjk, section.heading)) >= 2 for section in self.body.sections if section.level)
        return not self.facts and not headed

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


def year_in_name(source: str) -> int | None:
    """The one year (2000–2099) a file's name holds, if it holds exactly one.

    >>> year_in_name("10_dingshu_2023.txt"), year_in_name("丁蜀镇2023年度报告.docx"), year_in_name("2022-2023.txt")
    (2023, 2023, None)
    """
    years = set(re.findall(r"(?<!\d)(20\d{2})(?!\d)", PurePath(source).name))
    return int(years.pop()) if len(years) == 1 else None


def parse_report(text: str, source: str) -> Report:
    """Parse the raw ``text`` of a report read from ``source`` (a file name, for messages).

    Raises ``ParseError`` when the text has no Chinese, names no township or no year.
    """
    canonical = normalize(text)
    if not has_cjk(canonical):
        raise ParseError(f"{source}: no Chinese text in it; is this a township report?",
                         "里面没有中文：这是乡镇的报告吗？")
    cleaned = clean(canonical)
    header = parse_header(cleaned)
    if not header.township:
        raise ParseError(f"{source}: no township (乡/镇/街道) named in the title or text",
                         "标题和正文都没有写明是哪个乡、镇或街道的报告")
    if header.year is None:
        header.year = year_in_name(source)  # 近年来…: a page that never says its year, saved as 丁蜀镇2023.txt
    if header.year is None:
        raise ParseError(f"{source}: cannot tell which year the report covers (not in its text or its file name)",
                         "看不出这是哪一年的报告：标题或文件名里应写明年份，例如“2024年”")
    body = split_body(cleaned.lines, header.title)
    facts = [
        (sentence.position, fact)
        for sentence in body.sentences
        for fact in extract_facts(_trustworthy_part(sentence))
    ]
    # The same text read by another version of the parser is a different report to store.
    digest = hashlib.sha256(("\n".join(cleaned.lines) + parser_fingerprint()).encode()).hexdigest()
    return Report(source, digest, header, body, facts)
