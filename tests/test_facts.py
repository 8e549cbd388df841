"""Facts: the hand-made gold list of every seed figure, and the corpus without dates or numbers that are names."""

import re

import pytest

from conftest import DATA, corpus_index, read_tsv
from knowledge.facts import extract_facts
from knowledge.ingest import read_report
from knowledge.query import KnowledgeBase

GOLD = read_tsv(DATA / "seed_gold.tsv")


@pytest.fixture(scope="module")
def seed_facts(seeds_db):
    return KnowledgeBase(seeds_db).facts()


def _matches(facts, row):
    return [fact for fact in facts if fact.township == row["township"] and fact.figure == row["figure"]
            and row["evidence_contains"] in fact.evidence]


def test_gold_recall_is_at_least_95_percent(seed_facts):
    found = [row for row in GOLD if _matches(seed_facts, row)]
    assert len(found) / len(GOLD) >= 0.95, [row for row in GOLD if row not in found]


@pytest.mark.parametrize("row", GOLD, ids=lambda row: f"{row['township']}-{row['figure']}-{row['metric']}")
def test_gold_metric(seed_facts, row):
    matches = _matches(seed_facts, row)
    if not matches:
        pytest.skip("not extracted (counted by the recall test)")
    metric = matches[0].metric
    if row["metric"] == "-":
        assert metric == ""
    elif row["metric"] != "?":
        assert metric == row["metric"]


def test_no_figure_comes_from_the_cut_clause_of_a_truncated_report(tmp_path):
    path = tmp_path / "cut.txt"
    path.write_text("莲池镇2023年法治政府建设情况报告\n全年调解纠纷12件，发放宣传资料300份，截至11月，受理信访45", "utf-8")
    figures = [fact.text for _, fact in read_report(path).facts]
    assert figures == ["12件", "300份"]


def test_scope_of_per_village_figures(seed_facts):
    [advisers] = [fact for fact in seed_facts if fact.township == "背孜乡" and fact.metric == "legal_advisers"]
    assert advisers.scope == "每村"
    [savvy] = [fact for fact in seed_facts if fact.township == "四棵树镇" and fact.metric == "legal_savvy_villagers"]
    assert savvy.scope == "平均一个行政村"


@pytest.mark.parametrize("sentence, figure, scope", [
    ("四是在各村均成立了调委会，配备村级调解员3—5人。", "3—5人", "各村"),  # said a clause before the figure
    ("各村均成立了调委会，全镇共有调解员45人。", "45人", ""),  # its own clause says it is a total
    ("目前，我镇及下辖39个村均设有法律顾问，覆盖率达100%。", "100%", ""),  # 村均 is no 每村, a rate no count
])
def test_a_per_village_scope_said_earlier_in_the_sentence(sentence, figure, scope):
    [fact] = [fact for fact in extract_facts(sentence) if fact.text == figure]
    assert fact.scope == scope


def test_named_facts(seed_facts):
    firms = {fact.township: fact.name for fact in seed_facts if fact.metric == "law_firm"}
    assert firms == {"四棵树镇": "雪峰律师事务所"}
    villages = [fact.name for fact in seed_facts if fact.metric == "honoured_villages"]
    assert villages == ["文殊庵村"]
    heads = {fact.township: fact.name for fact in seed_facts if fact.metric == "leading_group_head"}
    assert heads["湘江源瑶族乡"] == "党委书记"


_NOT_FIGURES = re.compile(r"^(?:20\d\d年?|\d{1,2}月份?|12345|8890|1310|〔\d+〕|\d+号)$")


def test_corpus_facts_have_no_dates_document_or_hotline_numbers(corpus_db):
    facts = KnowledgeBase(corpus_db).facts()
    assert len({fact.report_id for fact in facts}) == len(corpus_index())  # every report has facts
    bad = [(fact.township, fact.figure) for fact in facts if _NOT_FIGURES.match(fact.figure)
           or fact.unit in ("年", "月", "日", "号")]
    assert bad == []
    figures = {(fact.township, fact.figure) for fact in facts}
    assert ("澧浦镇", "655件") in figures and ("龙颈镇", "7515人次") in figures
    assert not any(fact.township == "龙颈镇" and fact.figure.startswith("123") for fact in facts)


def test_corpus_figures_as_facts(corpus_db):
    facts = KnowledgeBase(corpus_db).facts()
    by_town = {}
    for fact in facts:
        by_town.setdefault(fact.township, []).append(fact)
    assert {f.figure for f in by_town["新驿镇"]} >= {"2万余人次", "近千人", "50余场"}
    assert {(f.metric, f.figure) for f in by_town["新华乡"]} >= {("law_enforcement_certificates", "27人"),
                                                                ("leaflets", "3000余份")}
    assert {(f.metric, f.figure) for f in by_town["里田乡"]} >= {("trainings", "4次")}  # traditional characters


@pytest.mark.parametrize("sentence, labels", [
    # each figure written before its noun, the list opened by a listing verb and joined by 、 and 以及
    ("分类制定3张履职清单共311项，包括132项基本履职事项、138项配合履职事项以及41项上级部门收回事项。",
     {"132项": "基本履职事项", "138项": "配合履职事项", "41项": "上级部门收回事项"}),
    ("完成5个内设机构、3个事业单位机构设置调整。", {"3个": "事业单位机构设置调整"}),
])
def test_a_figure_written_before_its_noun_in_a_list_is_labelled_by_that_noun(sentence, labels):
    found = {fact.text: fact.label for fact in extract_facts(sentence)}
    for figure, label in labels.items():
        assert found[figure].startswith(label[:4]) and "、" not in found[figure] and "以及" not in found[figure]


def test_a_figure_written_before_its_noun_in_a_list_counts_that_noun_not_the_last_ones():
    # the lexicon knows 法律顾问: 1名 counts them, 2名 the 兼职法治员 after it (not the 法律顾问 written before it)
    facts = {fact.text + fact.label: fact.metric
             for fact in extract_facts("现有1名专职法治员、1名常年法律顾问和2名兼职法治员,建立外聘法律顾问聘请机制。")}
    assert facts == {"1名专职法治员": "", "1名常年法律顾问": "legal_advisers", "2名兼职法治员": ""}


def test_cases_counted_in_li_are_figures():
    assert [(fact.text, fact.quantity.unit) for fact in extract_facts("全年完成合法性审查186例，例会12次。")] == \
        [("186例", "例"), ("12次", "次")]
