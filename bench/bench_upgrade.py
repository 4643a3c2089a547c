"""The upgrade to store schema 6 (the smaller review log) of a large store: time, what it tells on the way,
and the file's size before and after.

The schema-5 store is made from the benchmark store of this version (bench.common.build_store): the same
decks, cards and settings, and each answer laid out as schema 5 logged it (the card's whole FSRS state
before and after), in a file built by the migrations of that time.

    python bench/bench_upgrade.py [CARDS]      (default 100,000 cards, ten answers a card)
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NOW, build_store, save
from cards import schema
from cards.store import Store
from cards.timeutil import FixedClock

OLD_COLUMNS = (
    "id, card_id, deck_id, rating, duration_ms, state_before, step_before, stability_before, difficulty_before, "
    "due_before_ms, last_review_before_ms, recall_before, state_after, step_after, stability_after, "
    "difficulty_after, due_after_ms"
)


def schema_5_store(path: Path, source: Path) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    for migration in schema.MIGRATIONS[:5]:
        migration(db, None, print)
    db.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    db.execute("PRAGMA user_version = 5")
    db.execute("ATTACH ? AS now", (str(source),))
    for table in ("deck", "card", "setting"):
        db.execute(f"INSERT INTO {table} SELECT * FROM now.{table}")
    # A card's state before an answer is the previous answer's after; the stability and difficulty of each
    # answer are the card's (as the benchmark store makes them), so every REAL column holds a real value.
    db.execute(
        f"INSERT INTO review ({OLD_COLUMNS}) SELECT r.id, r.card_id, r.deck_id, r.rating, r.duration_ms, "
        "r.state_before, NULL, CASE WHEN r.state_before = 0 THEN NULL ELSE c.stability END, "
        "CASE WHEN r.state_before = 0 THEN NULL ELSE c.difficulty END, "
        "CASE WHEN r.state_before = 0 THEN NULL ELSE r.id - 3600000 END, "
        "CASE WHEN r.state_before = 0 THEN NULL ELSE r.id - 86400000 - 3600000 END, "
        "r.recall_before_ppm / 1000000.0, 2, NULL, c.stability, c.difficulty, r.due_after_ms "
        "FROM now.review r JOIN now.card c ON c.id = r.card_id ORDER BY r.card_id, r.id"
    )
    db.execute("COMMIT")
    db.execute("DETACH now")
    db.execute("PRAGMA journal_mode = WAL")
    db.close()


def run(cards: int = 100_000) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        source = build_store(Path(tmp) / "now.db", cards, cards * 10)
        old = Path(tmp) / "old.db"
        schema_5_store(old, source)
        before = old.stat().st_size
        told: list[tuple[float, str]] = []
        start = time.perf_counter()
        Store.open(old, clock=FixedClock(NOW), tz=UTC, load_builtin=False,
                   progress=lambda line: told.append((time.perf_counter() - start, line))).close()  # fmt: skip
        seconds = time.perf_counter() - start
        after = old.stat().st_size
        longest_silence = max(b - a for a, b in zip([0.0] + [t for t, _ in told], [t for t, _ in told] + [seconds]))
    result = {
        "cards": cards, "answers": cards * 10, "seconds": round(seconds, 2), "lines_told": len(told),
        "longest_silence_s": round(longest_silence, 2), "bytes_per_card_before": round(before / cards),
        "bytes_per_card_after": round(after / cards),
    }  # fmt: skip
    for at, line in told:
        print(f"{at:6.2f} s  {line}")
    return result


if __name__ == "__main__":
    figures = run(int(sys.argv[1]) if sys.argv[1:] else 100_000)
    print(figures)
    print("saved", save("upgrade", figures))
