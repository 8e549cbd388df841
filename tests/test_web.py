"""The web chat over real HTTP on loopback: the API against ``ask --json``, access, limits, bad input,
uploads, concurrency, and ``township-bot web`` as a process."""

from __future__ import annotations

import asyncio
import copy
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import aiohttp
import httpx
import pytest
from conftest import DATA, run_cli
pytest.register_assert_rewrite("web_harness")  # before importing it: it is a plugin too
from web_harness import ADMIN, ROOT, STAFF, free_port  # noqa: E402

from bot.answer import Answerer, Conversation
from bot.render import as_json
from bot.suggest import Suggester
from bot.web_users import StaffFile

pytest_plugins = ["web_harness"]  # its fixtures: shared_web, own_web

QUESTION_OF = {"湘江源": "湘江源有多少人民调解员", "背孜": "背孜乡有几个执法人员", "四棵树": "四棵树镇有多少人民调解员",
               "武陵山": "武陵山乡信访事项多少件", "莲池": "莲池镇存在哪些问题", "新化": "安化县新化乡调解员"}


# -- the API answers as ``ask --json`` does ---------------------------------------------------------

@pytest.mark.parametrize("question", ["湘江源有多少人民调解员？", "哪个乡镇发放宣传资料最多？",
                                      "How many petitions did Wulingshan handle?", "新花乡有多少调解员",
                                      "<img src=x onerror=alert(1)>"])
def test_get_ask_returns_the_line_of_ask_json(shared_web, question):
    expected = run_cli("--db", str(shared_web.db), "ask", "--json", question)
    assert expected.returncode == 0
    with shared_web.client(STAFF) as client:
        reply = client.get("api/ask", params={"q": question})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/json")
    assert reply.json() == json.loads(expected.stdout)
    assert reply.headers["cache-control"] == "no-store"


def test_post_ask_carries_follow_ups_within_a_conversation_only(shared_web):
    with shared_web.client(STAFF) as client:
        first = client.post("api/ask", json={"question": "背孜乡有几个执法人员", "conversation": "c1"}).json()
        follow = client.post("api/ask", json={"question": "那法律顾问呢", "conversation": "c1"}).json()
        alone = client.post("api/ask", json={"question": "那法律顾问呢"}).json()
        other = client.post("api/ask", json={"question": "那法律顾问呢", "conversation": "c2"}).json()
    assert first["answered"] and "7人" in first["text"]
    assert follow["answered"] and follow["facts"][0]["township"] == "背孜乡"
    assert not alone["answered"] and not other["answered"]


def test_conversations_of_two_members_with_the_same_id_are_apart(shared_web):
    with shared_web.client(STAFF) as staff, shared_web.client(ADMIN) as admin:
        staff.post("api/ask", json={"question": "背孜乡有几个执法人员", "conversation": "same"})
        reply = admin.post("api/ask", json={"question": "那法律顾问呢", "conversation": "same"}).json()
    assert not reply["answered"]


def test_chat_gives_the_parts_of_the_answer_and_chips(shared_web):
    with shared_web.client(STAFF) as client:
        conversation = client.post("api/conversation").json()["conversation"]
        reply = client.post("api/chat", json={"conversation": conversation, "question": "湘江源有多少人民调解员？"}).json()
    assert reply["headline"] == "湘江源瑶族乡（2024年）：人民调解员 6名"
    assert reply["quotes"][0]["text"].startswith("配备人民调解员6名")
    assert reply["quotes"][0]["source"] == "2024年湘江源瑶族乡法治政府建设工作情况报告 · 依法行政，积极防范化解社会矛盾"
    assert {"label": "湘江源主要数据", "town": "湘江源瑶族乡"} in reply["suggestions"]
    assert any(chip.get("ask", "").startswith("那") and chip["ask"].endswith("呢") for chip in reply["suggestions"])
    assert all(chip.get("ask") != "那人民调解员呢" for chip in reply["suggestions"])  # not what was just asked


