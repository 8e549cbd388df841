"""Who wrote a report and for which year: title, township, county, city, province, year, date.

The township is the name the title gives; failing a title, the one the publishing office or the
text itself names most often. The year is the year the report covers (the title's, else the one the
opening says), never the date it was signed or published.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

from knowledge.aliases import admin_pattern
from knowledge.cleaning import CleanText
from knowledge.text import CJK
from knowledge.vocabulary import vocabulary

_YEAR = re.compile(r"(?<![\d—\-~～至到])(20\d{2})\s*年(?!\s*\d{1,2}\s*月)(?![—\-~～至到]|\d)")
_RANGE_END = re.compile(r"20\d{2}\s*[—\-~～至到]\s*(20\d{2})")
_FULL_DATE = re.compile(r"(20\d{2})\s*[年\-.]\s*(\d{1,2})\s*[月\-.]\s*(\d{1,2})")
_HEADING_START = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|（[一二三四五六七八九十]+）|\d+[、.])")
_TITLE_WORDS = ("报告", "总结", "年报")
_ORG_ENDS = ("人民政府", "办事处", "街道", "镇", "乡", "政府")
_META_ORG_KEYS = ("发布机构", "发文机构", "责任部门")
_META_DATE_KEYS = ("成文日期", "成文时间", "发文日期", "发文时间", "发布日期", "日期")


@dataclass
class Header:
    """What a report says about itself."""

    title: str
    township: str
    county: str
    city: str
    province: str
    year: int | None
    date: str


@dataclass(frozen=True)
class PlaceName:
    """A township-level name found in text: ``name`` 湘江源瑶族乡, ``stem`` 湘江源, ``admin`` 重庆市涪陵区."""

    name: str
    stem: str
    admin: str


def parse_header(clean: CleanText) -> Header:
    """Read title, township, place and year from a cleaned report."""
    title = find_title(clean)
    township, admin = _township(clean, title)
    county, city, province = _places(clean, title, admin)
    return Header(
        title=title, township=township, county=county, city=city, province=province,
        year=_year(clean, title), date=_date(clean),
    )


def find_title(clean: CleanText) -> str:
    """The report's title: the header table's, else the heading lines at the top (joined); a title a web
    page repeats (X X) once."""
    title = _title(clean)
    half = len(title) // 2
    return title[:half] if len(title) % 2 == 0 and title[:half] == title[half:] else title


def _title(clean: CleanText) -> str:
    meta_title = clean.meta.get("标题") or clean.meta.get("名称") or ""
    lines = clean.lines[:10]
    for index, line in enumerate(lines):
        if len(line) > 60 or "。" in line or "，" in line or _HEADING_START.match(line):
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        joined = line
        if len(following) <= 15 and "。" not in following and any(word in following for word in _TITLE_WORDS):
            joined = line + following
        if "法治" not in joined and "依法治" not in joined:
            continue
        if not any(word in joined for word in _TITLE_WORDS + ("建设情况", "建设工作")):
            continue
        previous = lines[index - 1] if index > 0 else ""
        if previous and len(previous) <= 25 and previous.endswith(_ORG_ENDS) and "：" not in previous:
            joined = previous + joined
        if meta_title and len(meta_title) > len(joined):
            return meta_title
        return joined
    return meta_title


@functools.cache
def _suffixes() -> tuple[str, ...]:
    vocab = vocabulary()["township"]
    ethnic = [group + "乡" for group in vocab["ethnic_groups"]] + [group + "镇" for group in vocab["ethnic_groups"]]
    return tuple(sorted(set(vocab["suffixes"] + ethnic), key=len, reverse=True))


@functools.cache
def _suffix_pattern() -> re.Pattern[str]:
    township = vocabulary()["township"]
    street = f"{township['street']}(?={'|'.join(township['street_followers'])})"  # 黄石街党工委
    return re.compile("|".join(_suffixes() + (street,)))


def place_names(text: str, title: bool = False) -> list[PlaceName]:
    """Township-level names in ``text``, in order, each with the county or city written before it.

    >>> [(p.name, p.admin) for p in place_names("2023年度乌苏市四棵树镇法治政府建设")]
    [('四棵树镇', '乌苏市')]
    >>> [p.name for p in place_names("现将宝城镇2025年度法治政府建设情况报告如下，各乡镇")]
    ['宝城镇']
    """
    return [place for _, place in _places_at(text, title)]


def _places_at(text: str, title: bool = False) -> list[tuple[int, PlaceName]]:
    """``place_names`` of ``text``, each with where its name starts in ``text``. In a ``title``, a name that
    opens it may end in 市 or 村 (一市镇2024年…, 黄村镇2025年…): in running text those are phrases (全市镇村)."""
    vocab = vocabulary()["township"]
    found = []
    for match in _suffix_pattern().finditer(text):
        run_start = match.start()
        while run_start > 0 and re.match(rf"[{CJK}]", text[run_start - 1]) and match.start() - run_start < 12:
            run_start -= 1
        run = text[run_start:match.start()]
        stem, admin = _split_admin(run)
        stem = _strip_lead_words(stem, vocab["lead_words"])
        admin = _strip_lead_words(admin, vocab["lead_words"])
        opens_title = title and not text[:match.start() - len(stem)].strip()
        if _acceptable_stem(stem, vocab, after_county=bool(admin) or match.group(0).startswith("街道") or opens_title,
                            village=opens_title):
            suffix = "街道" if match.group(0) in ("街道办事处", vocab["street"]) else match.group(0)  # 龙归街 → 龙归街道
            found.append((match.start() - len(stem), PlaceName(stem + suffix, stem, admin)))
    return found


def _split_admin(run: str) -> tuple[str, str]:
    """Split ``重庆市涪陵区武陵山`` into (武陵山, 重庆市涪陵区); a name like 新市 stays whole, and 乐清市柳市
    is (柳市, 乐清市): the last cut that leaves a stem of two characters or more.

    >>> _split_admin("重庆市涪陵区武陵山"), _split_admin("乐清市柳市"), _split_admin("新市")
    (('武陵山', '重庆市涪陵区'), ('柳市', '乐清市'), ('新市', ''))
    """
    ends = ("自治县", "自治旗", "县", "区", "市", "旗", "省", "自治区")
    cuts = [index + len(end) for end in ends for index in range(len(run)) if run.startswith(end, index)]
    cut = max((cut for cut in cuts if len(run) - cut >= 2), default=0)
    if cut:
        return run[cut:], run[:cut]
    return run, ""


def _strip_lead_words(stem: str, lead_words: list[str]) -> str:
    words = sorted(lead_words, key=len, reverse=True)
    changed = True
    while changed:
        changed = False
        for word in words:
            if stem.startswith(word) and len(stem) - len(word) >= 2:
                stem = stem[len(word):]
                changed = True
                break
    return stem


def _acceptable_stem(stem: str, vocab: dict, after_county: bool = False, village: bool = False) -> bool:
    """True when ``stem`` can be a township's name without its suffix; one ending in 市 (柳市镇) only when a
    county is written before it (乐清市柳市镇) or it names a 街道 (新市街道), since 全市镇村 and 城市镇区 are no
    names. One ending in 村 is a name only as 新村, or when ``village`` names may be (黄村镇 opening a title)."""
    if not 2 <= len(stem) <= 6 or stem in vocab["stop_stems"]:
        return False
    if stem.endswith("市") and stem[:-1] in vocab["stop_stems"]:
        return False
    ends = ("乡", "镇", "县", "区", "省") + (() if after_county else ("市",))
    if stem.endswith(ends) or stem[-1] in vocab["stop_stem_ends"]:
        return False
    if stem.endswith("村") and not village and not stem.endswith(tuple(vocab["village_stem_ends"])):
        return False
    return not any(part in stem for part in vocab["stop_parts"])


def _township(clean: CleanText, title: str) -> tuple[str, str]:
    """The report's own township and the admin prefix written before it, if any."""
    title_names = place_names(title, title=True)
    if title_names:
        first = title_names[0]
        if first.admin:  # a title written twice (…年度报告乐清市柳市镇…): the first writing's county
            return first.name, first.admin
        best = max(title_names, key=lambda place: len(place.admin))
        return first.name, best.admin if best.name == first.name else ""
    scores: Counter[str] = Counter()
    admins: dict[str, str] = {}
    text = clean.text
    found = _places_at(text)
    body = _merge_run_ons([place for _, place in found])
    first_seen: dict[str, int] = {}  # where the text first names each place (a name the run-on ends with: there)
    for (start, place), merged in zip(found, body):
        first_seen.setdefault(merged.name, start + len(place.name) - len(merged.name))
    for key in _META_ORG_KEYS:
        for place in place_names(clean.meta.get(key, "")):
            scores[place.name] += 5
            admins.setdefault(place.name, place.admin)
    for place in body:
        scores[place.name] += 1
        if place.admin and not admins.get(place.name):
            admins[place.name] = place.admin
    if not scores:
        return "", ""
    for candidate in scores.keys() - first_seen.keys():  # named only by the publishing office
        first_seen[candidate] = text.find(candidate)
    name = max(scores, key=lambda candidate: (scores[candidate], -first_seen[candidate]))
    return name, admins.get(name, "")


