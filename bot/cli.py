"""The ``township-bot`` command: build, facts, ask, chat, serve, web, web-user, undo (the contract in DESIGN.md)."""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from knowledge.paths import bundled_seeds, ensure_database
from knowledge.query import KnowledgeBase


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8", errors="replace")  # replies are UTF-8 whatever the locale says
    if args.command != "serve":  # the Telegram bot stops itself cleanly on SIGTERM
        signal.signal(signal.SIGTERM, _stop)
    try:
        return args.run(args)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: an unfinished build has been rolled back by now
        print("township-bot: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    except (FileNotFoundError, RuntimeError) as error:
        print(f"township-bot: {error}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as error:  # damage the checks on opening could not see
        print(f"township-bot: the knowledge base is damaged ({error}); rebuild it: township-bot --db FILE build FOLDER",
              file=sys.stderr)
        return 1


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C: a build's transaction rolls back, files close


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="township-bot", description=__doc__)
    parser.add_argument("--db", type=Path, help="knowledge base file (default: $TOWNSHIP_BOT_DB, else the seeds')")
    commands = parser.add_subparsers(dest="command")

    build = commands.add_parser("build", help="read report files or folders into the knowledge base")
    build.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the bundled seeds)")
    build.set_defaults(run=_build)

    ask = commands.add_parser("ask", help="answer a question (or one per stdin line)")
    ask.add_argument("question", nargs="*", help="the question; none: read one per line from stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per reply")
    ask.set_defaults(run=_ask)

    chat = commands.add_parser("chat", help="one conversation: follow-ups carry the township and topic")
    chat.add_argument("--json", action="store_true", help="one JSON object per reply")
    chat.set_defaults(run=_chat)

    serve = commands.add_parser("serve", help="run the Telegram bot (settings from the environment; see README)")
    serve.set_defaults(run=_serve)

    web = commands.add_parser("web", help="serve the chat page and its JSON API (staff from the staff file; see README)")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    web.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    web.add_argument("--root-path", default="", help="the sub-path a reverse proxy serves it under, e.g. /bot")
    web.add_argument("--processes", type=int, help="processes answering questions (default: one per core "
                     "but one, or $TOWNSHIP_BOT_WEB_PROCESSES)")
    web.set_defaults(run=_web)

    web_user = commands.add_parser("web-user", help="the web chat's staff: add (prints a new access code), remove, list")
    web_user.add_argument("action", choices=["add", "remove", "list"])
    web_user.add_argument("name", nargs="?", help="the member's name, as they will type it to sign in")
    web_user.add_argument("--admin", action="store_true", help="add: may also upload reports from the page")
    web_user.set_defaults(run=_web_user)

    facts = commands.add_parser("facts", help="list the facts in the knowledge base")
    facts.add_argument("--town", help="only this township (any of its names)")
    facts.add_argument("--json", action="store_true", help="one JSON object per line")
    facts.set_defaults(run=_facts)

    undo = commands.add_parser("undo", help="bring back the report that the last replacing upload replaced")
    undo.add_argument("--audit-log", type=Path, help="append the undo to this upload log "
                                                    "(default: $TELEGRAM_AUDIT_LOG, if set)")
    undo.set_defaults(run=_undo)
    return parser


def _build(args: argparse.Namespace) -> int:
    db_path = args.db or _default_build_target()
    paths = args.paths or [bundled_seeds()]
    started = time.perf_counter()
    from knowledge.ingest import ingest

    bar = None
    if sys.stderr.isatty():  # a bar on a terminal; in a log, each file's line as it is done is the progress
        from tqdm import tqdm

        bar = tqdm(unit=" files", leave=False, file=sys.stderr)

    def progress(result, total: int) -> None:
        line = (f"✗ {result.error}" if result.failed else
                f"✓ {result.township} {result.year}  facts {result.facts:3d}  {result.status:9s} {result.path}")
        if bar is not None:
            bar.total = total
            bar.update()
            bar.write(line, file=sys.stderr if result.failed else sys.stdout)
        else:
            print(line, file=sys.stderr if result.failed else sys.stdout, flush=True)

    try:
        results = ingest(paths, db_path, progress)
    finally:
        if bar is not None:
            bar.close()
    failed = sum(result.failed for result in results)
    if not results:
        print("township-bot: no report files found in " + ", ".join(map(str, paths)), file=sys.stderr)
        return 1
    print(f"{len(results) - failed} read, {failed} failed, {time.perf_counter() - started:.1f} s → {db_path}")
    return 1 if failed else 0


def _default_build_target() -> Path:
    from knowledge.paths import default_database

    return default_database()


def _answerer(args: argparse.Namespace):
    from bot.answer import Answerer

    return Answerer(ensure_database(args.db))


def _reply(answer, as_json: bool) -> str:
    from bot.render import as_json as render_json, as_text

    return render_json(answer) if as_json else as_text(answer)


