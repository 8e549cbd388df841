"""split_message: every piece within the limit, valid Telegram HTML on its own, no text lost or repeated."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answer import Answer, Quote
from bot.render import as_html, split_message

KNOWN_TAGS = {"b", "i", "a", "blockquote"}


class _Check(HTMLParser):
    """Only known tags, properly nested; collects the plain text (entities unescaped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.errors: list[str] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        if tag not in KNOWN_TAGS:
            self.errors.append(f"unknown tag {tag}")
        self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")

    def handle_data(self, data):
        self.text += data


def plain(piece: str) -> str:
    """The plain text of one piece, after checking it is balanced Telegram HTML."""
    checker = _Check()
    checker.feed(piece)
    checker.close()
    assert not checker.errors and not checker.open, (checker.errors, checker.open, piece)
    return checker.text


def check(text: str, limit: int, dropped: str = r"\n*") -> list[str]:
    """Split ``text`` and assert every promise of split_message; return the pieces. Between pieces
    only ``dropped`` may be lost: the newlines at a cut (or, when a blank piece was left out, blanks)."""
    pieces = split_message(text, limit)
    if len(text) <= limit:
        assert pieces == ([text] if text else [])
        return pieces
    for piece in pieces:
        assert 0 < len(piece) <= limit, piece
        assert not re.search(r"&[#\w]*$", piece), piece  # no entity cut at the end
        assert not re.search(r"<[^>]*$", piece), piece  # no tag cut at the end
        assert plain(piece).strip(), piece  # Telegram refuses a blank message
    # The pieces' plain text, in order, is the original's, except for what was dropped at the cuts.
    expected = plain(text)
    pattern = dropped + dropped.join(re.escape(plain(piece)) for piece in pieces) + dropped
    assert re.fullmatch(pattern, expected), (pieces, expected)
    return pieces


def test_short_text_is_returned_unchanged():
    text = "<b>标题</b>\n第一行 &lt;\n<blockquote>引文</blockquote><i>—— 来源</i>"
    assert split_message(text) == [text]
    assert split_message(text, limit=len(text)) == [text]
    assert split_message("") == []


@pytest.mark.parametrize("length", [6073, 20000])
@pytest.mark.parametrize("limit", [4096, 1000, 50])
def test_a_long_quote_is_cut_into_closed_blockquotes(length, limit):
    sentence = "依法行政，严格执法。"
    quote = (sentence * (length // len(sentence) + 1))[:length]
    text = f"<b>清河镇存在哪些问题</b>\n<blockquote>{quote}</blockquote><i>—— 2025年清河镇报告</i>"
    pieces = check(text, limit)
    assert pieces[0] == "<b>清河镇存在哪些问题</b>"  # the line end comes first
    for piece in pieces[1:-1]:
        assert piece.startswith("<blockquote>") and piece.endswith("。</blockquote>")  # at sentence ends


def test_the_real_answer_that_was_lost():
    """as_html of an answer with a 6,073-character quote: every piece is accepted."""
    quote = ("存在的问题：一是法治宣传不够深入，群众的法治意识有待提高；二是执法人员&lt;12人。" * 200)[:6073]
    answer = Answer(question="清河镇存在哪些问题", answered=True, headline="清河镇存在的问题",
                    lines=["来自2025年报告"], quotes=[Quote(text=quote, report="2025年清河镇报告", section="问题")])
    pieces = check(as_html(answer), 4096)
    assert len(pieces) >= 2


@pytest.mark.parametrize("limit", [40, 41, 45, 50, 100])
def test_lines_full_of_entities_are_never_cut_inside_one(limit):
    text = "<blockquote>" + "&lt;&amp;&quot;&#x27;&#39;" * 300 + "</blockquote>"
    for piece in check(text, limit):
        body = piece.removeprefix("<blockquote>").removesuffix("</blockquote>")
        assert re.fullmatch(r"(&(lt|amp|quot|#x27|#39);)+", body), piece


def test_nested_elements_are_closed_and_reopened_in_order():
    text = "<b>粗体<i>" + "斜体的字很多很多。" * 40 + "</i>还是粗体</b>后面"
    pieces = check(text, 50)
    assert pieces[0].startswith("<b>粗体<i>") and pieces[0].endswith("</i></b>")
    assert all(piece.startswith("<b><i>") for piece in pieces[1:-1])
    assert pieces[-1].endswith("</i>还是粗体</b>后面")


def test_a_link_is_reopened_with_its_attributes():
    link = '<a href="https://example.com/report?year=2025&amp;town=qinghe">'
    text = f"见{link}{'链接文字 ' * 60}</a>。"
    pieces = check(text, 100)
    assert len(pieces) > 3
    assert all(piece.startswith(link) for piece in pieces[1:])
    assert all(piece.endswith("</a>") for piece in pieces[:-1])


def test_short_lines_are_packed_whole():
    lines = [f"第{n}行：调解员{n}名" for n in range(300)]
    text = "\n".join(lines)
    for limit in (50, 200, 4096):
        pieces = check(text, limit)
        assert "\n".join(pieces) == text  # cut only at line ends, and only those newlines dropped
        for piece, after in pairwise(pieces):  # each piece as full as the next line allows
            assert len(piece) + 1 + len(after.split("\n")[0]) > limit


def test_words_are_cut_at_spaces_when_there_is_no_sentence_end():
    text = "<i>" + " ".join(f"word{n}" for n in range(500)) + "</i>"
    pieces = check(text, 60)
    assert all(piece.endswith(" </i>") for piece in pieces[:-1])


def test_text_without_any_break_is_cut_anywhere_at_the_limit():
    text = "<b>" + "字" * 1000 + "</b>"
    pieces = check(text, 50)
    assert all(len(piece) == 50 for piece in pieces[:-1])


def test_a_limit_too_small_for_the_open_tags_is_refused():
    with pytest.raises(ValueError):
        split_message("<blockquote><b><i>" + "字" * 100 + "</i></b></blockquote>", limit=20)


def test_no_piece_shows_only_blanks():
    """Telegram refuses a message that shows nothing (and the rest of the answer would be lost): a cut
    that leaves only blanks after it is avoided, and blanks that cannot go with text are left out."""
    assert split_message("第一行\n" + "字" * 40 + "\n<i></i>", 45) == ["第一行", "字" * 39, "字\n<i></i>"]
    assert split_message("字" + " " * 100 + "词", 40) == ["字" + " " * 39, " " * 21 + "词"]
    assert split_message("1<blockquote><b></b><b> </b></blockquote>", 40) == ["1<blockquote><b></b></blockquote>"]


# Random Telegram HTML: escaped text (with newlines, punctuation and characters that need entities)
# in b and i up to two deep, and blockquotes holding text or one b/i level, as as_html nests them.
_ALPHABET = "字词句ab12\n\n。，、！？；;!?,<>&\"'"


def _document(alphabet):
    text = st.text(alphabet=st.sampled_from(list(alphabet)), max_size=80).map(html.escape)
    inline1 = st.one_of(text, _element(["b", "i"], text))
    inline2 = st.one_of(text, _element(["b", "i"], inline1))
    return st.lists(st.one_of(inline2, _element(["blockquote"], inline1)), max_size=12).map("".join)


def _element(tags, inner):
    return st.builds(lambda tag, parts: f"<{tag}>{''.join(parts)}</{tag}>",
                     st.sampled_from(tags), st.lists(inner, max_size=4))


@settings(max_examples=150, deadline=None)
@given(_document(_ALPHABET), st.integers(min_value=40, max_value=300))
def test_random_html_is_split_as_promised(text, limit):
    check(text, limit)


@settings(max_examples=150, deadline=None)
@given(_document(_ALPHABET + "  \u3000"), st.integers(min_value=40, max_value=300))
def test_random_html_with_blanks_loses_only_blanks(text, limit):
    check(text, limit, dropped=r"\s*")
