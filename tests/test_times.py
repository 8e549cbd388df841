"""Dates and lengths of time asked for (哪天, 多久一次): the one next to the question's words."""

import pytest

from bot.times import asked_kind, find

POINT_HEADS = "大力开展“点位长”工作制度，对环境污染突发问题做到十分钟到达现场、半小时查清点源、一小时落实整改。"


@pytest.mark.parametrize("question, kind", [
    ("杜城街道哪天组织考试", "date"), ("南星 裁量基准制度几月出台的", "date"),
    ("海城镇政法研判多久开一次", "duration"), ("多长时间到达现场", "duration"),
    ("湘江源有多少人民调解员", ""),
])
def test_the_kind_of_time_a_question_asks(question, kind):
    assert asked_kind(question) == kind


@pytest.mark.parametrize("words, shown", [
    (["到达现场"], "十分钟到达现场"), (["查清点源"], "半小时查清点源"), (["落实整改"], "一小时落实整改"),
])
def test_of_several_times_the_one_beside_the_asked_words_answers(words, shown):
    assert find("duration", words, POINT_HEADS).shown == shown


@pytest.mark.parametrize("kind, words, sentence, shown", [
    ("date", ["考试"], "二是于今年3月14日组织全办干部参加党内法规和国家法律知识考试。", "3月14日"),
    ("duration", ["党委会", "定期"], "共开展周例会学法11次、党委会定期学法每月1次，通过主题党日活动学习。", "每月1次"),
    ("duration", ["会前"], "党委会议“会前学习一刻钟”常学议题，开展学习15次。", "一刻钟"),
    ("duration", ["集中学法"], "镇党委班子成员率先垂范，每月至少组织一次集中学法活动。", "每月至少组织一次集中学法活动"),
])
def test_dates_times_and_how_often(kind, words, sentence, shown):
    assert find(kind, words, sentence).shown == shown


def test_a_sentence_without_such_a_time_gives_none():
    assert find("date", ["考试"], "组织全办干部参加法律知识考试3次。") is None
    assert find("duration", ["学法"], "全年集中学法15次。") is None
