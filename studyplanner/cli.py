"""The `studyplanner` command: the window with no arguments, else scripting commands.

Every command calls the same core functions the window does. Errors print one
line on stderr and exit with status 1; nothing is changed by a failed command.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import shutil
import sqlite3
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from cards import app_version, backup, formats, ops, optimizer
from cards.errors import StudyPlannerError
from cards.queue import QueueCounts
from cards.review import ReviewSession, ReviewSummary
from cards.rows import Card
from cards.scheduling import RATING_NAMES, format_interval
from cards.schema import damaged, is_damage
from cards.settings import SHOWN, format_value, parse_value, spec
from cards.stats import report, summary
from cards.store import Store, default_path
from cards.wording import plural, sentence, size
from planner import plans
from planner.planfile import parse_plan_bytes
from planner.plans import open_store

PROG = "studyplanner"
SYNC_PASSWORD_ENV = "STUDYPLANNER_SYNC_PASSWORD"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Flashcards with FSRS and study plans.")
    parser.add_argument(
        "--db", metavar="PATH", help="the store file (default: $STUDYPLANNER_DB or the user data folder)"
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    decks = sub.add_parser("decks", help="decks with total/new/learning/due for today")
    decks.add_argument("--json", action="store_true", help="print JSON")
    deck = sub.add_parser("deck", help="rename or delete a deck")
    deck_sub = deck.add_subparsers(dest="deck_command", metavar="DECK_COMMAND", required=True)
    rename = deck_sub.add_parser("rename", help="give a deck a new name (its key stays)")
    rename.add_argument("deck")
    rename.add_argument("name")
    delete = deck_sub.add_parser("delete", help="delete a deck with its cards and their history")
    delete.add_argument("deck")

    review = sub.add_parser("review", help="review due cards line by line on standard input")
    review.add_argument("--deck", metavar="NAME", help="only this deck (name or key)")
    review.add_argument("--limit", metavar="N", type=_positive_int, help="stop after N answers")

    stats = sub.add_parser("stats", help="review totals, today's due count and the streak")
    stats.add_argument("--json", action="store_true", help="print JSON")

    imp = sub.add_parser("import", help="import a deck: " + ", ".join(formats.IMPORTABLE))
    imp.add_argument("file")
    imp.add_argument("--deck", metavar="NAME", help="the deck to import into (default: from the file)")
    imp.add_argument("--no-history", action="store_true", help="leave an .apkg's review history out")
    imp.add_argument("--yes", action="store_true", help="change or suspend cards already here without asking")
    exp = sub.add_parser(
        "export", help="export a deck; the format follows the extension: " + " ".join(formats.EXPORTABLE)
    )
    exp.add_argument("deck")
    exp.add_argument("file")
    exp.add_argument("--with-history", action="store_true", help="include the review history in an .apkg")

    settings = sub.add_parser("settings", help="show the scheduling settings, or set one: settings NAME VALUE")
    settings.add_argument("name", nargs="?", choices=SHOWN, metavar="NAME", help=", ".join(SHOWN))
    settings.add_argument("value", nargs="?", metavar="VALUE", help="the new value, e.g. 0.85, 30 or '1m 10m'")
    settings.add_argument(
        "--deck", metavar="NAME", help="this deck's own value, over the global one ('default' as VALUE removes it)"
    )
    settings.add_argument("--json", action="store_true", help="print JSON")

    opt = sub.add_parser("optimize", help="fit FSRS parameters to your review log (and --apply them)")
    opt.add_argument("--apply", action="store_true", help="use the fitted parameters and reschedule your cards")

    back = sub.add_parser("backup", help="write a backup of the store now (or list them)")
    back.add_argument("--list", action="store_true", help="list the backups with their dates and counts")
    res = sub.add_parser("restore", help="put a backup in place of the store (the store is backed up first)")
    res.add_argument("file")

    syn = sub.add_parser("sync", help="sync with an Anki sync server, so Anki's apps review the same cards")
    syn.add_argument("--server", metavar="URL", help="'ankiweb', or your own server's address (remembered)")
    syn.add_argument("--user", metavar="NAME", help="your user name there (remembered)")
    whole = syn.add_mutually_exclusive_group()
    whole.add_argument("--full-upload", action="store_true", help="when both sides changed: this store wins")
    whole.add_argument("--full-download", action="store_true", help="when both sides changed: the server wins")

    plan = sub.add_parser("plan", help="study plans on a calendar")
    plan_sub = plan.add_subparsers(dest="plan_command", metavar="PLAN_COMMAND", required=True)
    plan_list = plan_sub.add_parser("list", help="the plans you can start")
    plan_list.add_argument("--json", action="store_true")
    plan_start = plan_sub.add_parser("start", help="start a plan on a date")
    plan_start.add_argument("key")
    plan_start.add_argument("--on", type=_date, metavar="YYYY-MM-DD", help="first day (default: tomorrow)")
    plan_start.add_argument("--exam", type=_date, metavar="YYYY-MM-DD", help="your exam or interview date")
    plan_start.add_argument("--yes", action="store_true", help="start even when warned (already running, in the past)")
    plan_show = plan_sub.add_parser("show", help="each day of the running plans: tasks, done flags, cards due")
    plan_show.add_argument("--json", action="store_true")
    plan_show.add_argument("--days", type=_positive_int, default=14, help="how many days from today (default 14)")
    plan_ahead = plan_sub.add_parser("ahead", help="pull a later day's topic in now: its new cards come from today")
    plan_ahead.add_argument("topic")
    plan_ahead.add_argument("--run", type=int, metavar="RUN_ID", help="the plan (default: the one with the topic)")
    plan_ready = plan_sub.add_parser("readiness", help="what you would recall on the exam day, weakest topics first")
    plan_ready.add_argument("--json", action="store_true")
    plan_stop = plan_sub.add_parser("stop", help="stop a running plan (its id is in 'plan show --json')")
    plan_stop.add_argument("run_id", type=int, metavar="RUN_ID")
    plan_shift = plan_sub.add_parser("shift", help="move the rest of a plan so its first unfinished day is today")
    plan_shift.add_argument("run_id", type=int, metavar="RUN_ID")
    plan_shift.add_argument("--dry-run", action="store_true", help="only show what would move")
    plan_spread = plan_sub.add_parser("spread", help="spread a plan's missed tasks over the next days")
    plan_spread.add_argument("run_id", type=int, metavar="RUN_ID")
    plan_spread.add_argument("--budget", type=_positive_int, metavar="MIN", help="minutes a day (default: setting)")
    plan_spread.add_argument("--dry-run", action="store_true", help="only show where the tasks would go")
    plan_done = plan_sub.add_parser("done", help="tick tasks done")
    plan_done.add_argument("task_ids", nargs="+", type=_task_id, metavar="TASK_ID")
    plan_done.add_argument("--undo", action="store_true", help="mark them not done again")
    plan_import = plan_sub.add_parser("import", help="import a plan file (docs/plan-format.md)")
    plan_import.add_argument("file")
    plan_ics = plan_sub.add_parser("ics", help="export the running plans as an iCalendar file")
    plan_ics.add_argument("file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        return _start_window(args.db)
    try:
        if args.command == "restore":
            return cmd_restore(args, sys.stdout)
        with open_store(
            args.db, progress=lambda text: print(text, file=sys.stderr, flush=True), check_intact=_writes(args)
        ) as store:
            status = COMMANDS[args.command](store, args, sys.stdin, Printable(sys.stdout))  # type: ignore[arg-type]
            sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
            return status
    except StudyPlannerError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:  # a read met a damaged page (a write command checked before it began)
        path = Path(args.db).expanduser() if args.db else default_path()
        problem = damaged(path, exc) if is_damage(exc) else f"cannot read the store {path}: {exc}"
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `studyplanner decks | head -1`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit's flush writes nowhere
        return 141  # as a process ended by SIGPIPE


def _writes(args: argparse.Namespace) -> bool:
    """Whether the command changes the store (or copies it, as a backup does): then a damaged store is
    refused before it starts."""
    if args.command in ("decks", "stats", "export") or (args.command == "backup" and args.list):
        return False
    if args.command == "settings":
        return args.name is not None
    if args.command == "optimize":
        return args.apply
    if args.command == "plan":
        return args.plan_command not in ("list", "show", "readiness", "ics") and not getattr(args, "dry_run", False)
    return True


# Escape and control sequences a card or deck name may carry (an imported file is anyone's): on a
# terminal they recolour, move the cursor, retitle the window or write to the clipboard (OSC 52).
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


class Printable:
    """Standard output with control sequences taken out; new lines and tabs stay."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(_CONTROL.sub("", text))

    def __getattr__(self, name: str):
        return getattr(self.out, name)  # flush, isatty, ...


