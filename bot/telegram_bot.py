"""The Telegram handlers: python-telegram-bot v22 over the same ``Answerer`` as the console.

Each handler is a short function that turns an update into a call of ``Answerer`` (or of
``bot.uploads``) and sends the rendered reply; ``build_application`` only wires them. Shared state
lives in ``application.bot_data``: the settings, the answering thread (``bot.answering``: the knowledge
base is read off the event loop, one question at a time) and a lock that serialises uploads.
How updates arrive and when they are confirmed is ``bot.telegram_serving``'s business.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

os.environ.setdefault("PTB_TIMEDELTA", "1")  # python-telegram-bot v22: durations as timedelta, as v23 will have

from telegram import (BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle,
                      InputTextMessageContent, Update)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, ApplicationHandlerStop,
                          CallbackQueryHandler, CommandHandler, ContextTypes, Defaults, InlineQueryHandler,
                          MessageHandler, TypeHandler, filters)
from telegram.request import HTTPXRequest

from bot.answer import Answer, Answerer, Conversation
from bot.answering import AnsweringThread
from bot.render import as_html, as_text, split_message
from bot.settings import Settings
from bot.telegram_sending import Undeliverable, one_line, send
from bot.uploads import (MAX_UPLOAD_BYTES, PendingUploads, Prepared, audit, cancel_upload, check_upload,
                         commit_upload, prepare_upload, undo_last)

log = logging.getLogger("township_bot.telegram")

MAX_QUESTION_CHARS = 500  # a question is a line or two; a pasted page is not a question
PENDING_CHOICES = 20  # questions per chat kept for their "which township?" buttons
DOWNLOAD_SECONDS = 60.0  # an upload's download, whole
TYPING_AFTER = 1.0  # seconds an answer may take before "typing…" is shown (each chat action costs rate limit)
COMMANDS = [
    ("start", "开始：能问什么 · what I can answer"),
    ("help", "帮助和提问示例 · help"),
    ("towns", "知识库中的乡镇和年份 · townships"),
    ("town", "一个乡镇的主要数据：/town 湘江源"),
    ("q", "提问（群里用）：/q 湘江源有多少调解员"),
    ("about", "知识库规模和更新时间 · about"),
]


# -- access -------------------------------------------------------------------------------------

async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop every update from anyone who is not staff; tell a stranger (once) their user id, nothing more.

    A stranger's inline query gets no results and their button press an empty answer, so that their
    spinner stops; neither says anything about the reports."""
    settings: Settings = context.bot_data["settings"]
    user, chat = update.effective_user, update.effective_chat
    if user is not None and settings.may_ask(user.id, chat.id if chat else None):
        return
    if update.inline_query:
        await _send(context, update.inline_query.answer, [], cache_time=0, is_personal=True)
    elif update.callback_query:
        await _send(context, update.callback_query.answer)
    warned: set[int] = context.bot_data.setdefault("warned", set())
    if user is not None and update.message and chat and chat.type == ChatType.PRIVATE and user.id not in warned:
        warned.add(user.id)
        await _send(context, update.message.reply_text,
                    f"本机器人仅供乡镇工作人员使用。如需使用，请把您的用户 ID 发给管理员：<code>{user.id}</code>")
    log.info("stopped an update from user %s", user.id if user else "-")
    raise ApplicationHandlerStop


# -- commands -----------------------------------------------------------------------------------

async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: what the bot does, with three example questions."""
    await _reply(update, context, await _answering(context, _answerer(context).help, _english(update)))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: how to ask, with examples."""
    answer = await _answering(context, _answerer(context).help, _english(update))
    answer.notes.append("私聊时直接发问题即可；在群里用 /q 加问题。管理员可以发送报告文件（.txt .docx .pdf .html）来更新知识库。")
    await _reply(update, context, answer)


