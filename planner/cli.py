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
from typing import TextIO

from cards.errors import NothingToUndo, StudyPlannerError
from cards.render import to_terminal_text
from cards.scheduling import RATING_NAMES, format_interval
from cards.stats import summary
from cards.store import Store

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        return _start_window(args.db)
    try:
        with Store.open(args.db) as store:
            return COMMANDS[args.command](store, args, sys.stdin, sys.stdout)
    except StudyPlannerError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _start_window(db: str | None) -> int:
    try:
        from ui.app import run
    except ImportError:  # the window is not part of this build yet: show the decks
        return main([*(["--db", db] if db else []), "decks"])
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
        json.dump(figures, out, indent=2)
        out.write("\n")
    else:
        for key, value in figures.items():
            out.write(f"{key.replace('_', ' ')}: {value}\n")
    return 0


REVIEW_HELP = "Enter: show answer · 1 Again · 2 Hard · 3 Good · 4 Easy · u undo · b bury · s suspend · q quit"


def cmd_review(store: Store, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    """Review on standard input, one command a line; works the same piped or typed."""
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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


COMMANDS = {"decks": cmd_decks, "review": cmd_review, "stats": cmd_stats}

if __name__ == "__main__":
    sys.exit(main())
