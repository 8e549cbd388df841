"""The web chat's staff file: who may sign in, with what access code (stored hashed), and who is an admin.

The file is JSON that the operator keeps with ``township-bot web-user``; a running server re-reads it when it
changes, so a new, reset or removed member of staff takes effect at once. Codes are stored as scrypt hashes
with a salt of their own; a code is shown once, when it is made, and never again.

>>> staff = StaffFile(Path(tempfile.mkdtemp()) / "staff.json")
>>> code = staff.add("张三")
>>> staff.verify("张三", code).name, staff.verify("张三", "wrong"), staff.verify("李四", code)
('张三', None, None)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read off a screen and typed on a phone
CODE_GROUPS = 3  # xxxx-xxxx-xxxx: 12 characters, about 59 bits
MAX_NAME = 40
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}  # about 16 MB and 30-60 ms per check: slow to guess, quick to sign in
_DUMMY = "scrypt$16384$8$1$00$" + "00" * 32  # checked against when a name is unknown, so that timing tells nothing


@dataclass(frozen=True)
class StaffMember:
    """One member of staff: ``fingerprint`` changes whenever their code does (sessions carry it)."""

    name: str
    admin: bool
    fingerprint: str


class StaffFile:
    """The staff file at ``path``: read on demand (again whenever it changes on disk), written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._seen: tuple[int, int] | None = None
        self._users: dict[str, dict] = {}

    # -- reading --------------------------------------------------------------------------

    def members(self) -> list[StaffMember]:
        """Everyone in the file, in the order they were added."""
        return [_member(name, entry) for name, entry in self._load().items()]

    def member(self, name: str) -> StaffMember | None:
        """The member called ``name`` as the file has them now, or None."""
        entry = self._load().get(name)
        return _member(name, entry) if entry else None

    def verify(self, name: str, code: str) -> StaffMember | None:
        """The member if ``code`` is ``name``'s access code (spaces, dashes and case are ignored), else None.

        Takes the same time whether or not the name exists."""
        entry = self._load().get(normalize_name(name))
        stored = entry["code"] if entry else _DUMMY
        if _check(normalize_code(code), stored) and entry:
            return _member(normalize_name(name), entry)
        return None

    def _load(self) -> dict[str, dict]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._seen, self._users = None, {}
            return self._users
        seen = (stat.st_mtime_ns, stat.st_size)
        if seen != self._seen:
            with open(self.path, encoding="utf-8") as handle:
                users = json.load(handle).get("users", {})
            if not isinstance(users, dict):
                raise ValueError(f"{self.path}: 'users' is not an object")
            self._users, self._seen = users, seen
        return self._users

    # -- writing (the operator's command) ----------------------------------------------------

    def add(self, name: str, admin: bool = False) -> str:
        """Give ``name`` a new access code (replacing any old one, which stops working with its sessions)
        and return it; ``admin`` members may also upload reports. Raises ValueError for an unusable name."""
        name = normalize_name(name)
        if not name or len(name) > MAX_NAME or any(not char.isprintable() for char in name):
            raise ValueError(f"a name is 1 to {MAX_NAME} printable characters: {name!r}")
        code = "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(CODE_GROUPS))
        users = dict(self._load())
        users[name] = {"code": _hash(normalize_code(code)), "admin": admin}
        self._write(users)
        return code

    def remove(self, name: str) -> bool:
        """Remove ``name`` (their sessions end with it); False when there was no such member."""
        users = dict(self._load())
        if users.pop(normalize_name(name), None) is None:
            return False
        self._write(users)
        return True

    def _write(self, users: dict[str, dict]) -> None:
        """Replace the file in one step, readable by its owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".staff-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"users": users}, out, ensure_ascii=False, indent=1)
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._seen = None


def normalize_name(name: str) -> str:
    """A name as stored: surrounding blanks removed."""
    return (name or "").strip()


def normalize_code(code: str) -> str:
    """A code as hashed: lower case, without blanks or dashes (xxxx-xxxx-xxxx as typed on a phone)."""
    return "".join(char for char in (code or "").lower() if char not in " -\t")


def _member(name: str, entry: dict) -> StaffMember:
    fingerprint = hashlib.sha256(entry["code"].encode()).hexdigest()[:16]
    return StaffMember(name, bool(entry.get("admin")), fingerprint)


def _hash(code: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(code.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def _check(code: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        computed = hashlib.scrypt(code.encode()[:256], salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                  dklen=len(digest) // 2)
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)
