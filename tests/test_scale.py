"""What national scale rests on: in-place writes, parallel and skipping builds, answering from indexes.

Speed itself is measured by bench/scale.py, not asserted here; these tests check that the fast paths give
the same results as the plain ones and keep their promises (nothing rewritten, nothing parsed twice).
"""

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from bot.answer import Answerer, _closest_first, _sort_value
from conftest import CORPUS, ROOT, corpus_index
from knowledge import ingest as ingest_module
from knowledge.ingest import ingest, read_report
from knowledge.paths import bundled_seeds
from knowledge.query import KnowledgeBase
from knowledge.segment import LookupSegmenter, Segmenter, lexicon_path
from knowledge.wordstats import tokens


def rows(db, sql, params=()):
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return connection.execute(sql, params).fetchall()


def test_an_unchanged_file_is_not_parsed_again(tmp_path, monkeypatch):
    db = tmp_path / "kb.db"
    ingest([bundled_seeds()], db)

    def must_not_parse(*args):
        raise AssertionError("a stored file was parsed again")

    monkeypatch.setattr(ingest_module, "_prepare_file", must_not_parse)
    results = ingest([bundled_seeds()], db)
    assert {result.status for result in results} == {"unchanged"}
    assert {(result.township, result.year) for result in results} >= {("湘江源瑶族乡", 2024), ("背孜乡", 2023)}


def test_adding_a_report_writes_in_place_and_leaves_the_others_rows_alone(tmp_path):
    db = tmp_path / "kb.db"
    seeds = sorted(bundled_seeds().glob("*.txt"))
    ingest(seeds[:4], db)
    before = rows(db, "select id, report_id, text from sentences order by id")
    inode = os.stat(db).st_ino
    [result] = ingest(seeds[4:], db)
    assert result.status == "added"
    assert os.stat(db).st_ino == inode  # the same file, not a rewritten copy
    after = rows(db, "select id, report_id, text from sentences order by id")
    assert after[:len(before)] == before and len(after) > len(before)


@pytest.mark.skipif(not corpus_index(), reason="../shared/corpus is not beside this checkout")
def test_a_parallel_build_stores_exactly_what_a_sequential_one_does(tmp_path, monkeypatch):
    folder = tmp_path / "reports"
    shutil.copytree(CORPUS, folder)
    for path in bundled_seeds().glob("*.txt"):
        shutil.copy(path, folder)
    assert len(list(folder.glob("*.txt"))) >= ingest_module.PARALLEL_FROM  # so the first build uses workers
    ingest([folder], tmp_path / "parallel.db")
    monkeypatch.setattr(ingest_module, "PARALLEL_FROM", 10_000)
    ingest([folder], tmp_path / "sequential.db")
    for sql in ("select id, report_id, text, seg from sentences order by id",
                "select id, sentence_id, figure, label, words from facts order by id",
                "select alias, township_id from aliases order by 1, 2",
                "select word, sentences, facts from words order by word"):
        assert rows(tmp_path / "parallel.db", sql) == rows(tmp_path / "sequential.db", sql)


def test_the_lexicon_cuts_text_exactly_as_the_dictionary_does():
    texts = [sentence.text for path in sorted(bundled_seeds().glob("*.txt"))
             for sentence in read_report(path).body.sentences]
    texts += ["湘江源有多少人民调解员", "澧浦镇受理答复8890诉求多少件", "How many mediators?", "背孜乡 执法证 年审"]
    full, lookup = Segmenter(), LookupSegmenter(lexicon_path())
    assert [full.words(text) for text in texts] == [lookup.words(text) for text in texts]
    assert [full.cut(text) for text in texts] == [lookup.cut(text) for text in texts]


def test_answering_imports_neither_the_parser_nor_the_dictionary(seeds_db):
    code = ("import sys; from bot.answer import Answerer; a = Answerer(sys.argv[1]); "
            "print(a.answer('湘江源有多少人民调解员').headline); "
            "print(sorted(m for m in ('cn2an', 'pypinyin', 'sqlite_utils', 'pkg_resources', 'knowledge.report', "
            "'knowledge.ingest', 'docx') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(seeds_db)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONUTF8": "1"}, check=True)
    headline, imported = done.stdout.strip().splitlines()
    assert "6名" in headline
    assert imported == "[]"


