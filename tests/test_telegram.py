"""The Telegram bot: the real Application polling a fake Bot API server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys

import pytest

from bot.settings import Settings, SettingsError, load_settings
from conftest import DATA, ROOT
from fake_telegram import callback, edited, inline_query, message
from telegram_harness import ADMIN, GROUP, STAFF, STRANGER, ask, ask_document, free_port, post, serving


def test_start_sets_the_menu_and_shows_examples(fake, bot):
    [reply] = ask(fake, "/start")
    assert "湘江源有多少人民调解员" in reply["text"] and reply["parse_mode"] == "HTML"
    [menu] = fake.sent("setMyCommands")
    assert {command["command"] for command in menu["commands"]} >= {"start", "help", "towns", "town", "q", "about"}


@pytest.mark.parametrize("command, says", [
    ("/towns", ["知识库中有7个乡镇的报告", "湘江源瑶族乡（—）：2024年", "新化乡（安化县）：2024年"]),
    ("/town 湘江源", ["湘江源瑶族乡（2024年）报告中的主要数据", "人民调解员 6名"]),
    ("/town", ["用法：/town"]),
    ("/town 火星镇", ["知识库中没有火星镇的报告"]),
    ("/about", ["7 个乡镇，7 份报告", "更新时间："]),
    ("/help", ["/q", "湘江源有多少人民调解员"]),
    ("/q", ["用法：/q"]),
    ("/reload", ["只有管理员"]),
])
def test_commands(fake, bot, command, says):
    [reply] = ask(fake, command)
    assert all(part in reply["text"] for part in says), reply["text"]


def test_an_admin_reloads_the_knowledge_base(fake, bot):
    [reply] = ask(fake, "/reload", ADMIN)
    assert "已重新加载：7 个乡镇，7 份报告" in reply["text"]


def test_a_question_gets_the_figure_first_with_its_source(fake, bot):
    [reply] = ask(fake, "湘江源有多少人民调解员？")
    assert reply["text"].startswith("<b>湘江源瑶族乡（2024年）：人民调解员 6名</b>")
    assert "<blockquote>" in reply["text"] and "湘江源瑶族乡法治政府建设工作情况报告" in reply["text"]
    assert fake.sent("sendChatAction") == []  # an instant answer spends no rate limit on "typing…"


def test_follow_ups_are_kept_per_chat(fake, bot):
    other = STAFF + 1
    bot.application.bot_data["settings"] = _with_users(bot, STAFF, other)
    ask(fake, "湘江源有多少人民调解员", STAFF)
    ask(fake, "背孜乡有几个执法人员", other)
    [first] = ask(fake, "那执法证呢", STAFF)
    [second] = ask(fake, "那网格呢", other)
    assert "湘江源瑶族乡（2024年）：" in first["text"] and "11名" in first["text"]
    assert "背孜乡（2023年）：" in second["text"] and "10个" in second["text"]


def test_a_town_card_sets_the_township_follow_ups_ask_about(fake, bot):
    ask(fake, "/town 背孜乡")
    [reply] = ask(fake, "那执法人员呢")
    # the card's township, not every township's list (which would hold 背孜乡 too)
    assert reply["text"].startswith("<b>背孜乡（2023年）：") and "7人" in reply["text"], reply["text"]


def test_groups_answer_q_commands_only(fake, bot):
    [reply] = ask(fake, "/q@township_test_bot 湘江源调解员", STAFF, GROUP)
    assert "6名" in reply["text"]
    fake.push(message("湘江源调解员", STAFF, GROUP))  # plain text in a group is not for the bot
    [after] = ask(fake, "/q 背孜乡执法人员", STAFF, GROUP)
    assert "7人" in after["text"] and len(fake.sent(chat_id=GROUP)) == 2


def test_a_stranger_learns_only_their_id_once(fake, bot):
    [reply] = ask(fake, "湘江源有多少人民调解员", STRANGER)
    assert str(STRANGER) in reply["text"] and "6名" not in reply["text"]
    fake.push(message("/towns", STRANGER))
    fake.push(inline_query("湘江源 调解员", STRANGER))
    fake.push(callback("t:1:1", STRANGER, reply))
    [offer] = fake.wait_sent(1, "answerInlineQuery")  # answered empty, so that the stranger's spinner stops
    fake.wait_sent(1, "answerCallbackQuery")
    ask(fake, "/towns", STRANGER, count=0)  # the stranger's chat, in order: the /towns before it was handled
    assert len(fake.sent(chat_id=STRANGER)) == 1 and offer["results"] == []


def test_inline_mode_offers_the_answer(fake, bot):
    fake.push(inline_query("湘江源 调解员", STAFF))
    [offer] = fake.wait_sent(1, "answerInlineQuery")
    [result] = offer["results"]
    assert "6名" in result["title"]
    assert result["input_message_content"]["message_text"].startswith("<b>湘江源瑶族乡")


def test_inline_mode_offers_one_answer_per_township_when_unsure(fake, bot):
    fake.push(inline_query("新花乡 调解员", STAFF))
    [offer] = fake.wait_sent(1, "answerInlineQuery")
    titles = sorted(result["title"] for result in offer["results"])
    assert titles == ["新化乡（2024年）：人民调解员 7名", "新华乡（2024年）：人民调解员 12名"]


def test_ambiguity_asks_with_buttons_and_the_choice_edits_the_message(fake, bot):
    [asked] = ask(fake, "新花乡有多少调解员")
    buttons = [row[0] for row in asked["reply_markup"]["inline_keyboard"]]
    assert sorted(button["text"] for button in buttons) == ["新化乡（安化县）", "新华乡（平阳县）"]
    assert all(len(button["callback_data"].encode()) <= 64 for button in buttons)
    chosen = next(button for button in buttons if button["text"].startswith("新化乡"))
    fake.push(callback(chosen["callback_data"], STAFF, asked))
    [edit] = fake.wait_sent(1, "editMessageText")
    assert edit["text"].startswith("<b>新化乡（2024年）：人民调解员 7名</b>")
    assert fake.sent("answerCallbackQuery")
    [follow_up] = ask(fake, "那执法证呢")  # the choice carries on in the conversation
    assert "新化乡" in follow_up["text"] and "14人" in follow_up["text"]


def test_an_admin_upload_is_read_audited_and_answered_from(fake, bot, kb, tmp_path):
    report = (DATA / "upload" / "2025-qinghe.txt").read_bytes()
    [reply] = ask_document(fake, "2025-qinghe.txt", report, ADMIN)
    assert "已读入：清河镇（2025年）" in reply["text"] and "数据：" in reply["text"]
    assert any(path.endswith("2025-qinghe.txt") for path in fake.downloads)  # fetched over /file/bot…
    [answer] = ask(fake, "清河镇有多少人民调解员")
    assert "清河镇（2025年）：人民调解员 9名" in answer["text"]
    [record] = [json.loads(line) for line in (tmp_path / "uploads.log").read_text("utf-8").splitlines()]
    assert record["user"] == str(ADMIN) and record["file"] == "2025-qinghe.txt" and record["status"] == "added"
    assert record["sha256"] == hashlib.sha256(report).hexdigest()


@pytest.mark.parametrize("name, data, says", [
    ("garbage.txt", bytes(range(256)) * 40, "没有读入"),
    ("empty.txt", b"", "空的"),
    ("scan.pdf", b"%PDF-1.4 fake", "没有读入"),
    ("notes.xlsx", b"PK\x03\x04 fake", "只接受"),
    ("notes.txt", "今天开会，讨论了工作。".encode(), "没有读入"),
])
def test_a_bad_upload_gets_a_clear_reply_and_changes_nothing(fake, bot, kb, name, data, says):
    before = hashlib.sha256(kb.read_bytes()).hexdigest()
    [reply] = ask_document(fake, name, data, ADMIN)
    assert says in reply["text"]
    assert hashlib.sha256(kb.read_bytes()).hexdigest() == before


def test_only_admins_upload(fake, bot, kb):
    before = kb.read_bytes()
    [reply] = ask_document(fake, "2025-qinghe.txt", (DATA / "upload" / "2025-qinghe.txt").read_bytes(), STAFF)
    assert "只有管理员" in reply["text"] and kb.read_bytes() == before and fake.downloads == []


def test_a_long_answer_is_split_into_valid_messages(fake, bot):
    ask_document(fake, "2025-qinghe.txt", (DATA / "upload" / "2025-qinghe.txt").read_bytes(), ADMIN)
    replies = ask(fake, "清河镇存在哪些问题", count=2)
    assert len(replies) >= 2  # the fake refuses any message over 4096 characters or with broken HTML
    assert "&lt;" in "".join(reply["text"] for reply in replies)  # the report's "<" arrives escaped


@pytest.mark.parametrize("update, says", [
    (message("", STAFF, sticker={"file_id": "s1", "file_unique_id": "s1u", "type": "regular", "width": 512,
                                 "height": 512, "is_animated": False, "is_video": False}), "文字"),
    (message("", STAFF, photo=[{"file_id": "p1", "file_unique_id": "p1u", "width": 90, "height": 90}]), "文字"),
    (message("", STAFF, voice={"file_id": "v1", "file_unique_id": "v1u", "duration": 3}), "文字"),
    (edited("湘江源有多少人民调解员", STAFF), "6名"),
    (message("调解员" * 3400, STAFF), "太长"),
    (message("tlhIngan Hol Dajatlh", STAFF), "did not understand"),
])
def test_other_messages_get_a_helpful_reply(fake, bot, update, says):
    fake.push(update)
    [reply] = fake.wait_sent(1, chat_id=STAFF)
    assert says in reply["text"]


def test_rate_limits_and_server_errors_are_survived(fake, bot):
    fake.fail("sendMessage", 429, retry_after=1)
    [first] = ask(fake, "湘江源有多少人民调解员")
    assert "6名" in first["text"]
    fake.fail("sendMessage", 502, times=2)
    [second] = ask(fake, "背孜乡有几个执法人员")
    assert "7人" in second["text"]
    fake.fail("getUpdates", 500, times=2)
    fake.wait_for(lambda: not fake.pending_faults("getUpdates"))  # polling hit both errors, and went on
    [third] = ask(fake, "莲池镇执法证", count=1)
    assert "12人" in third["text"]
    failed = [params["_failed"] for name, params in fake.calls if params.get("_failed")]
    assert failed.count(429) == 1 and failed.count(502) == 2 and failed.count(500) == 2


def test_serve_runs_polls_answers_and_stops_on_sigterm(fake, kb, tmp_path):
    with serving(fake, kb, tmp_path) as process:
        fake.wait_sent(1, "setMyCommands", timeout=30)
        fake.fail("getUpdates", 502)  # logged: the token must not be in the log
        [reply] = ask(fake, "湘江源有多少人民调解员", count=1)
        assert "6名" in reply["text"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    log = process.stderr.read()
    assert "serving by long polling" in log and "stopped" in log
    assert fake.token not in log and "Traceback" not in log


def test_serve_by_webhook_takes_only_updates_with_the_secret(fake, kb, tmp_path):
    port, secret = free_port(), "s3cret-token_for-tests"
    with serving(fake, kb, tmp_path, TELEGRAM_WEBHOOK_URL="https://bot.example.org/telegram",
                 TELEGRAM_WEBHOOK_SECRET=secret, TELEGRAM_WEBHOOK_PORT=str(port)) as process:
        [hook] = fake.wait_sent(1, "setWebhook", timeout=30)
        assert hook["url"] == "https://bot.example.org/telegram" and hook["secret_token"] == secret
        fake.wait_sent(1, "setMyCommands", timeout=30)
        update = {"update_id": 1, **message("湘江源有多少人民调解员", STAFF)}
        assert post(port, update, "wrong-secret") == 403
        assert post(port, update, secret) == 200
        [reply] = fake.wait_sent(1, chat_id=STAFF)
        assert "6名" in reply["text"] and len(fake.sent(chat_id=STAFF)) == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert fake.token not in process.stderr.read()


def test_serve_without_a_token_says_how_to_get_one(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "serve"], cwd=tmp_path, capture_output=True, text=True,
                            env={**env, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert result.returncode == 2 and "BotFather" in result.stderr


def test_settings_refuse_to_serve_everyone_unless_told(tmp_path):
    with pytest.raises(SettingsError, match="TELEGRAM_ALLOW_ALL"):
        load_settings({"TELEGRAM_BOT_TOKEN": "1:x"})
    assert load_settings({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_ALLOW_ALL": "1"}).may_ask(5, 5)
    with pytest.raises(SettingsError, match="not a Telegram id"):
        load_settings({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_ALLOWED_USERS": "12, bob"})


def test_settings_come_from_a_dotenv_file_without_overriding_the_environment(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("TELEGRAM_BOT_TOKEN=from-file\nTELEGRAM_ALLOWED_USERS=1,2,-1003\n"
                        "TELEGRAM_API_URL=http://127.0.0.1:8081/bot\n", "utf-8")
    for key in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_ALLOWED_USERS", "TELEGRAM_API_URL"):
        monkeypatch.setenv(key, "")  # remembered as it was, so what the file sets is undone after the test
        monkeypatch.delenv(key)
    monkeypatch.setenv("TELEGRAM_ALLOWED_USERS", "7")
    settings = load_settings(env_file=env_file)
    assert settings.token == "from-file" and settings.allowed_users == {7}
    assert settings.download_url == "http://127.0.0.1:8081/file/bot" and settings.loopback_api


def _with_users(bot, *users) -> Settings:
    settings = bot.application.bot_data["settings"]
    return Settings(**{**settings.__dict__, "allowed_users": frozenset(users)})


def test_a_damaged_docx_upload_gets_the_reason_and_an_audit_line(fake, bot, kb, tmp_path):
    import io
    import zipfile

    import docx

    document = docx.Document()
    document.add_paragraph("2024年湘江源瑶族乡法治政府建设工作情况报告")
    whole = io.BytesIO()
    document.save(whole)
    junk = io.BytesIO()
    with zipfile.ZipFile(whole) as old, zipfile.ZipFile(junk, "w") as new:
        for item in old.infolist():
            new.writestr(item, b"<Types><junk" if item.filename == "[Content_Types].xml" else old.read(item))
    before = hashlib.sha256(kb.read_bytes()).hexdigest()
    [reply] = ask_document(fake, "damaged.docx", junk.getvalue(), ADMIN)
    assert "damaged.docx" in reply["text"] and "没有读入" in reply["text"]
    [record] = [json.loads(line) for line in (tmp_path / "uploads.log").read_text("utf-8").splitlines()]
    assert record["file"] == "damaged.docx" and record["status"] == "failed"
    assert hashlib.sha256(kb.read_bytes()).hexdigest() == before


DRAFT = "2024年湘江源瑶族乡法治政府建设工作情况报告\n一、2024年度法治政府建设工作开展情况\n我乡配备人民调解员8名，建立调委会6个。\n"


def audit_lines(tmp_path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "uploads.log").read_text("utf-8").splitlines()]


def test_a_report_that_would_replace_another_waits_for_the_admins_yes_and_can_be_undone(fake, bot, tmp_path):
    [asked] = ask_document(fake, "draft.txt", DRAFT.encode(), ADMIN)
    assert "要用“draft.txt”替换它吗" in asked["text"]
    yes, no = [row[0] for row in asked["reply_markup"]["inline_keyboard"]]
    assert yes["text"].startswith("替换（旧 ") and yes["text"].endswith("→ 新 2 条）") and no["text"] == "取消"
    assert "6名" in ask(fake, "湘江源有多少人民调解员")[0]["text"]  # nothing changed while it waits

    fake.push(callback(no["callback_data"], ADMIN, asked))
    [cancelled] = fake.wait_sent(1, "editMessageText")
    assert "已取消" in cancelled["text"] and "6名" in ask(fake, "湘江源有多少人民调解员")[0]["text"]

    [asked] = ask_document(fake, "draft.txt", DRAFT.encode(), ADMIN)
    fake.push(callback(asked["reply_markup"]["inline_keyboard"][0][0]["callback_data"], ADMIN, asked))
    [replaced] = fake.wait_sent(2, "editMessageText")[1:]
    assert "已更新" in replaced["text"] and "/undo" in replaced["text"]
    assert "8名" in ask(fake, "湘江源有多少人民调解员")[0]["text"]

    [undone] = ask(fake, "/undo", ADMIN)
    assert "已撤销" in undone["text"] and "6名" in ask(fake, "湘江源有多少人民调解员")[0]["text"]
    assert [record["status"] for record in audit_lines(tmp_path)] == ["pending", "cancelled", "pending", "replaced",
                                                                       "undone"]


def test_only_admins_undo(fake, bot):
    [reply] = ask(fake, "/undo")
    assert "只有管理员" in reply["text"]


@pytest.mark.parametrize("fault, says", [
    ("drop", "下载中断"),
    ("slow", "下载中断"),
    ("undeclared 30 MB", "文件太大"),
    ("missing", "没有给出文件"),
])
def test_an_upload_that_cannot_be_fetched_is_answered_and_audited(fake, bot, kb, tmp_path, fault, says):
    data = (DATA / "upload" / "2025-qinghe.txt").read_bytes()
    document = fake.add_file("2025-qinghe.txt", b"x" * 30_000_000 if fault.startswith("undeclared") else data,
                             declared=not fault.startswith("undeclared"))
    fake.drop_downloads = fault == "drop"
    fake.download_delay = 3.0 if fault == "slow" else 0.0  # past the test bot's 1 s read timeout
    if fault == "missing":
        fake.files.pop(document["file_id"])
    before = hashlib.sha256(kb.read_bytes()).hexdigest()
    fake.push(message("", ADMIN, document=document))
    [reply] = fake.wait_sent(1, chat_id=ADMIN, timeout=30)
    assert says in reply["text"] and "知识库没有改变" in reply["text"]
    [record] = audit_lines(tmp_path)
    assert record["status"] == "download-failed" and record["file"] == "2025-qinghe.txt"
    assert hashlib.sha256(kb.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("user, name, status", [(STAFF, "2025-qinghe.txt", "not-admin"),
                                                (ADMIN, "notes.xlsx", "rejected")])
def test_uploads_refused_before_download_are_audited(fake, bot, tmp_path, user, name, status):
    ask_document(fake, name, b"PK\x03\x04 whatever", user)
    [record] = audit_lines(tmp_path)
    assert record["status"] == status and record["file"] == name and fake.downloads == []
