"""Bad input gets one clear line and loses nothing: knowledge-base files that are not ours or not whole, older
schemas, stdin that is not UTF-8, blank lines, small talk."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import fuzz_questions
from conftest import ROOT, run_cli
from knowledge.ingest import ingest, read_report
from knowledge.paths import bundled_seeds
from knowledge.reading import MAX_TEXT_BYTES, ReadError
from knowledge.schema import SCHEMA_VERSION

QUESTION = "湘江源有多少人民调解员"


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_refusal(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and all(word in lines[0] for word in words), done.stderr


def foreign_sqlite(path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("create table people (name text, phone text)")
    connection.execute("insert into people values ('张三', '123')")
    connection.commit()
    connection.close()


@pytest.mark.parametrize("kind", ["garbage", "truncated", "foreign", "folder"])
def test_a_file_that_is_not_a_usable_knowledge_base_is_refused_in_one_line_and_never_written(tmp_path, seeds_db, kind):
    db = tmp_path / "kb.db"
    if kind == "garbage":
        db.write_bytes(os.urandom(8192))
    elif kind == "truncated":
        shutil.copy(seeds_db, db)
        with open(db, "r+b") as handle:
            handle.truncate(db.stat().st_size // 2 // 4096 * 4096 + 1000)
    elif kind == "foreign":
        foreign_sqlite(db)
    else:
        db.mkdir()
    what = {"garbage": "not a knowledge base", "truncated": "damaged", "foreign": "another application",
            "folder": "folder"}[kind]
    before = digest(db) if db.is_file() else None
    one_line_refusal(run_cli("--db", str(db), "ask", QUESTION), what)
    one_line_refusal(run_cli("--db", str(db), "build", str(bundled_seeds())), what)
    if before:
        assert digest(db) == before
        assert not list(tmp_path.glob("kb.db-*"))  # no journal or WAL left beside it either


def test_an_empty_file_is_filled_by_a_build_and_refused_by_ask_until_then(tmp_path):
    db = tmp_path / "kb.db"
    db.write_bytes(b"")
    one_line_refusal(run_cli("--db", str(db), "ask", QUESTION), "empty", "build")
    assert run_cli("--db", str(db), "build", str(bundled_seeds())).returncode == 0
    assert "6名" in run_cli("--db", str(db), "ask", QUESTION).stdout


def as_schema(db, version: str) -> None:
    """Turn a knowledge base into what an older version wrote: schema 6 had no exact spelling keys, 5 sorted rankings
    by a plain index too, 4 had no ranked_counts either, 3 no words table nor totals."""
    connection = sqlite3.connect(db)
    connection.execute("delete from name_keys where key like 's:%'")
    if version in ("3", "4", "5"):
        connection.execute("drop index facts_by_amount")
        connection.execute("create index idx_facts_metric_value on facts (metric, value)")
    if version in ("3", "4"):
        connection.execute("drop table ranked_counts")
    if version == "3":
        connection.execute("drop table words")
        connection.execute("delete from meta where key in ('sentence_rows', 'sentence_tokens', 'figures')")
    connection.execute("update meta set value = ? where key = 'schema_version'", [version])
    connection.commit()
    connection.close()


def table(db, sql):
    return sorted(sqlite3.connect(db).execute(sql).fetchall())


@pytest.mark.parametrize("version", ["3", "4", "5", "6"])  # 6 and 7 differ only in keys that 8 drops
@pytest.mark.parametrize("command", ["ask", "build"])
def test_an_older_schema_is_migrated_in_place_to_what_a_build_writes(tmp_path, seeds_db, command, version):
    db = tmp_path / "kb.db"
    shutil.copy(seeds_db, db)
    as_schema(db, version)
    args = ["ask", "哪个乡镇人民调解员最多"] if command == "ask" else ["build", str(bundled_seeds())]
    done = run_cli("--db", str(db), *args)
    assert done.returncode == 0, done.stderr
    for sql in ("select * from words", "select * from ranked_counts", "select * from meta where key != 'built_at'",
                "select name, sql from sqlite_master where type = 'index'", "select * from name_keys"):
        assert table(db, sql) == table(seeds_db, sql)
    assert table(db, "select value from meta where key = 'schema_version'") == [(SCHEMA_VERSION,)]


def test_a_newer_schema_is_refused_with_what_to_run(tmp_path, seeds_db):
    db = tmp_path / "kb.db"
    shutil.copy(seeds_db, db)
    connection = sqlite3.connect(db)
    connection.execute("update meta set value = '99' where key = 'schema_version'")
    connection.commit()
    connection.close()
    before = digest(db)
    one_line_refusal(run_cli("--db", str(db), "ask", QUESTION), "newer", "build")
    assert digest(db) == before


def test_every_stdin_line_gets_one_valid_json_reply_even_invalid_utf8_and_blank_ones(seeds_db):
    lines = [b"\xff\xfe" + QUESTION.encode(), "\u3000".encode(), b"", b"\x00\x01\x02", "你好".encode(),
             ("问" * 100_000).encode(), b'" OR sentences_fts MATCH "*', QUESTION.encode("gb18030")]
    for command in ("ask", "chat"):
        done = subprocess.run([sys.executable, "-m", "bot.cli", "--db", str(seeds_db), command, "--json"],
                              input=b"\n".join(lines) + b"\n", capture_output=True, cwd=ROOT, timeout=60)
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
        replies = [json.loads(line.decode("utf-8")) for line in done.stdout.splitlines()]
        assert len(replies) == len(lines)
        assert "湘江源" in replies[0]["text"] and replies[0]["answered"]
        assert not replies[4]["answered"] and "你好" in replies[4]["text"]  # small talk: a greeting back


def test_small_talk_in_a_conversation_gets_a_greeting_and_does_not_repeat_the_last_answer(seeds_db):
    done = run_cli("--db", str(seeds_db), "chat", stdin=f"{QUESTION}\n你好\n谢谢！\n书记是谁\n")
    replies = done.stdout.strip().split("\n\n")
    assert len(replies) == 4
    assert "6名" in replies[0]
    assert "你好" in replies[1]
    assert all("6名" not in reply and "人民调解员" not in reply.splitlines()[0] for reply in replies[1:])


SEED = bundled_seeds() / "2024-hunan-xiangjiangyuan.txt"


def seed_docx(path) -> None:
    import docx

    document = docx.Document()
    for line in SEED.read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    document.save(path)


def rezip(source, target, changes: dict) -> None:
    """Copy the .docx ``source`` to ``target`` with some of its parts' bytes replaced."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            new.writestr(item, changes.get(item.filename, old.read(item.filename)))


