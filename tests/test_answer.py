"""Answering: the question set scored (no wrong figure), the JSON contract, follow-ups in a conversation."""

import json
import re

import pytest

from bot.answer import Answerer, Conversation
from bot.evaluate import score, summary
from conftest import DATA, read_tsv, run_cli

QUESTIONS = read_tsv(DATA / "questions.tsv")


@pytest.fixture(scope="module")
def seeds_answerer(seeds_db):
    return Answerer(seeds_db)


def test_seed_questions_score_at_least_95_percent_with_no_wrong_figure(seeds_answerer):
    outcomes = score(seeds_answerer, [row for row in QUESTIONS if row["kb"] == "seeds"])
    wrong = [(o.question, o.headline) for o in outcomes if o.verdict == "wrong"]
    assert wrong == [], summary(outcomes)
    assert sum(o.verdict == "correct" for o in outcomes) / len(outcomes) >= 0.95, summary(outcomes)


def test_corpus_questions_have_no_wrong_figure(corpus_db):
    outcomes = score(Answerer(corpus_db), [row for row in QUESTIONS if row["kb"] == "corpus"])
    assert [(o.question, o.headline) for o in outcomes if o.verdict == "wrong"] == [], summary(outcomes)


def test_never_a_nearby_figure(seeds_answerer):
    # 武陵山乡 states no mediators: its 法律明白人 must not stand in for them.
    reply = seeds_answerer.answer("武陵山乡有多少人民调解员？")
    assert not reply.answered
    assert "没有说明" in reply.headline and reply.facts == []
    assert not re.search(r"\d+\s*[名人位个]", reply.headline)


def test_follow_ups_carry_township_and_topic(seeds_answerer):
    conversation = Conversation()
    first = seeds_answerer.answer("湘江源有多少人民调解员？", conversation)
    assert "6名" in first.headline
    second = seeds_answerer.answer("那执法证呢？", conversation)
    assert second.headline.startswith("湘江源瑶族乡") and "11名" in second.headline
    third = seeds_answerer.answer("四棵树镇呢", conversation)
    assert third.headline.startswith("四棵树镇") and "2人" in third.headline


def test_each_township_lists_those_that_state_it(seeds_answerer):
    reply = seeds_answerer.answer("各乡镇分别有多少人民调解员")
    assert reply.answered and len(reply.lines) == 2  # 湘江源 and 四棵树镇 state it


def test_english_question_gets_english_answer_with_chinese_evidence(seeds_answerer):
    reply = seeds_answerer.answer("How many petitions did Wulingshan handle in 2022?")
    assert reply.headline == "Wulingshan (武陵山乡), 2022: 17 petitions"
    assert "办理信访事项17件" in reply.quotes[0].text


@pytest.mark.parametrize("text", ["", "x" * 10_000, "调解员" * 3000, "🙂🙂", "\x00\x01", "Qapla' batlh Daqawlu'taH"])
def test_odd_input_is_answered_without_error(seeds_answerer, text):
    reply = seeds_answerer.answer(text)
    assert reply.headline


def test_ask_json_contract_over_stdin(seeds_db):
    result = run_cli("--db", str(seeds_db), "ask", "--json", stdin="湘江源有多少人民调解员？\n火星镇有多少调解员\n")
    assert result.returncode == 0, result.stderr
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["answered"] is True and first["text"].splitlines()[0] == "湘江源瑶族乡（2024年）：人民调解员 6名"
    assert first["facts"][0]["value"] == 6 and first["facts"][0]["metric"] == "mediators"
    assert second["answered"] is False and second["facts"] == []


def test_chat_carries_follow_ups_over_a_pipe(seeds_db):
    result = run_cli("--db", str(seeds_db), "chat", "--json", stdin="背孜乡有几个执法人员\n那法律顾问呢\n")
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert [reply["answered"] for reply in replies] == [True, True]
    assert "7人" in replies[0]["text"] and replies[1]["facts"][0]["township"] == "背孜乡"
