"""Building the knowledge base: idempotent, replacing, atomic; and the build and facts commands."""

import dataclasses
import hashlib
import json
import shutil

import pytest

from conftest import run_cli
from knowledge.ingest import ingest, read_report
from knowledge.paths import bundled_seeds
from knowledge.query import KnowledgeBase
from knowledge.store import write_reports


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def seeds_copy(tmp_path):
    folder = tmp_path / "reports"
    shutil.copytree(bundled_seeds(), folder)
    return folder


def test_same_files_twice_are_stored_once(tmp_path, seeds_copy):
    db = tmp_path / "kb.db"
    first = ingest([seeds_copy], db)
    second = ingest([seeds_copy], db)
    assert {result.status for result in first} == {"added"}
    assert {result.status for result in second} == {"unchanged"}
    kb = KnowledgeBase(db)
    assert kb.stats()["reports"] == 5
    assert len(kb.facts()) == sum(result.facts for result in first)


def test_a_changed_file_replaces_its_old_rows(tmp_path, seeds_copy):
    db = tmp_path / "kb.db"
    ingest([seeds_copy], db)
    path = seeds_copy / "2024-hunan-xiangjiangyuan.txt"
    path.write_text(path.read_text("utf-8").replace("配备人民调解员6名", "配备人民调解员8名"), "utf-8")
    [result] = ingest([path], db)
    assert result.status == "replaced"
    kb = KnowledgeBase(db)
    figures = [fact.figure for fact in kb.facts(metrics=["mediators"]) if fact.township == "湘江源瑶族乡"]
    assert figures == ["8名"]
    assert kb.stats()["reports"] == 5
    [town] = kb.find_townships("湘江源")
    hits = kb.search(["调解员"], kb.report_id(town.id, 2024))
    assert hits and all("6名" not in hit.text for hit in hits)  # the old sentences are gone from the index


def test_a_failed_write_leaves_the_knowledge_base_exactly_as_it_was(tmp_path, seeds_copy):
    db = tmp_path / "kb.db"
    ingest([seeds_copy], db)
    before = digest(db)
    good = read_report(seeds_copy / "2024-hunan-xiangjiangyuan.txt")
    changed = dataclasses.replace(good, digest="changed")
    # A fact whose subject SQLite cannot store: the write fails half-way through the second report.
    position, fact = changed.facts[0]
    broken = dataclasses.replace(changed, facts=[(position, dataclasses.replace(fact, subject=object()))])
    other = dataclasses.replace(read_report(seeds_copy / "2023-henan-lushan-beizi.txt"), digest="new")
    with pytest.raises(Exception):
        write_reports(db, [other, broken])
    assert digest(db) == before
    assert [p.name for p in tmp_path.iterdir() if "building" in p.name] == []


def test_bad_files_fail_alone_and_change_nothing(tmp_path, seeds_copy):
    db = tmp_path / "kb.db"
    ingest([seeds_copy], db)
    before = digest(db)
    (seeds_copy / "empty.txt").write_bytes(b"")
    (seeds_copy / "binary.docx").write_bytes(b"\x00\x01garbage")
    results = ingest([seeds_copy / "empty.txt", seeds_copy / "binary.docx"], db)
    assert [result.status for result in results] == ["failed", "failed"]
    assert digest(db) == before


def test_build_command_reports_each_file_and_fails_on_a_bad_one(tmp_path, seeds_copy):
    (seeds_copy / "broken.txt").write_bytes(b"\x00\x00\x00")
    db = tmp_path / "kb.db"
    result = run_cli("--db", str(db), "build", str(seeds_copy))
    assert result.returncode == 1
    assert "✗ broken.txt: this is a binary file" in result.stderr
    for name, year in [("湘江源瑶族乡", 2024), ("背孜乡", 2023), ("武陵山乡", 2022)]:
        assert f"✓ {name} {year}" in result.stdout
    assert "5 read, 1 failed" in result.stdout


def test_build_command_default_is_the_seeds(tmp_path):
    result = run_cli("--db", str(tmp_path / "kb.db"), "build")
    assert result.returncode == 0, result.stderr
    assert "5 read, 0 failed" in result.stdout


def test_facts_command_json_follows_the_contract(seeds_db):
    result = run_cli("--db", str(seeds_db), "facts", "--town", "湘江源", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    keys = {"township", "county", "province", "year", "metric", "subject", "value", "lower", "upper",
            "qualifier", "unit", "evidence", "report", "section"}
    assert rows and all(keys <= row.keys() for row in rows)
    [mediators] = [row for row in rows if row["metric"] == "mediators"]
    assert (mediators["township"], mediators["year"], mediators["value"], mediators["unit"]) == (
        "湘江源瑶族乡", 2024, 6, "名")
    assert "配备人民调解员6名" in mediators["evidence"]


def test_facts_command_unknown_town(seeds_db):
    result = run_cli("--db", str(seeds_db), "facts", "--town", "火星镇")
    assert result.returncode == 1
    assert "火星镇" in result.stderr


def test_missing_database_is_a_clear_error(tmp_path):
    result = run_cli("--db", str(tmp_path / "none.db"), "facts")
    assert result.returncode == 1
    assert "no knowledge base" in result.stderr
