"""``township-bot web``: the chat page and its JSON API, served by aiohttp (questions answered in
``settings.answering_processes`` processes of their own, see ``bot.web_chat``).

Each handler is a short function that checks who asks, reads the request and calls ``bot.web_chat`` (answers),
``bot.web_users`` (sign-in) or ``bot.uploads`` (admins' reports); ``create_app`` only wires them and ``serve``
runs the app until SIGTERM or SIGINT. Every route lives under the settings' root path (``/bot`` behind nginx).

The API (all JSON; a session cookie from ``/api/signin`` unless TOWNSHIP_BOT_WEB_ALLOW_ALL=1):

- ``GET /api/ask?q=…`` and ``POST /api/ask {"question", "conversation"}``: the ``ask --json`` line.
- ``POST /api/chat {"conversation", "question", "township"}``: the page's parts and chips.
- ``GET /api/towns``, ``GET /api/town?name=…[&conversation=…]``, ``GET /api/help``; ``POST /api/conversation``
  (a new id).
- ``POST /api/signin {"name", "code"}``, ``POST /api/signout``, ``GET /api/me``, ``GET /api/health``.
- Admins: ``POST /api/upload`` (multipart ``file``), ``POST /api/upload/confirm {"token", "replace"}``,
  ``POST /api/upload/undo``.

Errors are ``{"error": code, "message": 中文}`` with a 4xx or 5xx status, never a traceback.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import json
import logging
import re
import secrets
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.uploads import (MAX_UPLOAD_BYTES, PendingUploads, Prepared, cancel_upload, check_upload, commit_upload,
                         prepare_upload, undo_last)
from bot.web_auth import SESSION_SECONDS, Sessions, SignInLimiter, load_secret
from bot.web_chat import ChatService
from bot.web_settings import NO_STAFF, WebSettings
from bot.web_users import StaffFile, StaffMember, normalize_name

log = logging.getLogger("township_bot.web")

MAX_QUESTION_CHARS = 500  # as on Telegram: a question is a line or two
MAX_JSON_BYTES = 256 * 1024
MAX_URL_BYTES = 1024 * 1024  # a GET question of 100 kB, percent-encoded, still gets a JSON answer (413)
COOKIE = "township_bot_session"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
_CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_STATIC = {"chat.js": "text/javascript", "chat.css": "text/css", "icon.svg": "image/svg+xml"}
ANYONE = StaffMember("", False, "")  # who asks when everyone may (TOWNSHIP_BOT_WEB_ALLOW_ALL=1) and nobody signed in

@dataclass
class State:
    """What the handlers share besides the answers."""

    settings: WebSettings
    db_path: Path
    staff: StaffFile
    sessions: Sessions
    limiter: SignInLimiter
    upload_lock: asyncio.Lock
    pending: PendingUploads  # replacements waiting for their admin's confirmation


CHAT = web.AppKey("chat", ChatService)
STATE = web.AppKey("state", State)


class Refused(web.HTTPException):
    """A request refused with a JSON reason: ``{"error": code, "message": 中文}``."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None) -> None:
        self.status_code = status
        super().__init__(text=json.dumps({"error": code, "message": message}, ensure_ascii=False),
                         content_type="application/json", headers=headers)


# -- the page -----------------------------------------------------------------------------------

