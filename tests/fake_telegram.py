"""A fake Telegram Bot API server on 127.0.0.1, for driving the real Application over real HTTP.

It speaks the Bot API's wire format (form or JSON parameters in, ``{"ok": …, "result": …}`` out), keeps
Telegram's limits (4096 characters a message, HTML that must parse, 64 bytes of callback data), serves
long-polling ``getUpdates`` with offsets and file downloads from ``/file/bot<token>/``, and injects faults:
the next calls of a method fail (429 with ``retry_after``, 5xx), or are carried out and then answered too
late ("slow") or not at all, the connection dropped ("drop"); calls can be held back until released; the
token can be revoked (401 from then on). Tests push updates and read ``calls``; ``offset`` is how far
the bot has confirmed updates.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Township", "username": "township_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True}
RAW_STRINGS = {"text", "query", "callback_query_id", "inline_query_id", "file_id", "url", "secret_token",
               "parse_mode", "action", "caption"}
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote",
             "tg-spoiler", "span", "tg-emoji"}


class FakeTelegram:
    """The server and its state. Use as a context manager; ``api_url`` is what TELEGRAM_API_URL takes."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.calls: list[tuple[str, dict]] = []  # every Bot API call, in order
        self.updates: list[dict] = []
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id → (file_path, bytes)
        self.downloads: list[str] = []
        self.download_delay = 0.0  # seconds before a download starts
        self.drop_downloads = False  # downloads fail: the connection closes with no answer
        self._undeclared: set[str] = set()  # file ids whose size Telegram does not tell
        self._faults: dict[str, list[tuple[str, int, int | None, str]]] = {}  # (kind, status, retry_after, text)
        self._held: dict[str, int] = {}  # method → successful calls still let through before holding the rest
        self._release = threading.Event()
        self.holding: list[str] = []  # the methods of the calls held so far
        self.offset = 0  # the highest offset getUpdates was called with: updates below it are confirmed
        self.slow_seconds = 3.0  # how late a "slow" fault answers (set it above the bot's read timeout)
        self._ids = itertools.count(1)
        self._texts: dict[tuple[int, int], str] = {}  # (chat, message id) → the text it shows
        self._condition = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeTelegram:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._release.set()
        with self._condition:
            self._closing = True
            self._condition.notify_all()
        self._server.shutdown()
        self._server.server_close()

    _closing = False

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    # -- what tests do ---------------------------------------------------------------------

    def push(self, update: dict) -> dict:
        """Queue an update for getUpdates (its update_id is assigned here)."""
        with self._condition:
            update = {"update_id": next(self._ids), **update}
            self.updates.append(update)
            self._condition.notify_all()
        return update

    def fail(self, method: str, status: int, times: int = 1, retry_after: int | None = None,
             page: bool = False, text: str = "") -> None:
        """Make the next ``times`` calls of ``method`` fail with HTTP ``status`` (429: with ``retry_after``);
        ``page``: answer with an HTML error page, as a proxy in front of Telegram does, not JSON;
        ``text``: only calls whose text contains it fail."""
        kind = "page" if page else "status"
        self._faults.setdefault(method, []).extend([(kind, status, retry_after, text)] * times)

    def after_delivery(self, method: str, kind: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are carried out, then answered ``slow_seconds`` late
        (``kind="slow"``) or not at all, the connection closed (``kind="drop"``)."""
        assert kind in ("slow", "drop")
        self._faults.setdefault(method, []).extend([(kind, 200, None, "")] * times)

    def hold(self, method: str, after: int = 0) -> None:
        """Let ``after`` more calls of ``method`` through, then hold every further call until ``release``,
        which answers the held calls 503 (not carried out)."""
        self._release.clear()
        self._held[method] = after

    def release(self) -> None:
        self._held.clear()
        self._release.set()

    def revoke(self) -> None:
        """The token is revoked: every call answers 401 from now on."""
        self.token = self.token + "-revoked"

    def unconfirmed(self) -> list[dict]:
        """The updates the bot has not confirmed (Telegram would hand them out again)."""
        return [update for update in self.updates if update["update_id"] >= self.offset]

    def heal(self) -> None:
        """Forget every fault not yet happened."""
        self._faults.clear()

    def pending_faults(self, method: str) -> int:
        """How many of the failures set for ``method`` have not happened yet."""
        return len(self._faults.get(method, []))

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[dict]:
        """The successful calls of ``method`` so far (to ``chat_id`` if given)."""
        return [params for name, params in list(self.calls) if name == method and not params.get("_failed")
                and (chat_id is None or params.get("chat_id") == chat_id)]

    def wait_for(self, predicate, timeout: float = 10.0):
        """Wait until ``predicate()`` is truthy and return it; fail the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if result := predicate():
                return result
            time.sleep(0.02)
        raise AssertionError(f"timed out; calls so far: {[name for name, _ in self.calls]}")

    def wait_sent(self, count: int, method: str = "sendMessage", chat_id: int | None = None,
                  timeout: float = 10.0) -> list[dict]:
        """Wait for at least ``count`` successful calls of ``method`` and return them all."""
        return self.wait_for(lambda: (found := self.sent(method, chat_id)) and len(found) >= count and found,
                             timeout)

    def add_file(self, name: str, data: bytes, declared: bool = True) -> dict:
        """Store a file as if a user had sent it; returns the Document object to put in a message.
        ``declared=False``: neither the message nor getFile tells the file's size."""
        file_id = f"file{next(self._ids)}"
        self.files[file_id] = (f"documents/{file_id}_{name}", data)
        document = {"file_id": file_id, "file_unique_id": file_id + "u", "file_name": name,
                    "mime_type": "application/octet-stream"}
        if not declared:
            self._undeclared.add(file_id)
            return document
        return document | {"file_size": len(data)}

    # -- the API ------------------------------------------------------------------------------

    def _call(self, method: str, params: dict) -> tuple[int, dict, str]:
        """Carry out one call: (HTTP status, body, and "" or the fault to apply to the answer)."""
        with self._condition:
            left = self._held.get(method)
            if left:
                self._held[method] = left - 1
        record = dict(params)
        if left == 0:  # held until released, then refused: its caller may be gone (killed) by then
            self.holding.append(method)
            self._release.wait()
            self.calls.append((method, {**record, "_failed": 503}))
            return 503, {"ok": False, "error_code": 503, "description": "Service Unavailable"}, ""
        self.calls.append((method, record))
        kind = ""
        with self._condition:  # server threads take faults concurrently
            faults = self._faults.get(method, [])
            index = next((i for i, fault in enumerate(faults) if fault[3] in params.get("text", "")), None)
            fault = faults.pop(index) if index is not None else None
        if fault:
            kind, status, retry_after, _ = fault
            if kind == "page":
                record["_failed"] = status
                return status, {}, "page"
            if kind == "status":
                record["_failed"] = status
                body = {"ok": False, "error_code": status,
                        "description": _REASONS.get(status, "Internal Server Error")}
                if retry_after is not None:
                    body["description"] = f"Too Many Requests: retry after {retry_after}"
                    body["parameters"] = {"retry_after": retry_after}
                return status, body, ""
        handler = getattr(self, "_api_" + method, None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}, ""
        try:
            return 200, {"ok": True, "result": handler(params)}, kind
        except _BadRequest as error:
            record["_failed"] = 400
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}, ""

    def _api_getMe(self, params):
        return BOT_USER

    def _api_deleteWebhook(self, params):
        return True

    def _api_setWebhook(self, params):
        secret = params.get("secret_token", "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret or "x"):
            raise _BadRequest("secret token contains unallowed characters")
        return True

    def _api_setMyCommands(self, params):
        return True

    def _api_sendChatAction(self, params):
        return True

    def _api_answerCallbackQuery(self, params):
        return True

    def _api_answerInlineQuery(self, params):
        for result in params.get("results", []):
            _check_text(result["input_message_content"]["message_text"],
                        result["input_message_content"].get("parse_mode"))
        return True

    def _api_getUpdates(self, params):
        offset = int(params.get("offset") or 0)
        self.offset = max(self.offset, offset)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 5.0)
        with self._condition:
            while True:
                pending = [u for u in self.updates if u["update_id"] >= offset]
                if pending or self._closing or time.monotonic() >= deadline:
                    return pending[: int(params.get("limit") or 100)]
                self._condition.wait(max(0.0, deadline - time.monotonic()))

    def _api_sendMessage(self, params):
        _check_text(params.get("text", ""), params.get("parse_mode"))
        _check_keyboard(params.get("reply_markup"))
        return self._message(params)

    def _api_editMessageText(self, params):
        _check_text(params.get("text", ""), params.get("parse_mode"))
        _check_keyboard(params.get("reply_markup"))
        if self._texts.get((int(params["chat_id"]), int(params["message_id"]))) == params.get("text"):
            raise _BadRequest("message is not modified: specified new message content and reply markup are exactly "
                              "the same as a current content and reply markup of the message")
        return self._message(params, message_id=int(params["message_id"]))

    def _api_getFile(self, params):
        if params["file_id"] not in self.files:
            raise _BadRequest("invalid file_id")
        path, data = self.files[params["file_id"]]
        found = {"file_id": params["file_id"], "file_unique_id": params["file_id"] + "u", "file_path": path}
        return found if params["file_id"] in self._undeclared else found | {"file_size": len(data)}

    def _message(self, params, message_id: int | None = None) -> dict:
        chat_id = int(params["chat_id"])
        message_id = message_id or next(self._ids)
        self._texts[chat_id, message_id] = params.get("text", "")
        return {"message_id": message_id, "date": int(time.time()), "from": BOT_USER,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "title": "staff"},
                "text": re.sub(r"<[^>]+>", "", params.get("text", ""))}

    def _download(self, path: str) -> bytes | None:
        self.downloads.append(path)
        return next((data for stored, data in self.files.values() if stored == path), None)


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the bot opens many connections at once; 5 (the default) would refuse them
    daemon_threads = True