def test_a_name_that_fits_two_townships_gives_choices_and_a_choice_answers(shared_web):
    with shared_web.client(STAFF) as client:
        asked = client.post("api/chat", json={"conversation": "twins", "question": "新花乡有多少调解员"}).json()
        assert sorted(choice["label"] for choice in asked["choices"]) == ["新化乡（安化县）", "新华乡（平阳县）"]
        assert asked["suggestions"] == []
        chosen = {choice["label"]: choice["township"] for choice in asked["choices"]}["新化乡（安化县）"]
        reply = client.post("api/chat", json={"conversation": "twins", "question": asked["question"],
                                              "township": chosen}).json()
        follow = client.post("api/chat", json={"conversation": "twins", "question": "那执法证呢"}).json()
    assert reply["headline"] == "新化乡（2024年）：人民调解员 7名"
    assert follow["headline"].startswith("新化乡") and "14人" in follow["headline"]


def test_towns_town_card_and_help(shared_web):
    with shared_web.client(STAFF) as client:
        towns = client.get("api/towns").json()
        card = client.get("api/town", params={"name": "湘江源"}).json()
        unknown = client.get("api/town", params={"name": "不存在乡"}).json()
        helped = client.get("api/help").json()
        empty = client.get("api/town", params={"name": " "})
    assert towns["headline"] == "知识库中有7个乡镇的报告：" and len(towns["lines"]) == 7
    assert {"label": "湘江源", "town": "湘江源瑶族乡"} in towns["suggestions"]
    assert card["headline"] == "湘江源瑶族乡（2024年）报告中的主要数据：" and "人民调解员 6名" in card["lines"]
    assert card["suggestions"][0] == {"label": "湘江源瑶族乡存在哪些问题", "ask": "湘江源瑶族乡存在哪些问题？"}
    assert not unknown["answered"]
    assert helped["suggestions"][0] == {"label": "湘江源有多少人民调解员？", "ask": "湘江源有多少人民调解员？"}
    assert empty.status_code == 400 and empty.json()["error"] == "no_name"


def test_a_town_card_in_a_conversation_sets_the_township_follow_ups_ask_about(shared_web):
    with shared_web.client(STAFF) as client:
        client.get("api/town", params={"name": "背孜乡", "conversation": "card"})
        follow = client.post("api/chat", json={"conversation": "card", "question": "那执法人员呢"}).json()
        elsewhere = client.post("api/chat", json={"conversation": "other", "question": "那执法人员呢"}).json()
        bad = client.get("api/town", params={"name": "背孜乡", "conversation": "<bad id>"})
    assert follow["answered"] and follow["headline"].startswith("背孜乡") and "7人" in follow["headline"]
    assert not elsewhere["headline"].startswith("背孜乡")  # another conversation: every township's list
    assert bad.status_code == 400


def test_every_follow_up_chip_on_the_seeds_is_answered(seeds_db):
    answerer = Answerer(seeds_db)
    suggester = Suggester(answerer)
    asked = 0
    for town in answerer.kb.townships():
        conversation = Conversation()
        first = answerer.answer(f"{town.short}有多少人民调解员", conversation)
        for chip in suggester.after(first, conversation):
            if "ask" in chip:
                reply = answerer.answer(chip["ask"], copy.deepcopy(conversation))
                asked += 1
                assert reply.answered and town.name in reply.headline, (chip, reply.headline)
            else:
                assert answerer.town_card(chip["town"]).answered
    assert asked >= 15


# -- access ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [("GET", "api/ask?q=湘江源调解员"), ("POST", "api/ask"), ("POST", "api/chat"),
                                          ("GET", "api/towns"), ("GET", "api/town?name=湘江源"), ("GET", "api/help"),
                                          ("POST", "api/conversation"), ("POST", "api/upload")])
def test_nothing_is_answered_without_signing_in(shared_web, method, path):
    with shared_web.client() as client:
        reply = client.request(method, path, json={"question": "湘江源调解员", "conversation": "x"})
    assert reply.status_code == 401 and reply.json()["error"] == "sign_in"
    assert "湘江源" not in reply.text.replace("湘江源调解员", "")


def test_sign_in_sets_a_strict_http_only_cookie_on_the_sub_path(shared_web):
    with shared_web.client() as client:
        wrong = client.post("api/signin", json={"name": STAFF, "code": "aaaa-bbbb-cccc"})
        right = client.post("api/signin", json={"name": f" {STAFF} ", "code": shared_web.codes[STAFF].upper()})
        me = client.get("api/me").json()
        client.post("api/signout")
        after = client.get("api/me").json()
    assert wrong.status_code == 401 and wrong.json()["error"] == "wrong_code" and "set-cookie" not in wrong.headers
    cookie = right.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and f"Path={ROOT}/" in cookie
    assert me == {"user": STAFF, "admin": False, "open": False}
    assert after["user"] is None


