"""The Telegram bot under faults and load: nothing lost, doubled, stalled or leaked.

The fake Bot API injects the faults (429, 5xx, HTML error pages, answers that come too late or never
after the call was carried out, calls held back, a revoked token); the bot runs as in production, in a
thread or as a ``township-bot serve`` process that is killed or stopped.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import subprocess
import sys
import time

import pytest
from telegram import Bot
from telegram.error import NetworkError
from telegram.request import HTTPXRequest

from bot.telegram_sending import surely_not_delivered
from conftest import ROOT
from fake_telegram import FakeTelegram, callback, message
from telegram_harness import ADMIN, GROUP, STAFF, RunningBot, ask, bot_settings, free_port, post, serving

# Questions whose answers name their township, so that each answer can be matched to its question.
QUESTIONS = [("湘江源有多少人民调解员", "湘江源瑶族乡"), ("背孜乡有几个执法人员", "背孜乡"), ("莲池镇执法证", "莲池镇"),
             ("新化乡有多少调解员", "新化乡"), ("新华乡有多少调解员", "新华乡")]
USERS = list(range(2001, 2021))  # 20 staff


def staff_bot(fake, kb, tmp_path, **changes) -> RunningBot:
    users = frozenset({STAFF, *USERS})
    return RunningBot(bot_settings(fake, kb, tmp_path, allowed_users=users, **changes), kb)


def push_questions(fake, users, per_user: int) -> dict[int, list[str]]:
    """Each user asks ``per_user`` questions (interleaved across users); returns what each expects, in order."""
    expected: dict[int, list[str]] = {user: [] for user in users}
    for round_ in range(per_user):
        for user in users:
            text, township = QUESTIONS[(user + round_) % len(QUESTIONS)]
            fake.push(message(text, user))
            expected[user].append(township)
    return expected


def assert_answered_once_in_order(fake, expected: dict[int, list[str]]) -> None:
    """Each chat got exactly one answer per question, in the order asked, and no other chat's answer."""
    for user, townships in expected.items():
        replies = [reply["text"] for reply in fake.sent(chat_id=user)]
        assert len(replies) == len(townships), (user, replies)
        for reply, township in zip(replies, townships):
            assert reply.startswith(f"<b>{township}"), (user, township, reply[:40])


def wait_answers(fake, count: int, timeout: float = 60) -> None:
    fake.wait_for(lambda: len(fake.sent()) >= count, timeout)
    time.sleep(0.5)  # room for any extra (doubled) answer to show


# -- 6, 7 and "done when": 200 questions through every kind of fault ------------------------------

def test_200_questions_through_faults_get_200_answers_none_doubled_none_misplaced(fake, kb, tmp_path):
    fake.slow_seconds = 2.0  # past the bot's 1 s read timeout: the call was carried out, the answer came late
    fake.fail("sendMessage", 429, times=3, retry_after=1)
    fake.fail("sendMessage", 502, times=4)
    fake.fail("sendMessage", 500, times=2, page=True)
    fake.after_delivery("sendMessage", "slow", times=3)
    fake.after_delivery("sendMessage", "drop", times=3)
    fake.fail("getUpdates", 502, times=2)
    with staff_bot(fake, kb, tmp_path):
        expected = push_questions(fake, USERS, per_user=10)
        wait_answers(fake, 200)
    assert not fake.pending_faults("sendMessage")  # every fault happened
    assert len(fake.sent()) == 200
    assert_answered_once_in_order(fake, expected)


def test_a_send_that_may_have_arrived_is_not_sent_again(fake, kb, tmp_path):
    fake.slow_seconds = 2.0
    fake.after_delivery("sendMessage", "slow")
    fake.after_delivery("sendMessage", "drop")
    with staff_bot(fake, kb, tmp_path):
        expected = push_questions(fake, [STAFF], per_user=3)
        wait_answers(fake, 3)
        time.sleep(1.5)
    assert_answered_once_in_order(fake, expected)


def test_an_outage_is_outlasted_and_then_the_answer_arrives(fake, kb, tmp_path):
    fake.fail("sendMessage", 503, times=8)  # three tries over 1.5 s would have lost it
    with staff_bot(fake, kb, tmp_path, retry_seconds=20.0):  # waits 0.5, 1, 2, 2.5, 2.5, …: 8 tries in 13.5 s
        [reply] = ask(fake, "湘江源有多少人民调解员", timeout=30)
    assert "6名" in reply["text"] and not fake.pending_faults("sendMessage")


def test_an_answer_that_cannot_be_sent_is_apologised_for_once(fake, kb, tmp_path):
    fake.fail("sendMessage", 503, times=1000, text="湘江源瑶族乡")  # the answer never goes, an apology would
    with staff_bot(fake, kb, tmp_path, retry_seconds=2.0):
        [reply] = ask(fake, "湘江源有多少人民调解员", timeout=20)
        time.sleep(1)
    tries = [params for name, params in fake.calls if name == "sendMessage" and params.get("_failed")]
    assert "没能发出" in reply["text"] and len(fake.sent(chat_id=STAFF)) == 1 and len(tries) >= 3