def test_damaged_docx_files_fail_one_line_each_and_the_good_files_are_stored(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    seed_docx(tmp_path / "good.docx")
    whole = zipfile.ZipFile(tmp_path / "good.docx").read("word/document.xml")
    rezip(tmp_path / "good.docx", folder / "junk-types.docx", {"[Content_Types].xml": b"<Types><junk"})
    rezip(tmp_path / "good.docx", folder / "cut-document.docx", {"word/document.xml": whole[: len(whole) // 2]})
    shutil.copy(bundled_seeds() / "2023-henan-lushan-beizi.txt", folder)
    db = tmp_path / "kb.db"
    done = run_cli("--db", str(db), "build", str(folder))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    failures = done.stderr.strip().splitlines()
    assert len(failures) == 2 and {"junk-types.docx", "cut-document.docx"} == {
        name for name in ("junk-types.docx", "cut-document.docx") for line in failures if name in line}
    assert "背孜乡" in run_cli("--db", str(db), "ask", "背孜乡有多少执法人员").stdout


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_report_reads_like_its_utf8_original(tmp_path, encoding):
    path = tmp_path / SEED.name
    path.write_bytes(SEED.read_text(encoding="utf-8").encode(encoding))
    assert read_report(path).body.sentences == read_report(SEED).body.sentences


def test_a_file_with_more_text_than_a_report_is_refused_with_the_limit(tmp_path):
    path = tmp_path / "huge.txt"
    text = SEED.read_text(encoding="utf-8")
    path.write_text(text * (MAX_TEXT_BYTES // len(text.encode("utf-8")) + 1), encoding="utf-8")
    with pytest.raises(ReadError, match="2.0 MB"):
        read_report(path)


def test_a_pipe_named_like_a_report_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "x.txt"
    os.mkfifo(fifo)
    done = run_cli("--db", str(tmp_path / "kb.db"), "build", str(fifo), str(SEED), timeout=30)
    assert done.returncode == 1
    assert "x.txt" in done.stderr and "not a regular file" in done.stderr
    assert "湘江源瑶族乡 2024" in done.stdout


def test_a_folder_that_cannot_be_listed_is_a_failure_not_silence(tmp_path, monkeypatch):
    # Tests run as root, who can list any folder: the refusal comes from os.scandir, as it would for another user.
    folder = tmp_path / "reports"
    (folder / "locked").mkdir(parents=True)
    shutil.copy(SEED, folder)
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    results = ingest([folder], tmp_path / "kb.db")
    [failed] = [result for result in results if result.failed]
    assert "locked" in failed.error and "Permission denied" in failed.error
    assert [result.township for result in results if not result.failed] == ["湘江源瑶族乡"]


def test_a_build_keeps_the_knowledge_base_files_mode(tmp_path):
    db = tmp_path / "kb.db"
    assert run_cli("--db", str(db), "build", str(SEED)).returncode == 0
    db.chmod(0o644)  # as the README's deployment has it: built by root, read by the bot's own user
    assert run_cli("--db", str(db), "build", str(bundled_seeds())).returncode == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o644


def test_a_half_built_seeds_knowledge_base_of_a_killed_process_is_removed(tmp_path):
    cache = tmp_path / "cache" / "township-bot"
    cache.mkdir(parents=True)
    stale = cache / "seeds-0123456789ab.db.999999999.building"
    stale.write_bytes(b"half")
    done = run_cli("ask", QUESTION, env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "TOWNSHIP_BOT_DB": ""})
    assert "6名" in done.stdout, done.stderr
    assert not stale.exists()


def test_an_old_word_file_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "report.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    with pytest.raises(ReadError, match="save it as .docx"):
        read_report(path)


def test_a_saved_page_is_filed_by_its_title_and_article_not_by_the_link_lists_around_it(tmp_path):
    lines = SEED.read_text(encoding="utf-8").strip().splitlines()
    side = "".join(f'<li><a href="/n{i}.html">大圩镇开展2023年法治宣传活动{i}</a></li>' for i in range(8))
    related = "".join(f'<li><a href="/r{i}.html">码市镇2023年法治政府建设报告{i}</a></li>' for i in range(5))
    page = (f"<html><head><title>{lines[0]}_江华瑶族自治县人民政府网</title></head><body>"
            '<div class="top"><a href="/">首页</a> <a href="/gk">政务公开</a></div>'
            f'<div class="side"><h3>乡镇动态</h3><ul>{side}</ul></div>'
            '<div class="article">' + "".join(f"<p>{line}</p>" for line in lines) + "</div>"
            f'<div class="related"><h3>相关阅读</h3><ul>{related}</ul></div></body></html>')
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    report = read_report(path)
    assert (report.header.township, report.header.year) == ("湘江源瑶族乡", 2024)
    text = "\n".join(sentence.text for sentence in report.body.sentences)
    assert "大圩镇" not in text and "码市镇" not in text and "人民政府网" not in text
    assert report.body.sentences == read_report(SEED).body.sentences


def test_ten_thousand_generated_lines_get_one_valid_json_reply_each_and_no_crash(seeds_db):
    """The property: whatever a line holds (bytes that are not UTF-8, control characters, 100,000 characters,
    full-text search syntax), ``ask --json`` and ``chat --json`` give exactly one JSON reply for it."""
    runs = {"ask": fuzz_questions.lines(6000, seed=1), "chat": fuzz_questions.lines(4000, seed=2)}
    processes = {command: subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "--db", str(seeds_db), command, "--json"], cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for command in runs}
    outputs = {command: process.communicate(b"\n".join(runs[command]) + b"\n", timeout=600)
               for command, process in processes.items()}
    for command, (stdout, stderr) in outputs.items():
        assert processes[command].returncode == 0, stderr.decode("utf-8", "replace")[-2000:]
        assert not stderr
        replies = [json.loads(line.decode("utf-8")) for line in stdout.split(b"\n") if line]
        assert len(replies) == len(runs[command])
        assert all(isinstance(reply["answered"], bool) and reply["text"] for reply in replies)


def test_a_page_whose_title_and_article_disagree_is_refused_with_both(tmp_path):
    lines = SEED.read_text(encoding="utf-8").strip().splitlines()
    page = ("<html><head><title>大圩镇2023年法治政府建设工作报告_江华瑶族自治县人民政府网</title></head><body>"
            '<div class="article">' + "".join(f"<p>{line}</p>" for line in lines) + "</div></body></html>")
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    with pytest.raises(ReadError, match="大圩镇.*湘江源瑶族乡"):
        read_report(path)