async def towns(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/towns: the townships and years in the knowledge base."""
    await _reply(update, context, await _answering(context, _answerer(context).townships, _english(update)))


async def town(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/town NAME: a one-screen card of a township's key figures."""
    name = " ".join(context.args or [])
    if not name:
        await _send(context, update.effective_message.reply_text, "用法：/town 乡镇名，例如 /town 湘江源")
        return
    await _reply(update, context, await _answering(context, _answerer(context).town_card, name, _english(update),
                                                   _conversation(context)))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/q QUESTION: a question, in groups (where the bot sees only commands) or anywhere."""
    text = " ".join(context.args or [])
    if not text:
        await _send(context, update.effective_message.reply_text, "用法：/q 问题，例如 /q 湘江源有多少人民调解员？")
        return
    await _answer_question(update, context, text)


async def about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/about: the knowledge base's size and build date."""
    stats = await _answering(context, lambda: _answerer(context).kb.stats())
    await _send(context, update.effective_message.reply_text,
                f"<b>乡镇法治政府建设报告助手</b>\n知识库：{stats['townships']} 个乡镇，{stats['reports']} 份报告，"
                f"{stats['facts']} 条数据，{stats['sentences']} 句原文\n更新时间：{html.escape(stats['built_at'])}\n"
                "每个数字都来自报告原文，并注明出处；报告没有写的，不会编造。")


async def reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload (admins): re-read the knowledge base from its file."""
    if not context.bot_data["settings"].is_admin(update.effective_user.id):
        await _send(context, update.effective_message.reply_text, "只有管理员可以重新加载知识库。")
        return
    answerer = _answerer(context)
    await _answering(context, answerer.reload)
    stats = await _answering(context, answerer.kb.stats)
    await _send(context, update.effective_message.reply_text,
                f"已重新加载：{stats['townships']} 个乡镇，{stats['reports']} 份报告，{stats['facts']} 条数据。")


# -- questions ----------------------------------------------------------------------------------

async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question; follow-ups carry on in the chat's conversation."""
    await _answer_question(update, context, update.effective_message.text or "")


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A "which township?" button: edit the question back into the answer for the chosen township."""
    query = update.callback_query
    await _send(context, query.answer, retry_seconds=0)  # stops the button's spinner; a courtesy
    try:
        _, township_id, key = (query.data or "").split(":")
        text = context.chat_data.get("pending", {})[int(key)]
    except (ValueError, KeyError):
        await _send(context, query.edit_message_text, "这个选择已过期，请重新提问。")
        return
    answer = await _answering(context, _answerer(context).answer_choice, int(township_id), text,
                              _conversation(context))
    pieces = split_message(as_html(answer))
    await _send(context, query.edit_message_text, pieces[0], plain=as_text(answer))
    for piece in pieces[1:]:
        await _send(context, query.message.reply_text, piece)


async def inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline mode (@bot 湘江源 调解员): offer the answer, or one answer per township when unsure, to send."""
    text = update.inline_query.query.strip()[:MAX_QUESTION_CHARS]
    answers = await _answering(context, _inline_answers, _answerer(context), text) if text else []
    results = [InlineQueryResultArticle(
        id=str(index), title=reply.headline[:100], description=" ".join(reply.lines[:2])[:200] or None,
        input_message_content=InputTextMessageContent(split_message(as_html(reply))[0], parse_mode=ParseMode.HTML))
        for index, reply in enumerate(answers)]
    await _send(context, update.inline_query.answer, results, cache_time=30, is_personal=True)


def _inline_answers(answerer: Answerer, text: str) -> list[Answer]:
    """The answer to ``text``, or one answer per township when it is unsure which (at most five)."""
    answer = answerer.answer(text)
    return ([answerer.answer_choice(township_id, text) for township_id, _ in answer.choices] or [answer])[:5]


async def other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice and the like: say what the bot can read."""
    await _send(context, update.effective_message.reply_text,
                "我只能读文字问题，例如：湘江源有多少人民调解员？（管理员可以发送报告文件：.txt .docx .pdf .html）")


async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document in a private chat: an admin's report for the knowledge base. Every attempt is audited and
    answered with why; a report that would replace a stored one waits for the admin's confirmation."""
    settings: Settings = context.bot_data["settings"]
    user, message = update.effective_user, update.effective_message
    name, who = message.document.file_name or "report", _who(update)
    if not settings.is_admin(user.id):
        audit(settings.audit_log, who, name, None, "not-admin", "not an admin")
        await _send(context, message.reply_text, "只有管理员可以上传报告。要提问，请直接发文字。")
        return
    problem = check_upload(name, message.document.file_size)
    if problem:
        audit(settings.audit_log, who, name, None, "rejected", problem)
        await _send(context, message.reply_text, html.escape(problem))
        return
    await _typing(update, context, ChatAction.UPLOAD_DOCUMENT)
    try:
        data = await _download(context, message.document.file_id)
    except DownloadFailed as error:
        reply = f"没有读入“{name}”：{error}。知识库没有改变，请重新发送。"
        audit(settings.audit_log, who, name, None, "download-failed", reply)
        await _send(context, message.reply_text, html.escape(reply))
        return
    prepared = await asyncio.to_thread(prepare_upload, name, data, context.bot_data["db_path"])
    log.info("upload %s by %s: %s", name, user.id, prepared.kind)
    if not prepared.replaces:
        await _send(context, message.reply_text, await _store(context, prepared, who))
        return
    key = context.bot_data["pending_uploads"].ask(prepared, who)
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton(prepared.replace_label, callback_data=f"u:y:{key}")],
                                    [InlineKeyboardButton("取消", callback_data=f"u:n:{key}")]])
    await _send(context, message.reply_text, "\n".join(map(html.escape, prepared.lines)), reply_markup=buttons)