def test_a_forged_or_altered_cookie_is_refused(shared_web):
    with shared_web.client(STAFF) as client:
        token = client.cookies["township_bot_session"]
    payload, signature = token.split(".")
    forged = payload.replace(payload[:6], "eyJ1Ij") + "." + signature[::-1]
    for value in (forged, payload + ".", "garbage", token[:-2] + ("AA" if not token.endswith("AA") else "BB")):
        with shared_web.client(cookies={"township_bot_session": value}) as client:
            assert client.get("api/towns").status_code == 401


def test_a_new_code_or_removal_ends_the_members_sessions(own_web):
    web = own_web()
    staff = StaffFile(web.settings.users)
    with web.client(STAFF) as client, web.client(ADMIN) as admin:
        assert client.get("api/towns").status_code == 200
        staff.add(STAFF)
        assert client.get("api/towns").status_code == 401
        staff.remove(ADMIN)
        assert admin.get("api/towns").status_code == 401


def test_sign_in_attempts_are_limited_per_address_and_per_name(own_web):
    web = own_web()
    with web.client(headers={"X-Real-IP": "10.0.0.7"}) as attacker:
        for attempt in range(10):
            assert attacker.post("api/signin", json={"name": STAFF, "code": f"wrong-{attempt}"}).status_code == 401
        limited = attacker.post("api/signin", json={"name": STAFF, "code": web.codes[STAFF]})
        other_name = attacker.post("api/signin", json={"name": ADMIN, "code": web.codes[ADMIN]})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 500
    assert limited.json()["error"] == "too_many_attempts"
    assert other_name.status_code == 429  # the address is limited, whatever name it tries
    with web.client(headers={"X-Real-IP": "10.0.0.8"}) as colleague:
        assert colleague.post("api/signin", json={"name": STAFF, "code": web.codes[STAFF]}).status_code == 429
        assert colleague.post("api/signin", json={"name": ADMIN, "code": web.codes[ADMIN]}).status_code == 200


def test_allow_all_answers_without_signing_in_but_uploads_still_need_an_admin(own_web):
    web = own_web(allow_all=True)
    with web.client() as client:
        assert client.get("api/me").json() == {"user": None, "admin": False, "open": True}
        assert client.get("api/ask", params={"q": "湘江源有多少人民调解员"}).json()["answered"]
        refused = client.post("api/upload", files={"file": ("r.txt", b"x")})
    assert refused.status_code == 403 and refused.json()["error"] == "not_admin"


# -- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, error", [(b"{bad", "bad_json"), (b"[1, 2]", "bad_json"), (b"\xff\xfe", "bad_json"),
                                         (b'{"question": 5}', "bad_question"),
                                         (b'{"question": "x", "conversation": "a b"}', "bad_conversation"),
                                         (b'{"question": "x", "conversation": 7}', "bad_conversation")])
def test_bad_requests_get_400_with_a_reason(shared_web, body, error):
    with shared_web.client(STAFF) as client:
        path = "api/chat" if error == "bad_conversation" and b"7" in body else "api/ask"
        reply = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and reply.json()["error"] == error
    assert "Traceback" not in reply.text


def test_a_choice_must_be_a_township_number(shared_web):
    with shared_web.client(STAFF) as client:
        reply = client.post("api/chat", json={"conversation": "c", "question": "新花乡调解员", "township": "1; drop"})
    assert reply.status_code == 400 and reply.json()["error"] == "bad_township"


