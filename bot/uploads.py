"""Reports that admins upload through the bot: read into the knowledge base atomically, and audited.

Knows nothing of Telegram: the bot hands over the file's name and bytes and who sent it, and gets
back the lines to reply with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from knowledge.ingest import ingest_upload
from knowledge.reading import SUPPORTED_SUFFIXES

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a township report is tens of kilobytes; the Bot API serves files up to 20 MB


@dataclass
class Upload:
    """What became of one uploaded file: ``stored`` is False when the knowledge base is unchanged by error."""

    stored: bool
    lines: list[str]


def check_upload(name: str, size: int | None) -> str:
    """Why a file of this name and size cannot be a report ("" when it may be one), before downloading it."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = "、".join(sorted(SUPPORTED_SUFFIXES))
        return f"无法读取“{name}”：只接受 {kinds} 格式的报告。"
    if size is not None and size > MAX_UPLOAD_BYTES:
        return f"无法读取“{name}”：文件太大（{size // 1024} KB），报告一般不超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB。"
    if size == 0:
        return f"无法读取“{name}”：文件是空的。"
    return ""


def receive_report(name: str, data: bytes, db_path: Path, audit_log: Path | None, user: str) -> Upload:
    """Read the uploaded file ``name`` into the knowledge base at ``db_path`` and record it in ``audit_log``.

    ``user`` says who sent it (for the audit log). A file that cannot be read or parsed changes nothing.
    """
    problem = check_upload(name, len(data))
    if problem:
        upload, status = Upload(False, [problem]), "rejected"
    else:
        result = ingest_upload(name, data, db_path)
        status = result.status
        if result.failed:
            upload = Upload(False, [f"没有读入“{name}”：{result.error}", "知识库没有改变。"])
        else:
            upload = Upload(True, _summary(result.report, result.status))
    if audit_log is not None:
        _audit(audit_log, user, name, data, status, upload.lines[0])
    return upload


def _summary(report, status: str) -> list[str]:
    header = report.header
    verb = {"added": "已读入", "replaced": "已更新（替换了旧版本）", "unchanged": "知识库中已有这份报告，未改变"}[status]
    lines = [f"{verb}：{header.township}（{header.year}年）", f"报告：{header.title or report.source}",
             f"数据：{len(report.facts)} 条"]
    problems = [text for text in report.problems if len(text) > 15]
    lines.append(f"存在的问题：{len(problems)} 句" if problems else "存在的问题：报告中没有这一部分")
    lines.extend(f"· {text[:60]}{'…' if len(text) > 60 else ''}" for text in problems[:3])
    return lines


def _audit(path: Path, user: str, name: str, data: bytes, status: str, message: str) -> None:
    """Append one JSON line: when, who, which file (name, size, sha256), and what happened."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "user": user, "file": name,
              "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "status": status, "message": message}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