class _Version(argparse.Action):
    """--version, looked up only when asked (reading the installed metadata costs every start otherwise)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"{PROG} {app_version()}")
        parser.exit()


# What Qt's X11 window needs beyond PySide6's own files; a desktop has them, a minimal system may not, and
# then Qt aborts with a message that names a plugin, not the package to install.
QT_X11_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-shape.so.0": "libxcb-shape0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-image.so.0": "libxcb-image0", "libEGL.so.1": "libegl1",
}  # fmt: skip


def _display_problem() -> str | None:
    """Why the window cannot open here, in a sentence that says what to do; None when it can."""
    if not sys.platform.startswith("linux") or (os.environ.get("QT_QPA_PLATFORM") or "xcb") != "xcb":
        return None
    if not os.environ.get("DISPLAY"):
        if os.environ.get("WAYLAND_DISPLAY"):
            return None  # Qt picks Wayland
        return "no display to open the window on (DISPLAY is not set): run it on a desktop, or use the commands"
    missing = []
    for library, package in QT_X11_LIBRARIES.items():
        try:
            ctypes.CDLL(library)
        except OSError:
            missing.append(package)
    if missing:
        return (f"the window needs system libraries this machine lacks; on Debian or Ubuntu: "
                f"sudo apt install {' '.join(missing)}")  # fmt: skip
    return None


def _start_window(db: str | None) -> int:
    problem = _display_problem()
    if problem is not None:
        print(f"{PROG}: {problem}", file=sys.stderr)
        print(f"{PROG}: the command line works without it: see '{PROG} --help'", file=sys.stderr)
        return 3
    try:
        from ui.app import run
    except ImportError as exc:  # a broken or missing Qt: say so; never pretend the window opened
        print(f"{PROG}: the window cannot start: {exc}", file=sys.stderr)
        print(f"{PROG}: the command line still works: see '{PROG} --help'", file=sys.stderr)
        return 3
    return run(db)


def cmd_decks(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    rows = store.deck_list().rows  # each deck as `review --deck` brings it, its subdecks included
    if args.json:
        listing = [{"name": r.counts.name, "total": r.counts.total, "new": r.counts.new,
                    "learning": r.counts.learning, "due": r.counts.due} for r in rows]  # fmt: skip
        json.dump(listing, out, indent=2)
        out.write("\n")
        return 0
    listed = [("  " * row.depth + row.label, row.counts) for row in rows]  # subdecks under their deck
    width = max([len(label) for label, _ in listed] + [4])
    out.write(f"{'Deck':<{width}}  {'Total':>6}  {'New':>5}  {'Learn':>5}  {'Due':>5}\n")
    for label, c in listed:
        out.write(f"{label:<{width}}  {c.total:>6}  {c.new:>5}  {c.learning:>5}  {c.due:>5}\n")
    return 0


def cmd_deck(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    deck = store.deck_by_name(args.deck)
    if args.deck_command == "rename":
        if " ".join(args.name.split()) == deck.name:
            out.write(f"{deck.name} already has that name.\n")
            return 0
        renamed = ops.rename_deck(store, deck.id, args.name).value
        out.write(f"Renamed {deck.name} to {renamed.name}.\n")
    else:
        cards = ops.delete_deck(store, deck.id).value
        out.write(f"Deleted {deck.name} and its {plural(cards, 'card')}.\n")
    return 0


def cmd_settings(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    deck_id = store.deck_by_name(args.deck).id if args.deck else None
    if args.name is not None:
        if args.value is None:
            raise StudyPlannerError(f"give a value for {args.name}: studyplanner settings {args.name} VALUE")
        if deck_id is None:
            ops.update_settings(store, **{args.name: parse_value(args.name, args.value)})
        else:  # "default": the deck follows the global value again
            value = None if args.value == "default" else parse_value(args.name, args.value)
            ops.set_deck_overrides(store, deck_id, **{args.name: value})
    current = store.settings(deck_id)
    own = store.deck_overrides(deck_id) if deck_id is not None else {}
    names = [args.name] if args.name else list(SHOWN)
    if args.json:
        json.dump({n: getattr(current, n) for n in names}, out, indent=2)
        out.write("\n")
        return 0
    width = max(len(spec(n).label) for n in names)
    for name in names:
        s = spec(name)
        text = format_value(name, getattr(current, name)) + ("" if s.is_steps else s.unit)
        mark = "  (this deck's own)" if name in own else ""
        out.write(f"{s.label:<{width}}  {text:<12} {name:<20} {s.range_text()}{mark}\n")
    return 0


def cmd_stats(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    figures: dict[str, object] = dict(summary(store))
    if args.json:
        r = report(store)
        figures |= {
            "longest_streak": r.longest_streak,
            "days_studied": r.days_studied,
            "seconds_per_card": r.seconds_per_card,
            "reviews_per_day": {d.isoformat(): n for d, n in sorted(r.reviews_per_day.items())},
            "forecast": [
                {"date": d.isoformat(), "cards": n, "minutes": round(n * r.seconds_per_card / 60)}
                for d, n in r.forecast
            ],  # fmt: skip
            "retention": {p: {"passed": a, "answered": b} for p, (a, b) in r.retention.items()},
            "desired_retention": r.desired_retention,
            "card_counts": r.card_counts,
            "reviews_by_kind": {
                d.isoformat(): dict(zip(("learning", "young", "mature"), k))
                for d, k in sorted(r.reviews_by_kind.items())
            },  # fmt: skip
            "calibration": [{"predicted": p, "answers": n, "recalled": k} for p, n, k in r.calibration],
            "intervals": dict(r.intervals),
            "stabilities": dict(r.stabilities),
        }
        json.dump(figures, out, indent=2)
        out.write("\n")
    else:
        for key, value in figures.items():
            out.write(f"{key.replace('_', ' ')}: {value}\n")
    return 0


REVIEW_HELP = ("Enter: show answer · 1 Again · 2 Hard · 3 Good · 4 Easy · u undo · r redo · b bury · s suspend · "
               "q quit")


class TerminalView:
    """The review flow's view on a terminal: a question is the acknowledgement of the previous answer."""

    def __init__(self, out: TextIO) -> None:
        from cards.render import to_terminal_text  # here, not at the top: other commands start faster without it

        self.out = out
        # On a terminal, prose wraps at words to its width (the terminal itself cuts words in two).
        width = shutil.get_terminal_size((80, 24)).columns - 1 if out.isatty() else None
        self.text = lambda markdown: to_terminal_text(markdown, width)
        self.summary: ReviewSummary | None = None
        self.typed: str | None = None  # the answer typed to a card that asks for it

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show_counts(self, counts: QueueCounts) -> None:
        self.say(f"\n--- new {counts.new} · learning {counts.learning} · due {counts.due} ---")

    def show_question(self, card: Card) -> None:
        from cards.render import asks_to_type

        self.typed = None
        self.say(self.text(card.question) + ("\n(type the answer, then Enter)" if asks_to_type(card.question) else ""))

    def show_answer(self, card: Card, intervals: dict[int, timedelta]) -> None:
        from cards.render import asks_to_type, typed_answer_html

        if asks_to_type(card.question):
            self.say("\n" + self.text(typed_answer_html(self.typed or "", card.answer)))
        self.say("\n" + self.text(card.answer) + "\n")
        self.say("   ".join(f"{r} {RATING_NAMES[r]} ({format_interval(intervals[r])})" for r in range(1, 5)))

    def finished(self, summary: ReviewSummary) -> None:
        self.summary = summary

    def message(self, text: str) -> None:
        print(f"{PROG}: {text}", file=sys.stderr)