def test_a_100_kb_question_is_refused_and_the_server_goes_on(shared_web):
    question = "湘江源有多少人民调解员" * 3_100  # 34,100 characters, 102 kB of UTF-8
    assert len(question.encode()) > 100_000
    with shared_web.client(STAFF) as client:
        cookie = f"township_bot_session={client.cookies['township_bot_session']}"
        connection = http.client.HTTPConnection("127.0.0.1", shared_web.settings.port, timeout=30)
        connection.request("GET", f"{ROOT}/api/ask?q={urllib.parse.quote(question)}",  # 307 kB: too long for httpx
                           headers={"Cookie": cookie})
        got = connection.getresponse()
        got_body = json.loads(got.read())
        connection.close()
        posted = client.post("api/ask", json={"question": question})
        chatted = client.post("api/chat", json={"question": question, "conversation": "long"})
        huge = client.post("api/ask", content=b'{"question": "' + b"a" * 400_000 + b'"}')
        after = client.get("api/ask", params={"q": "湘江源有多少人民调解员"})
    assert got.status == 413 and got_body["error"] == "too_long"  # the whole request line read, answered in JSON
    for reply in (posted, chatted):
        assert reply.status_code == 413 and reply.json()["error"] == "too_long" and "问题太长了" in reply.json()["message"]
    assert huge.status_code == 413 and huge.json()["error"] == "too_big"
    assert after.status_code == 200 and after.json()["answered"]


def test_unknown_addresses_and_methods_get_json_errors(shared_web):
    with shared_web.client(STAFF) as client:
        missing, wrong_method = client.get("api/nothing"), client.delete("api/ask")
        outside = client.get(f"http://127.0.0.1:{shared_web.settings.port}/api/ask?q=x")
        bare = client.get(f"http://127.0.0.1:{shared_web.settings.port}{ROOT}", follow_redirects=False)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "method_not_allowed"
    assert outside.status_code == 404  # everything lives under the root path
    assert bare.status_code == 302 and bare.headers["location"] == f"{ROOT}/"


def test_an_internal_error_is_json_without_a_traceback(own_web):
    web = own_web()
    with web.client(STAFF) as client:
        web.db.write_bytes(b"this is no longer a knowledge base" * 1000)  # damaged under the running server
        reply = client.get("api/ask", params={"q": "四棵树镇有多少人民调解员"})
        health = client.get("api/health")
    assert reply.status_code == 500 and reply.json() == {"error": "internal", "message": "抱歉，出错了，请稍后再试。"}
    assert health.json() == {"ok": True}


def test_the_page_and_its_files_are_served_with_a_strict_policy(shared_web):
    with shared_web.client() as client:
        page, script, style = client.get(""), client.get("static/chat.js"), client.get("static/chat.css")
        missing = client.get("static/../web.py")
    policy = page.headers["content-security-policy"]
    assert page.status_code == 200 and "乡镇法治报告助手" in page.text
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "<script>" not in page.text and " style=" not in page.text  # nothing inline: the policy allows none
    assert "http://" not in page.text + script.text + style.text and "https://" not in page.text + script.text + style.text
    assert "innerHTML" not in script.text  # everything shown is placed as text
    assert script.headers["content-type"].startswith("text/javascript") and page.headers["x-frame-options"] == "DENY"
    assert missing.status_code == 404


STATIC = Path(__file__).resolve().parent.parent / "bot" / "web_static"  # the files the page is served from
# Node's own copy of acorn (Node bundles it for its REPL) or an installed one: a real JavaScript parser.
_PARSE_ES5 = """
let acorn;
try { acorn = require('acorn'); } catch (e) {
  try { acorn = require('internal/deps/acorn/acorn/dist/acorn'); } catch (e) { console.log('no acorn'); process.exit(3); }
}
try { acorn.parse(require('fs').readFileSync(process.argv[1], 'utf8'), {ecmaVersion: 5}); }
catch (e) { console.log(e.message); process.exit(1); }
"""


def test_the_script_is_es5_for_the_in_app_browsers_of_older_phones():
    """WeChat's and WeCom's in-app browsers on older phones run old engines (the X5 kernel, iOS 12's WebKit):
    chat.js must parse as ECMAScript 5."""
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        pytest.skip("no Node.js installed to parse chat.js as ES5: apt-get install -y nodejs")
    done = subprocess.run([node, "--expose-internals", "-e", _PARSE_ES5, str(STATIC / "chat.js")],
                          capture_output=True, text=True, timeout=60)
    if done.returncode == 3:
        pytest.skip("Node.js has no acorn to parse chat.js with")
    assert done.returncode == 0, f"chat.js is not ES5: {done.stdout.strip()} {done.stderr.strip()[-300:]}"


def test_the_style_lays_out_without_flex_gap():
    """Flex ``gap`` is laid out as nothing before iOS 14.5 and Chromium 84 (older in-app browsers): the style spaces
    flex items with margins."""
    style = re.sub(r"/\*.*?\*/", "", (STATIC / "chat.css").read_text(encoding="utf-8"), flags=re.S)
    assert not re.findall(r"(?<![-\w])(?:row-|column-)?gap\s*:", style)


