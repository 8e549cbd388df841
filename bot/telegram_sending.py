"""Calling the Bot API so that an answer arrives once: retried while it surely did not arrive, never doubled.

A failed call is retried only when Telegram surely did not act on it: the connection was never made, or
Telegram answered with 429 (too many requests) or a 5xx. A call that timed out after it was sent, or whose
connection dropped before the response, may well have been delivered: it is not sent again (a second copy
of an answer is worse than the rare lost one). Retries go on with backoff for ``retry_seconds`` (a minute
by default), honouring ``retry_after``; then ``Undeliverable`` is raised so the caller can tell the user once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

log = logging.getLogger("township_bot.telegram")

RETRY_SECONDS = 60.0  # how long a send that surely did not arrive is retried before the user is told
_FIRST_WAIT = 0.5
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)  # the request never left


class Undeliverable(Exception):
    """A message could not be sent although it was retried for ``retry_seconds``."""


def surely_not_delivered(error: Exception) -> bool:
    """True when Telegram cannot have acted on the call that raised ``error``, so it is safe to send again.

    >>> surely_not_delivered(RetryAfter(3))
    True
    >>> surely_not_delivered(NetworkError("Bad Gateway"))  # Telegram answered 502: it did not deliver
    True
    >>> surely_not_delivered(TimedOut())  # the request went out; the answer did not come back in time
    False
    """
    if isinstance(error, RetryAfter):
        return True
    if not isinstance(error, NetworkError):
        return False
    cause = error.__cause__
    if cause is None or isinstance(cause, TelegramError):  # an error status was answered (5xx, even as a page)
        return not isinstance(error, TimedOut)
    return isinstance(cause, _NOT_SENT)


async def send(method: Callable[..., Awaitable[Any]], *args, plain: str | None = None,
               retry_seconds: float = RETRY_SECONDS, **kwargs) -> Any:
    """Call the Bot API ``method`` and return its result, or None when there is nothing more to do.

    Retries as the module says, then raises ``Undeliverable``. HTML that Telegram refuses is sent again as
    ``plain`` text when there is one; "message is not modified" (a button pressed twice) and a user who
    blocked the bot end quietly; a call that may have arrived is not repeated.
    """
    deadline = time.monotonic() + retry_seconds
    wait, longest = _FIRST_WAIT, max(_FIRST_WAIT, retry_seconds / 8)  # at least eight tries in the time
    while True:
        try:
            return await method(*args, **kwargs)
        except BadRequest as error:
            reason = str(error).lower()
            if "not modified" in reason:
                return None
            if plain is not None and "parse" in reason:
                log.warning("Telegram refused the HTML (%s); sending plain text", error)
                plain, args = None, (plain[:4096], *args[1:])
                kwargs["parse_mode"] = None
                continue
            raise
        except Forbidden:
            log.info("the user blocked the bot; reply dropped")
            return None
        except NetworkError as error:
            if not surely_not_delivered(error):
                log.warning("a send may have arrived although it failed (%s); not sent again", one_line(error))
                return None
            pause = seconds(error.retry_after) if isinstance(error, RetryAfter) else wait
            if time.monotonic() + pause > deadline:
                raise Undeliverable(one_line(error)) from error
            log.warning("send failed (%s); retrying in %.1f s", one_line(error), pause)
            await asyncio.sleep(pause)
            wait = min(wait * 2, longest)


def seconds(duration) -> float:
    """A Bot API duration (a timedelta, or a number of seconds) in seconds."""
    return duration.total_seconds() if hasattr(duration, "total_seconds") else float(duration)


def one_line(error: object) -> str:
    """One line about ``error``: no HTML bodies, no URLs (which hold the token)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:160]