def cmd_review(store: Store, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    """Review on standard input, one command a line; works the same piped or typed."""
    deck_id = store.deck_by_name(args.deck).id if args.deck else None
    view = TerminalView(out)
    session = ReviewSession(store, view, deck_id, limit=args.limit)
    if store.next_card(deck_id) is not None:
        view.say(REVIEW_HELP)
    session.start()
    keys = {"": session.reveal, "u": session.undo, "r": session.redo, "b": session.bury, "s": session.suspend}
    while not session.done:
        line = stdin.readline()
        command = line.strip().lower()
        if not line or command == "q":
            break
        card = session.card
        if card is not None and not session.answer_shown and command not in keys and _asks_to_type(card.question):
            view.typed = line.strip()  # a type-in card: the line is the answer
            session.reveal()
        elif command in ("1", "2", "3", "4"):
            session.rate(int(command))
        elif command in keys:
            keys[command]()
        else:
            shown = line.strip()[:40] + ("…" if len(line.strip()) > 40 else "")  # a 50 MB line is not echoed
            view.message(f"{shown!r} is not a rating: type 1-4, an empty line to show the answer, u, b, s or q")
            if not stdin.isatty():
                _end_review(view, session)
                return 1
    return _end_review(view, session)


def _asks_to_type(question: str) -> bool:
    from cards.render import asks_to_type

    return asks_to_type(question)


def _end_review(view: TerminalView, session: ReviewSession) -> int:
    if session.done and (session.limit is None or session.reviewed < session.limit):
        nxt = session.store.next_due(session.deck_id)
        view.say("\nNothing more to study now." + (f" Next card due {nxt.astimezone():%a %d %b %H:%M}." if nxt else ""))
    view.say(f"Reviewed {plural(session.reviewed, 'card')}.")
    return 0


def cmd_import(store: Store, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    with_history = not args.no_history
    summary = formats.import_file(
        store, args.file, deck=args.deck, with_history=with_history, ask_first=not args.yes
    ).value
    if not summary.applied:  # it would change cards already here: it says how first, and asks
        out.write(summary.rehearsal_text() + "\n")
        if not stdin.isatty():
            print(f"{PROG}: nothing was imported: run again with --yes to make these changes", file=sys.stderr)
            return 1
        out.write("Go ahead? [y/N] ")
        out.flush()
        if stdin.readline().strip().lower() not in ("y", "yes"):
            out.write("Nothing was imported.\n")
            return 1
        summary = formats.import_file(store, args.file, deck=args.deck, with_history=with_history).value
    out.write(summary.text() + "\n")
    return 0


def cmd_export(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    deck = store.deck_by_name(args.deck)
    count = formats.export_deck(store, deck.id, args.file, with_history=args.with_history)
    out.write(f"Exported {plural(count, 'card')} of {deck.name} to {args.file}.\n")
    return 0


def cmd_optimize(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    result = optimizer.fit(store, progress=lambda text: print(text, file=sys.stderr))
    out.write(f"Fitted on {result.train_reviews:,} answers, scored on the newest {result.test_reviews:,}:\n")
    out.write(f"  log loss  {result.log_loss_before:.4f} now, {result.log_loss_after:.4f} fitted\n")
    out.write(f"  RMSE      {result.rmse_before:.4f} now, {result.rmse_after:.4f} fitted\n")
    if args.apply:
        if not result.better:
            out.write("The fitted parameters predict your answers no better; nothing changed.\n")
            return 0
        moved = optimizer.apply(store, result.parameters).value
        out.write(f"Applied; {moved} review cards rescheduled from their log.\n")
    return 0


def cmd_backup(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    if args.list:
        for b in backup.list_backups(store.path):
            counts = "unreadable"
            if b.cards is not None:
                counts = f"{plural(b.cards, 'card')}, {plural(b.reviews or 0, 'review')}"
            why = f"  ({b.why})" if b.why else ""
            out.write(f"{b.created.astimezone():%Y-%m-%d %H:%M:%S}  {counts:<28} {size(b.size):>9}  {b.path}{why}\n")
        out.write(backup.usage_text(store.backup_usage()) + "\n")
        return 0
    out.write(f"Backed up to {store.backup()}\n")
    return 0


def cmd_restore(args: argparse.Namespace, out: TextIO) -> int:
    """Restore runs on the closed store file; the store as it was is backed up first."""
    store_path = Path(args.db).expanduser() if args.db else default_path()
    if not store_path.exists():
        raise StudyPlannerError(f"there is no store at {store_path} to restore into")
    safety = backup.restore(store_path, Path(args.file), datetime.now(UTC))
    out.write(f"Restored {args.file} into {store_path}. The store as it was is in {safety}.\n")
    return 0


def cmd_sync(store: Store, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    """The password comes from STUDYPLANNER_SYNC_PASSWORD or, on a terminal, a prompt; only the first sync
    (or a new server or user) needs it."""
    from cards import sync

    full = "upload" if args.full_upload else "download" if args.full_download else None

    def run(password: str | None) -> sync.SyncSummary:
        return sync.sync(store, server=args.server, user=args.user, password=password, full=full,
                         progress=lambda text: print(text, file=sys.stderr, flush=True)).value  # fmt: skip

    try:
        try:
            summary = run(os.environ.get(SYNC_PASSWORD_ENV))
        except sync.NeedsPassword:
            if not stdin.isatty():
                raise
            import getpass

            summary = run(getpass.getpass("Password: "))
    except sync.FullSyncChoice as exc:
        if not stdin.isatty():
            raise StudyPlannerError(f"{exc}: run again with --full-upload or --full-download") from None
        out.write(sentence(str(exc)) + "\nUpload this store (u), download the server's collection (d), or neither? ")
        out.flush()
        full = {"u": "upload", "d": "download"}.get(stdin.readline().strip().lower()[:1])
        if full is None:
            out.write("Not synced.\n")
            return 1
        summary = run(os.environ.get(SYNC_PASSWORD_ENV))
    out.write(summary.text().capitalize() + ".\n")
    return 0


def cmd_plan(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    command = args.plan_command
    if command == "list":
        rows = plans.plans(store)
        if args.json:
            out.write(plans.to_json([p.__dict__ for p in rows]) + "\n")
        else:
            for p in rows:
                out.write(f"{p.key:<32} {p.days:>3} days  {p.minutes / 60:5.1f} h   {p.name}\n")
    elif command == "start":
        on = args.on or store.today().day + timedelta(days=1)
        warnings = plans.start_warnings(store, args.key, on, args.exam)
        if warnings and not args.yes:
            raise StudyPlannerError(" ".join(warnings) + " Add --yes to start it anyway.")
        run = plans.start_plan(store, args.key, on=on, exam=args.exam).value
        out.write(f"Started {run.plan_name}: {run.start} to {run.end}")
        out.write(f", exam {run.exam}.\n" if run.exam else ".\n")
        for warning in warnings:
            out.write(f"Warning: {warning}\n")
    elif command == "shift":
        shift = plans.plan_shift(store, args.run_id)
        out.write(shift.text() + "\n")
        if shift.moves and not args.dry_run:
            plans.shift_remaining(store, shift)
            out.write("Shifted.\n")
    elif command == "spread":
        spread = plans.plan_spread(store, args.run_id, args.budget)
        out.write(spread.text() + "\n")
        if spread.moves and not args.dry_run:
            plans.spread_missed(store, spread)
            out.write("Spread.\n")
    elif command == "show":
        _plan_show(store, args, out)
    elif command == "ahead":
        running = [r for r in plans.runs(store) if args.run in (None, r.id)]
        chosen = next((r for r in running if args.topic in plans.later_topics(store, r.id)), None)
        if chosen is None:
            raise StudyPlannerError(f"{args.topic!r} is no later topic of a running plan")
        plans.study_ahead(store, chosen.id, args.topic)
        out.write(f"The cards of {args.topic} come from today on ({chosen.plan_name}).\n")
    elif command == "readiness":
        _plan_readiness(store, args, out)
    elif command == "stop":
        stopped = plans.stop_run(store, args.run_id).value
        out.write(f"Stopped {stopped.plan_name}.\n")
    elif command == "done":
        plans.set_done(store, args.task_ids, done=not args.undo)
        out.write(f"Marked {plural(len(args.task_ids), 'task')} "
                  f"{'not done' if args.undo else 'done'}.\n")  # fmt: skip
    elif command == "import":
        path = Path(args.file)
        parsed = parse_plan_bytes(formats.read_file(path), str(path))
        plans.import_plan(store, parsed, source=f"file:{path}", path=str(path))
        out.write(f"Imported the plan {parsed.name!r} ({parsed.key}, {len(parsed.days)} days).\n")
    elif command == "ics":
        from planner.ics import plans_to_ics  # icalendar is slow to import and only this command needs it

        try:
            Path(args.file).write_bytes(plans_to_ics(store))
        except OSError as exc:
            raise StudyPlannerError(f"cannot write {args.file}: {exc.strerror}") from None
        out.write(f"Wrote {args.file}.\n")
    return 0


def _plan_readiness(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    from planner.readiness import readiness_of_running

    found = readiness_of_running(store)
    if args.json:
        rows = [r.to_json() for r in found]
        json.dump(rows[0] if len(rows) == 1 else rows, out, indent=2)
        out.write("\n")
        return
    if not found:
        out.write("No running plan has an exam date. Start one with --exam YYYY-MM-DD.\n")
    for r in found:
        out.write(f"{r.run.plan_name}, exam {r.exam:%a %d %b %Y}: you would recall {r.overall:.0%} "
                  f"({r.on_schedule:.0%} if you keep to your reviews until then)\n")  # fmt: skip
        for title, groups in (("Topics", r.topics), ("Decks", r.decks)):
            out.write(f"  {title}, weakest first:\n")
            for g in groups:
                out.write(f"    {g.recall:4.0%}  {g.name}  ({g.learned} of {g.cards} cards learned)\n")


def _plan_show(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    today = store.today().day
    last = today + timedelta(days=args.days - 1)
    running = plans.runs(store)
    first = min([today, *(r.start for r in running)])
    tasks = plans.tasks_between(store, first, last)
    due = plans.cards_due_on(store, [today + timedelta(days=i) for i in range(args.days)])
    days = sorted(d for d in tasks if d >= today or any(not t.done for t in tasks[d]))
    if args.json:
        topics, new_cards = plans.new_cards_by_day(store)
        rows = [
            {
                "date": d,
                "cards_due": due.get(d),
                "topics": topics.get(d, []),
                "new_cards": new_cards.get(d, 0),
                "plans": sorted({t.plan_name for t in tasks[d]}),
                "tasks": [
                    {
                        "id": t.id,
                        "plan": t.plan_name,
                        "day": t.day,
                        "kind": t.kind,
                        "text": t.text,
                        "minutes": t.minutes,
                        "done": t.done,
                    }
                    for t in tasks[d]
                ],  # fmt: skip
            }
            for d in days
        ]
        out.write(plans.to_json({"today": today, "runs": [r.__dict__ for r in running], "days": rows}) + "\n")
        return 0
    if not running:
        out.write("No plan is running. Start one with 'studyplanner plan start KEY' (see 'plan list').\n")
        return 0
    for r in running:
        behind = plans.days_behind(store, r.id)
        line = f"{r.plan_name}: {r.start} to {r.end}" + (f", exam {r.exam}" if r.exam else "")
        out.write(line + (f"  ({plural(behind, 'day')} behind)" if behind else "") + "\n")
    for d in days:
        marker = "today" if d == today else ("overdue" if d < today else d.strftime("%a"))
        due_text = f", {plural(due[d], 'card')} due" if d in due else ""
        out.write(f"\n{d} ({marker}{due_text})\n")
        for t in tasks[d]:
            out.write(f"  [{'x' if t.done else ' '}] {t.id:>5}  {t.label}\n")
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-01") from None


def _task_id(text: str) -> int:
    value = _positive_int(text)
    if value >= 2**63:  # beyond SQLite's integers: no task has it (it raised OverflowError)
        raise argparse.ArgumentTypeError(f"{text} is not a task id (see 'plan show')")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


COMMANDS = {
    "decks": cmd_decks,
    "deck": cmd_deck,
    "review": cmd_review,
    "stats": cmd_stats,
    "settings": cmd_settings,
    "import": cmd_import,
    "export": cmd_export,
    "backup": cmd_backup,
    "optimize": cmd_optimize,
    "plan": cmd_plan,
    "sync": cmd_sync,
}

if __name__ == "__main__":
    sys.exit(main())
