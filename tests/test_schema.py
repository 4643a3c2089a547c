"""Opening stores: versioned migrations, and files that must be refused untouched."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC
from pathlib import Path

import pytest

from cards import ops, schema
from cards.errors import StoreError
from cards.models import Card, Deck, Media, Review, Setting
from cards.store import Store
from cards.timeutil import to_ms


def open_store(path, clock):
    return Store.open(path, clock=clock, tz=UTC, load_builtin=False)


def test_new_store_is_at_the_current_version_with_wal_and_foreign_keys(tmp_path, clock):
    store = open_store(tmp_path / "s.db", clock)
    db = store.db
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.close()


def test_models_match_the_migrated_schema(tmp_path, clock):
    store = open_store(tmp_path / "s.db", clock)
    for model in (Deck, Card, Review, Setting, Media):
        table = model.__table__
        columns = [row[1] for row in store.db.execute(f"PRAGMA table_info({table.name})")]
        assert columns == [c.name for c in table.columns], table.name
    store.close()


def test_empty_file_is_upgraded_from_version_zero(tmp_path, clock):
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()  # a valid, empty SQLite file at user_version 0
    store = open_store(path, clock)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    store.close()


@pytest.mark.parametrize(
    "failure",
    [sqlite3.OperationalError("disk I/O error"), sqlite3.IntegrityError("UNIQUE constraint failed: deck.key"),
     ValueError("invalid literal for int() with base 10: 'x'"), KeyError("stability")],
)  # fmt: skip
def test_failed_migration_leaves_the_store_as_it_was(tmp_path, clock, monkeypatch, failure):
    """Whatever an upgrade step meets (the disk, a row it did not expect), it is one line, never a traceback."""
    path = tmp_path / "s.db"
    store = open_store(path, clock)
    deck = ops.add_deck(store, "Kept").value
    ops.add_card(store, deck.id, "q", "a")
    store.close()

    def broken_v2(db, tz, progress):
        db.execute("ALTER TABLE card ADD COLUMN extra INTEGER")
        raise failure

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, broken_v2])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    with pytest.raises(StoreError, match="cannot (open|upgrade) the store"):
        open_store(path, clock)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION - 1
    assert "extra" not in [r[1] for r in db.execute("PRAGMA table_info(card)")]
    assert db.execute("SELECT question FROM card").fetchall() == [("q",)]


def test_a_version_1_store_is_upgraded_with_its_data(tmp_path, clock):
    """Fixture of every earlier schema: build it with the migrations of its time, then open."""
    path = tmp_path / "v1.db"
    db = sqlite3.connect(path, isolation_level=None)
    schema.MIGRATIONS[0](db, None, print)
    db.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO deck (id, key, name) VALUES (1, 'd', 'Old deck')")
    db.execute("INSERT INTO card (deck_id, key, question, answer) VALUES (1, 'k', 'Q?', 'A.')")
    db.close()
    store = open_store(path, clock)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert [(c.question, c.answer) for c in store.cards()] == [("Q?", "A.")]
    assert store.media("missing.png") is None  # the v2 media table exists
    store.close()


def test_upgrade_runs_each_missing_migration_in_order(tmp_path, clock, monkeypatch):
    path = tmp_path / "s.db"
    open_store(path, clock).close()

    def v2(db, tz, progress):
        db.execute("ALTER TABLE deck ADD COLUMN colour TEXT NOT NULL DEFAULT '#888'")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, v2])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    store = open_store(path, clock)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert "colour" in [r[1] for r in store.db.execute("PRAGMA table_info(deck)")]
    store.close()


def test_store_from_a_newer_version_is_refused_untouched(tmp_path, clock):
    path = tmp_path / "future.db"
    open_store(path, clock).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer Study Planner"):
        open_store(path, clock)
    assert path.read_bytes() == before


def test_file_that_is_not_sqlite_is_refused_untouched(tmp_path, clock):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n")
    with pytest.raises(StoreError, match="not an SQLite file"):
        open_store(path, clock)
    assert path.read_text() == "these are my notes, not a database\n"


def test_sqlite_file_of_another_program_is_refused(tmp_path, clock):
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE photos (id INTEGER)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="another program"):
        open_store(path, clock)


def read_only_folder(tmp_path):
    """A folder this process cannot write to (root ignores permissions: use sysfs)."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


def test_read_only_folder_gives_a_clear_error(tmp_path, clock):
    with pytest.raises(StoreError, match="read-only"):
        open_store(read_only_folder(tmp_path) / "s.db", clock)


