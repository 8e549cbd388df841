"""The names a township goes by: full, short, with its county, and in pinyin.

>>> sorted(township_aliases("湘江源瑶族乡", "湘江源", ""))
[('xiangjiangyuan', 'pinyin'), ('xiangjiangyuanyaozuxiang', 'pinyin'), ('湘江源', 'short'), ('湘江源瑶族乡', 'full')]
"""

from __future__ import annotations

from pypinyin import lazy_pinyin

from knowledge.vocabulary import vocabulary


def pinyin(text: str) -> str:
    """Toneless pinyin of ``text`` run together, lower case (背孜 → beizi)."""
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