# -- concurrency ----------------------------------------------------------------------------------

def test_200_concurrent_conversations_are_all_answered_and_never_mixed(shared_web):
    answerer = Answerer(shared_web.db)
    expected = {}
    for town, question in QUESTION_OF.items():  # each township's two answers, asked one after the other
        conversation = Conversation()
        expected[town] = [json.loads(as_json(answerer.answer(text, conversation))) for text in (question, "那执法证呢")]
    towns = list(QUESTION_OF)

    async def converse(session: aiohttp.ClientSession, index: int) -> tuple[str, list[dict]]:
        town, conversation = towns[index % len(towns)], f"conv-{index}"
        replies = []
        for text in (QUESTION_OF[town], "那执法证呢"):
            async with session.post("api/ask", json={"question": text, "conversation": conversation}) as reply:
                assert reply.status == 200
                replies.append(await reply.json())
        return town, replies

    async def main():
        async with aiohttp.ClientSession(base_url=shared_web.base, connector=aiohttp.TCPConnector(limit=0),
                                         cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # unsafe: an IP
            signed = await session.post("api/signin", json={"name": STAFF, "code": shared_web.codes[STAFF]})
            assert signed.status == 200
            return await asyncio.gather(*(converse(session, index) for index in range(200)))

    results = asyncio.run(main())
    assert len(results) == 200
    for town, replies in results:
        assert replies == expected[town]
    assert sum(replies[1]["answered"] for _, replies in results) >= 150  # the follow-ups carried their township


# -- admins' reports ------------------------------------------------------------------------------

def test_an_admin_uploads_a_report_and_it_is_answered_from_at_once(own_web):
    web = own_web()
    report = (DATA / "upload" / "2025-qinghe.txt").read_bytes()
    with web.client(STAFF) as staff, web.client(ADMIN) as admin:
        before = staff.get("api/towns").json()
        refused = staff.post("api/upload", files={"file": ("2025-qinghe.txt", report)})
        stored = admin.post("api/upload", files={"file": ("2025-qinghe.txt", report)}).json()
        after = staff.get("api/towns").json()
        again = admin.post("api/upload", files={"file": ("2025-qinghe.txt", report)}).json()
        wrong_kind = admin.post("api/upload", files={"file": ("notes.exe", b"MZ")})
    assert refused.status_code == 403
    assert stored["stored"] and stored["lines"][0].startswith("已读入：")
    assert len(after["lines"]) == len(before["lines"]) + 1
    assert not again["stored"]
    assert wrong_kind.status_code == 415 and "只接受" in wrong_kind.json()["message"]
    log = [json.loads(line) for line in web.settings.upload_log.read_text(encoding="utf-8").splitlines()]
    assert [(entry["user"], entry["status"]) for entry in log] == [(f"web:{ADMIN}", "added"), (f"web:{ADMIN}", "unchanged")]


def test_a_replacement_waits_for_the_admins_confirmation_and_can_be_undone(own_web):
    web = own_web()
    original = (DATA / "upload" / "2025-qinghe.txt").read_text(encoding="utf-8")
    changed = original.replace("。", "。另外，", 1).encode()
    with web.client(ADMIN) as admin:
        assert admin.post("api/upload", files={"file": ("a.txt", original.encode())}).json()["stored"]
        asked = admin.post("api/upload", files={"file": ("b.txt", changed)}).json()
        assert not asked["stored"] and asked["confirm"]["label"].startswith("替换")
        wrong = admin.post("api/upload/confirm", json={"token": "not-a-token", "replace": True})
        done = admin.post("api/upload/confirm", json={"token": asked["confirm"]["token"], "replace": True}).json()
        reused = admin.post("api/upload/confirm", json={"token": asked["confirm"]["token"], "replace": True})
        undone = admin.post("api/upload/undo").json()
    assert wrong.status_code == 410 and reused.status_code == 410
    assert done["stored"] and "替换" in done["lines"][0]
    assert undone["stored"] and undone["lines"][0].startswith("已撤销")
    statuses = [json.loads(line)["status"] for line in web.settings.upload_log.read_text(encoding="utf-8").splitlines()]
    assert statuses == ["added", "pending", "replaced", "undone"]


@pytest.mark.parametrize("request_kwargs, status, error", [
    ({"json": {"file": "a.txt"}}, 400, "bad_upload"),
    ({"content": b"--zz\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=zz"}}, 400, "bad_upload"),
    ({"files": {"other": ("a.txt", b"text")}}, 400, "bad_upload"),
    ({"files": {"file": ("big.txt", b"x" * (10 * 1024 * 1024 + 1))}}, 413, "too_big"),
])
def test_a_bad_upload_is_refused_with_a_reason_and_changes_nothing(own_web, request_kwargs, status, error):
    web = own_web()
    before = web.db.read_bytes()
    with web.client(ADMIN) as admin:
        reply = admin.post("api/upload", **request_kwargs)
    assert reply.status_code == status and reply.json()["error"] == error
    assert web.db.read_bytes() == before


