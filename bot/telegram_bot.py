"""The Telegram front end: python-telegram-bot v22 over the same ``Answerer`` as the console.

Each handler is a short function that turns an update into a call of ``Answerer`` (or of
``bot.uploads``) and sends the rendered reply; ``build_application`` only wires them. Shared state
lives in ``application.bot_data``: the settings, the answerer, and a lock that serialises uploads.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import signal
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")  # python-telegram-bot v22: durations as timedelta, as v23 will have

from telegram import (BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle,
                      InputTextMessageContent, Update)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, ApplicationHandlerStop,
                          CallbackQueryHandler, CommandHandler, ContextTypes, Defaults, InlineQueryHandler,
                          MessageHandler, TypeHandler, filters)
from telegram.request import HTTPXRequest

from bot.answer import Answer, Answerer, Conversation
from bot.render import as_html, as_text, split_message
from bot.settings import Settings
from bot.uploads import check_upload, receive_report

log = logging.getLogger("township_bot.telegram")

MAX_QUESTION_CHARS = 500  # a question is a line or two; a pasted page is not a question
PENDING_CHOICES = 20  # questions per chat kept for their "which township?" buttons
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
    """Stop every update from anyone who is not staff; tell a stranger (once) their user id, nothing more."""
    settings: Settings = context.bot_data["settings"]
    user, chat = update.effective_user, update.effective_chat
    if user is not None and settings.may_ask(user.id, chat.id if chat else None):
        return
    warned: set[int] = context.bot_data.setdefault("warned", set())
    if user is not None and update.message and chat and chat.type == ChatType.PRIVATE and user.id not in warned:
        warned.add(user.id)
        await _send(update.message.reply_text,
                    f"本机器人仅供乡镇工作人员使用。如需使用，请把您的用户 ID 发给管理员：<code>{user.id}</code>")
    log.info("stopped an update from user %s", user.id if user else "-")
    raise ApplicationHandlerStop


# -- commands -----------------------------------------------------------------------------------

async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: what the bot does, with three example questions."""
    await _reply(update, context, _answerer(context).help(_english(update)))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: how to ask, with examples."""
    answer = _answerer(context).help(_english(update))
    answer.notes.append("私聊时直接发问题即可；在群里用 /q 加问题。管理员可以发送报告文件（.txt .docx .pdf .html）来更新知识库。")
    await _reply(update, context, answer)


async def towns(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/towns: the townships and years in the knowledge base."""
    await _reply(update, context, _answerer(context).townships(_english(update)))


