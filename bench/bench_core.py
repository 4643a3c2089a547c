"""Core study path at collection scale: open + counts, next card, answer, undo, bytes per card.

Run: make bench (or .venv/bin/python bench/bench_core.py [--cards N ...]).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NOW, build_store, save, summary, timed  # noqa: E402
from cards.store import Store  # noqa: E402
from cards.timeutil import FixedClock  # noqa: E402


def run(cards: int, reviews: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = build_store(Path(tmp) / "bench.db", cards, reviews)
        clock = FixedClock(NOW)

        def open_and_count() -> None:
            with Store.open(path, clock=clock, tz=timezone.utc) as s:
                s.deck_counts()

        result = {"cards": cards, "reviews": reviews}
        result["open_and_counts"] = summary(timed(open_and_count, 20))
        store = Store.open(path, clock=clock, tz=timezone.utc)
        store.update_settings(reviews_per_day=99_999, new_per_day=1000)
        result["counts_all_decks"] = summary(timed(store.deck_counts, 20))
        result["next_card"] = summary(timed(store.next_card, 300))
        answers, undos = [], []
        ratings = [3, 3, 3, 1, 4, 2]
        for i in range(600):
            card = store.next_card()
            clock.advance(seconds=7)
            answers += timed(lambda: store.answer(card.id, ratings[i % len(ratings)]), 1)
        result["answer_and_next"] = summary(answers)
        for _ in range(300):
            undos += timed(store.undo, 1)
        result["undo"] = summary(undos)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        result["bytes_per_card"] = round(path.stat().st_size / cards)
        return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, nargs="*", default=[100_000])
    args = parser.parse_args()
    all_results = []
    for cards in args.cards:
        r = run(cards, cards * 10)
        all_results.append(r)
        print(f"\n{cards:,} cards, {cards * 10:,} reviews")
        for key in ("open_and_counts", "counts_all_decks", "next_card", "answer_and_next", "undo"):
            print(f"  {key:<18} median {r[key]['median_ms']:8.3f} ms   p99 {r[key]['p99_ms']:8.3f} ms")
        print(f"  bytes per card     {r['bytes_per_card']}")
    print("saved", save("core", {"runs": all_results}))


if __name__ == "__main__":
    main()