async def page(request: web.Request) -> web.Response:
    """The chat page (the same for everyone: what it shows comes from the API)."""
    return web.Response(body=_static_bytes("index.html"), content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-cache"})


async def static(request: web.Request) -> web.Response:
    """The page's script, style sheet and icon, shipped in the package."""
    name = request.match_info["name"]
    if name not in _STATIC:
        raise web.HTTPNotFound()
    return web.Response(body=_static_bytes(name), content_type=_STATIC[name],
                        charset="utf-8" if name != "icon.svg" else None, headers={"Cache-Control": "no-cache"})


async def to_page(request: web.Request) -> web.Response:
    """The root path without its slash: to the page, so that the page's relative addresses resolve."""
    raise web.HTTPFound(request.app[STATE].settings.root_path + "/")


# -- who asks -----------------------------------------------------------------------------------

async def health(request: web.Request) -> web.Response:
    """Liveness for the proxy or the service manager; needs no sign-in and says nothing about the reports."""
    return _json_response({"ok": True})


async def me(request: web.Request) -> web.Response:
    """Who the browser is signed in as, and whether the page may be used without signing in."""
    state, member = request.app[STATE], _signed_in(request)
    return _json_response({"user": member.name if member else None, "admin": bool(member and member.admin),
                              "open": state.settings.allow_all})


async def sign_in(request: web.Request) -> web.Response:
    """Check a name and access code against the staff file; on success set the session cookie."""
    state, body = request.app[STATE], await _json(request)
    name, code = normalize_name(str(body.get("name", ""))[:100]), str(body.get("code", ""))[:100]
    address = _client_address(request)
    wait = state.limiter.wait(address, name)
    if wait:
        raise Refused(429, "too_many_attempts", f"登录尝试太多，请 {wait // 60 + 1} 分钟后再试。",
                      headers={"Retry-After": str(wait)})
    member = await asyncio.to_thread(state.staff.verify, name, code) if name and code else None
    if member is None:
        state.limiter.failed(address, name)
        log.info("failed sign-in as %r from %s", name, address)
        raise Refused(401, "wrong_code", "姓名或访问码不对。访问码由管理员发给您。")
    log.info("%s signed in from %s", member.name, address)
    response = _json_response({"user": member.name, "admin": member.admin})
    response.set_cookie(COOKIE, state.sessions.issue(member.name, member.fingerprint), max_age=SESSION_SECONDS,
                        path=state.settings.root_path + "/", httponly=True, samesite="Strict",
                        secure=_over_https(request))
    return response


async def sign_out(request: web.Request) -> web.Response:
    """Forget the session cookie."""
    response = _json_response({"user": None})
    response.del_cookie(COOKIE, path=request.app[STATE].settings.root_path + "/")
    return response


# -- questions ----------------------------------------------------------------------------------

async def ask(request: web.Request) -> web.Response:
    """GET ?q=… or POST {"question", "conversation"}: the same JSON as ``township-bot ask --json``."""
    member = _staff(request)
    if request.method == "GET":
        text, conversation = request.query.get("q", ""), request.query.get("conversation")
    else:
        body = await _json(request)
        text, conversation = body.get("question", ""), body.get("conversation")
    text = _question(text)
    if conversation is not None:
        conversation = _conversation_id(conversation)
    line = await request.app[CHAT].ask_json(text, member.name, conversation)
    return web.Response(text=line, content_type="application/json", charset="utf-8")


async def chat(request: web.Request) -> web.Response:
    """The page's question (or its choice of township): the answer's parts and chips to ask next."""
    member, body = _staff(request), await _json(request)
    text, conversation = _question(body.get("question", "")), _conversation_id(body.get("conversation"))
    township = body.get("township")
    if township is not None and (not isinstance(township, int) or isinstance(township, bool)):
        raise Refused(400, "bad_township", "township 应是乡镇的编号（整数）。")
    return _json_response(await request.app[CHAT].chat(member.name, conversation, text, township))


async def new_conversation(request: web.Request) -> web.Response:
    """A new conversation id; {"previous": id} ends that conversation."""
    member, body = _staff(request), await _json(request, optional=True)
    if isinstance(body.get("previous"), str) and _CONVERSATION_ID.match(body["previous"]):
        await request.app[CHAT].forget(member.name, body["previous"])
    return _json_response({"conversation": secrets.token_urlsafe(16)})


async def towns(request: web.Request) -> web.Response:
    """The townships in the knowledge base, with their years."""
    _staff(request)
    return _json_response(await request.app[CHAT].towns())


async def town(request: web.Request) -> web.Response:
    """?name=…[&conversation=…]: a township's key figures on one card; in a conversation, follow-ups then ask
    about that township."""
    member = _staff(request)
    name = _question(request.query.get("name", ""))
    if not name:
        raise Refused(400, "no_name", "请写乡镇名，例如：/town 湘江源")
    conversation = request.query.get("conversation")
    if conversation is not None:
        conversation = _conversation_id(conversation)
    return _json_response(await request.app[CHAT].town(name, member.name, conversation))


async def help_(request: web.Request) -> web.Response:
    """What the bot answers, with example questions as chips."""
    _staff(request)
    return _json_response(await request.app[CHAT].help())


# -- admins' reports ----------------------------------------------------------------------------

async def upload(request: web.Request) -> web.Response:
    """A report file (multipart field ``file``): stored at once when new; a replacement asks to confirm first."""
    state, admin = request.app[STATE], _admin(request)
    name, data = await _uploaded_file(request)
    prepared = await asyncio.to_thread(prepare_upload, name, data, state.db_path)
    if not prepared.replaces:
        return _json_response(await _store(request, admin, prepared))
    token = state.pending.ask(prepared, _who(admin))
    return _json_response({"stored": False, "lines": prepared.lines,
                              "confirm": {"token": token, "label": prepared.replace_label}})


async def confirm_upload(request: web.Request) -> web.Response:
    """{"token", "replace": true|false}: store the replacement the admin was asked about, or drop it."""
    state, admin, body = request.app[STATE], _admin(request), await _json(request)
    prepared = state.pending.take(str(body.get("token", "")), _who(admin))
    if prepared is None:
        raise Refused(410, "expired", "这个确认已过期，请重新上传文件。")
    if body.get("replace") is not True:
        done = cancel_upload(prepared, state.settings.upload_log, _who(admin))
        return _json_response({"stored": False, "lines": done.lines})
    return _json_response(await _store(request, admin, prepared))


async def undo(request: web.Request) -> web.Response:
    """Bring back the report the last replacing upload replaced."""
    state, admin = request.app[STATE], _admin(request)
    async with state.upload_lock:
        done = await asyncio.to_thread(undo_last, state.db_path, state.settings.upload_log, _who(admin))
        if done.stored:
            await request.app[CHAT].reload()
    log.info("undo by %s: %s", admin.name, done.lines[0])
    return _json_response({"stored": done.stored, "lines": done.lines})


async def _store(request: web.Request, admin: StaffMember, prepared: Prepared) -> dict:
    """Commit ``prepared`` (one upload at a time: each rewrites the knowledge base) and answer from it."""
    state = request.app[STATE]
    async with state.upload_lock:
        done = await asyncio.to_thread(commit_upload, prepared, state.db_path, state.settings.upload_log, _who(admin))
        if done.stored:
            await request.app[CHAT].reload()
    log.info("upload %s by %s: %s", prepared.name, admin.name, done.lines[0])
    return {"stored": done.stored, "lines": done.lines}


async def _uploaded_file(request: web.Request) -> tuple[str, bytes]:
    """The name and bytes of the multipart field ``file``, refused early when too big or of the wrong kind."""
    try:
        reader = await request.multipart()
        field = await reader.next()
        while field is not None and field.name != "file":
            field = await reader.next()
        if field is None or not getattr(field, "filename", None):
            raise Refused(400, "bad_upload", "没有收到文件：请把文件放在 file 字段。")
        name = Path(field.filename.replace("\\", "/")).name or "report"
        problem = check_upload(name, None)
        if problem:
            raise Refused(415, "not_a_report", problem)
        data = bytearray()
        while chunk := await field.read_chunk(64 * 1024):
            data += chunk
            if len(data) > MAX_UPLOAD_BYTES:
                raise Refused(413, "too_big", check_upload(name, len(data)))
    except (ValueError, AssertionError, KeyError, HttpProcessingError):  # not multipart, or cut short or garbled
        raise Refused(400, "bad_upload", "上传应是 multipart/form-data，文件放在 file 字段。") from None
    return name, bytes(data)


def _json_response(data: dict) -> web.Response:
    return web.json_response(data, dumps=_dumps)


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)


