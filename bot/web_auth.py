"""Who is asking, for the web chat: signed session tokens, their secret, and a limit on sign-in attempts.

A session token is ``payload.signature``: the payload names the member, the fingerprint of their code and an
expiry; the signature is HMAC-SHA256 with the server's secret. Nothing secret is in the token, and a token
stops working when it expires, when the member's code is reset or when they are removed.

>>> sessions = Sessions(b"k" * 32)
>>> token = sessions.issue("张三", "fp", now=1000)
>>> sessions.read(token, now=1001)
('张三', 'fp')
>>> sessions.read(token[:-1] + "x", now=1001), sessions.read(token, now=1000 + SESSION_SECONDS + 1)
(None, None)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections import OrderedDict, deque
from pathlib import Path

SESSION_SECONDS = 14 * 24 * 3600  # staff sign in on their phone about twice a month
MIN_SECRET = 32


class Sessions:
    """Issues and reads signed session tokens with ``secret``."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET:
            raise ValueError(f"the session secret must have at least {MIN_SECRET} bytes")
        self._secret = secret

    def issue(self, name: str, fingerprint: str, now: float | None = None) -> str:
        """A token for member ``name`` whose code has ``fingerprint``, valid for ``SESSION_SECONDS``."""
        expires = int((time.time() if now is None else now) + SESSION_SECONDS)
        payload = _b64(json.dumps({"u": name, "f": fingerprint, "e": expires}, ensure_ascii=False).encode())
        return f"{payload}.{self._sign(payload)}"

    def read(self, token: str, now: float | None = None) -> tuple[str, str] | None:
        """(name, code fingerprint) from a token this server signed and that has not expired; else None."""
        payload, _, signature = (token or "").partition(".")
        if not payload or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            name, fingerprint, expires = str(data["u"]), str(data["f"]), int(data["e"])
        except (ValueError, KeyError, TypeError):
            return None
        return (name, fingerprint) if (time.time() if now is None else now) < expires else None

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())


def load_secret(value: str, path: Path) -> bytes:
    """The session secret: ``value`` when set (from the environment), else the one kept in ``path``, made
    there (readable by its owner only) on first use. Raises ValueError for a secret that is too short."""
    if value:
        if len(value) < MIN_SECRET:
            raise ValueError(f"TOWNSHIP_BOT_WEB_SECRET must have at least {MIN_SECRET} characters")
        return value.encode()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    secret = path.read_text().strip()
    if len(secret) < MIN_SECRET:
        raise ValueError(f"{path} holds a session secret shorter than {MIN_SECRET} characters; delete it")
    return secret.encode()


class SignInLimiter:
    """At most ``attempts`` failed sign-ins per client address and per name within ``window`` seconds.

    >>> limiter = SignInLimiter(attempts=2, window=60)
    >>> limiter.failed("10.0.0.1", "张三", now=0); limiter.failed("10.0.0.1", "李四", now=1)
    >>> limiter.wait("10.0.0.1", "王五", now=2), limiter.wait("10.0.0.2", "王五", now=2), limiter.wait("10.0.0.1", "王五", now=61)
    (58, 0, 0)
    """

    def __init__(self, attempts: int = 10, window: float = 600, keys: int = 10_000) -> None:
        self.attempts, self.window, self.keys = attempts, window, keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, address: str, name: str, now: float | None = None) -> int:
        """Seconds until this address may try to sign in as ``name`` again (0: now)."""
        now = time.monotonic() if now is None else now
        longest = 0.0
        for key in (f"a:{address}", f"n:{name}"):
            failures = self._recent(key, now)
            if len(failures) >= self.attempts:
                longest = max(longest, failures[0] + self.window - now)
        return int(-(-longest // 1))

    def failed(self, address: str, name: str, now: float | None = None) -> None:
        """Count a failed attempt from ``address`` as ``name``."""
        now = time.monotonic() if now is None else now
        for key in (f"a:{address}", f"n:{name}"):
            self._recent(key, now).append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > self.keys:  # bounded memory: the longest-quiet keys are forgotten
            self._failures.popitem(last=False)

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
