"""Where the knowledge base lives: the bundled seeds and the knowledge base built from them.

Light on purpose: answering imports this, and must not import the parser.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from knowledge.fingerprint import parser_fingerprint


def cache_folder() -> Path:
    """Where township-bot keeps what it can make again (the seeds' knowledge base, the lexicon)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "township-bot"


def bundled_seeds() -> Path:
    """The folder of the five reports that ship with the package."""
    here = Path(__file__).parent
    installed = here / "seeds"
    return installed if installed.is_dir() else here.parent / "seeds"


def default_database() -> Path:
    """The knowledge base used when none is named: ``$TOWNSHIP_BOT_DB``, else one built from the seeds.

    The seeds' knowledge base lives in the user's cache, named after the seeds and the parser's own
    code, so that it is rebuilt (on first use) whenever either changes.
    """
    if os.environ.get("TOWNSHIP_BOT_DB"):
        return Path(os.environ["TOWNSHIP_BOT_DB"])
    digest = hashlib.sha256(parser_fingerprint().encode())
    for path in sorted(bundled_seeds().glob("*")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return cache_folder() / f"seeds-{digest.hexdigest()[:12]}.db"


def ensure_database(db_path: Path | None) -> Path:
    """``db_path`` if given; otherwise the default knowledge base, built from the seeds if missing."""
    if db_path is not None:
        return db_path
    path = default_database()
    if not path.exists() and not os.environ.get("TOWNSHIP_BOT_DB"):
        from knowledge.ingest import ingest

        _remove_stale_scratch(path.parent)
        scratch = path.with_name(f"{path.name}.{os.getpid()}.building")  # appears whole or not at all
        try:
            failures = [result for result in ingest([bundled_seeds()], scratch) if result.failed]
            if failures:
                raise RuntimeError("; ".join(result.error for result in failures))
            os.replace(scratch, path)
        finally:
            scratch.unlink(missing_ok=True)
    return path


def _remove_stale_scratch(folder: Path) -> None:
    """Remove the half-built knowledge bases (``NAME.PID.building``) of processes that were killed."""
    for scratch in folder.glob("*.building*"):
        pid = scratch.name.split(".building")[0].rsplit(".", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            scratch.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
