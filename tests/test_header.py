"""Township, year and place of every report: the seeds and the 40 real corpus reports."""

from pathlib import Path

import pytest

from conftest import CORPUS, corpus_index
from knowledge.ingest import bundled_seeds, read_report

SEEDS = {
    "2022-chongqing-fuling-wulingshan.txt": ("武陵山乡", 2022, "涪陵区", "重庆"),
    "2023-henan-lushan-beizi.txt": ("背孜乡", 2023, "鲁山县", ""),
    "2023-henan-shenqiu-lianchi.txt": ("莲池镇", 2023, "沈丘县", "河南"),
    "2023-xinjiang-wusu-sikeshu.txt": ("四棵树镇", 2023, "乌苏市", ""),
    "2024-hunan-xiangjiangyuan.txt": ("湘江源瑶族乡", 2024, "", ""),
}


@pytest.mark.parametrize("name, expected", SEEDS.items())
def test_seed_headers(name, expected):
    header = read_report(bundled_seeds() / name).header
    assert (header.township, header.year, header.county, header.province) == expected


def test_year_is_the_year_covered_not_the_signing_date():
    report = read_report(bundled_seeds() / "2023-henan-shenqiu-lianchi.txt")
    assert report.header.year == 2023
    assert report.header.date == "2023-12-15"


@pytest.mark.parametrize("row", corpus_index(), ids=lambda row: row["file"])
def test_corpus_township_and_year(row):
    header = read_report(CORPUS / row["file"]).header
    assert header.township == row["township"]
    assert header.year == int(row["year"])
    if header.county and row["county"]:
        assert header.county == row["county"]


def test_corpus_stale_heading_does_not_change_the_year():
    # 北城街街道's 2025 report has a section headed "2024年法治政府建设基本情况".
    if not corpus_index():
        pytest.skip("no corpus")
    assert read_report(CORPUS / "31_beichengjie_2025.txt").header.year == 2025


def test_section_kinds_of_a_mixed_heading():
    report = read_report(bundled_seeds() / "2023-xinjiang-wusu-sikeshu.txt")
    kinds = {section.heading: section.kind for section in report.body.sections}
    assert kinds["主要做法"] == "measures"
    assert kinds["存在问题"] == "problems"
    assert kinds["2024年重点工作"] == "plans"
    assert any("综合执法办公室只招录了一名工作人员" in problem for problem in report.problems)
