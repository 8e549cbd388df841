"""Generated stdin lines for the property test and bench/fuzz.py: what people and scripts may send.

Each line is bytes without a newline: random Unicode (control characters, other scripts, emoji), bytes that are
not UTF-8, very long lines, full-text search syntax, and real questions bent out of shape.
"""

from __future__ import annotations

import random

TOWNS = ["湘江源", "湘江源瑶族乡", "四棵树镇", "背孜乡", "莲池镇", "武陵山", "xiangjiangyuan", "Sikeshu", "湘江原"]
TOPICS = ["有多少人民调解员", "调解纠纷多少件", "执法证", "存在哪些问题", "明年有什么打算", "发放宣传资料多少份",
          "哪个乡镇调解员最多", "比较湘江源和四棵树镇的调解员", "那执法证呢", "2020年", "How many mediators",
          "列出所有乡镇", "你好", "/town 湘江源", "书记是谁"]
FTS = ['"', '""', "*", "NEAR(", ")", "OR", "AND", "NOT", "^", ":", "sentences_fts", "MATCH", "'", ";", "--", "{", "}",
       "(", "+", "-", "\\", "%", "_", "\x00"]
RANGES = [(0x20, 0x7E), (0x4E00, 0x9FFF), (0x3000, 0x303F), (0xFF00, 0xFFEF), (0x0400, 0x04FF), (0x0600, 0x06FF),
          (0x1F300, 0x1F6FF), (0xF8D0, 0xF8FF), (0x0300, 0x036F), (0x2000, 0x206F), (0xE000, 0xF8FF),
          (0x10000, 0x10FFFF)]


def _unicode(rng: random.Random, length: int) -> str:
    chars = []
    for _ in range(length):
        low, high = rng.choice(RANGES)
        code = rng.randint(low, high)
        chars.append(chr(code) if not 0xD800 <= code <= 0xDFFF else "?")
    return "".join(chars)


def _controls(rng: random.Random, length: int) -> str:
    return "".join(chr(rng.choice([*range(0, 32), 127, 0x85, 0x2028, 0x2029, 0xFEFF, 0x200B])) for _ in range(length))


def _bent_question(rng: random.Random) -> str:
    parts = [rng.choice(TOWNS), rng.choice(TOPICS)]
    for _ in range(rng.randint(0, 3)):
        parts.insert(rng.randint(0, len(parts)), rng.choice(FTS + [_unicode(rng, 2), _controls(rng, 1), " ", "？"]))
    return "".join(parts)


def line(rng: random.Random) -> bytes:
    """One generated input line (no newline in it)."""
    kind = rng.random()
    if kind < 0.25:
        text = _bent_question(rng)
    elif kind < 0.45:
        text = _unicode(rng, rng.randint(0, 40))
    elif kind < 0.55:
        text = _controls(rng, rng.randint(1, 10)) + rng.choice(TOWNS + TOPICS)
    elif kind < 0.70:
        text = " ".join(rng.choice(FTS + TOWNS) for _ in range(rng.randint(1, 8)))
    elif kind < 0.80:
        data = bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 60)))
        return data.replace(b"\n", b" ")  # bytes that are mostly not UTF-8
    elif kind < 0.90:
        text = rng.choice(TOWNS) + rng.choice(TOPICS).encode("utf-8").decode("latin-1")  # mojibake
    elif kind < 0.999:
        text = rng.choice(["", " ", "\u3000", "\t", "？", "。", "1", "0" * 30, "-1e308", "NaN"])
    else:
        text = rng.choice(TOWNS) * rng.randint(1000, 12000) + rng.choice(TOPICS)  # 10k–100k characters
    return text.encode("utf-8", errors="replace").replace(b"\n", b" ")


def lines(count: int, seed: int) -> list[bytes]:
    """``count`` generated lines, the same for the same ``seed``."""
    rng = random.Random(seed)
    return [line(rng) for _ in range(count)]