def test_only_calls_that_never_left_or_were_refused_count_as_not_delivered():
    with socket.socket() as probe:  # a port nobody listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    bot = Bot("1:x", base_url=f"http://127.0.0.1:{closed}/bot",
              request=HTTPXRequest(httpx_kwargs={"trust_env": False}))

    async def refused():
        try:
            await bot.get_me()
        except NetworkError as error:
            return error

    error = asyncio.run(refused())
    assert isinstance(error, NetworkError) and surely_not_delivered(error)


# -- 2 and 11: confirmed only once answered; kill -9 and SIGTERM lose nothing ---------------------

def test_updates_are_confirmed_only_once_answered(fake, kb, tmp_path):
    fake.hold("sendMessage", after=2)
    with staff_bot(fake, kb, tmp_path, request_timeout=30.0):  # the held send is still waiting for its answer
        for text, _ in QUESTIONS[:4]:
            fake.push(message(text, STAFF))
        fake.wait_sent(2)
        time.sleep(1.5)  # several polls while the third answer is held
        assert [update["update_id"] for update in fake.unconfirmed()] == [3, 4]
        fake.release()
        fake.wait_sent(4)
        fake.wait_for(lambda: fake.offset == 5)


def test_kill_9_loses_nothing_and_doubles_nothing(fake, kb, tmp_path):
    env = {"TELEGRAM_ALLOWED_USERS": ",".join(map(str, USERS[:5]))}
    fake.hold("sendMessage", after=5)
    with serving(fake, kb, tmp_path, **env) as process:
        expected = push_questions(fake, USERS[:5], per_user=10)
        fake.wait_sent(5, timeout=30)
        time.sleep(0.5)  # the five answers' marks are written
        process.kill()
        process.wait(10)
    fake.release()
    restart_until_answered(fake, kb, tmp_path, env, expected)


def test_sigterm_while_sends_fail_exits_within_10_s_and_the_next_start_answers_all(fake, kb, tmp_path):
    env = {"TELEGRAM_ALLOWED_USERS": ",".join(map(str, USERS[:4]))}
    fake.fail("sendMessage", 503, times=10_000)
    with serving(fake, kb, tmp_path, **env) as process:
        expected = push_questions(fake, USERS[:4], per_user=10)
        fake.wait_for(lambda: len([name for name, _ in fake.calls if name == "sendMessage"]) >= 4, 30)
        stopped = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        took = time.monotonic() - stopped
    assert took < 10 and len(fake.unconfirmed()) == 40
    fake.heal()
    restart_until_answered(fake, kb, tmp_path, env, expected)


def restart_until_answered(fake, kb, tmp_path, env, expected: dict[int, list[str]]) -> None:
    """Start ``township-bot serve`` again, let it answer every question, stop it; check each answered once."""
    with serving(fake, kb, tmp_path, **env) as process:
        wait_answers(fake, sum(map(len, expected.values())))
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    assert_answered_once_in_order(fake, expected)


# -- 3: one slow chat stalls nobody -----------------------------------------------------------

def test_a_stuck_chat_does_not_hold_the_others(fake, kb, tmp_path):
    with staff_bot(fake, kb, tmp_path, request_timeout=30.0):
        fake.hold("getFile")  # the admin's upload hangs while the file is fetched
        fake.push(message("", ADMIN, document=fake.add_file("report.txt", "湘江源".encode())))
        fake.wait_for(lambda: "getFile" in fake.holding)
        expected = push_questions(fake, USERS[:3], per_user=2)
        wait_answers(fake, 6, timeout=20)
        assert_answered_once_in_order(fake, expected)
        fake.release()
        fake.wait_sent(1, chat_id=ADMIN, timeout=20)


def test_a_group_answers_in_order(fake, kb, tmp_path):
    with staff_bot(fake, kb, tmp_path):
        for text, _ in QUESTIONS:
            fake.push(message(f"/q {text}", STAFF, GROUP))
        replies = fake.wait_sent(5, chat_id=GROUP, timeout=30)
    assert [reply["text"].split("（")[0][3:] for reply in replies] == [township for _, township in QUESTIONS]


# -- 4: an update the library cannot read --------------------------------------------------------