def test_new_store_gets_the_builtin_decks(tmp_path, clock):
    store = Store.open(tmp_path / "fresh.db", clock=clock, tz=UTC)
    decks = store.decks()
    assert decks, "a new store starts with the built-in decks"
    assert all(d.source.startswith("builtin:") for d in decks)
    assert sum(c.total for c in store.deck_counts()) > 0
    store.close()
    # Opening again does not load them twice.
    store = Store.open(tmp_path / "fresh.db", clock=clock, tz=UTC)
    assert len(store.decks()) == len(decks)
    store.close()


# The review log of schemas 1 to 5: the card's whole FSRS state before and after each answer (schema 3 added
# deck_id and recall_before at the end).
OLD_REVIEW_COLUMNS = (
    "id, card_id, rating, duration_ms, state_before, step_before, stability_before, difficulty_before, "
    "due_before_ms, last_review_before_ms, state_after, step_after, stability_after, difficulty_after, due_after_ms"
)


def _studied(store, clock, days: int, within_days: bool = True) -> list[tuple]:
    """Weeks of real study through the core (two decks, one with its own retention; every rating), and each
    answer as schemas 1 to 5 logged it: (old columns..., deck_id, recall_before). within_days: the cards due,
    answered minutes apart; else every card, in one order at one moment, days apart (whole days between a
    card's answers, as schema 3 counted them)."""
    import random

    from tests.conftest import add_deck_with_cards

    rng = random.Random(5)
    decks = [add_deck_with_cards(store, "Old", 6), add_deck_with_cards(store, "Strict", 5)]
    ops.set_deck_overrides(store, decks[1], desired_retention=0.95)
    old_rows = []
    for _ in range(days):
        for card in [c for d in decks for c in store.cards(d)]:
            if within_days and card.due_ms is not None and card.due_ms > to_ms(clock.now()):
                continue
            rating = rng.choice((1, 2, 3, 3, 3, 4))
            after = ops.answer(store, card.id, rating, rng.randint(1000, 9000)).value
            review_id, duration, recall = store.db.execute("SELECT id, duration_ms, recall_before_ppm FROM review "
                                                           "WHERE id = ?", (after.last_review_ms,)).fetchone()
            old_rows.append((review_id, card.id, rating, duration, card.state, card.step, card.stability,
                             card.difficulty, card.due_ms, card.last_review_ms, after.state, after.step,
                             after.stability, after.difficulty, after.due_ms, card.deck_id,
                             None if recall is None else recall / 1_000_000))  # fmt: skip
            if within_days:
                clock.advance(minutes=rng.randint(1, 30))
        clock.advance(days=1 if within_days else rng.choice((1, 3, 8)))
    return old_rows


