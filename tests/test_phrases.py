"""Numbers written inside set phrases (三位一体, 五办四中心, 连续五年): found verbatim, or not at all."""

import pytest

from bot.phrases import find, find_ordinal


@pytest.mark.parametrize("question, sentence, phrase", [
    ("庙行镇法治述职、督察、考核是几位一体的工作机制?", "建立法治述职、督察、考核“三位一体”工作机制，压实责任。", "三位一体"),
    ("汤头街道机构改革完成了几办几中心挂牌?", "深化机构改革，完成五办四中心挂牌，理顺职责。", "五办四中心挂牌"),
    ("东晓街道连续几年获得幸福街道称号?", "东晓街道连续五年获得“深圳网民最喜爱幸福街道”称号。", "连续五年获得"),
    ("塘沽街道 带动几个党委开展集体学法", "以点带面，带动14个党委开展集体学法，形成合力。", "带动14个党委开展集体学法"),
    ("中村乡坚持做到评议考核几到位?", "坚持做到责任机制、监督机制和评议考核“三到位”,努力创新。", "考核“三到位”"),
    # two asks with a word between and after them: enough context (the report quotes “1站36室”)
    ("长受路 法律服务平台 是几站几室", "依托“1站36室”平台,将法律服务送进居民家", "1站36室"),
    # 双 is a number, and the measure word after the ask may be left out
    ("大河乡法治政府建设领导小组设几个组长", "成立由乡党委书记、乡长任双组长的法治政府建设领导小组。", "双组长"),
])
def test_the_reports_phrase_with_a_number_in_place_of_the_ask_answers(question, sentence, phrase):
    found = find(question, ["无关的一句话，开展活动3次。", sentence])
    assert found is not None and found.phrase == phrase and found.sentence == sentence
    assert sentence[found.start:found.start + len(found.phrase)] == phrase


def test_a_phrase_that_gives_two_numbers_answers_nothing():
    # 几个村: 39 in one place, 12 in another; which one is meant is the figure matcher's to say
    assert find("冷水镇覆盖了几个村居", ["法律顾问覆盖39个村居。", "宣传覆盖12个村居。"]) is None


@pytest.mark.parametrize("question", ["几次", "多少件", "有几个", "背孜乡 几次"])
def test_too_little_context_around_the_number_finds_nothing(question):
    # 几次 alone would be every 3次 of the report
    assert find(question, ["全年调解纠纷3次，受理信访5件，共有3个调委会。"]) is None


def test_a_measure_word_left_out_needs_the_words_after_it():
    # 个村 is too little to leave 个 out of: 一村一策 is no count of villages
    assert find("冷水镇实行几个村", ["冷水镇实行一村一策，全覆盖。"]) is None


def test_a_phrase_the_report_does_not_write_finds_nothing():
    assert find("庙行镇是几位一体的工作机制", ["建立法治述职、督察、考核工作机制。"]) is None


@pytest.mark.parametrize("question, words, sentence, ordinal", [
    ("殷行 民主法治示范社区第几批", ["民主法治", "示范社区"], "以第三批杨浦区民主法治示范社区创建为突破口,积极动员部署。", "第三批"),
    # the report leaves out 次: the words after the ask follow the number instead
    ("述法是在第几次党工委会", ["述法", "党工委会"], "党政主要领导第25党工委会年度述法专题报告。", "第25"),
])
def test_an_ordinal_is_found_in_the_sentence_of_the_questions_words(question, words, sentence, ordinal):
    found = find_ordinal(question, words, ["第一批村居完成挂牌。", sentence])
    assert found is not None and found.phrase == ordinal and found.sentence == sentence


def test_an_ordinal_needs_the_questions_words_and_one_number():
    sentences = ["民主法治示范社区创建第二批申报。", "第三批民主法治示范社区通过验收。"]
    assert find_ordinal("民主法治示范社区第几批", ["民主法治", "示范社区"], sentences) is None  # two sentences, two
    assert find_ordinal("法治宣传队第几批", ["法治", "宣传队"], ["第三批民主法治示范社区通过验收。"]) is None