async def town(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/town NAME: a one-screen card of a township's key figures."""
    name = " ".join(context.args or [])
    if not name:
        await _send(update.effective_message.reply_text, "用法：/town 乡镇名，例如 /town 湘江源")
        return
    await _reply(update, context, _answerer(context).town_card(name))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/q QUESTION: a question, in groups (where the bot sees only commands) or anywhere."""
    text = " ".join(context.args or [])
    if not text:
        await _send(update.effective_message.reply_text, "用法：/q 问题，例如 /q 湘江源有多少人民调解员？")
        return
    await _answer_question(update, context, text)


async def about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/about: the knowledge base's size and build date."""
    stats = await asyncio.to_thread(_answerer(context).kb.stats)  # counts rows: not on the event loop
    await _send(update.effective_message.reply_text,
                f"<b>乡镇法治政府建设报告助手</b>\n知识库：{stats['townships']} 个乡镇，{stats['reports']} 份报告，"
                f"{stats['facts']} 条数据，{stats['sentences']} 句原文\n更新时间：{html.escape(stats['built_at'])}\n"
                "每个数字都来自报告原文，并注明出处；报告没有写的，不会编造。")


async def reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload (admins): re-read the knowledge base from its file."""
    if not context.bot_data["settings"].is_admin(update.effective_user.id):
        await _send(update.effective_message.reply_text, "只有管理员可以重新加载知识库。")
        return
    answerer = _answerer(context)
    await asyncio.to_thread(answerer.reload)  # opens the new KB beside the old one; chats go on meanwhile
    stats = await asyncio.to_thread(answerer.kb.stats)
    await _send(update.effective_message.reply_text,
                f"已重新加载：{stats['townships']} 个乡镇，{stats['reports']} 份报告，{stats['facts']} 条数据。")


# -- questions ----------------------------------------------------------------------------------

async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question; follow-ups carry on in the chat's conversation."""
    await _answer_question(update, context, update.effective_message.text or "")


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A "which township?" button: edit the question back into the answer for the chosen township."""
    query = update.callback_query
    try:
        await query.answer()  # stops the button's spinner; a courtesy
    except TelegramError:
        pass
    try:
        _, township_id, key = (query.data or "").split(":")
        text = context.chat_data.get("pending", {})[int(key)]
        answer = _answerer(context).answer_choice(int(township_id), text, _conversation(context))
    except (ValueError, KeyError):
        await _send(query.edit_message_text, "这个选择已过期，请重新提问。")
        return
    pieces = split_message(as_html(answer))
    await _send(query.edit_message_text, pieces[0], plain=as_text(answer))
    for piece in pieces[1:]:
        await _send(query.message.reply_text, piece)


async def inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline mode (@bot 湘江源 调解员): offer the answer, or one answer per township when unsure, to send."""
    text = update.inline_query.query.strip()[:MAX_QUESTION_CHARS]
    answerer = _answerer(context)
    results = []
    if text:
        answer = answerer.answer(text)
        answers = [answerer.answer_choice(township_id, text) for township_id, _ in answer.choices] or [answer]
        for index, reply in enumerate(answers[:5]):
            results.append(InlineQueryResultArticle(
                id=str(index), title=reply.headline[:100], description=" ".join(reply.lines[:2])[:200] or None,
                input_message_content=InputTextMessageContent(split_message(as_html(reply))[0],
                                                              parse_mode=ParseMode.HTML)))
    await _send(update.inline_query.answer, results, cache_time=30, is_personal=True)


async def other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice and the like: say what the bot can read."""
    await _send(update.effective_message.reply_text,
                "我只能读文字问题，例如：湘江源有多少人民调解员？（管理员可以发送报告文件：.txt .docx .pdf .html）")


async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document in a private chat: an admin's report to add to the knowledge base."""
    settings: Settings = context.bot_data["settings"]
    user, message = update.effective_user, update.effective_message
    if not settings.is_admin(user.id):
        await _send(message.reply_text, "只有管理员可以上传报告。要提问，请直接发文字。")
        return
    name = message.document.file_name or "report"
    problem = check_upload(name, message.document.file_size)
    if problem:
        await _send(message.reply_text, html.escape(problem))
        return
    await _typing(update, context)
    data = bytes(await (await message.document.get_file()).download_as_bytearray())
    who = f"{user.id} (@{user.username})" if user.username else str(user.id)
    async with context.bot_data["upload_lock"]:  # one upload at a time: each rewrites the knowledge base
        upload = await asyncio.to_thread(receive_report, name, data, context.bot_data["db_path"],
                                         settings.audit_log, who)
        if upload.stored:
            await asyncio.to_thread(_answerer(context).reload)
    log.info("upload %s by %s: %s", name, user.id, upload.lines[0])
    await _send(message.reply_text, "\n".join(map(html.escape, upload.lines)))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error (never the token) and, when there is a chat, say something went wrong."""
    if isinstance(context.error, NetworkError) and not isinstance(update, Update):
        log.warning("Telegram unreachable or failing (%s); polling goes on", context.error)  # retried by PTB
        return
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message and update.effective_chat:
        try:
            await update.effective_message.reply_text("抱歉，出错了，请稍后再试。")
        except TelegramError:
            pass


# -- sending ------------------------------------------------------------------------------------

async def _answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    text = text.strip()
    if len(text) > MAX_QUESTION_CHARS:
        await _send(update.effective_message.reply_text,
                    f"问题太长了（{len(text)} 字）。请用一两句话提问，例如：湘江源有多少人民调解员？")
        return
    await _typing(update, context)
    answer = _answerer(context).answer(text, _conversation(context))
    await _reply(update, context, answer, question=text)


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
        await _send(update.effective_message.reply_text, piece, plain=as_text(answer) if len(pieces) == 1 else None,
                    reply_markup=keyboard if last else None)


async def _send(method, *args, plain: str | None = None, attempts: int = 3, **kwargs):
    """Call a Bot API ``method``, surviving network errors and 5xx (retried with backoff; 429 is the rate
    limiter's). HTML that Telegram refuses is sent again as ``plain`` text when there is one."""
    for attempt in range(attempts):
        try:
            return await method(*args, **kwargs)
        except RetryAfter as error:  # the rate limiter's retries ran out: wait as told, once more
            wait = error.retry_after
            await asyncio.sleep(wait.total_seconds() if hasattr(wait, "total_seconds") else wait)
        except BadRequest as error:
            if plain is not None and "parse" in str(error).lower():
                log.warning("Telegram refused the HTML (%s); sending plain text", error)
                return await method(plain[:4096], *args[1:], parse_mode=None, **kwargs)
            raise
        except Forbidden:
            log.info("the user blocked the bot; reply dropped")
            return None
        except NetworkError as error:
            if attempt == attempts - 1:
                raise
            log.warning("network error (%s); retrying", error)
            await asyncio.sleep(0.5 * 2 ** attempt)
    return None


async def _typing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
    except TelegramError:
        pass  # only a courtesy


def _answerer(context: ContextTypes.DEFAULT_TYPE) -> Answerer:
    return context.bot_data["answerer"]


def _conversation(context: ContextTypes.DEFAULT_TYPE) -> Conversation:
    return context.chat_data.setdefault("conversation", Conversation())


def _english(update: Update) -> bool:
    user = update.effective_user
    return bool(user and (user.language_code or "").startswith("en"))


# -- wiring -------------------------------------------------------------------------------------

def build_application(settings: Settings, db_path: Path) -> Application:
    """The bot's Application: settings, answerer and handlers wired, not yet running."""
    request_kwargs = {"httpx_kwargs": {"trust_env": not settings.loopback_api}}  # no proxy for a local server
    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_url)
        .base_file_url(settings.download_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .request(HTTPXRequest(connection_pool_size=16, **request_kwargs))
        .get_updates_request(HTTPXRequest(read_timeout=30, **request_kwargs))
        .post_init(_post_init)
        .build()
    )
    application.bot_data.update(settings=settings, db_path=db_path, answerer=Answerer(db_path),
                                upload_lock=asyncio.Lock())
    private = filters.ChatType.PRIVATE
    application.add_handler(TypeHandler(Update, gate), group=-1)
    application.add_handlers([
        CommandHandler("start", start), CommandHandler("help", help_command), CommandHandler("towns", towns),
        CommandHandler("town", town), CommandHandler("q", ask_command), CommandHandler("about", about),
        CommandHandler("reload", reload),
        CallbackQueryHandler(choose, pattern=r"^t:"),
        InlineQueryHandler(inline),
        MessageHandler(private & filters.Document.ALL, document),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, question),
        MessageHandler(private & ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL, other_message),
    ])
    application.add_error_handler(on_error)
    return application


