"""Township, year and place of every report: the seeds and the 40 real corpus reports."""

import pytest

from conftest import CORPUS, corpus_index
from knowledge.ingest import read_report
from knowledge.paths import bundled_seeds

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


# Openings of real reports the header once misread (from township websites; the rest of each report cut).
OPENINGS = {
    "乐清市柳市镇2024年法治政府建设年度报告 乐清市柳市镇2024年法治政府建设年度报告\n"
    "2024年柳市镇坚持以习近平新时代中国特色社会主义思想为指导，为加快建设“共同富裕标杆镇、业强宜居小城市”筑牢法治根基。":
        ("柳市镇", 2024, "乐清市"),
    "2022年，在区委、区政府的正确领导下，黄石街党工委、办事处高举习近平法治思想旗帜，全面推进法治政府建设工作。"
    "现将2022年法治政府建设工作报告如下：\n一、2022年推进法治政府建设的主要举措和成效":
        ("黄石街道", 2022, ""),  # Guangzhou writes 街 for 街道
    "济南市历下区建筑新村街道 2024年度法治政府建设报告\n2024年，建筑新村街道坚持以习近平新时代中国特色社会主义思想为指导。":
        ("建筑新村街道", 2024, "历下区"),
    "鲤城区人民政府金龙街道办事处关于2022年度法治政府建设情况的报告\n2022年，我街道法治政府建设工作，在区委、区政府的正确领导下，"
    "全面推进法治政府建设。":
        ("金龙街道", 2022, "鲤城区"),
    # names that open a title and end in 市 or 村, or 街 for 街道 before the title's year (held-out set 7)
    "一市镇2024年法治政府建设工作报告\n2024年,一市镇以习近平法治思想为指导,认真贯彻落实本年度各项要求。":
        ("一市镇", 2024, ""),
    "黄村镇2025年度法治政府建设工作情况报告\n2025年,黄村镇在县委、县政府的坚强领导下,全面提升依法治镇水平。":
        ("黄村镇", 2025, ""),
    "龙归街2022年法治政府建设情况报告\n2022年,在区委、区政府的正确领导下,龙归街始终坚持以习近平法治思想为指导,"
    "通过街道各项工作取得新成效。":
        ("龙归街道", 2022, ""),
}


@pytest.mark.parametrize("opening, expected", OPENINGS.items(), ids=[v[0] for v in OPENINGS.values()])
def test_township_of_titles_once_misread(tmp_path, opening, expected):
    path = tmp_path / "report.txt"
    path.write_text(opening + "\n全年开展法治宣传活动14次。\n", encoding="utf-8")
    header = read_report(path).header
    assert (header.township, header.year, header.county) == expected