# -- ``township-bot web`` as a process --------------------------------------------------------------

def _web_process(tmp_path, *args, env=None):
    full_env = {key: value for key, value in os.environ.items() if not key.startswith("TOWNSHIP_BOT_WEB_")}
    full_env.update({"PYTHONUTF8": "1", "TOWNSHIP_BOT_WEB_USERS": str(tmp_path / "staff.json"), **(env or {})})
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=full_env, cwd=tmp_path)


def test_web_refuses_to_start_with_nobody_to_sign_in(tmp_path, seeds_db):
    process = _web_process(tmp_path, "--db", str(seeds_db), "web", "--port", str(free_port()))
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "township-bot web-user add" in output and "TOWNSHIP_BOT_WEB_ALLOW_ALL" in output


def test_web_user_add_prints_a_code_that_signs_in_and_web_stops_cleanly_on_sigterm(tmp_path, seeds_db):
    env = {"TOWNSHIP_BOT_WEB_USERS": str(tmp_path / "staff.json")}
    added = run_cli("web-user", "add", "王五", "--admin", env=env)
    code = added.stdout.strip()
    assert added.returncode == 0 and len(code) == 14 and code.count("-") == 2
    assert (tmp_path / "staff.json").stat().st_mode & 0o777 == 0o600
    assert "王五\tadmin" in run_cli("web-user", "list", env=env).stdout
    port = free_port()
    process = _web_process(tmp_path, "--db", str(seeds_db), "web", "--port", str(port), "--root-path", "/bot/")
    try:
        base = f"http://127.0.0.1:{port}/bot/"
        for _ in range(200):
            try:
                page = httpx.get(base, timeout=5)
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        with httpx.Client(base_url=base) as client:
            assert client.post("api/signin", json={"name": "王五", "code": code}).json() == {"user": "王五", "admin": True}
            assert client.get("api/ask", params={"q": "湘江源有多少人民调解员"}).json()["answered"]
        assert page.status_code == 200 and "chat.js" in page.text
        assert (tmp_path / "web-secret").stat().st_mode & 0o777 == 0o600
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert "stopped" in output and "Traceback" not in output


def test_allow_all_is_stated_loudly_in_the_log(tmp_path, seeds_db):
    port = free_port()
    process = _web_process(tmp_path, "--db", str(seeds_db), "web", "--port", str(port),
                           env={"TOWNSHIP_BOT_WEB_ALLOW_ALL": "1"})
    try:
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "serving the chat" in line or not line:
                break
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=15)
    finally:
        process.kill()
    output = "".join(lines) + rest
    assert "ANYONE WHO REACHES" in output and "WARNING" in output
    assert process.returncode == 0


def test_answering_processes_come_from_the_command_line_or_the_environment():
    from bot.web_settings import WebSettingsError, load_web_settings

    assert load_web_settings(processes=3, environ={"TOWNSHIP_BOT_WEB_PROCESSES": "5"}).answering_processes == 3
    assert load_web_settings(environ={"TOWNSHIP_BOT_WEB_PROCESSES": "5"}).answering_processes == 5
    assert load_web_settings(environ={}).answering_processes == max(1, (os.cpu_count() or 1) - 1)
    for environ, processes in (({"TOWNSHIP_BOT_WEB_PROCESSES": "two"}, None), ({}, 0), ({}, 65)):
        with pytest.raises(WebSettingsError):
            load_web_settings(processes=processes, environ=environ)
