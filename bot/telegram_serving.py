"""Running the Telegram bot: fetch updates (long polling or a webhook), hand them to the handlers, stop cleanly.

What it guarantees (the README's Telegram section says the same):

- An update is confirmed to Telegram only once it is answered (or given up on with a reply); updates
  fetched are also kept in an ``UpdateJournal``, so after a crash, a kill -9 or a SIGTERM the next start
  answers what was fetched and not answered. An update being answered at the moment of a crash may be
  answered twice: delivery is at least once.
- Chats are handled concurrently, each chat's updates in order (``ChatQueues``): one slow chat stalls nobody.
- An update the library cannot read is skipped with one log line (its id, no content).
- SIGTERM or SIGINT: stop fetching, let each chat finish the update in hand for up to ``STOP_GRACE``
  seconds, leave the rest for the next start, exit 0 (within 10 s).
- A token Telegram rejects (401), at start or while serving, exits at once with status 2 and one line.
- The token is never printed: stdout and stderr are filtered (log lines, tracebacks, anything).
"""

from __future__ import annotations

import asyncio
import hmac
import io
import json
import logging
import signal
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
from telegram import Update
from telegram.error import InvalidToken, TelegramError

from bot.settings import Settings
from bot.telegram_bot import build_application, set_commands
from bot.telegram_sending import one_line
from bot.telegram_updates import FETCH_LIMIT, ChatQueues, UpdateJournal

log = logging.getLogger("township_bot.telegram")

STOP_GRACE = 6.0  # seconds each chat may take to finish the update in hand after SIGTERM
MAX_BACKLOG = 1000  # updates waiting in the chats' queues before fetching pauses
TOKEN_REJECTED = 2  # exit status: Telegram said the token is not valid (as for a missing token)
_LONGEST_WAIT = 60.0


class TokenRejected(Exception):
    """Telegram answered 401 or 404: the token is not (or no longer) valid."""


class FetchFailed(Exception):
    """getUpdates failed; ``wait`` is how long Telegram asked us to wait (0: our own backoff)."""

    def __init__(self, reason: str, wait: float = 0.0) -> None:
        super().__init__(reason)
        self.wait = wait


