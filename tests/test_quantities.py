"""Figures in sentences: number forms, qualifiers, ranges, and what is not a figure."""

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.quantities import find_quantities
from knowledge.text import normalize


def figures(sentence: str) -> list[tuple]:
    return [(q.text, q.value, q.lower, q.upper, q.qualifier, q.unit) for q in find_quantities(normalize(sentence))]


@pytest.mark.parametrize("sentence, expected", [
    ("配备人民调解员6名", [("6名", 6, None, None, "", "名")]),
    ("发放宣传资料1000余份", [("1000余份", 1000, 1000, None, "余", "份")]),
    ("接待咨询200多人次", [("200多人次", 200, 200, None, "多", "人次")]),
    ("配备村级调解员3—5人", [("3—5人", None, 3, 5, "", "人")]),
    ("配备村级调解员3-5人", [("3-5人", None, 3, 5, "", "人")]),
    ("覆盖率达100％", [("100%", 100, None, None, "", "%")]),
    ("参学率达到95%以上", [("95%以上", 95, 95, None, "以上", "%")]),
    ("每村配备一名法律顾问", [("一名", 1, None, None, "", "名")]),
    ("开展两次培训", [("两次", 2, None, None, "", "次")]),
    ("覆盖五百余人", [("五百余人", 500, 500, None, "余", "人")]),
    ("覆盖群众两万余人次", [("两万余人次", 20000, 20000, None, "余", "人次")]),
    ("发放各类普法资料一万四千余份", [("一万四千余份", 14000, 14000, None, "余", "份")]),  # a 万 inside the numeral
    ("惠及师生近千人", [("近千人", 1000, None, 1000, "近", "人")]),
    ("每年支付费用逾20万元", [("逾20万元", 200000, 200000, None, "逾", "元")]),
    ("罚没金额0.5万余元", [("0.5万余元", 5000, 5000, None, "余", "元")]),
    ("参加培训合计40个课时", [("40个课时", 40, None, None, "", "个课时")]),
    ("平均分数达89.93分", [("89.93分", 89.93, None, None, "", "分")]),
    ("開展調解２次", [("2次", 2, None, None, "", "次")]),  # traditional and full-width
])
def test_number_forms(sentence, expected):
    assert figures(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "2023年，我乡坚持依法行政",  # a year
    "11月份通过考试",  # a month
    "利用“3·15”消费者权益日和12.4国家宪法日",  # dates
    "（丰都府办〔2025〕37号）",  # a document number
    "畅通12345政务服务热线，受理8890诉求",  # hotlines
    "紧紧围绕省委“1310”具体部署",  # a slogan number
    "依托“八五”普法，落实《法治政府建设实施纲要(2021—2025年)》",  # plan names
    "一是加强组织领导，第一次会议",  # ordinals
    "统一人民调解，法治氛围十分浓厚，三分离制度，千家万户",  # numerals inside words
    "截至11月，受理123",  # no unit: not a counted figure
])
def test_not_figures(sentence):
    assert figures(sentence) == []


@given(st.integers(min_value=1, max_value=99_999), st.sampled_from(["", "余", "多"]),
       st.sampled_from(["人", "名", "件", "次", "场次", "份", "人次", "个"]))
def test_arabic_figures_read_back(number, approx, unit):
    [figure] = find_quantities(f"全年共开展调解{number}{approx}{unit}，效果良好")
    assert figure.value == number
    assert figure.unit == unit
    assert figure.lower == (number if approx else None)
    assert figure.text == f"{number}{approx}{unit}"


@given(st.integers(min_value=2, max_value=9_999))
def test_chinese_numerals_read_back(number):
    written = cn2an.an2cn(number)
    [figure] = find_quantities(f"全年共开展调解{written}件，效果良好")
    assert figure.value == number
    assert figure.chinese


@given(st.integers(min_value=1, max_value=500), st.integers(min_value=1, max_value=500))
def test_ranges_keep_both_bounds(low, extra):
    high = low + extra
    [figure] = find_quantities(f"配备调解员{low}—{high}人。")
    assert (figure.value, figure.lower, figure.upper) == (None, low, high)


def test_chinese_numerals_read_as_cn2an_reads_them_below_ten_thousand():
    import cn2an

    from knowledge.numerals import chinese_number

    for number in range(10_000):
        written = cn2an.an2cn(number)
        for form in {written, written.replace("二", "两", 1)}:  # 两千, 两百: as reports write them
            assert chinese_number(form) == cn2an.cn2an(form, "smart"), form
    for colloquial, value in (("一百七", 170), ("一千二", 1200), ("二〇二三", 2023), ("三百零五", 305)):
        assert chinese_number(colloquial) == value == cn2an.cn2an(colloquial, "smart")
    assert chinese_number("十百") is None and chinese_number("三五十") is None


def test_chinese_numerals_with_a_wan_inside_read_as_cn2an_reads_them():
    import cn2an

    from knowledge.numerals import chinese_number

    for number in (10_000, 14_000, 20_500, 35_000, 99_999, 120_000):
        written = cn2an.an2cn(number)
        assert chinese_number(written) == number == cn2an.cn2an(written, "smart"), written
    assert chinese_number("万四") is None and chinese_number("一万万") is None