def _merge_run_ons(places: list[PlaceName]) -> list[PlaceName]:
    """``印制增福镇`` is ``增福镇`` when the text also names ``增福镇`` on its own."""
    by_name = {place.name: place for place in places}
    merged = []
    for place in places:
        # the shortest other name it ends with (names are short: look its endings up, not every name)
        ending = next((by_name[place.name[cut:]] for cut in range(len(place.name) - 1, 0, -1)
                       if place.name[cut:] in by_name), None)
        merged.append(ending or place)
    return merged


def _places(clean: CleanText, title: str, admin: str) -> tuple[str, str, str]:
    """County, city and province: from the names written before the township, else the addressee line."""
    provinces = {full: short for full, short in vocabulary()["provinces"]}
    units = [_strip_lead_words(unit, ["年度", "年", "度", "关于", "中共"]) for unit in admin_pattern().findall(admin)]
    province = next((provinces[unit] for unit in units if unit in provinces), "")
    rest = [unit for unit in units if unit not in provinces]
    county = rest[-1] if rest else ""
    city = rest[-2] if len(rest) >= 2 else ""
    if not county:
        county = _addressee_county(clean)
    if not province:
        counts = Counter(full for full in provinces if full in clean.text and len(full) > 2)
        province = provinces[counts.most_common(1)[0][0]] if counts else ""
    return county, city, province


