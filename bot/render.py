"""An ``Answer`` as console text, a JSON line (the DESIGN.md contract), Telegram HTML or the web chat's parts."""

from __future__ import annotations

import html
import json
import re

from bot.answer import Answer

TELEGRAM_LIMIT = 4096


def as_text(answer: Answer) -> str:
    """Plain text for the console: the answer first, then figures, quotes with sources, notes."""
    out = [answer.headline, *answer.lines]
    for quote in answer.quotes:
        out.append(f"「{quote.text}」")
        out.append(f"—— {quote.report}" + (f" · {quote.section}" if quote.section else ""))
    out.extend(answer.notes)
    return "\n".join(out)


def as_json(answer: Answer) -> str:
    """One JSON object on one line: question, answered, text, facts (contract fields)."""
    return json.dumps({"question": answer.question, "answered": answer.answered, "text": as_text(answer),
                       "facts": [fact.contract() for fact in answer.facts]}, ensure_ascii=False)


def as_page(answer: Answer) -> dict:
    """The parts the web chat shows, as plain text for the page to place (it escapes them): the headline (bold),
    more lines, quotes with their sources, notes, and the "which township?" choices as (id, label)."""
    return {"question": answer.question, "answered": answer.answered, "headline": answer.headline,
            "lines": answer.lines, "quotes": [{"text": quote.text, "source": quote.report + (
                f" · {quote.section}" if quote.section else "")} for quote in answer.quotes],
            "notes": answer.notes, "choices": [{"township": township, "label": label}
                                               for township, label in answer.choices]}


def as_html(answer: Answer) -> str:
    """Telegram HTML: every dynamic piece escaped; the headline bold, quotes as blockquotes."""
    out = [f"<b>{html.escape(answer.headline)}</b>", *map(html.escape, answer.lines)]
    for quote in answer.quotes:
        source = html.escape(quote.report + (f" · {quote.section}" if quote.section else ""))
        out.append(f"<blockquote>{html.escape(quote.text)}</blockquote><i>—— {source}</i>")
    out.extend(f"<i>{html.escape(note)}</i>" for note in answer.notes)
    return "\n".join(out)


# A tag, an entity, or one character: the units a message is never cut inside.
_TOKEN = re.compile(r"<[^<>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|\w+);|.", re.DOTALL)
_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)")
# Where to cut, best first: a line end (3), a sentence end (2), a comma or space (1), anywhere (0);
# (4) is no cut, the rest fits.
_SENTENCE_END, _PAUSE = set("。！？；!?;"), set("，、,")


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split Telegram HTML into pieces of at most ``limit`` characters, each valid HTML on its own.

    Text that fits is returned unchanged. Otherwise each piece is filled as far as it goes, cut at its
    last line end, else its last sentence end (。！？；!?;), else its last comma or space, else
    anywhere, but never inside a tag or an entity (``&lt;``). An element open at a cut is closed at
    the end of the piece and reopened, with its attributes, at the start of the next; ``limit``
    counts the raw HTML, the tags added included. No text is lost or repeated, except the newlines
    at a cut, and a piece that would show nothing but blanks (Telegram refuses those).
    Raises ``ValueError`` if ``limit`` leaves no room for text inside the open tags.

    >>> split_message("<b>short</b>")
    ['<b>short</b>']
    >>> split_message("<blockquote>一句话。第二句话，很长很长</blockquote>", limit=34)
    ['<blockquote>一句话。</blockquote>', '<blockquote>第二句话，很长很长</blockquote>']
    >>> split_message("first line\\nA &lt; B &amp; C", limit=12)
    ['first line', 'A &lt; B ', '&amp; C']
    """
    if len(text) <= limit:
        return [text] if text else []
    tokens = _TOKEN.findall(text)
    last_visible = max((i for i, token in enumerate(tokens) if _visible(token)), default=-1)
    pieces, start, stack = [], 0, ()  # stack: the open elements, as (name, opening tag)
    while start < len(tokens):
        start, stack, piece, visible = _next_piece(tokens, start, stack, limit, last_visible)
        if visible:
            pieces.append(piece)
        while start < len(tokens) and tokens[start] == "\n":  # a cut drops the newlines it falls on
            start += 1
    return pieces


def _visible(token: str) -> bool:
    return not token.isspace() and not (token[0] == "<" and token[-1] == ">")


def _next_piece(tokens: list[str], start: int, stack: tuple, limit: int, last_visible: int):
    """The best piece from ``tokens[start:]`` with the elements ``stack`` open:
    (where the rest starts, the elements open there, the piece, whether it shows any text).
    Best: the piece and the rest both show text, then the best rank, then the longest."""
    prefix = "".join(opening for _, opening in stack)
    length, open_, visible, rank = len(prefix), list(stack), False, 0  # rank: of a cut after the last text
    best = None  # (piece and rest show text?, rank, end, elements open at the end, piece shows text?)

    def consider(grade: int, end: int) -> None:
        nonlocal best
        closing = sum(len(name) + 3 for name, _ in open_)  # </name>
        shows = visible and (end <= last_visible or end == len(tokens))
        if end > start and length + closing <= limit and (best is None or (shows, grade) >= best[:2]):
            best = (shows, grade, end, tuple(open_), visible)

    for index in range(start, len(tokens)):
        token = tokens[index]
        if token == "\n":
            consider(3, index)  # cut before it, dropping it (cutting after it is never better)
        length += len(token)
        if length > limit:
            break
        tag = _TAG.match(token) if token[0] == "<" and token[-1] == ">" else None
        if tag and tag[1]:  # a closing tag: cutting after it is as good as cutting before it
            if open_ and open_[-1][0] == tag[2].lower():
                open_.pop()
            consider(rank, index + 1)
        elif tag:
            if not token.endswith("/>"):
                open_.append((tag[2].lower(), token))
        elif token == "\n":
            rank = 0
        elif token.isspace():  # a blank keeps the rank of a sentence end just before it
            rank = max(rank, 1)
            consider(rank, index + 1)
        else:
            visible = True
            rank = 2 if token in _SENTENCE_END else 1 if token in _PAUSE else 0
            consider(rank, index + 1)
    else:
        consider(4, len(tokens))  # the rest fits
    if best is None:
        raise ValueError(f"limit {limit} leaves no room for text after {prefix + tokens[start]!r}")
    _, _, end, open_at_end, visible = best
    closing = "".join(f"</{name}>" for name, _ in reversed(open_at_end))
    return end, open_at_end, prefix + "".join(tokens[start:end]) + closing, visible