def brute_force_ranking(kb: KnowledgeBase, metric: str, question: str) -> list[tuple[str, float]]:
    """Every township's closest whole figure of ``metric`` in its newest report, largest first (最少: smallest)."""
    found = []
    for town in kb.townships():
        facts = [f for f in kb.facts(township_id=town.id, year=max(town.years), metrics=[metric]) if not f.scope]
        best = _closest_first(question, facts)
        if best and (best[0].value is not None or best[0].lower is not None):
            found.append((best[0].township, _sort_value(best[0])))
    return sorted(found, key=lambda item: item[1] if "最少" in question else -item[1])


@pytest.mark.parametrize("question", ["哪个乡镇发放宣传资料最多", "哪个乡镇调解纠纷最多", "哪个乡镇执法证最少"])
def test_a_ranking_streamed_from_sql_agrees_with_checking_every_township(seeds_db, question):
    answerer = Answerer(seeds_db)
    reply = answerer.answer(question)
    expected = brute_force_ranking(answerer.kb, answerer.understander.understand(question).metric.id, question)
    assert len(expected) >= 2
    assert reply.answered
    assert [_sort_value(fact) for fact in reply.facts] == [value for _, value in expected][:20]
    assert reply.facts[0].township in {town for town, value in expected if value == expected[0][1]}


def many_reports(folder) -> None:
    """750 new reports (the seeds in made-up years): several seconds of work, so that a kill lands in the build."""
    for index in range(150):
        year = str(2030 + index % 60)
        (folder / str(index)).mkdir(parents=True)
        for path in bundled_seeds().glob("*.txt"):
            text = path.read_text(encoding="utf-8")
            for old in ("2022", "2023", "2024"):
                text = text.replace(old, year)
            (folder / str(index) / path.name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_build_stopped_half_way_leaves_the_knowledge_base_byte_identical_and_no_litter(tmp_path, how):
    db = tmp_path / "kb.db"
    ingest([bundled_seeds()], db)
    before = db.read_bytes()
    folder = tmp_path / "many"
    many_reports(folder)
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "--db", str(db), "build", str(folder)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, text=True)
    assert process.stdout.readline().startswith("✓")  # writing has begun
    if how == signal.SIGKILL:
        os.killpg(process.pid, how)  # the command and its parsing workers
    else:
        process.send_signal(how)  # as systemd, kill or Ctrl-C would: the command first
    _, stderr = process.communicate(timeout=60)
    assert db.read_bytes() == before
    assert rows(db, "select count(*) from reports") == [(5,)]
    if how != signal.SIGKILL:  # Ctrl-C or systemd's stop: one line, no traceback
        assert process.returncode == 130 and stderr.strip().splitlines() == [
            "township-bot: interrupted; nothing half-written was kept"]
    assert subprocess.run([sys.executable, "-m", "bot.cli", "--db", str(db), "build", str(bundled_seeds())],
                          cwd=ROOT, capture_output=True).returncode == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kb.db", "many"]  # no journal, WAL or scratch


def counted_by_fts5(db) -> tuple[dict, dict, dict]:
    """What FTS5 itself counts: rows per token of each full-text index, and the totals the bot keeps."""
    connection = sqlite3.connect(db)
    connection.execute("create virtual table temp.sentence_words using fts5vocab(main, sentences_fts, 'row')")
    connection.execute("create virtual table temp.fact_words using fts5vocab(main, facts_fts, 'row')")
    sentences = dict(connection.execute("select term, doc from temp.sentence_words"))
    facts = dict(connection.execute("select term, doc from temp.fact_words"))
    segs = [row[0] for row in connection.execute("select seg from sentences")]
    totals = {"sentence_rows": len(segs), "sentence_tokens": sum(len(tokens(seg)) for seg in segs),
              "figures": connection.execute("select count(*) from facts where offset is not null").fetchone()[0]}
    return sentences, facts, totals


