"""Shared helpers for the benchmarks: seeded stores of realistic size, and timing."""

from __future__ import annotations

import json
import platform
import random
import shutil
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from cards.scheduling import recall_curve
from cards.schema import INSERT_REVIEW, SCHEMA_VERSION, recall_ppm
from cards.settings import SchedulingSettings
from cards.store import Store
from cards.timeutil import FixedClock, to_ms

RESULTS = Path(__file__).parent / "results"
BUILD = 3  # bumped when the generated data changes, so a cached store is built again (3: built-ins declined)
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
FACTOR, DECAY = recall_curve(SchedulingSettings())
WORDS = [
    "attention", "gradient", "tensor", "layer", "batch", "token", "embedding", "retrieval", "latency", "memory",
    "shard", "cache", "softmax", "residual", "norm", "loss", "optimizer", "schedule", "query", "vector",
]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def build_store(path: Path, cards: int, reviews: int, decks: int = 10, seed: int = 7) -> Path:
    """A store of `cards` cards in `decks` decks with `reviews` log rows, built once and cached."""
    cached = RESULTS / f"store-v{SCHEMA_VERSION}-{BUILD}-{cards}-{reviews}.db"
    if not cached.exists():
        RESULTS.mkdir(exist_ok=True)
        rng = random.Random(seed)
        store = Store.open(cached, clock=FixedClock(NOW), tz=UTC, load_builtin=False)
        db = store.db  # bulk load straight into the tables
        now_ms = to_ms(NOW)
        day = 86_400_000
        db.execute("BEGIN")
        for d in range(decks):
            db.execute("INSERT INTO deck (key, name) VALUES (?, ?)", (f"deck-{d}", f"Deck {d}"))
        card_rows, review_rows = [], []
        per_card = reviews / max(1, int(cards * 0.8))
        used_ids: set[int] = set()
        for i in range(1, cards + 1):
            deck_id = 1 + (i - 1) % decks
            kind = rng.random()
            q, a = sentence(rng, 12) + "?", sentence(rng, 40) + "."
            if kind < 0.2:  # new
                card_rows.append((i, deck_id, f"k{i}", q, a, " tag ", i, 0, 0, None, None, None, None, None, 0, 0))
                continue
            state = 1 if kind < 0.23 else 2
            stability = rng.uniform(0.5, 300)
            difficulty = rng.uniform(1, 10)
            due = (
                now_ms + int(rng.uniform(-20, 120) * day) if state == 2 else now_ms + rng.randint(60_000, 3_600_000)
            )  # learning: due later today, so the study path reaches reviews
            n = max(1, int(rng.expovariate(1 / per_card)))
            card_rows.append(
                (
                    i,
                    deck_id,
                    f"k{i}",
                    q,
                    a,
                    " tag ",
                    i,
                    state,
                    state,
                    0 if state == 1 else None,
                    stability,
                    difficulty,
                    due,
                    due - max(1, int(stability)) * day if state == 2 else due - day,  # the twin's interval
                    n,
                    0,
                )
            )
            # The card's answers spread over the past year, so intervals are days long;
            # each one follows the previous like a real log (first answer: a new card).
            previous = None
            for at in sorted(rng.sample(range(1, 365 * 86_400), n)):
                review_id = now_ms - 366 * day + at * 1000 + i % 1000
                while review_id in used_ids:
                    review_id += 1
                used_ids.add(review_id)
                if previous is None:
                    before = (0, None, None)
                else:
                    days = (review_id - previous) // day
                    recall = (1 + FACTOR * days / stability) ** DECAY
                    before = (2, 1, recall_ppm(recall))  # due a day after the previous answer
                review_rows.append(
                    (review_id, i, deck_id, rng.choice((1, 3, 3, 3, 3, 4)), rng.randint(2000, 20000), *before,
                     review_id + day)
                )  # fmt: skip
                previous = review_id
        db.executemany(
            "INSERT INTO card (id, deck_id, key, question, answer, tags, position, state, queue, step, "
            "stability, difficulty, due_ms, last_review_ms, reps, lapses) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            card_rows,
        )
        db.executemany(INSERT_REVIEW, review_rows[:reviews])
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
    shutil.copy(cached, path)
    return path


def timed(fn, repeat: int) -> list[float]:
    """Milliseconds per call."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"median_ms": round(statistics.median(ordered), 3), "p99_ms": round(p99, 3), "n": len(ordered)}


def save(name: str, results: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    results = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "python": platform.python_version(),
        **results,
    }
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(results, indent=2))
    return out
