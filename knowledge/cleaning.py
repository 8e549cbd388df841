"""Page furniture out, report text in: what web pages and word processors add around a report.

Removes ``[bookmark: _GoBack]`` marks, ``- 4 -`` page numbers, web-page header tables
(标题/索引号/发文日期…), navigation trails, "语音播报" lines and stray ``|``. What the header tables
say of the report (its title, the publishing office, a date) is kept as metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BOOKMARK = re.compile(r"\[bookmark[:：][^\]]*\]", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"^[-—–－]?\s*\d{1,3}\s*[-—–－]?$|^第\s*\d+\s*页(?:[，/]?共\s*\d+\s*页)?$")
_DATE_ONLY = re.compile(r"^(?:日期：?)?\d{4}\s*[-.年/]\s*\d{1,2}\s*[-.月/]\s*\d{1,2}\s*日?(?:\s*\d{1,2}：\d{2}(?:：\d{2})?)?$")
_DECORATION = " \t\u3000|•·●■▪◆>-［］[]"

# Keys of the header tables that government sites put above a report.
_META_KEYS = (
    "信息索引号", "索引号", "发布机构", "发文机构", "发文字号", "文号", "发布日期", "成文日期", "发文日期",
    "成文时间", "发文时间", "公开方式", "公开形式", "公开范围", "公开时限", "主题分类", "体裁分类", "组配分类",
    "有效性", "效力状态", "公文时效", "时效性", "废止日期", "审核程序", "责任部门", "责任科室", "文件编号",
    "名称", "标题", "发布时间", "信息来源", "来源", "访问次数", "浏览次数", "点击率", "字体", "日期",
)
_META_KEY = re.compile("(" + "|".join(sorted(_META_KEYS, key=len, reverse=True)) + r")\s*[\]］]?\s*[：:]?")
_NAV_WORDS = (
    "当前位置", "您当前", "首页", "网站地图", "无障碍", "适老化", "语音播报", "语音合成", "播报模式", "返回上一级",
    "繁体", "简体", "打印", "字号", "政务公开", "信息公开", "政策文件", "政府机构", "魅力", "服务大厅", "政民互动",
    "主动公开", "关闭窗口", "分享到", "扫一扫", "上一篇", "下一篇", "相关链接",
)

_NAV_WORD = re.compile("|".join(map(re.escape, _NAV_WORDS)))


@dataclass
class CleanText:
    """A report's text without furniture, and what the furniture said about it."""

    lines: list[str]
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def clean(text: str) -> CleanText:
    """Strip page furniture from normalized report ``text`` (see ``knowledge.text.normalize``)."""
    meta: dict[str, str] = {}
    lines: list[str] = []
    pending_key: str | None = None
    for raw in _BOOKMARK.sub("", text).splitlines():
        line = raw.strip(_DECORATION)
        if not line:
            continue
        if _is_meta_line(line):
            pairs = _meta_pairs(line)
            meta.update({key: value for key, value in pairs.items() if value and key not in meta})
            empty = [key for key, value in pairs.items() if not value]
            pending_key = empty[-1] if empty and len(pairs) == 1 else None
            continue
        if pending_key is not None:
            key, pending_key = pending_key, None
            if len(line) <= 40 and "。" not in line:
                meta.setdefault(key, line)
                continue
        if _PAGE_NUMBER.match(line):
            continue
        if _DATE_ONLY.match(line):
            meta.setdefault("日期", line)
            continue
        if _is_navigation(raw.strip(), line):
            continue
        lines.append(line)
    return CleanText(lines, meta)


def _is_meta_line(line: str) -> bool:
    match = _META_KEY.match(line)
    if not match:
        return False
    # "名称" or "日期" may also open a sentence of the report; a header line is short or has several keys.
    return len(line) <= 80 or len(_META_KEY.findall(line)) >= 2


def _meta_pairs(line: str) -> dict[str, str]:
    """Key → value pairs of one header line, e.g. ``[索引号]115… [发布机构]万盛…``."""
    matches = list(_META_KEY.finditer(line))
    pairs = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        pairs[match.group(1)] = line[match.end():end].strip(_DECORATION + "：:")
    return pairs


def _is_navigation(raw: str, line: str) -> bool:
    if ">>" in raw or "丨" in raw or ("当前" in line and "位置" in line) or raw.startswith(("•", "- ")) and len(line) < 30:
        return True
    if len(line) <= 30 and "。" not in line and _NAV_WORD.search(line):
        return True
    return line in ("-", "|")