def _as_old_store(path: Path, version: int, source: Path, old_rows: list[tuple]) -> None:
    """The same decks, cards, settings and answers in a store of an earlier schema, built by the migrations of
    its time."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("ATTACH ? AS now", (str(source),))
    db.execute("BEGIN")
    for migration in schema.MIGRATIONS[:version]:
        migration(db, None, print)
    db.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {version}")
    for table in ("deck", "card", "setting"):
        db.execute(f"INSERT INTO {table} SELECT * FROM now.{table}")
    columns = OLD_REVIEW_COLUMNS + (", deck_id, recall_before" if version >= 3 else "")
    width = len(columns.split(","))
    db.executemany(f"INSERT INTO review ({columns}) VALUES ({', '.join('?' * width)})",
                   [row[:width] for row in old_rows])  # fmt: skip
    db.execute("COMMIT")
    db.close()


def test_version_2_review_log_gains_the_deck_and_the_predicted_recall(tmp_path, clock):
    """v3 fills in, for answers given before it, what an answer records now."""
    native = open_store(tmp_path / "now.db", clock)
    old_rows = _studied(native, clock, days=6, within_days=False)
    recorded = native.db.execute("SELECT id, deck_id, recall_before_ppm FROM review ORDER BY id").fetchall()
    assert sum(recall is not None for _, _, recall in recorded) >= 6  # answers to cards in review
    native.close()
    _as_old_store(tmp_path / "v2.db", 2, tmp_path / "now.db", old_rows)
    store = open_store(tmp_path / "v2.db", clock)
    upgraded = store.db.execute("SELECT id, deck_id, recall_before_ppm FROM review ORDER BY id").fetchall()
    assert [(i, d) for i, d, _ in upgraded] == [(i, d) for i, d, _ in recorded]
    for (_, _, then), (_, _, now) in zip(recorded, upgraded):
        assert (then is None and now is None) or abs(now - then) <= 1  # millionths
    store.close()


def test_a_schema_5_log_becomes_the_log_this_version_writes(tmp_path, clock):
    """Schema 6 keeps of each answer only what undo, replay, statistics and sync read. A real log laid out as
    schema 5 kept it, upgraded, is the log this version writes for the same answers; every card replays to
    the state it had before the upgrade; every statistic is the same."""
    from cards import stats

    native = open_store(tmp_path / "now.db", clock)
    old_rows = _studied(native, clock, days=60)
    native.close()
    _as_old_store(tmp_path / "v5.db", 5, tmp_path / "now.db", old_rows)
    old = sqlite3.connect(tmp_path / "v5.db")
    cards_before = old.execute("SELECT * FROM card ORDER BY id").fetchall()
    old.close()
    native = open_store(tmp_path / "now.db", clock)
    told: list[str] = []
    store = Store.open(tmp_path / "v5.db", clock=clock, tz=UTC, load_builtin=False, progress=told.append)
    assert told[0].startswith("Upgrading the store v5.db")
    log = "SELECT * FROM review ORDER BY id"
    assert store.db.execute(log).fetchall() == native.db.execute(log).fetchall()
    assert store.db.execute("SELECT * FROM card ORDER BY id").fetchall() == cards_before
    for card in store.cards():
        replayed = store.replay(card.id)
        assert (replayed.state, replayed.due_ms, replayed.reps, replayed.lapses) == (
            card.state, card.due_ms, card.reps, card.lapses)
        if card.stability is not None:
            assert replayed.stability == pytest.approx(card.stability, rel=1e-9)
            assert replayed.difficulty == pytest.approx(card.difficulty, rel=1e-9)
    for deck_id in (None, *[d.id for d in store.decks()]):
        assert stats.report(store, deck_id) == stats.report(native, deck_id)
        assert stats.daily_figures(store, 90, deck_id) == stats.daily_figures(native, 90, deck_id)
        assert stats.calibration(store, None, deck_id) == stats.calibration(native, None, deck_id)
    assert sum(figures[3] for figures in stats.daily_figures(store, 90).values()) > 0  # mature answers
    card = store.cards()[0]
    ops.answer(store, card.id, 3)
    ops.undo(store)
    assert store.card(card.id) == card and store.db.execute(log).fetchall() == native.db.execute(log).fetchall()
    native.close()
    store.close()


def test_the_upgrade_of_a_large_log_tells_its_progress_and_gives_the_space_back(tmp_path, clock):
    """A log of 200,000 answers, as schema 5 kept it: the upgrade copies it in steps it tells, and the file
    shrinks to what it holds."""
    native = open_store(tmp_path / "now.db", clock)
    old_rows = _studied(native, clock, days=3)
    native.close()
    last = max(row[0] for row in old_rows)
    many = [(last + 1 + i, *row[1:]) for i, row in enumerate(old_rows * (200_000 // len(old_rows)))]
    _as_old_store(tmp_path / "v5.db", 5, tmp_path / "now.db", old_rows + many)
    size_before = (tmp_path / "v5.db").stat().st_size
    told: list[str] = []
    store = Store.open(tmp_path / "v5.db", clock=clock, tz=UTC, load_builtin=False, progress=told.append)
    steps = [line for line in told if "making the review log smaller (" in line]
    assert steps[0].endswith("(0%)…") and steps[-1].endswith("(95%)…") and len(steps) == 20
    assert [schema.percent_done(line) for line in steps] == list(range(0, 100, 5))
    assert "Upgrading the store v5.db: making the review log smaller: indexing it…" in told
    assert told[-1] == "Upgrading the store v5.db: giving the space it freed back to the disk…"
    assert store.db.execute("SELECT count(*) FROM review").fetchone()[0] == len(old_rows) + len(many)
    assert store.db.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert (tmp_path / "v5.db").stat().st_size < size_before * 0.7
    store.close()


def test_the_rows_the_core_hands_out_match_the_migrated_schema(tmp_path, clock):
    from cards import rows

    store = open_store(tmp_path / "s.db", clock)
    for table, columns in (("card", rows.CARD_COLUMNS), ("deck", rows.DECK_COLUMNS)):
        assert [row[1] for row in store.db.execute(f"PRAGMA table_info({table})")] == columns, table
    store.close()