async def confirm_upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The admin's answer to "replace the stored report?": store the upload, or drop it."""
    query, settings = update.callback_query, context.bot_data["settings"]
    await _send(context, query.answer, retry_seconds=0)
    _, choice, key = (query.data or "::").split(":", 2)
    prepared = context.bot_data["pending_uploads"].take(key, _who(update))
    if prepared is None or not settings.is_admin(update.effective_user.id):
        await _send(context, query.edit_message_text, "这个确认已过期，请重新发送文件。")
        return
    if choice == "y":
        reply = await _store(context, prepared, _who(update))
    else:
        reply = html.escape("\n".join(cancel_upload(prepared, settings.audit_log, _who(update)).lines))
    await _send(context, query.edit_message_text, reply)


async def undo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/undo (admins): bring back the report that the last upload replaced."""
    settings: Settings = context.bot_data["settings"]
    if not settings.is_admin(update.effective_user.id):
        await _send(context, update.effective_message.reply_text, "只有管理员可以撤销上传。")
        return
    async with context.bot_data["upload_lock"]:
        done = await asyncio.to_thread(undo_last, context.bot_data["db_path"], settings.audit_log, _who(update))
        if done.stored:
            await _answering(context, _answerer(context).reload)
    await _send(context, update.effective_message.reply_text, "\n".join(map(html.escape, done.lines)))


async def _store(context: ContextTypes.DEFAULT_TYPE, prepared: Prepared, who: str) -> str:
    """Store a prepared upload (one at a time: each rewrites the knowledge base); the reply, as HTML."""
    async with context.bot_data["upload_lock"]:
        upload = await asyncio.to_thread(commit_upload, prepared, context.bot_data["db_path"],
                                         context.bot_data["settings"].audit_log, who)
        if upload.stored:
            await _answering(context, _answerer(context).reload)
    lines = upload.lines + (["发送 /undo 可恢复旧报告。"] if upload.status == "replaced" else [])
    return "\n".join(map(html.escape, lines))


def _who(update: Update) -> str:
    """The user, for the audit log: id and @username."""
    user = update.effective_user
    return f"{user.id} (@{user.username})" if user.username else str(user.id)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error in one line (never the token) and, when there is a chat, say so once."""
    error = context.error
    chat_message = update.effective_message if isinstance(update, Update) and update.effective_chat else None
    if isinstance(error, Undeliverable):
        log.warning("an answer could not be sent (%s); the user is told", error)
        text = "抱歉，回答没能发出（Telegram 连接不畅），请稍后再问一次。"
    else:
        log.error("update %s failed: %s", getattr(update, "update_id", "-"), one_line(repr(error)),
                  exc_info=not isinstance(error, TelegramError))
        text = "抱歉，出错了，请稍后再试。"
    if chat_message is not None and not await _send(context, chat_message.reply_text, text, retry_seconds=0):
        if isinstance(error, Undeliverable):  # not even the apology went out: answer it at the next start
            context.bot_data["unanswered"].add(update.update_id)


# -- answering and sending ----------------------------------------------------------------------

async def _answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    text = text.strip()
    if len(text) > MAX_QUESTION_CHARS:
        await _send(context, update.effective_message.reply_text,
                    f"问题太长了（{len(text)} 字）。请用一两句话提问，例如：湘江源有多少人民调解员？")
        return
    answering = asyncio.ensure_future(_answering(context, _answerer(context).answer, text, _conversation(context)))
    done, _ = await asyncio.wait({answering}, timeout=TYPING_AFTER)
    if not done:  # a slow answer: show that one is coming
        await _typing(update, context)
    await _reply(update, context, await answering, question=text)


async def _answering(context: ContextTypes.DEFAULT_TYPE, function, *args):
    """Run ``function(*args)`` in the answering thread (``bot.answering``): a slow question delays other
    questions, never the sending of answers."""
    return await context.bot_data["answering"].run(function, *args)


async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE, answer: Answer, question: str = "") -> None:
    """Send ``answer`` as HTML in pieces under 4096 characters; "which township?" choices become buttons."""
    keyboard = None
    if answer.choices and question:
        pending: dict[int, str] = context.chat_data.setdefault("pending", {})
        key = max(pending, default=0) + 1
        pending[key] = question
        for old in sorted(pending)[:-PENDING_CHOICES]:
            del pending[old]
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"t:{township_id}:{key}")]
                                         for township_id, label in answer.choices])
    pieces = split_message(as_html(answer))
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        await _send(context, update.effective_message.reply_text, piece,
                    plain=as_text(answer) if len(pieces) == 1 else None, reply_markup=keyboard if last else None)