def test_an_unreadable_update_is_skipped_once_without_its_content(fake, kb, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    with staff_bot(fake, kb, tmp_path):
        broken = fake.push({"message": {"message_id": 1, "text": "秘密内容 secret words"}})  # no chat, no date
        [reply] = ask(fake, "湘江源有多少人民调解员")
        polls = len(fake.sent("getUpdates"))
        time.sleep(2)
        assert len(fake.sent("getUpdates")) - polls < 10  # long polls, not a refetch storm
    assert "6名" in reply["text"] and fake.offset > broken["update_id"]
    skipped = [record.getMessage() for record in caplog.records if str(broken["update_id"]) in record.getMessage()
               and "skipped" in record.getMessage()]
    assert len(skipped) == 1 and "秘密" not in caplog.text and "secret words" not in caplog.text


# -- 1 and 5: the token ------------------------------------------------------------------------

def test_a_rejected_token_exits_2_at_once_with_one_line_and_no_token(fake, kb, tmp_path):
    real = fake.token
    fake.token = "999:someone-else"  # the server knows another token: ours gets 401
    with serving(fake, kb, tmp_path, TELEGRAM_BOT_TOKEN=real) as process:
        status = process.wait(20)
    log = process.stderr.read()
    assert status == 2 and "rejected the bot token" in log
    assert real not in log and real.split(":")[1] not in log and "Traceback" not in log
    assert len([line for line in log.splitlines() if "ERROR" in line]) == 1


def test_a_token_revoked_while_polling_exits_2(fake, kb, tmp_path):
    token = fake.token
    with serving(fake, kb, tmp_path) as process:
        ask(fake, "湘江源有多少人民调解员", timeout=30)
        fake.revoke()
        status = process.wait(20)
    log = process.stderr.read()
    assert status == 2 and "rejected the bot token" in log and token not in log


def test_polling_errors_are_one_line_each_without_pages(fake, kb, tmp_path):
    with serving(fake, kb, tmp_path) as process:
        fake.wait_sent(1, "setMyCommands", timeout=30)
        fake.fail("getUpdates", 502, times=2, page=True)
        fake.fail("getUpdates", 500, times=1)
        fake.wait_for(lambda: not fake.pending_faults("getUpdates"), 20)
        ask(fake, "湘江源有多少人民调解员", timeout=30)
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    log = process.stderr.read()
    failures = [line for line in log.splitlines() if "getUpdates failed" in line]
    assert len(failures) == 3 and "<html" not in log and "nginx" not in log and "Traceback" not in log


def test_an_unreachable_bot_api_at_start_is_one_line_per_try(kb, tmp_path):
    with FakeTelegram() as fake:
        api = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens there
        with serving(fake, kb, tmp_path, TELEGRAM_API_URL=api) as process:
            time.sleep(4)
            process.send_signal(signal.SIGTERM)
            assert process.wait(10) == 0
    log = process.stderr.read()
    tries = [line for line in log.splitlines() if "unreachable at start" in line]
    assert len(tries) >= 2 and "Traceback" not in log and fake.token not in log


# -- 12: the smaller ones ------------------------------------------------------------------------

def test_a_double_tap_on_a_button_is_quiet(fake, bot):
    [asked] = ask(fake, "新花乡有多少调解员")
    button = asked["reply_markup"]["inline_keyboard"][0][0]
    fake.push(callback(button["callback_data"], STAFF, asked))
    fake.wait_sent(1, "editMessageText")
    fake.push(callback(button["callback_data"], STAFF, asked))
    fake.wait_for(lambda: len([1 for name, _ in fake.calls if name == "editMessageText"]) == 2)
    [after] = ask(fake, "/about")
    assert len(fake.sent(chat_id=STAFF)) == 2 and "出错" not in after["text"]


def test_a_webhook_post_that_is_not_an_update_gets_400(fake, kb, tmp_path):
    port, secret = free_port(), "s3cret-token_for-tests"
    with serving(fake, kb, tmp_path, TELEGRAM_WEBHOOK_URL="https://bot.example.org/telegram",
                 TELEGRAM_WEBHOOK_SECRET=secret, TELEGRAM_WEBHOOK_PORT=str(port)) as process:
        fake.wait_sent(1, "setWebhook", timeout=30)
        assert post(port, b"{not json", secret) == 400
        assert post(port, [1, 2], secret) == 400
        update = {"update_id": 7, **message("湘江源有多少人民调解员", STAFF)}
        assert post(port, update, secret) == 200
        assert post(port, update, secret) == 200  # Telegram re-posting what it thinks was lost
        fake.wait_sent(1, chat_id=STAFF)
        time.sleep(1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    assert len(fake.sent(chat_id=STAFF)) == 1


@pytest.mark.parametrize("command", ["/town <b>", "/town xyz"])
def test_a_command_with_a_name_that_is_not_chinese_is_answered_in_chinese(fake, bot, command):
    [reply] = ask(fake, command)
    assert any("\u4e00" <= char <= "\u9fff" for char in reply["text"]) and "did not" not in reply["text"]


def test_a_traceback_that_quotes_the_token_is_printed_without_it():
    token = "5550001111:AAH-very-secret-part"
    script = ("from bot.settings import Settings\nfrom bot.telegram_serving import _hide_token\n"
              f"_hide_token(Settings(token={token!r}, db_path=None))\n"
              f"raise RuntimeError('calling https://api.telegram.org/bot{token}/getMe failed')\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" in result.stderr and "RuntimeError" in result.stderr
    assert token not in result.stderr and "AAH-very-secret-part" not in result.stderr and "<token>" in result.stderr