class Server:
    """One run of the bot: the Application, the journal of updates, the chats' queues, and a stop event."""

    def __init__(self, settings: Settings, db_path: Path) -> None:
        self.settings = settings
        self.application = build_application(settings, db_path)
        self.journal = UpdateJournal(settings.journal_path(db_path))
        self.chats = ChatQueues(self._handle)
        self.stopping = asyncio.Event()
        self.status = 0
        self._started = False

    def stop(self) -> None:
        """Ask the running server to stop (safe to call from a signal handler)."""
        self.stopping.set()

    async def run(self) -> int:
        """Serve until ``stop``; returns the exit status (0, or ``TOKEN_REJECTED``)."""
        try:
            if await self._start():
                for body in self.journal.unanswered():  # fetched by an earlier run and never answered
                    self._submit(body)
                if self.settings.webhook_url:
                    await self._serve_webhook()
                else:
                    await self._poll()
        finally:
            left = await self.chats.stop(STOP_GRACE)
            if left:
                log.info("%d updates left for the next start", left)
            if self.status == 0 and not self.settings.webhook_url and self._started:
                await self._confirm_answered()
            await self.application.shutdown()
            self.application.bot_data["answering"].close(wait=False)
            self.application.bot_data["pending_uploads"].cancel_all()
            self.journal.close()
        return self.status

    # -- start ----------------------------------------------------------------------------------

    async def _start(self) -> bool:
        """Check the token (getMe), set the menu and the webhook; retry while Telegram is unreachable."""
        wait = 1.0
        while not self.stopping.is_set():
            try:
                await self.application.initialize()
                if self.settings.webhook_url:
                    await self.application.bot.set_webhook(
                        self.settings.webhook_url, secret_token=self.settings.webhook_secret,
                        allowed_updates=Update.ALL_TYPES)
                    log.info("serving by webhook on %s:%s", self.settings.webhook_listen, self.settings.webhook_port)
                else:
                    await self.application.bot.delete_webhook()
                    log.info("serving by long polling")
                await set_commands(self.application)
                self._started = True
                return True
            except InvalidToken:
                self._token_rejected()
                return False
            except TelegramError as error:
                log.warning("Telegram unreachable at start (%s); trying again in %.0f s", one_line(error), wait)
            await self._sleep(wait)
            wait = min(wait * 2, _LONGEST_WAIT)
        return False

    def _token_rejected(self) -> None:
        log.error("Telegram rejected the bot token (TELEGRAM_BOT_TOKEN): it is wrong or was revoked; "
                  "get the current one from @BotFather. Stopping.")
        self.status = TOKEN_REJECTED
        self.stopping.set()

    # -- updates in ---------------------------------------------------------------------------

    async def _poll(self) -> None:
        """Long-poll getUpdates until stopped; the offset confirms only answered updates."""
        async with httpx.AsyncClient(trust_env=not self.settings.loopback_api) as client:
            failures = 0
            while not self.stopping.is_set():
                if len(self.chats) >= MAX_BACKLOG:
                    await self._sleep(0.2)
                    continue
                offset = self.journal.offset()
                try:
                    bodies = await self._until_stopped(self._get_updates(client, offset, self.settings.poll_timeout))
                except asyncio.CancelledError:
                    if self.stopping.is_set():
                        return
                    raise
                except TokenRejected:
                    self._token_rejected()
                    return
                except FetchFailed as error:
                    failures += 1
                    wait = error.wait or min(0.5 * 2 ** failures, 30.0)
                    log.warning("getUpdates failed (%s); trying again in %.1f s", error, wait)
                    await self._sleep(wait)
                    continue
                failures = 0
                self.journal.accepted(offset)
                for body in self.journal.add(bodies):
                    self._submit(body)

    async def _get_updates(self, client: httpx.AsyncClient, offset: int, timeout: float) -> list[dict]:
        """The updates from ``offset`` on (which confirms those below it), as JSON objects."""
        url = f"{self.settings.api_url}{self.settings.token}/getUpdates"
        parameters = {"offset": offset, "timeout": int(timeout), "limit": FETCH_LIMIT,
                      "allowed_updates": Update.ALL_TYPES}
        try:
            response = await client.post(url, json=parameters, timeout=timeout + 10)
        except httpx.HTTPError as error:
            raise FetchFailed(type(error).__name__) from None  # its text may hold the URL, and so the token
        if response.status_code in (401, 404):
            raise TokenRejected
        try:
            reply = response.json()
        except ValueError:
            raise FetchFailed(f"HTTP {response.status_code}, not JSON") from None
        if not isinstance(reply, dict) or not reply.get("ok") or not isinstance(reply.get("result"), list):
            described = reply.get("description", "") if isinstance(reply, dict) else ""
            wait = (reply.get("parameters") or {}).get("retry_after", 0) if isinstance(reply, dict) else 0
            raise FetchFailed(f"HTTP {response.status_code} {one_line(described) if described else ''}".strip(),
                              float(wait) if isinstance(wait, (int, float)) else 0.0)
        updates = [body for body in reply["result"] if isinstance(body, dict) and isinstance(body.get("update_id"), int)]
        if len(updates) < len(reply["result"]):
            log.warning("getUpdates returned %d entries without an update id; ignored",
                        len(reply["result"]) - len(updates))
        return updates

    async def _confirm_answered(self) -> None:
        """At stop: one quick getUpdates so Telegram forgets what was answered (the rest stays unconfirmed)."""
        offset = self.journal.offset()
        if offset <= self.journal.confirmed:
            return
        try:
            async with httpx.AsyncClient(trust_env=not self.settings.loopback_api) as client:
                await asyncio.wait_for(self._get_updates(client, offset, 0), 3)
            self.journal.accepted(offset)
        except (FetchFailed, TokenRejected, asyncio.TimeoutError):
            pass  # the journal remembers what was answered: the next start will not answer it again

    async def _serve_webhook(self) -> None:
        """Take updates that Telegram posts to /telegram (with the secret token) until stopped."""
        from aiohttp import web

        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/telegram", self._webhook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.settings.webhook_listen, self.settings.webhook_port).start()
            await self.stopping.wait()
        finally:
            await runner.cleanup()

    async def _webhook(self, request):
        """One update posted by Telegram: 403 without the secret, 400 if it is not an update, else 200."""
        from aiohttp import web

        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(secret.encode(), self.settings.webhook_secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            body = json.loads(await request.read())
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
            return web.Response(status=400, text="not a Telegram update")
        for new in self.journal.add([body]):  # Telegram re-posts what it thinks was lost: handled once
            self._submit(new)
        self.journal.forget_answered()
        return web.Response(text="ok")

    # -- handling -----------------------------------------------------------------------------

    def _submit(self, body: dict) -> None:
        """Read one update and queue it for its chat; one that cannot be read is skipped (logged by id)."""
        try:
            update = Update.de_json(body, self.application.bot)
        except Exception:  # any shape the library rejects: skipping it is the only way on
            update = None
        if update is None:
            log.warning("update %s could not be read; skipped", body["update_id"])
            self.journal.answered(body["update_id"])
            return
        self.chats.submit(self.chat_of(update), (body["update_id"], update))

    @staticmethod
    def chat_of(update: Update) -> object:
        """What orders updates: the chat, else the user (inline queries), else the update itself."""
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        return ("update", update.update_id)

    async def _handle(self, item: tuple[int, Update]) -> None:
        update_id, update = item
        try:
            await self.application.process_update(update)
        except Exception as error:  # the handlers' own errors go to on_error; this is the library failing
            log.error("update %s failed: %s", update_id, one_line(error))
        unanswered: set[int] = self.application.bot_data["unanswered"]
        if update_id in unanswered:  # neither the answer nor the apology could be sent: kept for the next start
            unanswered.discard(update_id)
        else:
            self.journal.answered(update_id)

    # -- waiting ------------------------------------------------------------------------------

    async def _sleep(self, seconds_: float) -> None:
        """Sleep, but wake as soon as the server is asked to stop."""
        try:
            await asyncio.wait_for(self.stopping.wait(), seconds_)
        except asyncio.TimeoutError:
            pass

    async def _until_stopped(self, coroutine):
        """Await ``coroutine``; if a stop is asked first, cancel it and raise CancelledError."""
        task = asyncio.ensure_future(coroutine)
        stopper = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise asyncio.CancelledError
        return task.result()


# -- the process ----------------------------------------------------------------------------------

def serve(settings: Settings, db_path: Path) -> int:
    """Run the bot until SIGINT or SIGTERM; returns the exit status. The token is filtered from all output."""
    _hide_token(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every URL, and the token is in them
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)  # our sends log their own retries
    return asyncio.run(_serve(settings, db_path))


async def _serve(settings: Settings, db_path: Path) -> int:
    server = Server(settings, db_path)
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, server.stop)
    status = await server.run()
    log.info("stopped")
    return status


def _hide_token(settings: Settings) -> None:
    """Filter the token (and the webhook secret) out of everything written to stdout and stderr."""
    secrets = [settings.token, quote(settings.token, safe=""), settings.webhook_secret]
    if ":" in settings.token:
        secrets.append(settings.token.split(":", 1)[1])  # the secret half alone
    secrets = sorted({secret for secret in secrets if len(secret) >= 8}, key=len, reverse=True)
    sys.stdout = _Redacting(sys.stdout, secrets)
    sys.stderr = _Redacting(sys.stderr, secrets)


class _Redacting(io.TextIOBase):
    """A text stream that writes to ``stream`` with every secret replaced by <token>."""

    def __init__(self, stream, secrets: list[str]) -> None:
        self._stream, self._secrets = stream, secrets

    def write(self, text: str) -> int:
        shown = text
        for secret in self._secrets:
            shown = shown.replace(secret, "<token>")
        self._stream.write(shown)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return self._stream.encoding
