"""Uploads through the bot: reading bounded in time and memory, empty drafts refused, replacements confirmed,
archived and undone, every attempt audited. Real .docx files made here, real knowledge bases copied from the seeds'."""

import hashlib
import io
import json
import shutil
import time
import zipfile

import docx
import pytest
from conftest import DATA, run_cli

from bot.answer import Answerer
from bot.uploads import audit, cancel_upload, check_upload, commit_upload, prepare_upload, undo_last
from knowledge.ingest import ingest, read_report, read_upload
from knowledge.paths import bundled_seeds
from knowledge.reading import MAX_DOCX_XML_BYTES, ReadError, read_text
from knowledge.report import parse_report

SEED = bundled_seeds() / "2024-hunan-xiangjiangyuan.txt"
TITLE = "2024年湘江源瑶族乡法治政府建设工作情况报告"
QUESTION = "湘江源有多少人民调解员"
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


@pytest.fixture
def kb(seeds_db, tmp_path):
    """A private copy of the seeds' knowledge base: uploads change it."""
    path = tmp_path / "kb.db"
    shutil.copy(seeds_db, path)
    return path


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def headline(kb) -> str:
    return Answerer(kb).answer(QUESTION).headline


def audit_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    whole = io.BytesIO()
    document.save(whole)
    return whole.getvalue()


def with_body(chunks, level: int = 6) -> bytes:
    """A .docx made by python-docx whose body is replaced by the XML ``chunks`` (streamed into the zip)."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes("x")))
    xml = source.read("word/document.xml").decode()
    opening = xml[:xml.index("<w:body>") + len("<w:body>")]
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                target.writestr(item.filename, source.read(item))
                continue
            with target.open("word/document.xml", "w") as stream:
                stream.write(opening.encode())
                for chunk in chunks:
                    stream.write(chunk.encode())
                stream.write(b"<w:sectPr/></w:body></w:document>")
    return result.getvalue()


def paragraph(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


DRAFT = docx_bytes(TITLE, "（征求意见稿）今年各项工作正常开展。")
SHORTER = docx_bytes(TITLE, "一、主要工作", "配备人民调解员2名，开展法治培训3场次。")


# -- A. reading is bounded --------------------------------------------------------------------------------

def test_two_megabytes_of_tiny_runs_read_in_seconds_with_their_figures(tmp_path):
    # Word leaves one run per character after revisions: here the seed report, as often as makes 2 MB of XML.
    lines = SEED.read_text("utf-8").splitlines()
    one_copy = "".join("<w:p>" + "".join(f"<w:r><w:t>{char}</w:t></w:r>" for char in line) + "</w:p>"
                       for line in lines)
    copies = 2 * 2**20 // len(one_copy.encode()) + 1
    path = tmp_path / "runs.docx"
    path.write_bytes(with_body([one_copy] * copies))
    assert zipfile.ZipFile(path).getinfo("word/document.xml").file_size > 2 * 2**20
    started = time.perf_counter()
    report = read_report(path)
    assert time.perf_counter() - started < 10  # python-docx alone took 2.5 s to read it
    assert read_text(path) == "\n".join(lines * copies)
    assert {fact.text for _, fact in report.facts if fact.metric == "mediators"} == {"6名"}


def test_many_tiny_paragraphs_naming_places_parse_in_seconds(tmp_path):
    # No title: the township is the one the text names most often, then first. Finding it cost time squared
    # in the number of names (10,000 took 40 s, 60,000 over ten minutes).
    names = [f"{a}{b}{c}{d}镇" for a in "甲乙丙丁戊己庚辛壬癸" for b in "子丑寅卯辰巳午未申酉"
             for c in "金木水火土山川河湖海" for d in "东南西北红黄蓝白青紫"]
    body = [paragraph(name) for name in names] + [paragraph("2024年工作总结")]
    path = tmp_path / "places.docx"
    path.write_bytes(with_body(body))
    started = time.perf_counter()
    report = read_report(path)
    assert time.perf_counter() - started < 10
    assert report.header.township == "甲子金东镇" and report.header.year == 2024


@pytest.mark.parametrize("joint", ["，", ""])
def test_one_endless_sentence_of_figures_parses_in_seconds(joint):
    # 20,000 figures in one sentence (with commas, or no punctuation at all) cost time squared: 8,000 took 24 s.
    text = TITLE + "\n" + joint.join(f"开展培训{number}场次" for number in range(20_000)) + "。"
    started = time.perf_counter()
    report = parse_report(text, "endless.txt")
    assert time.perf_counter() - started < 15
    assert len(report.facts) == 20_000 and report.facts[-1][1].text == "19999场次"


def test_a_docx_that_unpacks_to_too_much_xml_is_refused_before_parsing(tmp_path, kb):
    # 40 MB of empty paragraphs in a file of about 50 KB: python-docx took 1 GB of memory on a file like it.
    data = with_body([paragraph(TITLE)] + ["<w:p/>" * 100_000] * 70, level=9)
    assert len(data) < 200_000
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml").file_size > 2 * MAX_DOCX_XML_BYTES
    path = tmp_path / "bomb.docx"
    path.write_bytes(data)
    started = time.perf_counter()
    with pytest.raises(ReadError) as error:
        read_text(path)
    assert time.perf_counter() - started < 1
    assert "bomb.docx" in str(error.value) and "解压后" in error.value.chinese and "XML" in error.value.chinese
    before = digest(kb)
    prepared = prepare_upload("bomb.docx", data, kb)
    assert prepared.kind == "failed" and "解压后" in prepared.lines[0]
    assert commit_upload(prepared, kb, None, "admin").stored is False and digest(kb) == before


def test_a_docx_whose_zip_understates_its_size_is_refused(tmp_path):
    """The zip says the document unpacks to 1 KB; it unpacks to 20 MB."""
    data = bytearray(with_body(["<w:p/>" * 100_000] * 35))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    item = archive.getinfo("word/document.xml")
    assert item.file_size > MAX_DOCX_XML_BYTES
    # the uncompressed size stands in the central directory's entry (at 24) and in the local header (at 22)
    central = data.index(b"PK\x01\x02")
    while data[central + 46:central + 46 + len(item.filename)] != item.filename.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 24:central + 28] = (1024).to_bytes(4, "little")
    data[item.header_offset + 22:item.header_offset + 26] = (1024).to_bytes(4, "little")
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml").file_size == 1024
    path = tmp_path / "liar.docx"
    path.write_bytes(bytes(data))
    started = time.perf_counter()
    with pytest.raises(ReadError, match="liar.docx"):
        read_text(path)
    assert time.perf_counter() - started < 2


def test_the_docx_reader_keeps_paragraphs_tables_tabs_and_breaks_in_order(tmp_path):
    document = docx.Document()
    document.add_paragraph(TITLE)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "人民调解员", "6名"
    run = document.add_paragraph("甲").add_run("乙")
    run.add_tab()
    run.add_text("丙")
    run.add_break()
    run.add_text("丁")
    path = tmp_path / "order.docx"
    document.save(path)
    assert read_text(path) == f"{TITLE}\n人民调解员 | 6名\n甲乙\t丙\n丁"


def test_a_spreadsheet_renamed_docx_is_refused_as_no_word_document(tmp_path):
    source = zipfile.ZipFile(io.BytesIO(docx_bytes(TITLE)))
    path = tmp_path / "sheet.docx"
    with zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            part = source.read(item)
            if item.filename == "[Content_Types].xml":
                part = part.replace(b"wordprocessingml.document.main", b"spreadsheetml.sheet.main")
            target.writestr(item, part)
    with pytest.raises(ReadError, match="not a Word document") as error:
        read_text(path)
    assert "Word" in error.value.chinese


def test_an_upload_that_reads_too_long_is_stopped_with_the_reason():
    data = (TITLE + "\n" + "，".join(f"开展培训{number}场次" for number in range(15_000)) + "。").encode()
    started = time.perf_counter()
    with pytest.raises(ReadError) as error:
        read_upload("slow.txt", data, seconds=1)
    assert time.perf_counter() - started < 5
    assert "1 s" in str(error.value) and "超过 1 秒" in error.value.chinese


def test_an_upload_that_needs_too_much_memory_is_refused_and_the_caller_goes_on():
    data = (TITLE + "\n" + "，".join(f"开展培训{number}场次" for number in range(2_000)) + "。").encode()
    with pytest.raises(ReadError) as error:
        read_upload("hungry.txt", data, memory=2**20)  # no Python can parse within 1 MB
    assert "hungry.txt" in str(error.value) and "无法读取" in error.value.chinese
    assert len(read_upload("hungry.txt", data).report.facts) == 2_000


# -- B. a report with nothing to answer from is refused ------------------------------------------------------

def test_a_two_line_draft_is_refused_and_the_knowledge_base_is_unchanged(kb, tmp_path):
    before, log = digest(kb), tmp_path / "uploads.log"
    prepared = prepare_upload("draft.docx", DRAFT, kb)
    assert prepared.kind == "refused" and prepared.refused
    assert "没有任何数据" in prepared.lines[0] and "draft.docx" in prepared.lines[0]
    upload = commit_upload(prepared, kb, log, "admin")
    assert upload.stored is False and upload.status == "refused"
    assert digest(kb) == before and "6名" in headline(kb)
    [record] = audit_lines(log)
    assert record["status"] == "refused" and record["sha256"] == hashlib.sha256(DRAFT).hexdigest()


def test_a_build_still_stores_a_draft(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "draft.docx").write_bytes(DRAFT)
    [result] = ingest([folder], tmp_path / "kb.db")
    assert result.status == "added" and result.facts == 0


# -- C. replacing needs confirmation, keeps the old report, and can be undone -------------------------------

def test_a_replacement_waits_for_confirmation_and_undo_brings_the_answers_back(kb, tmp_path):
    log = tmp_path / "uploads.log"
    assert headline(kb) == "湘江源瑶族乡（2024年）：人民调解员 6名"
    before = digest(kb)
    prepared = prepare_upload("shorter.docx", SHORTER, kb)
    assert prepared.replaces and (prepared.township, prepared.year) == ("湘江源瑶族乡", 2024)
    assert prepared.old_title == TITLE and (prepared.old_facts, prepared.facts) == (6, 2)
    assert prepared.replace_label == "替换（旧 6 条数据 → 新 2 条）"
    assert "要用“shorter.docx”替换它吗" in prepared.lines[0]
    assert digest(kb) == before  # nothing is written before the admin confirms
    audit(log, "admin", prepared.name, prepared.data, "pending", prepared.lines[0])

    replaced = commit_upload(prepared, kb, log, "admin")
    assert replaced.stored and replaced.status == "replaced"
    assert headline(kb) == "湘江源瑶族乡（2024年）：人民调解员 2名"

    undone = undo_last(kb, log, "admin")
    assert undone.stored and undone.status == "undone" and "恢复" in undone.lines[1]
    assert headline(kb) == "湘江源瑶族乡（2024年）：人民调解员 6名"

    nothing = undo_last(kb, log, "admin")
    assert not nothing.stored and "没有可以撤销" in nothing.lines[0]
    assert [record["status"] for record in audit_lines(log)] == ["pending", "replaced", "undone", "unchanged"]


def test_undo_restores_every_table_an_answer_reads(kb):
    def state() -> dict:
        import sqlite3

        connection = sqlite3.connect(kb)
        try:
            return {
                "words": sorted(connection.execute("select * from words")),
                "ranked": sorted(connection.execute("select * from ranked_counts")),
                "meta": sorted(connection.execute("select * from meta where key != 'built_at'")),
                "reports": sorted(connection.execute(
                    "select township_id, year, title, source, digest, file_digest, sentences, facts, latest "
                    "from reports")),
                "facts": sorted(connection.execute(
                    "select r.year, f.metric, f.figure, f.label, f.words, s.text, s.seg, c.heading, c.kind "
                    "from facts f join reports r on r.id = f.report_id join sentences s on s.id = f.sentence_id "
                    "join sections c on c.id = s.section_id"), key=repr),
                "found": connection.execute(
                    "select count(*) from sentences_fts where sentences_fts match '调解员'").fetchone(),
            }
        finally:
            connection.close()

    before = state()
    commit_upload(prepare_upload("shorter.docx", SHORTER, kb), kb, None, "admin")
    assert state()["facts"] != before["facts"]
    undo_last(kb, None, "admin")
    assert state() == before


def test_undo_goes_back_one_replacement_at_a_time(kb):
    longer = docx_bytes(TITLE, "一、主要工作", "配备人民调解员4名，开展法治培训5场次，发放宣传资料800份。")
    for name, data in (("shorter.docx", SHORTER), ("longer.docx", longer)):
        assert commit_upload(prepare_upload(name, data, kb), kb, None, "admin").status == "replaced"
    assert "4名" in headline(kb)
    undo_last(kb, None, "admin")
    assert "2名" in headline(kb)
    undo_last(kb, None, "admin")
    assert "6名" in headline(kb)


def test_a_confirmation_after_the_report_changed_stores_nothing(kb):
    first = prepare_upload("shorter.docx", SHORTER, kb)
    second = prepare_upload("other.docx", docx_bytes(TITLE, "一、主要工作", "配备人民调解员3名。"), kb)
    assert commit_upload(second, kb, None, "admin").status == "replaced"
    before = digest(kb)
    late = commit_upload(first, kb, None, "admin")
    assert late.status == "failed" and not late.stored and "重新发送" in late.lines[0]
    assert digest(kb) == before and "3名" in headline(kb)


def test_cancel_changes_nothing_and_is_audited(kb, tmp_path):
    before, log = digest(kb), tmp_path / "uploads.log"
    upload = cancel_upload(prepare_upload("shorter.docx", SHORTER, kb), log, "admin")
    assert upload.status == "cancelled" and "已取消" in upload.lines[0]
    assert digest(kb) == before
    [record] = audit_lines(log)
    assert record["status"] == "cancelled" and record["file"] == "shorter.docx" and record["bytes"] == len(SHORTER)


def test_a_new_report_is_added_and_the_same_one_again_is_unchanged(kb, tmp_path):
    log = tmp_path / "uploads.log"
    data = (DATA / "upload" / "2025-qinghe.txt").read_bytes()
    prepared = prepare_upload("2025-qinghe.txt", data, kb)
    assert prepared.kind == "new" and prepared.township == "清河镇"
    assert commit_upload(prepared, kb, log, "admin").lines[0] == "已读入：清河镇（2025年）"
    again = prepare_upload("2025-qinghe.txt", data, kb)
    assert again.kind == "unchanged"
    upload = commit_upload(again, kb, log, "admin")
    assert upload.status == "unchanged" and not upload.stored
    assert [record["status"] for record in audit_lines(log)] == ["added", "unchanged"]


@pytest.mark.parametrize("name, data, status", [
    ("notes.xlsx", b"PK\x03\x04", "rejected"),
    ("damaged.docx", DRAFT[: len(DRAFT) // 2], "failed"),
    ("notes.txt", "今天开会，讨论了工作。".encode(), "failed"),
])
def test_a_bad_upload_leaves_the_file_byte_identical_and_one_audit_line(kb, tmp_path, name, data, status):
    before, log = digest(kb), tmp_path / "uploads.log"
    upload = commit_upload(prepare_upload(name, data, kb), kb, log, "admin")
    assert upload.status == status and not upload.stored and name in upload.lines[0]
    assert digest(kb) == before
    [record] = audit_lines(log)
    assert (record["file"], record["bytes"], record["status"]) == (name, len(data), status)


def test_audit_without_bytes_has_no_digest(tmp_path):
    log = tmp_path / "logs" / "uploads.log"
    audit(log, "42", "big.pdf", None, "rejected", check_upload("big.pdf", 50 * 2**20))
    [record] = audit_lines(log)
    assert record["bytes"] is None and "sha256" not in record and "文件太大" in record["message"]
    assert audit(None, "42", "x.txt", b"x", "added", "") is None  # no log configured: nothing to write


def test_undo_with_nothing_replaced_leaves_the_file_byte_identical(kb, tmp_path):
    before, log = digest(kb), tmp_path / "uploads.log"
    upload = undo_last(kb, log, "admin")
    assert upload.status == "unchanged" and not upload.stored and digest(kb) == before
    assert audit_lines(log)[0]["message"] == "没有可以撤销的替换：知识库没有改变。"


def test_the_undo_command(kb, tmp_path):
    commit_upload(prepare_upload("shorter.docx", SHORTER, kb), kb, None, "admin")
    log = tmp_path / "uploads.log"
    done = run_cli("--db", str(kb), "undo", "--audit-log", str(log))
    assert done.returncode == 0 and done.stdout.startswith("已撤销：恢复了湘江源瑶族乡（2024年）")
    assert "6名" in headline(kb)
    again = run_cli("--db", str(kb), "undo", "--audit-log", str(log))
    assert again.returncode == 0 and "没有可以撤销" in again.stdout
    assert [record["status"] for record in audit_lines(log)] == ["undone", "unchanged"]
