"""The names a township goes by: full, short, with its county, and in pinyin.

>>> sorted(township_aliases("湘江源瑶族乡", "湘江源", ""))
[('xiangjiangyuan', 'pinyin'), ('xiangjiangyuanyaozuxiang', 'pinyin'), ('湘江源', 'short'), ('湘江源瑶族乡', 'full')]
"""

from __future__ import annotations

import functools
import re

from knowledge.text import CJK
from knowledge.vocabulary import vocabulary


@functools.lru_cache(maxsize=65536)
def pinyin(text: str) -> str:
    """Toneless pinyin of ``text`` run together, lower case (背孜 → beizi)."""
    from pypinyin import lazy_pinyin  # 0.3 s to import: only building and fuzzy matching need it

    return "".join(lazy_pinyin(text)).lower()


def short_name(name: str) -> str:
    """``name`` without its township suffix (武陵山乡 → 武陵山, 白沙路街道 → 白沙路, 黄石街 → 黄石)."""
    township = vocabulary()["township"]
    suffixes = sorted(township["suffixes"] + [group + "乡" for group in township["ethnic_groups"]], key=len, reverse=True)
    suffixes.append(township["street"])
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@functools.cache
def admin_pattern() -> re.Pattern[str]:
    """One place above a township: a county, city or province with its suffix (钟楼区, 常州市, 江苏省)."""
    ends = "|".join(vocabulary()["township"]["county_suffixes"])
    return re.compile(rf"[{CJK}]+?(?:{ends}|省|自治区)")


def county_short(county: str) -> str:
    """A county without its suffix when that leaves two characters or more (沈丘县 → 沈丘, 渠县 → 渠县)."""
    for suffix in sorted(vocabulary()["township"]["county_suffixes"], key=len, reverse=True):
        if county.endswith(suffix) and len(county) - len(suffix) >= 2:
            return county[: -len(suffix)]
    return county


def township_aliases(name: str, stem: str, county: str) -> set[tuple[str, str]]:
    """(alias, kind) pairs for a township; kind is full, short, county or pinyin."""
    stem = stem or short_name(name)
    aliases = {(name, "full"), (stem, "short"), (pinyin(stem), "pinyin"), (pinyin(name), "pinyin")}
    if county:
        for prefix in {county, county_short(county)}:
            aliases |= {(prefix + name, "county"), (prefix + stem, "county")}
    return aliases


def one_off_keys(name: str) -> list[str]:
    """``name`` with each character of its stem blanked (长寿镇 → ?寿镇, 长?镇), for stems of two or more."""
    stem = short_name(name)
    if len(stem) < 2 or not name.startswith(stem):
        return []
    return [name[:i] + "?" + name[i + 1:] for i in range(len(stem))]


def bigrams(text: str) -> set[str]:
    """Every two-character piece of ``text``."""
    return {text[i:i + 2] for i in range(len(text) - 1)}


def pinyin_ends(spelled: str) -> set[str]:
    """The first and the last three letters of a pinyin spelling: a typo rarely changes both."""
    return {"p:" + spelled[:3], "q:" + spelled[-3:]} if len(spelled) >= 3 else set()


def spelling_key(spelled: str) -> str:
    """The key of a pinyin spelling (s:beizi): townships whose names sound exactly alike share it."""
    return "s:" + spelled


def fuzzy_keys(name: str, spelled: str | None = None) -> set[str]:
    """Keys under which a township is a candidate for fuzzy matching: one-off patterns of its name and short
    name (1:长?镇, 1:长?), its short name's bigrams (b:湘江), its pinyin's ends (p:xia, q:uan: typed pinyin)
    and its pinyin's spelling key (homophones: 背子 → 背孜). ``spelled``: the short name's pinyin, if known."""
    stem = short_name(name)
    spelled = pinyin(stem) if spelled is None else spelled
    keys = {"1:" + key for key in one_off_keys(name) + one_off_keys(stem)}
    keys |= {"b:" + pair for pair in bigrams(stem)}
    return keys | pinyin_ends(spelled) | {spelling_key(spelled)}