def _who(member: StaffMember) -> str:
    return f"web:{member.name}"


# -- request helpers ----------------------------------------------------------------------------

def _signed_in(request: web.Request) -> StaffMember | None:
    """The member whose valid session cookie came with the request, as the staff file has them now."""
    state = request.app[STATE]
    read = state.sessions.read(request.cookies.get(COOKIE, ""))
    if read is None:
        return None
    member = state.staff.member(read[0])
    return member if member is not None and member.fingerprint == read[1] else None


def _staff(request: web.Request) -> StaffMember:
    """Who asks: a signed-in member, or anyone when everyone may ask; else the request is refused (401)."""
    member = _signed_in(request)
    if member is None and not request.app[STATE].settings.allow_all:
        raise Refused(401, "sign_in", "请先登录。")
    return member or ANYONE


def _admin(request: web.Request) -> StaffMember:
    member = _staff(request)
    if not member.admin:
        raise Refused(403, "not_admin", "只有管理员可以上传报告。")
    return member


async def _json(request: web.Request, optional: bool = False) -> dict:
    """The request's JSON object (bounded in size); 400 when it is not one (an empty body is {} if ``optional``)."""
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise Refused(413, "too_big", f"请求太大（超过 {MAX_JSON_BYTES // 1024} KB）。")
    raw = await request.read()
    if optional and not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "bad_json", "请求不是合法的 JSON。") from None
    if not isinstance(body, dict):
        raise Refused(400, "bad_json", "请求应是一个 JSON 对象。")
    return body


