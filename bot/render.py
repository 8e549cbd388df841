"""An ``Answer`` as console text, a JSON line (the DESIGN.md contract) or Telegram HTML."""

from __future__ import annotations

import html
import json

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


def as_html(answer: Answer) -> str:
    """Telegram HTML: every dynamic piece escaped; the headline bold, quotes as blockquotes."""
    out = [f"<b>{html.escape(answer.headline)}</b>", *map(html.escape, answer.lines)]
    for quote in answer.quotes:
        source = html.escape(quote.report + (f" · {quote.section}" if quote.section else ""))
        out.append(f"<blockquote>{html.escape(quote.text)}</blockquote><i>—— {source}</i>")
    out.extend(f"<i>{html.escape(note)}</i>" for note in answer.notes)
    return "\n".join(out)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split ``text`` into pieces under ``limit`` characters, at line ends where possible, tags kept whole."""
    pieces, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single line longer than a message: cut it (plain text only)
            if current:
                pieces.append(current)
            current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces
