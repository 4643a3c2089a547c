"""The `studyplanner` command: the window with no arguments, else scripting commands.

Every command calls the same core functions the window does. Errors print one
line on stderr and exit with status 1; nothing is changed by a failed command.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from cards import backup, formats, optimizer
from cards.errors import NothingToUndo, StudyPlannerError
from cards.scheduling import RATING_NAMES, format_interval
from cards.stats import report, summary
from cards.store import Store, default_path
from planner import plans
from planner.planfile import parse_plan_bytes
from planner.plans import open_store

PROG = "studyplanner"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Flashcards with FSRS and study plans.")
    parser.add_argument(
        "--db", metavar="PATH", help="the store file (default: $STUDYPLANNER_DB or the user data folder)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    decks = sub.add_parser("decks", help="decks with total/new/learning/due for today")
    decks.add_argument("--json", action="store_true", help="print JSON")

    review = sub.add_parser("review", help="review due cards line by line on standard input")
    review.add_argument("--deck", metavar="NAME", help="only this deck (name or key)")
    review.add_argument("--limit", metavar="N", type=_positive_int, help="stop after N answers")

    stats = sub.add_parser("stats", help="review totals, today's due count and the streak")
    stats.add_argument("--json", action="store_true", help="print JSON")

    imp = sub.add_parser("import", help="import a deck: .md, .csv, .tsv, .txt or Anki .apkg")
    imp.add_argument("file")
    imp.add_argument("--deck", metavar="NAME", help="the deck to import into (default: from the file)")
    imp.add_argument("--no-history", action="store_true", help="leave an .apkg's review history out")
    exp = sub.add_parser("export", help="export a deck; the format follows the extension: .md .csv .tsv .apkg")
    exp.add_argument("deck")
    exp.add_argument("file")
    exp.add_argument("--with-history", action="store_true", help="include the review history in an .apkg")

    opt = sub.add_parser("optimize", help="fit FSRS parameters to your review log (and --apply them)")
    opt.add_argument("--apply", action="store_true", help="use the fitted parameters and reschedule your cards")

    back = sub.add_parser("backup", help="write a backup of the store now (or list them)")
    back.add_argument("--list", action="store_true", help="list the backups with their dates and counts")
    res = sub.add_parser("restore", help="put a backup in place of the store (the store is backed up first)")
    res.add_argument("file")

    plan = sub.add_parser("plan", help="study plans on a calendar")
    plan_sub = plan.add_subparsers(dest="plan_command", metavar="PLAN_COMMAND", required=True)
    plan_list = plan_sub.add_parser("list", help="the plans you can start")
    plan_list.add_argument("--json", action="store_true")
    plan_start = plan_sub.add_parser("start", help="start a plan on a date")
    plan_start.add_argument("key")
    plan_start.add_argument("--on", type=_date, metavar="YYYY-MM-DD", help="first day (default: tomorrow)")
    plan_start.add_argument("--exam", type=_date, metavar="YYYY-MM-DD", help="your exam or interview date")
    plan_show = plan_sub.add_parser("show", help="each day of the running plans: tasks, done flags, cards due")
    plan_show.add_argument("--json", action="store_true")
    plan_show.add_argument("--days", type=_positive_int, default=14, help="how many days from today (default 14)")
    plan_done = plan_sub.add_parser("done", help="tick tasks done")
    plan_done.add_argument("task_ids", nargs="+", type=int, metavar="TASK_ID")
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
        with open_store(args.db) as store:
            return COMMANDS[args.command](store, args, sys.stdin, sys.stdout)
    except StudyPlannerError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _start_window(db: str | None) -> int:
    try:
        from ui.app import run
    except ImportError as exc:  # a broken or missing Qt: say so; never pretend the window opened
        print(f"{PROG}: the window cannot start: {exc}", file=sys.stderr)
        print(f"{PROG}: the command line still works: see '{PROG} --help'", file=sys.stderr)
        return 3
    return run(db)


def cmd_decks(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    counts = store.deck_counts()
    if args.json:
        rows = [{"name": c.name, "total": c.total, "new": c.new, "learning": c.learning, "due": c.due} for c in counts]
        json.dump(rows, out, indent=2)
        out.write("\n")
        return 0
    width = max([len(c.name) for c in counts] + [4])
    out.write(f"{'Deck':<{width}}  {'Total':>6}  {'New':>5}  {'Learn':>5}  {'Due':>5}\n")
    for c in counts:
        out.write(f"{c.name:<{width}}  {c.total:>6}  {c.new:>5}  {c.learning:>5}  {c.due:>5}\n")
    return 0


def cmd_stats(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    figures = summary(store)
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


REVIEW_HELP = "Enter: show answer · 1 Again · 2 Hard · 3 Good · 4 Easy · u undo · b bury · s suspend · q quit"


def cmd_review(store: Store, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    """Review on standard input, one command a line; works the same piped or typed."""
    from cards.render import to_terminal_text  # here, not at the top: other commands start faster without it

    deck_id = store.deck_by_name(args.deck).id if args.deck else None
    interactive = stdin.isatty()
    reviewed = 0

    def say(text: str = "") -> None:
        out.write(text + "\n")
        out.flush()  # a shown question is the acknowledgement of the previous answer

    card = store.next_card(deck_id)
    if card is not None:
        say(REVIEW_HELP)
    while card is not None and (args.limit is None or reviewed < args.limit):
        counts = store.queue_counts(deck_id)
        say(f"\n--- new {counts.new} · learning {counts.learning} · due {counts.due} ---")
        say(to_terminal_text(card.question))
        shown = time.monotonic()
        while True:
            line = stdin.readline()
            if not line or line.strip().lower() == "q":
                return _end_review(say, reviewed)
            command = line.strip().lower()
            if command == "":
                previews = store.preview(card.id)
                say("\n" + to_terminal_text(card.answer) + "\n")
                say("   ".join(f"{r} {RATING_NAMES[r]} ({format_interval(previews[r])})" for r in range(1, 5)))
                continue
            if command in ("1", "2", "3", "4"):
                duration = int((time.monotonic() - shown) * 1000)
                card = store.answer(card.id, int(command), duration_ms=duration, deck_id=deck_id)
                reviewed += 1
                break
            if command == "u":
                try:
                    undone = store.undo()
                except NothingToUndo:
                    print(f"{PROG}: nothing to undo", file=sys.stderr)
                    continue
                card = undone.card
                reviewed -= 1 if undone.kind == "answer" else 0
                break
            if command in ("b", "s"):
                (store.bury if command == "b" else store.suspend)([card.id])
                card = store.next_card(deck_id)
                break
            message = (
                f"{PROG}: {line.strip()!r} is not a rating: type 1-4, an empty line to show the answer, u, b, s or q"
            )
            print(message, file=sys.stderr)
            if not interactive:
                _end_review(say, reviewed)
                return 1
    if card is None:
        nxt = store.next_due(deck_id)
        say("\nNothing more to study now." + (f" Next card due {nxt.astimezone():%a %d %b %H:%M}." if nxt else ""))
    return _end_review(say, reviewed)


def _end_review(say, reviewed: int) -> int:
    say(f"Reviewed {reviewed} card{'s' if reviewed != 1 else ''}.")
    return 0


def cmd_import(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    summary = formats.import_file(store, args.file, deck=args.deck, with_history=not args.no_history)
    out.write(summary.text() + "\n")
    return 0


def cmd_export(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    deck = store.deck_by_name(args.deck)
    count = formats.export_deck(store, deck.id, args.file, with_history=args.with_history)
    out.write(f"Exported {count} card{'s' if count != 1 else ''} of {deck.name} to {args.file}.\n")
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
        moved = optimizer.apply(store, result.parameters)
        out.write(f"Applied; {moved} review cards rescheduled from their log.\n")
    return 0


def cmd_backup(store: Store, args: argparse.Namespace, _in: TextIO, out: TextIO) -> int:
    if args.list:
        for b in backup.list_backups(store.path):
            counts = f"{b.cards} cards, {b.reviews} reviews" if b.cards is not None else "unreadable"
            out.write(f"{b.created.astimezone():%Y-%m-%d %H:%M:%S}  {counts:<28} {b.path}\n")
        return 0
    out.write(f"Backed up to {store.backup()}\n")
    return 0


def cmd_restore(args: argparse.Namespace, out: TextIO) -> int:
    """Restore runs on the closed store file; the store as it was is backed up first."""
    store_path = Path(args.db).expanduser() if args.db else default_path()
    if not store_path.exists():
        raise StudyPlannerError(f"there is no store at {store_path} to restore into")
    with open_store(store_path):  # refuse anything that is not a store of ours, before touching it
        pass
    safety = backup.restore(store_path, Path(args.file), datetime.now(UTC))
    out.write(f"Restored {args.file} into {store_path}. The store as it was is in {safety}.\n")
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
        run = plans.start_plan(store, args.key, on=args.on, exam=args.exam)
        out.write(f"Started {run.plan_name}: {run.start} to {run.end}")
        out.write(f", exam {run.exam}.\n" if run.exam else ".\n")
        if run.exam and run.end > run.exam:
            out.write(f"Warning: the plan ends {(run.end - run.exam).days} days after your exam date.\n")
    elif command == "show":
        _plan_show(store, args, out)
    elif command == "done":
        plans.set_done(store, args.task_ids, done=not args.undo)
        out.write(f"Marked {len(args.task_ids)} task{'s' if len(args.task_ids) != 1 else ''} "
                  f"{'not done' if args.undo else 'done'}.\n")  # fmt: skip
    elif command == "import":
        path = Path(args.file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StudyPlannerError(f"cannot read {path}: {exc.strerror}") from None
        parsed = parse_plan_bytes(data, str(path))
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


def _plan_show(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    today = store.today().day
    last = today + timedelta(days=args.days - 1)
    running = plans.runs(store)
    first = min([today, *(r.start for r in running)])
    tasks = plans.tasks_between(store, first, last)
    due = plans.cards_due_on(store, [today + timedelta(days=i) for i in range(args.days)])
    days = sorted(d for d in tasks if d >= today or any(not t.done for t in tasks[d]))
    if args.json:
        rows = [
            {
                "date": d,
                "cards_due": due.get(d),
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
        out.write(line + (f"  ({behind} day{'s' if behind != 1 else ''} behind)" if behind else "") + "\n")
    for d in days:
        marker = "today" if d == today else ("overdue" if d < today else d.strftime("%a"))
        due_text = f", {due[d]} cards due" if d in due else ""
        out.write(f"\n{d} ({marker}{due_text})\n")
        for t in tasks[d]:
            out.write(f"  [{'x' if t.done else ' '}] {t.id:>5}  {t.kind}: {t.text} ({t.minutes} min)\n")
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-01") from None


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
    "review": cmd_review,
    "stats": cmd_stats,
    "import": cmd_import,
    "export": cmd_export,
    "backup": cmd_backup,
    "optimize": cmd_optimize,
    "plan": cmd_plan,
}

if __name__ == "__main__":
    sys.exit(main())