class _BadRequest(Exception):
    pass


_REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def _check_text(text: str, parse_mode: str | None) -> None:
    """Telegram's rules: not empty, at most 4096 characters once parsed, HTML that parses."""
    if not text.strip():
        raise _BadRequest("message text is empty")
    plain = text
    if parse_mode == "HTML":
        checker = _HTMLCheck()
        checker.feed(text)
        checker.close()
        if checker.error or checker.open:
            raise _BadRequest(f"can't parse entities: {checker.error or 'unclosed tag ' + checker.open[-1]}")
        plain = checker.text
    if len(plain) > 4096:
        raise _BadRequest("message is too long")


def _check_keyboard(markup) -> None:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if len(button.get("callback_data", "").encode()) > 64:
                raise _BadRequest("BUTTON_DATA_INVALID")


class _HTMLCheck(HTMLParser):
    """Parses Telegram HTML: only the tags Telegram knows, properly nested; collects the plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.error = ""
        self.text = ""

    def handle_starttag(self, tag, attrs):
        if tag not in HTML_TAGS:
            self.error = self.error or f"unsupported start tag \"{tag}\""
        self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.error = self.error or f"unexpected end tag \"{tag}\""
        else:
            self.open.pop()

    def handle_data(self, data):
        self.text += data


def _handler_for(fake: FakeTelegram):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def do_GET(self):
            self._serve()

        def do_POST(self):
            self._serve()

        def _serve(self):
            url = urlsplit(self.path)
            path = unquote(url.path)  # clients may percent-encode the token's colon
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if path.startswith(f"/file/bot{fake.token}/"):
                time.sleep(fake.download_delay)
                if fake.drop_downloads:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                data = fake._download(path[len(f"/file/bot{fake.token}/"):])
                return self._send(200 if data is not None else 404, data or b"Not Found", "application/octet-stream")
            match = re.fullmatch(r"/bot([^/]+)/(\w+)", path)
            if not match:
                return self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            if match.group(1) != fake.token:
                return self._json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            status, payload, fault = fake._call(match.group(2), _parameters(self.headers.get("Content-Type", ""),
                                                                            body, url.query))
            if fault == "drop":  # done, but the answer never comes: the connection just closes
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault == "slow":
                time.sleep(fake.slow_seconds)
            if fault == "page":
                page = f"<html>\n<head><title>{status} Bad Gateway</title></head>\n<body>\n<center><h1>{status}</h1>" \
                       "</center>\n<hr><center>nginx</center>\n</body>\n</html>\n" + "<!-- padding -->\n" * 20
                return self._send(status, page.encode(), "text/html")
            self._json(status, payload)

        def _json(self, status, payload):
            self._send(status, json.dumps(payload).encode(), "application/json")

        def _send(self, status, data, kind):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a long poll cut short at shutdown)

    return Handler


def _parameters(content_type: str, body: bytes, query: str) -> dict:
    """Bot API parameters from a JSON body, a form, or the query string; JSON-encoded values decoded."""
    if content_type.startswith("application/json"):
        return json.loads(body or b"{}")
    if content_type.startswith("multipart/"):
        raise ValueError("multipart uploads are not supported by the fake server")
    fields = {key: values[-1] for key, values in parse_qs(body.decode() or query).items()}
    params = {}
    for key, value in fields.items():
        if key in RAW_STRINGS:
            params[key] = value
        else:
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
    return params


# -- updates as Telegram sends them ---------------------------------------------------------------

def user(user_id: int, language: str = "zh-hans", username: str | None = None) -> dict:
    found = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": language}
    return found | ({"username": username} if username else {})


def message(text: str, user_id: int, chat_id: int | None = None, **extra) -> dict:
    """A message update; a leading /command gets its bot_command entity, as Telegram sends it."""
    chat_id = chat_id or user_id
    body = {"message_id": int(time.time() * 1000) % 10**9, "date": int(time.time()), "from": user(user_id),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "title": "staff"}, **extra}
    if text:
        body["text"] = text
        if text.startswith("/"):
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": body}


def edited(text: str, user_id: int) -> dict:
    update = message(text, user_id)
    return {"edited_message": {**update["message"], "edit_date": int(time.time())}}


def callback(data: str, user_id: int, sent: dict) -> dict:
    """A button press on a message the bot sent (``sent`` is the sendMessage parameters)."""
    chat_id = int(sent["chat_id"])
    bot_message = {"message_id": 777, "date": int(time.time()), "from": BOT_USER,
                   "chat": {"id": chat_id, "type": "private"}, "text": re.sub(r"<[^>]+>", "", sent["text"])}
    return {"callback_query": {"id": f"cb{time.time_ns()}", "from": user(user_id), "chat_instance": "1",
                               "data": data, "message": bot_message}}


def inline_query(query: str, user_id: int) -> dict:
    return {"inline_query": {"id": f"iq{time.time_ns()}", "from": user(user_id), "query": query, "offset": ""}}
