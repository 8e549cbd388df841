"""Shared fixtures: the seeds' knowledge base (built once per session), the corpus, a CLI runner."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.evaluate import read_tsv  # noqa: F401  (the tests read their data files with it)
from knowledge.ingest import ingest
from knowledge.paths import bundled_seeds

pytest_plugins = ["telegram_harness"]  # the fake Bot API and the running bot, as fixtures: fake, kb, bot

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
DATA = Path(__file__).parent / "data"


def corpus_index() -> list[dict]:
    """Rows of ../shared/corpus/index.tsv (empty when the corpus is not beside the checkout)."""
    index = CORPUS / "index.tsv"
    if not index.exists():
        return []
    with open(index, encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="session")
def seeds_db(tmp_path_factory) -> Path:
    """A knowledge base built from the bundled seeds, shared by the whole session (read-only)."""
    path = tmp_path_factory.mktemp("kb") / "seeds.db"
    results = ingest([bundled_seeds()], path)
    assert not [result.error for result in results if result.failed]
    return path


@pytest.fixture(scope="session")
def twins_db(tmp_path_factory) -> Path:
    """The seeds plus two made-up townships whose names sound alike (新华乡, 新化乡: both xinhua)."""
    path = tmp_path_factory.mktemp("kb") / "twins.db"
    results = ingest([bundled_seeds(), DATA / "twins"], path)
    assert not [result.error for result in results if result.failed]
    return path


@pytest.fixture(scope="session")
def corpus_db(tmp_path_factory) -> Path:
    """A knowledge base built from the 40 corpus reports."""
    if not corpus_index():
        pytest.skip("../shared/corpus is not beside this checkout")
    path = tmp_path_factory.mktemp("kb") / "corpus.db"
    results = ingest([CORPUS], path)
    assert not [result.error for result in results if result.failed]
    return path


def run_cli(*args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 60
            ) -> subprocess.CompletedProcess:
    """Run ``township-bot`` as a user would, in a subprocess of this interpreter."""
    full_env = {**os.environ, "PYTHONUTF8": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=ROOT)
