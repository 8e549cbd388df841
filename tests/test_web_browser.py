"""The chat page driven as a person would, in a real headless Chromium at a phone's size (360 × 740).

Uses the system's Chromium (Debian: ``apt-get install chromium``) through Playwright; no browser is ever
downloaded. Where none is installed these tests skip, saying so. Set TOWNSHIP_BOT_CHROMIUM to use another
binary, and TOWNSHIP_BOT_SCREENSHOTS to a folder to keep the screenshot of the conversation.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
pytest.register_assert_rewrite("web_harness")  # before importing it: it is a plugin too
from web_harness import STAFF  # noqa: E402

pytest_plugins = ["web_harness"]  # its fixtures: shared_web, own_web

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install -e '.[test]'")
CHROMIUM = os.environ.get("TOWNSHIP_BOT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="no Chromium installed: apt-get install -y chromium "
                                                     "(or set TOWNSHIP_BOT_CHROMIUM to a Chromium binary)")
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}
ANSWERS = ".msg.bot:not(.typing)"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, shared_web):
    """A phone's page on the chat, before signing in; fails the test on any script error, console error (a
    refused request aside: the tests check those) or dialog."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
    page.on("dialog", lambda dialog: (page.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("console", lambda message: page.problems.append(message.text)  # CSP violations among them
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.goto(shared_web.base)
    yield page
    context.close()
    assert page.problems == []


@pytest.fixture
def chat(page, shared_web):
    """The page signed in as a member of staff, greeted."""
    sign_in(page, STAFF, shared_web.codes[STAFF])
    return page


def sign_in(page, name: str, code: str) -> None:
    page.fill("#name", name)
    page.fill("#code", code)
    page.click("#signin-submit")
    page.wait_for_selector(ANSWERS)  # the greeting


def ask(page, text: str):
    """Type ``text`` and press Enter as a person would; the answer's bubble once it is there."""
    before = page.locator(ANSWERS).count()
    page.fill("#question", text)
    page.press("#question", "Enter")
    return wait_for_answer(page, before)


def wait_for_answer(page, before: int):
    answer = page.locator(ANSWERS).nth(before)
    answer.wait_for()
    return answer


def test_sign_in_refuses_a_wrong_code_then_greets_with_chips(page, shared_web):
    assert page.locator("#signin-form").is_visible() and not page.locator("#question").is_visible()
    page.fill("#name", STAFF)
    page.fill("#code", "aaaa-bbbb-cccc")
    page.click("#signin-submit")
    sync_api.expect(page.locator("#signin-error")).to_contain_text("访问码不对")
    sign_in(page, STAFF, shared_web.codes[STAFF])
    assert page.locator("#question").is_visible()
    assert page.text_content("#who") == STAFF
    assert page.locator(".chip").first.text_content() == "湘江源有多少人民调解员？"
    assert page.locator("#upload").is_hidden()  # not an admin


def test_a_figure_question_a_follow_up_and_a_chip(chat, tmp_path):
    answer = ask(chat, "湘江源有多少人民调解员？")
    headline = answer.locator(".headline")
    assert headline.text_content() == "湘江源瑶族乡（2024年）：人民调解员 6名"
    assert int(headline.evaluate("node => getComputedStyle(node).fontWeight")) >= 700
    assert answer.locator(".quote").first.text_content().startswith("配备人民调解员6名")
    assert answer.locator(".source").first.text_content().startswith("—— 2024年湘江源瑶族乡法治政府建设工作情况报告")
    assert chat.locator(".msg.user").last.text_content() == "湘江源有多少人民调解员？"

    follow = ask(chat, "那执法证呢")
    assert follow.locator(".headline").text_content() == "湘江源瑶族乡（2024年）：行政执法证 11名"

    chip = chat.locator(".chip", has_text="主要数据")
    before = chat.locator(ANSWERS).count()
    chip.tap()
    card = wait_for_answer(chat, before)
    assert card.locator(".headline").text_content() == "湘江源瑶族乡（2024年）报告中的主要数据："
    assert "人民调解员 6名" in card.locator(".line").all_text_contents()

    assert chat.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    folder = Path(os.environ.get("TOWNSHIP_BOT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shot = chat.screenshot(path=str(folder / "web-chat-conversation.png"), full_page=True)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(shot[16:20], "big") == 720  # 360 px at 2×


def test_an_ambiguous_name_asks_with_buttons_and_a_tap_answers(chat):
    asked = ask(chat, "新花乡有多少调解员")
    assert asked.locator(".headline").text_content() == "您问的是哪个乡镇？"
    buttons = asked.locator("button.choice")
    assert sorted(buttons.all_text_contents()) == ["新化乡（安化县）", "新华乡（平阳县）"]
    before = chat.locator(ANSWERS).count()
    buttons.filter(has_text="新化乡").tap()
    chosen = wait_for_answer(chat, before)
    assert chosen.locator(".headline").text_content() == "新化乡（2024年）：人民调解员 7名"
    assert buttons.first.is_disabled() and buttons.last.is_disabled()
    assert ask(chat, "那执法证呢").locator(".headline").text_content().startswith("新化乡")


def test_an_english_question_gets_an_english_answer(chat):
    answer = ask(chat, "How many petitions did Wulingshan handle?")
    assert answer.locator(".headline").text_content().startswith("Wulingshan")


def test_markup_in_a_question_is_shown_as_text_and_never_runs(chat):
    attack = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    answer = ask(chat, attack)
    assert chat.locator(".msg.user").last.text_content() == attack
    assert chat.locator("#messages img, #messages script").count() == 0
    assert answer.locator(".headline").text_content()  # answered (or refused) as text; no dialog (checked by page)


def test_the_township_list_and_a_new_conversation(chat):
    before = chat.locator(ANSWERS).count()
    chat.click("#towns")
    listed = wait_for_answer(chat, before)
    assert listed.locator(".headline").text_content() == "知识库中有7个乡镇的报告："
    assert chat.locator(".chip", has_text="四棵树").count() == 1

    ask(chat, "背孜乡有几个执法人员")
    chat.click("#new")
    sync_api.expect(chat.locator(".msg.user")).to_have_count(0)
    wait_for_answer(chat, 0)  # the greeting of the new conversation
    forgotten = ask(chat, "那法律顾问呢")
    assert "背孜" not in forgotten.locator(".headline").text_content()  # the new conversation has no township


def test_the_town_command_typed_in_the_composer(chat):
    card = ask(chat, "/town 四棵树")
    assert card.locator(".headline").text_content().startswith("四棵树镇（2023年）报告中的主要数据")