def _question(text) -> str:
    if not isinstance(text, str):
        raise Refused(400, "bad_question", "question 应是文字。")
    text = text.strip()
    if len(text) > MAX_QUESTION_CHARS:
        raise Refused(413, "too_long", f"问题太长了（{len(text)} 字）。请用一两句话提问，例如：湘江源有多少人民调解员？")
    return text


def _conversation_id(value) -> str:
    if not isinstance(value, str) or not _CONVERSATION_ID.match(value):
        raise Refused(400, "bad_conversation", "conversation 应是 1 到 64 个字母、数字、- 或 _。")
    return value


def _client_address(request: web.Request) -> str:
    """The asking client's address: the peer's, or, when the peer is a proxy on this machine, the one it
    forwards (X-Real-IP, else the last X-Forwarded-For)."""
    peer = request.remote or ""
    try:
        local = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        local = False
    if local:
        forwarded = request.headers.get("X-Real-IP") or request.headers.get("X-Forwarded-For", "").split(",")[-1]
        if forwarded.strip():
            return forwarded.strip()
    return peer


def _over_https(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


@functools.cache
def _static_bytes(name: str) -> bytes:
    return resources.files("bot").joinpath("web_static", name).read_bytes()


# -- every response -----------------------------------------------------------------------------

@web.middleware
async def errors(request: web.Request, handler):
    """Refusals as they are; any other error as JSON (API) or a line of text, logged, never a traceback."""
    try:
        return await handler(request)
    except Refused:
        raise
    except web.HTTPException as error:
        if error.status < 400 or "/api/" not in request.path:
            raise
        code = re.sub(r"\W+", "_", (error.reason or "error").lower()).strip("_")
        raise Refused(error.status, code, error.reason or "error", headers=_kept_headers(error)) from None
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        if "/api/" in request.path:
            raise Refused(500, "internal", "抱歉，出错了，请稍后再试。") from None
        raise web.HTTPInternalServerError(text="抱歉，出错了，请稍后再试。") from None


def _kept_headers(error: web.HTTPException) -> dict:
    return {key: value for key, value in error.headers.items() if key in ("Allow", "Retry-After")}


async def _secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if "/api/" in request.path:
        response.headers["Cache-Control"] = "no-store"


# -- wiring and running -------------------------------------------------------------------------

def create_app(settings: WebSettings, db_path: Path) -> web.Application:
    """The web app for the knowledge base at ``db_path``: routes under ``settings.root_path``; its start-up starts
    the answering processes, its cleanup stops them and drops the uploads still awaiting confirmation."""
    app = web.Application(middlewares=[errors], client_max_size=MAX_UPLOAD_BYTES + 64 * 1024)
    state = State(settings, Path(db_path), StaffFile(settings.users),
                  Sessions(load_secret(settings.secret, settings.secret_file)), SignInLimiter(), asyncio.Lock(), PendingUploads(settings.upload_log))
    app[STATE], app[CHAT] = state, ChatService(Path(db_path), settings.answering_processes)
    root = settings.root_path
    if root:
        app.router.add_get(root, to_page)
    app.router.add_get(root + "/", page)
    app.router.add_get(root + "/static/{name}", static)
    api = root + "/api/"
    app.router.add_get(api + "health", health)
    app.router.add_get(api + "me", me)
    app.router.add_post(api + "signin", sign_in)
    app.router.add_post(api + "signout", sign_out)
    app.router.add_route("GET", api + "ask", ask)
    app.router.add_route("POST", api + "ask", ask)
    app.router.add_post(api + "chat", chat)
    app.router.add_post(api + "conversation", new_conversation)
    app.router.add_get(api + "towns", towns)
    app.router.add_get(api + "town", town)
    app.router.add_get(api + "help", help_)
    app.router.add_post(api + "upload", upload)
    app.router.add_post(api + "upload/confirm", confirm_upload)
    app.router.add_post(api + "upload/undo", undo)
    app.on_response_prepare.append(_secure_headers)
    app.on_startup.append(_start)
    app.on_cleanup.append(_close)
    return app


async def _start(app: web.Application) -> None:
    await app[CHAT].start()


async def _close(app: web.Application) -> None:
    app[STATE].pending.cancel_all()
    await app[CHAT].close()


def check_access(settings: WebSettings) -> str:
    """Why the web chat must not start ("" when it may): nobody in the staff file and not open to all."""
    if settings.allow_all or StaffFile(settings.users).members():
        return ""
    return NO_STAFF.format(path=settings.users)


async def run(settings: WebSettings, db_path: Path, started: asyncio.Event | None = None,
              stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (by SIGTERM or SIGINT when none is given); then stop taking connections,
    let the requests in hand finish (5 s at most) and close. ``started`` is set once the port listens."""
    if settings.allow_all:
        log.warning("!!! TOWNSHIP_BOT_WEB_ALLOW_ALL=1: ANYONE WHO REACHES %s:%s MAY ASK WITHOUT SIGNING IN. "
                    "Use this only on a trusted intranet. !!!", settings.host, settings.port)
    runner = web.AppRunner(create_app(settings, db_path), access_log=None, shutdown_timeout=5.0,
                           max_line_size=MAX_URL_BYTES, max_field_size=16 * 1024)
    await runner.setup()
    loop, signals = asyncio.get_running_loop(), stop is None
    stop = stop or asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT) if signals else ():
        loop.add_signal_handler(signum, stop.set)
    try:
        await web.TCPSite(runner, settings.host, settings.port, backlog=1024).start()
        log.info("serving the chat on http://%s:%s%s/ (knowledge base %s, answering processes: %d)", settings.host,
                 settings.port, settings.root_path, db_path, settings.answering_processes)
        if started is not None:
            started.set()
        await stop.wait()
        log.info("stopping: finishing the requests in hand")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT) if signals else ():
            loop.remove_signal_handler(signum)
        await runner.cleanup()
    log.info("stopped")


def _event_loop_runner() -> Callable[[Coroutine[Any, Any, None]], None]:
    """``uvloop.run`` where uvloop is installed (Linux, macOS), else ``asyncio.run``. Measured with ``perf stat``
    on the server process: 270k instead of 308k instructions a cached answer, 366k instead of 464k one
    answered in an answering process."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


def serve(settings: WebSettings, db_path: Path) -> int:
    """``township-bot web``: check access, then serve until SIGTERM or SIGINT; the exit status."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    problem = check_access(settings)
    if problem:
        log.error("%s", problem)
        return 2
    try:
        _event_loop_runner()(run(settings, db_path))
    except OSError as error:  # the port is taken, or the address is not this machine's
        log.error("cannot listen on %s:%s: %s", settings.host, settings.port, error)
        return 1
    return 0