def _ask(args: argparse.Namespace) -> int:
    answerer = _answerer(args)
    if args.question:
        print(_reply(answerer.answer(" ".join(args.question)), args.json))
        return 0
    for line in _input_lines():
        print(_reply(answerer.answer(line), args.json), flush=True)  # one reply per line, blank ones too
        if not args.json:
            print()
    return 0


def _input_lines() -> Iterator[str]:
    """The lines of stdin as text: bytes that are not UTF-8 become U+FFFD, never an error."""
    for raw in sys.stdin.buffer:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _chat_answer(answerer, line: str, conversation):
    """One chat line's reply: a question, or one of Telegram's commands (/towns, /town NAME, /help)."""
    command, _, rest = line.strip().partition(" ")
    if command == "/towns":
        return answerer.townships()
    if command == "/town" and rest.strip():
        return answerer.town_card(rest.strip(), conversation=conversation)
    if command in ("/help", "/start", "/town"):
        return answerer.help()
    return answerer.answer(line, conversation)


def _chat(args: argparse.Namespace) -> int:
    from bot.answer import Conversation

    answerer = _answerer(args)
    conversation = Conversation()
    if not sys.stdin.isatty():  # a script or a pipe: one reply per line, as ``ask`` gives, in one conversation
        for line in _input_lines():
            print(_reply(_chat_answer(answerer, line, conversation), args.json), flush=True)
            if not args.json:
                print()
        return 0
    print("乡镇法治报告助手：请提问（例如：湘江源有多少人民调解员？）。/towns 乡镇列表，/town 湘江源 主要数据，Ctrl-D 退出。")
    while True:
        try:
            line = input("> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line.strip():
            print(_reply(_chat_answer(answerer, line.strip(), conversation), args.json), flush=True)
            print()


def _serve(args: argparse.Namespace) -> int:
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"township-bot serve: {error}", file=sys.stderr)
        return 2
    from bot.telegram_serving import serve

    return serve(settings, ensure_database(args.db or settings.db_path))


def _facts(args: argparse.Namespace) -> int:
    kb = KnowledgeBase(ensure_database(args.db))
    township_ids: list[int | None] = [None]
    if args.town:
        towns = kb.find_townships(args.town)
        if not towns:
            print(f"township-bot: no township called {args.town} in {kb.path}", file=sys.stderr)
            return 1
        township_ids = [town.id for town in towns]
    for township_id in township_ids:
        for fact in kb.facts(township_id=township_id):
            if args.json:
                print(json.dumps(fact.contract(), ensure_ascii=False))
            else:
                scope = f"[{fact.scope}] " if fact.scope else ""
                print(f"{fact.township}\t{fact.year}\t{fact.metric or '-'}\t{scope}{fact.subject}\t{fact.figure}")
    return 0


def _undo(args: argparse.Namespace) -> int:
    import os

    from bot.uploads import undo_last

    audit_log = args.audit_log or (Path(os.environ["TELEGRAM_AUDIT_LOG"]) if os.environ.get("TELEGRAM_AUDIT_LOG")
                                   else None)
    operator = os.environ.get("USER") or os.environ.get("LOGNAME") or str(os.getuid())
    upload = undo_last(ensure_database(args.db), audit_log, f"cli:{operator}")
    print("\n".join(upload.lines))
    return 0 if upload.stored or upload.status == "unchanged" else 1


def _web(args: argparse.Namespace) -> int:
    from bot.web import serve
    from bot.web_settings import WebSettingsError, load_web_settings

    try:
        settings = load_web_settings(args.host, args.port, args.root_path, args.processes)
    except WebSettingsError as error:
        print(f"township-bot web: {error}", file=sys.stderr)
        return 2
    return serve(settings, ensure_database(args.db))


def _web_user(args: argparse.Namespace) -> int:
    from bot.web_settings import load_web_settings
    from bot.web_users import StaffFile

    staff = StaffFile(load_web_settings().users)  # the same file as ``web`` reads, .env included
    if args.action == "list":
        for member in staff.members():
            print(f"{member.name}\t{'admin' if member.admin else 'staff'}")
        return 0
    if not args.name:
        print(f"township-bot web-user {args.action}: give a NAME", file=sys.stderr)
        return 2
    if args.action == "remove":
        if not staff.remove(args.name):
            print(f"township-bot web-user: nobody called {args.name} in {staff.path}", file=sys.stderr)
            return 1
        print(f"removed {args.name} from {staff.path}; their sessions have ended")
        return 0
    try:
        code = staff.add(args.name, admin=args.admin)
    except ValueError as error:
        print(f"township-bot web-user: {error}", file=sys.stderr)
        return 2
    print(code)
    print(f"the access code of {args.name.strip()}{' (admin)' if args.admin else ''}, in {staff.path}: "
          "hand it over once; it is not shown again (add again for a new one)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