def _addressee_county(clean: CleanText) -> str:
    ends = "|".join(vocabulary()["township"]["county_suffixes"])
    for line in clean.lines[:6]:
        if not (line.endswith("：") and len(line) <= 30):
            continue
        for follower in ("人民政府", "委"):
            for match in re.finditer(rf"([{CJK}]{{1,6}}?(?:{ends})){follower}", line):
                name = _strip_lead_words(match.group(1), ["中共"])
                if len(name) >= 2 and not any(word in name for word in ("委", "依法", "全面")):
                    return name
    return ""


def _year(clean: CleanText, title: str) -> int | None:
    if match := _YEAR.search(title):
        return int(match.group(1))
    opening = "\n".join(clean.lines[:8])
    if match := re.search(r"现将[^。]{0,30}?(20\d{2})\s*年", opening):
        return int(match.group(1))
    counts = Counter(int(year) for year in _YEAR.findall(_RANGE_END.sub("", clean.text)))
    return counts.most_common(1)[0][0] if counts else None


def _date(clean: CleanText) -> str:
    for line in reversed(clean.lines[-4:]):
        if len(line) <= 20 and (match := _FULL_DATE.search(line)):
            return "{}-{:02d}-{:02d}".format(*map(int, match.groups()))
    for key in _META_DATE_KEYS:
        if match := _FULL_DATE.search(clean.meta.get(key, "")):
            return "{}-{:02d}-{:02d}".format(*map(int, match.groups()))
    return ""