def ranked_recounted(db) -> dict:
    """(metric, unit class, year) → townships, counted from the facts (class '': any; year 0: the newest report)."""
    whole = "f.metric != '' and f.scope = '' and coalesce(f.value, f.lower) is not null"
    counts = {}
    for year, where in (("r.year", "1"), ("0", "r.latest = 1")):
        for unit_class in ("f.unit_class", "''"):
            counts.update({(metric, cls, year): n for metric, cls, year, n in rows(
                db, f"select f.metric, {unit_class}, {year}, count(distinct r.township_id) from facts f join reports r "
                    f"on r.id = f.report_id where {whole} and {where} group by 1, 2, 3")})
    return counts


def kept_counts(db) -> tuple[dict, dict, dict]:
    connection = sqlite3.connect(db)
    words = connection.execute("select word, sentences, facts from words").fetchall()
    totals = dict(connection.execute("select key, cast(value as integer) from meta where key in "
                                     "('sentence_rows', 'sentence_tokens', 'figures')"))
    return ({word: count for word, count, _ in words if count}, {word: count for word, _, count in words if count},
            totals)


def test_counts_kept_at_write_time_equal_a_recount_through_adds_and_replacements(tmp_path):
    db = tmp_path / "kb.db"
    seeds = sorted(bundled_seeds().glob("*.txt"))
    ingest(seeds[:3], db)
    ingest(seeds[3:], db)
    assert kept_counts(db) == counted_by_fts5(db)
    assert dict(((m, c, y), n) for m, c, y, n in rows(db, "select * from ranked_counts")) == ranked_recounted(db)
    # a new text for a stored township and year replaces the old report: its counts go with it
    changed = tmp_path / seeds[0].name
    changed.write_text(seeds[0].read_text(encoding="utf-8").replace("。", "。全面推进依法行政。", 3), encoding="utf-8")
    [result] = ingest([changed], db)
    assert result.status == "replaced"
    sentences, facts, totals = kept_counts(db)
    assert (sentences, facts, totals) == counted_by_fts5(db)
    assert sentences["依法行政"] >= 3
    assert dict(((m, c, y), n) for m, c, y, n in rows(db, "select * from ranked_counts")) == ranked_recounted(db)
    # a later year of a stored township: its newest report, the one rankings compare, changes
    text = seeds[1].read_text(encoding="utf-8")
    year = int(seeds[1].name[:4])
    later = tmp_path / f"{year + 1}{seeds[1].name[4:]}"
    later.write_text(text.replace(str(year), str(year + 1)).replace("调解", "协调"), encoding="utf-8")
    [result] = ingest([later], db)
    assert result.status == "added" and result.year == year + 1
    assert kept_counts(db) == counted_by_fts5(db)
    assert dict(((m, c, y), n) for m, c, y, n in rows(db, "select * from ranked_counts")) == ranked_recounted(db)


@pytest.mark.parametrize("words", [["调解员"], ["法治", "宣传"], ["问题", "不足", "短板"], ["矛盾纠纷", "排查", "化解"],
                                   ["2023年", "开展"], ["综治中心"]])
def test_a_reports_sentences_are_ranked_in_the_order_of_fts5s_bm25(seeds_db, words):
    kb = KnowledgeBase(seeds_db)
    query = " OR ".join(f'"{word}"' for word in words)
    for (report_id,) in rows(seeds_db, "select id from reports"):
        by_fts5 = rows(seeds_db, "select s.position, bm25(sentences_fts) from sentences s join sentences_fts on "
                                 "sentences_fts.rowid = s.id where sentences_fts match ? and s.report_id = ? "
                                 "order by bm25(sentences_fts), s.position", [query, report_id])
        ours = [hit.position for hit in kb.search(words, report_id, limit=1000)]
        assert ours == [position for position, _ in by_fts5]