async def _post_init(application: Application) -> None:
    """Put the commands in Telegram's menu."""
    try:
        await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    except TelegramError as error:  # a menu is not worth failing to start over
        log.warning("could not set the command menu: %s", error)


def serve(settings: Settings, db_path: Path) -> None:
    """Run the bot until SIGINT or SIGTERM: long polling, or a webhook when ``settings.webhook_url`` is set."""
    _quiet_logging(settings.token)
    application = build_application(settings, db_path)
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    if settings.webhook_url:
        log.info("serving by webhook on %s:%s", settings.webhook_listen, settings.webhook_port)
        application.run_webhook(listen=settings.webhook_listen, port=settings.webhook_port, url_path="telegram",
                                webhook_url=settings.webhook_url, secret_token=settings.webhook_secret,
                                allowed_updates=Update.ALL_TYPES, stop_signals=stop_signals, bootstrap_retries=5)
    else:
        log.info("serving by long polling")
        application.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=stop_signals, bootstrap_retries=5)
    log.info("stopped")


class _RedactToken(logging.Filter):
    """Replaces the bot token wherever it would appear in a log line."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        if record.exc_info and not record.exc_text:  # tracebacks may quote URLs, and URLs hold the token
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True


def _quiet_logging(token: str) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every URL, and the token is in them
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactToken(token))
