"""The Anki twin of a benchmark store: the same decks, cards, card states and review log in a real
Anki collection (the `anki` library), so both apps are measured on the same work.

Built once per size and day (Anki's scheduler reads the wall clock, so due dates are set from
today) and cached in bench/results/. Rows go in by bulk SQL, as the API would take far too long
for a million reviews; the collection is then opened and checked by Anki itself.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from datetime import date
from pathlib import Path

from bench.common import RESULTS, sentence

DAY_S = 86_400
BACK_DAYS = 400  # the collection is "created" this long ago, so overdue cards keep positive day numbers


def build_collection(path: Path, cards: int, reviews: int, decks: int = 10, seed: int = 7) -> Path:
    """An Anki collection like build_store's store: 20% new, 3% learning, the rest in review, FSRS on."""
    cached = RESULTS / f"anki-{cards}-{reviews}-{date.today()}.anki2"
    if not cached.exists():
        RESULTS.mkdir(exist_ok=True)
        for stale in RESULTS.glob(f"anki-{cards}-{reviews}-*"):  # yesterday's, and its media folder
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
        _build(cached, cards, reviews, decks, seed)
    shutil.copy(cached, path)
    return path


def _build(path: Path, cards: int, reviews: int, decks: int, seed: int) -> None:
    from anki.collection import Collection

    rng = random.Random(seed)
    col = Collection(str(path))
    try:
        col.set_config("fsrs", True)  # both apps schedule with FSRS
        config = col.decks.get_config(1)
        config["new"]["perDay"], config["rev"]["perDay"] = 1000, 9999  # as the bench sets ours
        col.decks.update_config(config)
        # Subdecks of one deck, studied from it: Anki's way of studying all of them, as our next_card() does.
        deck_ids = [col.decks.id(f"Bench::Deck {d}") for d in range(decks)]
        col.decks.select(col.decks.id("Bench"))
        notetype = col.models.by_name("Basic")["id"]
        crt = col.crt - BACK_DAYS * DAY_S
        col.db.execute("UPDATE col SET crt = ?", crt)
        now = int(time.time())
        today = (now - crt) // DAY_S
        per_card = reviews / max(1, int(cards * 0.8))
        notes, card_rows, revlog, used = [], [], [], set()
        for i in range(1, cards + 1):  # the same draws, in the same order, as build_store
            did = deck_ids[(i - 1) % decks]
            kind = rng.random()
            question, answer = sentence(rng, 12) + "?", sentence(rng, 40) + "."
            nid = cid = 1_600_000_000_000 + i
            checksum = int(hashlib.sha1(question.encode()).hexdigest()[:8], 16)
            notes.append((nid, f"g{i}", notetype, now, " tag ", f"{question}\x1f{answer}", question, checksum))
            if kind < 0.2:  # new, in order
                card_rows.append((cid, nid, did, now, 0, 0, i, 0, 0, 0, 0, ""))
                continue
            stability, difficulty = rng.uniform(0.5, 300), rng.uniform(1, 10)
            memory = json.dumps({"s": round(stability, 3), "d": round(difficulty, 3)})
            if kind >= 0.23:  # review
                due = today + int(rng.uniform(-20, 120))
                row = (2, 2, due, max(1, int(stability)), 2500)
            else:  # learning, due later today
                row = (1, 1, now + rng.randint(60_000, 3_600_000) // 1000, 0, 0)
            n = max(1, int(rng.expovariate(1 / per_card)))
            card_rows.append((cid, nid, did, now, *row, n, 0, memory))
            for at in sorted(rng.sample(range(1, 365 * DAY_S), n)):
                review_id = (now - 366 * DAY_S) * 1000 + at * 1000 + i % 1000
                while review_id in used:
                    review_id += 1
                used.add(review_id)
                ease, seconds = rng.choice((1, 3, 3, 3, 3, 4)), rng.randint(2000, 20000)
                revlog.append((review_id, cid, ease, 10, 5, 2500, seconds, 1))
        col.db.executemany("INSERT INTO notes VALUES (?, ?, ?, ?, -1, ?, ?, ?, ?, 0, '')", notes)
        col.db.executemany(
            "INSERT INTO cards VALUES (?, ?, ?, 0, ?, -1, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?)", card_rows
        )
        col.db.executemany("INSERT INTO revlog VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)", revlog[:reviews])
    finally:
        col.close()
    col = Collection(str(path))  # Anki opens it and finds it sound
    try:
        problems = col._backend.check_database()  # Anki's "Check Database": fixes what it must, says what
        assert col.card_count() == cards, problems
    finally:
        col.close(downgrade=False)
