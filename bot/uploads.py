"""Reports that admins upload through the bot: read apart, stored atomically once confirmed, undone, audited.

Knows nothing of Telegram: the bot hands over the file's name and bytes and who sent it, and gets back the
lines to reply with. An upload goes:

1. ``check_upload(name, size)`` before downloading: "" when the file may be a report, else why not.
2. ``prepare_upload(name, data, db_path)`` reads and parses it (bounded in time and memory) and writes nothing:
   the ``Prepared`` says whether it is refused, new, the same as a stored report, or would replace one.
3. ``commit_upload(prepared, ...)`` stores it (for a replacement: once the admin has confirmed; it waits in
   ``PendingUploads`` meanwhile), or ``cancel_upload(prepared, ...)`` drops it. A replaced report is archived in the knowledge base itself, in the
   same transaction as the replacement: ``undo_last`` brings it back.

Every attempt ends in exactly one line of the audit log (``audit``), written by the function that ends it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.ingest import KnowledgeBaseChanged, NothingToAnswer, read_upload, restore_replaced, store_upload
from knowledge.reading import SUPPORTED_SUFFIXES, ReadError
from knowledge.report import ParseError
from knowledge.schema import KnowledgeBaseError
from knowledge.store import Prepared as Segmented
from knowledge.store import StoredReport, stored_report

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a township report is tens of kilobytes; the Bot API serves files up to 20 MB


@dataclass
class Upload:
    """What became of one uploaded file (or an undo): ``stored`` is True when the knowledge base changed,
    ``status`` is the audit status, ``lines`` the reply."""

    stored: bool
    lines: list[str]
    status: str = ""


@dataclass
class Prepared:
    """An upload read and parsed, not yet stored.

    ``kind`` is ``rejected`` (not a report's name or size), ``failed`` (unreadable) or ``refused`` (nothing to
    answer from): ``lines`` say why; ``new`` (no
    report of its township and year is stored); ``unchanged`` (the same text is stored); or ``replace`` (another
    report of its township and year is stored: ``lines`` ask whether to replace it, ``old_title`` and ``old_facts``
    describe it, and ``replace_label`` is the text of a button that confirms).
    """

    name: str
    data: bytes = field(repr=False)
    kind: str
    lines: list[str]
    township: str = ""
    year: int | None = None
    title: str = ""
    facts: int = 0
    old_title: str = ""
    old_facts: int = 0
    segmented: Segmented | None = field(default=None, repr=False)
    old_digest: str | None = field(default=None, repr=False)  # of the report it would replace, as it was read

    @property
    def refused(self) -> bool:
        """True when there is nothing to store (``rejected``, ``failed`` or ``refused``)."""
        return self.kind in ("rejected", "failed", "refused")

    @property
    def replaces(self) -> bool:
        """True when storing it replaces a stored report: the admin must confirm first."""
        return self.kind == "replace"

    @property
    def replace_label(self) -> str:
        """The text of the button that confirms a replacement: 替换（旧 12 条数据 → 新 3 条）."""
        return f"替换（旧 {self.old_facts} 条数据 → 新 {self.facts} 条）"


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


def prepare_upload(name: str, data: bytes, db_path: Path) -> Prepared:
    """Read and parse the uploaded file ``name`` (its bytes: ``data``) and compare it with the knowledge base at
    ``db_path``; writes nothing, not even to the audit log.

    Reading happens in a child process that is stopped after a few seconds, however the file is made.
    """
    problem = check_upload(name, len(data))
    if problem:
        return Prepared(name, data, "rejected", [problem])
    try:
        segmented = read_upload(name, data)
    except (ReadError, ParseError) as error:
        kind = "refused" if isinstance(error, NothingToAnswer) else "failed"
        return Prepared(name, data, kind, [f"没有读入“{name}”：{error.chinese}", "知识库没有改变。"])
    report = segmented.report
    header = report.header
    try:
        old = stored_report(db_path, header.township, header.year)
    except KnowledgeBaseError as error:
        return Prepared(name, data, "failed", [f"没有读入“{name}”：知识库无法打开（{error}）", "知识库没有改变。"])
    prepared = Prepared(name, data, "new", [], header.township, header.year, header.title or report.source,
                        len(report.facts), segmented=segmented, old_digest=old.digest if old else None)
    if old is None:
        prepared.lines = [f"新报告：{header.township}（{header.year}年）", f"报告：{prepared.title}",
                          f"数据：{prepared.facts} 条"]
    elif old.digest == report.digest:
        prepared.kind = "unchanged"
        prepared.lines = [f"知识库中已有这份报告：{header.township}（{header.year}年）"]
    else:
        prepared.kind, prepared.old_title, prepared.old_facts = "replace", old.title or old.source, old.facts
        prepared.lines = _replace_question(prepared)
    return prepared


def _replace_question(prepared: Prepared) -> list[str]:
    lines = [f"知识库中已有{prepared.township}（{prepared.year}年）的报告。要用“{prepared.name}”替换它吗？",
             f"旧：{prepared.old_title}（{prepared.old_facts} 条数据）",
             f"新：{prepared.title}（{prepared.facts} 条数据）"]
    if prepared.facts < prepared.old_facts / 2:
        lines.append("注意：新报告的数据比旧报告少得多，请确认它不是草稿或片段。")
    lines.append("替换后旧报告会存档，可以撤销。")
    return lines


def commit_upload(prepared: Prepared, db_path: Path, audit_log: Path | None, user: str) -> Upload:
    """Store a prepared upload in the knowledge base at ``db_path`` in one transaction, and audit the attempt.

    A replacement archives the stored report first (``undo_last`` brings it back); it is stored only if the
    knowledge base still holds the report that ``prepare_upload`` found, else nothing changes and the reply says
    to send the file again. A refused or failed upload stores nothing; its reply is ``prepared.lines``.
    """
    if prepared.refused:
        upload = Upload(False, prepared.lines, prepared.kind)
    else:
        try:
            stored = store_upload(prepared.segmented, db_path, replacing=prepared.old_digest)
        except KnowledgeBaseChanged:
            upload = Upload(False, [f"没有读入“{prepared.name}”：{prepared.township}（{prepared.year}年）的报告在此期间"
                                    f"已有变动，请重新发送文件。", "知识库没有改变。"], "failed")
        else:
            upload = Upload(stored.status != "unchanged", _summary(prepared, stored.status), stored.status)
    audit(audit_log, user, prepared.name, prepared.data, upload.status, upload.lines[0])
    return upload


def cancel_upload(prepared: Prepared, audit_log: Path | None, user: str) -> Upload:
    """Drop a prepared upload (the admin chose not to replace): nothing is stored; the attempt is audited."""
    upload = Upload(False, [f"已取消：没有读入“{prepared.name}”，知识库没有改变。"], "cancelled")
    audit(audit_log, user, prepared.name, prepared.data, upload.status, upload.lines[0])
    return upload


class PendingUploads:
    """Uploads that would replace a stored report, each waiting under a short token for its admin's yes or no.

    An admin has one question open at a time: a new one cancels the earlier. A question left unanswered for
    ``seconds`` expires. Both cancellations are audited, as is each question asked.
    """

    def __init__(self, audit_log: Path | None, seconds: float = 600) -> None:
        self.audit_log, self.seconds = audit_log, seconds
        self._waiting: dict[str, tuple[str, Prepared, float]] = {}  # token → (admin, upload, when asked)

    def ask(self, prepared: Prepared, admin: str) -> str:
        """Keep ``prepared`` until ``admin`` answers; the token to answer with (11 characters: fits a button)."""
        for token, (who, earlier, _) in list(self._waiting.items()):
            if who == admin:
                del self._waiting[token]
                cancel_upload(earlier, self.audit_log, admin)
        token = secrets.token_urlsafe(8)
        self._waiting[token] = (admin, prepared, time.monotonic())
        audit(self.audit_log, admin, prepared.name, prepared.data, "pending", prepared.lines[0])
        return token

    def take(self, token: str, admin: str) -> Prepared | None:
        """The upload waiting under ``token`` for ``admin``, no longer waiting; None when there is none (another
        admin's, answered already, or expired: then it is cancelled)."""
        waiting = self._waiting.get(token)
        if waiting is None or waiting[0] != admin:
            return None
        del self._waiting[token]
        if time.monotonic() - waiting[2] > self.seconds:
            cancel_upload(waiting[1], self.audit_log, admin)
            return None
        return waiting[1]

    def cancel_all(self) -> None:
        """Drop every upload still waiting (at shutdown), each audited as cancelled."""
        for admin, prepared, _ in self._waiting.values():
            cancel_upload(prepared, self.audit_log, admin)
        self._waiting.clear()


def undo_last(db_path: Path, audit_log: Path | None, user: str) -> Upload:
    """Bring back the report most recently replaced by an upload, so that the knowledge base answers as it did
    before that replacement; audited. When there is none, nothing changes and the reply says so."""
    try:
        restored = restore_replaced(db_path)
    except KnowledgeBaseError as error:
        upload = Upload(False, [f"无法撤销：知识库无法打开（{error}）"], "failed")
        audit(audit_log, user, "", None, upload.status, upload.lines[0])
        return upload
    if restored is None:
        upload = Upload(False, ["没有可以撤销的替换：知识库没有改变。"], "unchanged")
        audit(audit_log, user, "", None, upload.status, upload.lines[0])
        return upload
    back, gone = restored.restored, restored.removed
    upload = Upload(True, [f"已撤销：恢复了{back.township}（{back.year}年）被替换前的报告",
                           f"恢复：{_title(back)}（{back.facts} 条数据）",
                           f"撤下：{_title(gone)}（{gone.facts} 条数据）",
                           f"（那次替换在 {restored.replaced_at}）"], "undone")
    audit(audit_log, user, back.source, None, upload.status, upload.lines[0])
    return upload


def audit(audit_log: Path | None, user: str, name: str, data: bytes | None, status: str, message: str) -> None:
    """Append one JSON line to ``audit_log`` (nothing when it is None): when, who, which file (its name, and its
    size and sha256 when there are bytes), the status and the reply's first line.

    Statuses: rejected (refused before download), not-admin, download-failed, failed (unreadable), refused
    (nothing to answer from), pending (awaiting confirmation), added, replaced, unchanged, cancelled, undone.
    """
    if audit_log is None:
        return
    record = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "user": user, "file": name,
              "bytes": None if data is None else len(data), "status": status, "message": message}
    if data is not None:
        record["sha256"] = hashlib.sha256(data).hexdigest()
    audit_log.parent.mkdir(parents=True, exist_ok=True)
    with open(audit_log, "a", encoding="utf-8") as handle:  # one write of one line: appends never interleave
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _title(report: StoredReport) -> str:
    return report.title or report.source


def _summary(prepared: Prepared, status: str) -> list[str]:
    report = prepared.segmented.report
    verb = {"added": "已读入", "replaced": "已更新（替换了旧版本，旧版本已存档，可以撤销）",
            "unchanged": "知识库中已有这份报告，未改变"}[status]
    lines = [f"{verb}：{prepared.township}（{prepared.year}年）", f"报告：{prepared.title}", f"数据：{prepared.facts} 条"]
    problems = [text for text in report.problems if len(text) > 15]
    lines.append(f"存在的问题：{len(problems)} 句" if problems else "存在的问题：报告中没有这一部分")
    lines.extend(f"· {text[:60]}{'…' if len(text) > 60 else ''}" for text in problems[:3])
    return lines