async def _send(context: ContextTypes.DEFAULT_TYPE, method, *args, retry_seconds: float | None = None, **kwargs):
    """``bot.telegram_sending.send`` with the configured retry time (``retry_seconds=0``: one try only)."""
    if retry_seconds is None:
        retry_seconds = context.bot_data["settings"].retry_seconds
    try:
        return await send(method, *args, retry_seconds=retry_seconds, **kwargs)
    except Undeliverable:
        if retry_seconds == 0:
            return None  # a courtesy that failed; nothing more to say
        raise


async def _typing(update: Update, context: ContextTypes.DEFAULT_TYPE, action: str = ChatAction.TYPING) -> None:
    try:
        await context.bot.send_chat_action(update.effective_chat.id, action)
    except TelegramError:
        pass  # only a courtesy


class DownloadFailed(Exception):
    """An uploaded file could not be fetched from Telegram; the message says why, for the admin."""


async def _download(context: ContextTypes.DEFAULT_TYPE, file_id: str) -> bytes:
    """The bytes of the file ``file_id``: at most ``MAX_UPLOAD_BYTES`` (checked as they come, whatever size
    Telegram declared), within ``DOWNLOAD_SECONDS``; raises ``DownloadFailed``."""
    settings: Settings = context.bot_data["settings"]
    try:
        found = await send(context.bot.get_file, file_id, retry_seconds=10)
    except (Undeliverable, TelegramError) as error:
        raise DownloadFailed(f"Telegram 没有给出文件（{one_line(error)}）") from None
    if found is None:
        raise DownloadFailed("Telegram 没有给出文件")
    if found.file_size and found.file_size > MAX_UPLOAD_BYTES:
        raise DownloadFailed(f"文件太大（{found.file_size // 1024} KB）")
    url = urlsplit(str(found.file_path))
    data = bytearray()
    try:
        async with asyncio.timeout(DOWNLOAD_SECONDS), \
                httpx.AsyncClient(trust_env=not settings.loopback_api, timeout=settings.request_timeout) as client, \
                client.stream("GET", urlunsplit(url._replace(path=quote(url.path)))) as response:
            if response.status_code != 200:
                raise DownloadFailed(f"下载失败（HTTP {response.status_code}）")
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > MAX_UPLOAD_BYTES:
                    raise DownloadFailed(f"文件太大（超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB）")
    except (TimeoutError, httpx.HTTPError) as error:
        raise DownloadFailed(f"下载中断（{type(error).__name__}）") from None
    return bytes(data)


def _answerer(context: ContextTypes.DEFAULT_TYPE) -> Answerer:
    return context.bot_data["answering"].answerer


def _conversation(context: ContextTypes.DEFAULT_TYPE) -> Conversation:
    return context.chat_data.setdefault("conversation", Conversation())


def _english(update: Update) -> bool:
    user = update.effective_user
    return bool(user and (user.language_code or "").startswith("en"))


# -- wiring -------------------------------------------------------------------------------------

def build_application(settings: Settings, db_path: Path) -> Application:
    """The bot's Application: settings, answerer and handlers wired; updates are fed by ``bot.telegram_serving``."""
    request = HTTPXRequest(connection_pool_size=32, connect_timeout=5.0, read_timeout=settings.request_timeout,
                           write_timeout=settings.request_timeout, pool_timeout=5.0,
                           httpx_kwargs={"trust_env": not settings.loopback_api})  # no proxy for a local server
    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_url)
        .base_file_url(settings.download_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .request(request)
        .updater(None)
        .build()
    )
    application.bot_data.update(settings=settings, db_path=db_path, answering=AnsweringThread(db_path),
                                unanswered=set(), upload_lock=asyncio.Lock(),
                                pending_uploads=PendingUploads(settings.audit_log))
    private = filters.ChatType.PRIVATE
    application.add_handler(TypeHandler(Update, gate), group=-1)
    application.add_handlers([
        CommandHandler("start", start), CommandHandler("help", help_command), CommandHandler("towns", towns),
        CommandHandler("town", town), CommandHandler("q", ask_command), CommandHandler("about", about),
        CommandHandler("reload", reload), CommandHandler("undo", undo),
        CallbackQueryHandler(choose, pattern=r"^t:"), CallbackQueryHandler(confirm_upload, pattern=r"^u:"),
        InlineQueryHandler(inline),
        MessageHandler(private & filters.Document.ALL, document),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, question),
        MessageHandler(private & ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL, other_message),
    ])
    application.add_error_handler(on_error)
    return application


async def set_commands(application: Application) -> None:
    """Put the commands in Telegram's menu (a failure is logged, not fatal)."""
    try:
        await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    except TelegramError as error:
        log.warning("could not set the command menu: %s", one_line(error))
