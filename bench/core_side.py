"""One side of the core benchmark at one size, in a process of its own so its peak memory is its own.

    python bench/core_side.py ours|anki CARDS

Prints one JSON object: milliseconds per operation (median, p99) and the process's peak RSS.
Both sides do the same work on twin collections (bench/anki_twin.py): open and count today's cards
for every deck, get the next card, answer it and get the next (the answer committed to disk),
undo an answer, and the statistics screen's figures over the whole log.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
from datetime import UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NOW, build_store, summary, timed
from cards import ops

OPEN_REPEAT, NEXT_REPEAT, ANSWER_REPEAT, UNDO_REPEAT, STATS_REPEAT = 20, 300, 300, 200, 5
RATINGS = [3, 3, 3, 1, 4, 2]


def ours(folder: Path, cards: int) -> dict:
    from cards import stats
    from cards.store import Store
    from cards.timeutil import FixedClock

    path = build_store(folder / "ours.db", cards, cards * 10)
    clock = FixedClock(NOW)

    def open_and_count() -> None:
        with Store.open(path, clock=clock, tz=UTC) as store:
            store.deck_counts()

    result = {"open_and_counts": timed(open_and_count, OPEN_REPEAT)}
    store = Store.open(path, clock=clock, tz=UTC)
    ops.update_settings(store, reviews_per_day=9999, new_per_day=1000)
    result["next_card"] = timed(store.next_card, NEXT_REPEAT)
    answers = []
    for i in range(ANSWER_REPEAT):
        card = store.next_card()
        clock.advance(seconds=7)
        answers += timed(lambda card=card, i=i: (ops.answer(store, card.id, RATINGS[i % len(RATINGS)]),
                                                 store.next_card()), 1)  # fmt: skip
    result["answer_and_next"] = answers
    undos = []
    for i in range(UNDO_REPEAT):
        ops.answer(store, store.next_card().id, RATINGS[i % len(RATINGS)])
        undos += timed(lambda: ops.undo(store), 1)
    result["undo"] = undos
    result["statistics"] = timed(lambda: stats.report(store), STATS_REPEAT)
    # Ours only: a running study plan paces the new cards by its days' topics. No card has them
    # here, the worst case: every new card's tags are looked at.
    from planner import plans

    plans.attach(store)
    plans.start_plan(store, "transformer-mastery-2-weeks", on=store.today().day)
    clock.set(NOW)  # before any learning card falls due again
    ops.update_settings(store, reviews_per_day=0)  # and no reviews: straight to the new cards
    assert store.new_card_pacing and store.new_card_pacing(store.today().day) is not None
    result["next_new_card_plan_running"] = timed(store.next_card, NEXT_REPEAT)
    result["counts_plan_running"] = timed(store.deck_counts, OPEN_REPEAT)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    result["bytes_per_card"] = round(path.stat().st_size / cards)
    return result


def anki(folder: Path, cards: int) -> dict:
    from anki.collection import Collection  # first: anki's modules import each other in this order
    from anki.cards import Card  # isort: skip
    from anki.scheduler.v3 import CardAnswer

    from bench.anki_twin import build_collection

    path = str(build_collection(folder / "anki.anki2", cards, cards * 10))
    ratings = {1: CardAnswer.AGAIN, 2: CardAnswer.HARD, 3: CardAnswer.GOOD, 4: CardAnswer.EASY}

    def open_and_count() -> None:
        col = Collection(path)
        col.sched.deck_due_tree()
        col.close(downgrade=False)

    result = {"open_and_counts": timed(open_and_count, OPEN_REPEAT)}
    col = Collection(path)
    sched = col.sched

    def next_card():
        return sched.get_queued_cards(fetch_limit=1).cards[0]

    def answer(queued, rating: int) -> None:
        card = Card(col)
        card._load_from_backend_card(queued.card)
        card.start_timer()  # as Anki's reviewer does when it shows the card
        sched.answer_card(sched.build_answer(card=card, states=queued.states, rating=ratings[rating]))
        next_card()  # as ours: the answer returns the next card

    result["next_card"] = timed(next_card, NEXT_REPEAT)
    answers = []
    for i in range(ANSWER_REPEAT):
        queued = next_card()
        answers += timed(lambda queued=queued, i=i: answer(queued, RATINGS[i % len(RATINGS)]), 1)
    result["answer_and_next"] = answers
    undos = []
    for i in range(UNDO_REPEAT):
        answer(next_card(), RATINGS[i % len(RATINGS)])
        undos += timed(col.undo, 1)
    result["undo"] = undos
    # Anki's statistics screen: every graph over a year of the whole collection.
    result["statistics"] = timed(lambda: col._backend.graphs(search="", days=365), STATS_REPEAT)
    col.close(downgrade=False)
    result["bytes_per_card"] = round(Path(path).stat().st_size / cards)
    return result


def main() -> None:
    side, cards = sys.argv[1], int(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        samples = (ours if side == "ours" else anki)(Path(tmp), cards)
    result = {name: summary(values) if isinstance(values, list) else values for name, values in samples.items()}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
