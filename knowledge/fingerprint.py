"""A fingerprint of the parser itself (its code and data files), so stored work is redone when it changes."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

_HERE = Path(__file__).parent


@functools.cache
def parser_fingerprint() -> str:
    """A short hash of ``knowledge/*.py`` and ``knowledge/data/*``: changes whenever the parser does."""
    digest = hashlib.sha256()
    for path in sorted(_HERE.glob("*.py")) + sorted((_HERE / "data").glob("*")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
