"""Numbered labels asked by the noun they name (什么工作思路 → “1361”工作思路)."""

import pytest

from bot.labels import asks_which, find

GUANGZHOU = "围绕省委“1310”具体部署和市委“1312”思路举措，对标对表《广州市法治政府建设实施纲要》，推动工作落实落细。"


@pytest.mark.parametrize("question, words, shown", [
    ("吴家镇立足实际谋划部署的是什么工作思路?", ["谋划", "部署", "工作思路"], "“1361”工作思路"),
    ("江南中街道围绕的市委思路举措是哪个?", ["围绕", "市委", "思路", "举措"], "“1312”思路举措"),
    ("良垌 围绕的省委具体部署是哪个", ["围绕", "省委", "部署"], "“1310”具体部署"),
])
def test_the_label_before_the_asked_noun_of_the_asked_owner_answers(question, words, shown):
    sentences = ["立足吴家实际谋划部署“1361”工作思路，以法治保障发展。", GUANGZHOU]
    found = find(question, words, sentences)
    assert found is not None and found.shown == shown


def test_two_labels_that_fit_answer_nothing():
    # no owner named: 省委“1310”具体部署 and 区委“1311”具体安排 both fit 具体
    assert find("围绕的具体部署安排是哪个", ["具体"], ["围绕省委“1310”具体部署和区委“1311”具体安排。"]) is None


def test_a_label_whose_noun_the_question_does_not_name_answers_nothing():
    assert find("七星镇紧扣的区委总体架构是哪个", ["紧扣", "区委", "总体", "架构"], [GUANGZHOU]) is None


@pytest.mark.parametrize("question, which", [
    ("七星镇紧扣的区委总体架构是哪个?", True), ("吴家镇的工作思路是什么", True),
    ("七星镇有几个总体架构", False), ("多少个社区", False),
])
def test_which_questions(question, which):
    assert asks_which(question) is which
