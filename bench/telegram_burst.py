"""Telegram under load: a burst of questions from many staff, and a lone question sent just behind it.

    python bench/telegram_burst.py [--users 50] [--per-user 10]

The real bot (``bot.telegram_serving.Server``) answers a fake Bot API on 127.0.0.1 (tests/fake_telegram.py),
over a knowledge base of the bundled seeds. Telegram's own limit (~30 messages/s overall) is kept by the
bot's rate limiter, so the best possible drain rate is ~30 answers/s. Printed, for the bot as it is
and for a baseline in the same run that handles updates one at a time (as python-telegram-bot's default
does, and as this bot did before issue 11):

- drain: seconds until all ``users × per_user`` answers are sent, and answers per second;
- lone: seconds from a lone question (another user, sent right after the burst) to its answer.

Goal (issue 11): the burst drained at ~30 answers/s, the lone question answered within 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bot.settings import Settings  # noqa: E402
from bot.telegram_serving import Server  # noqa: E402
from fake_telegram import FakeTelegram, message  # noqa: E402
from knowledge.ingest import ingest  # noqa: E402
from knowledge.paths import bundled_seeds  # noqa: E402

QUESTIONS = ["湘江源有多少人民调解员", "背孜乡有几个执法人员", "莲池镇执法证", "四棵树镇有多少网格员", "湘江源2024年开展了多少次普法活动"]
LONE_USER = 9999


class OneAtATime(Server):
    """The baseline: every update in one queue, handled one at a time."""

    @staticmethod
    def chat_of(update):
        return "everyone"


def run(server_class, kb: Path, folder: Path, users: int, per_user: int) -> tuple[float, float]:
    """Push the burst and the lone question; (seconds to drain the burst, seconds to answer the lone one)."""
    staff = list(range(3001, 3001 + users))
    with FakeTelegram() as fake:
        settings = Settings(token=fake.token, db_path=kb, api_url=fake.api_url,
                            allowed_users=frozenset({*staff, LONE_USER}), journal=folder / f"{server_class.__name__}.journal",
                            poll_timeout=1)
        ready, box = threading.Event(), {}

        async def main():
            box["server"], box["loop"] = server_class(settings, kb), asyncio.get_running_loop()
            ready.set()
            await box["server"].run()

        thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
        thread.start()
        ready.wait(30)
        fake.wait_sent(1, "setMyCommands", timeout=30)
        started = time.monotonic()
        for round_ in range(per_user):
            for user in staff:
                fake.push(message(QUESTIONS[(user + round_) % len(QUESTIONS)], user))
        lone_sent = time.monotonic()
        fake.push(message("湘江源有多少人民调解员", LONE_USER))
        fake.wait_sent(1, chat_id=LONE_USER, timeout=600)
        lone = time.monotonic() - lone_sent
        fake.wait_for(lambda: len(fake.sent()) >= users * per_user + 1, timeout=600)
        drain = time.monotonic() - started
        box["loop"].call_soon_threadsafe(box["server"].stop)
        thread.join(30)
    return drain, lone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=10)
    args = parser.parse_args()
    total = args.users * args.per_user
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        kb = folder / "kb.db"
        ingest([bundled_seeds()], kb)
        print(f"burst: {total} questions from {args.users} users, then a lone question from another user")
        results = {name: run(server_class, kb, folder, args.users, args.per_user)
                   for name, server_class in (("bot", Server), ("baseline (one at a time)", OneAtATime))}
    for name, (drain, lone) in results.items():
        print(f"{name:26} drain {drain:6.1f} s ({(total + 1) / drain:5.1f} answers/s)   lone question {lone:6.2f} s")
    (drain, lone), (base_drain, base_lone) = results["bot"], results["baseline (one at a time)"]
    print(f"ratio bot/baseline: drain {drain / base_drain:.2f}, lone question {lone / base_lone:.2f}")


if __name__ == "__main__":
    main()
