"""Opening a store file: checks, pragmas and versioned migrations.

`PRAGMA user_version` holds the schema version; each migration takes the store
from version N-1 to N inside one transaction.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path

from .backup import create_backup
from .errors import StoreError
from .scheduling import recall_curve
from .settings import stored_settings

APPLICATION_ID = 0x53504C4E  # "SPLN": marks a SQLite file as a Study Planner store
SQLITE_HEADER = b"SQLite format 3\x00"
# Told a line to show while a long step runs; a step of known length ends its line with "(NN%)…".
Progress = Callable[[str], None]


def percent_done(line: str) -> int | None:
    """The share of its step a progress line says is done ("… (35%)…"), for a bar; None when it says none."""
    match = re.search(r"\((\d{1,3})%\)…$", line)
    return int(match.group(1)) if match else None


def _run(db: sqlite3.Connection, script: str) -> None:
    # Not executescript(): on Python 3.11 it commits first, which would break
    # the migration's transaction.
    for statement in script.split(";\n"):
        if statement.strip():
            db.execute(statement)


def _v1(db: sqlite3.Connection, _tz: tzinfo | None, _progress: Progress) -> None:
    _run(
        db,
        """
        CREATE TABLE deck (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            options TEXT NOT NULL DEFAULT '{}',
            created_ms INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE card (
            id INTEGER PRIMARY KEY,
            deck_id INTEGER NOT NULL REFERENCES deck(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            tags TEXT NOT NULL DEFAULT ' ',
            position INTEGER NOT NULL DEFAULT 0,
            state INTEGER NOT NULL DEFAULT 0,
            queue INTEGER NOT NULL DEFAULT 0,
            step INTEGER,
            stability REAL,
            difficulty REAL,
            due_ms INTEGER,
            last_review_ms INTEGER,
            buried_until_ms INTEGER,
            reps INTEGER NOT NULL DEFAULT 0,
            lapses INTEGER NOT NULL DEFAULT 0,
            created_ms INTEGER NOT NULL DEFAULT 0,
            modified_ms INTEGER NOT NULL DEFAULT 0,
            UNIQUE (deck_id, key)
        );
        -- The study queue's three lookups each read one small index range,
        -- so their cost does not grow with the collection.
        CREATE INDEX card_due ON card (queue, due_ms);
        CREATE INDEX card_deck_due ON card (deck_id, queue, due_ms);
        CREATE INDEX card_deck_new ON card (deck_id, position) WHERE queue = 0;
        CREATE INDEX card_buried ON card (buried_until_ms) WHERE queue = -2;
        CREATE TABLE review (
            id INTEGER PRIMARY KEY,
            card_id INTEGER NOT NULL REFERENCES card(id) ON DELETE CASCADE,
            rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
            duration_ms INTEGER NOT NULL DEFAULT 0,
            state_before INTEGER NOT NULL,
            step_before INTEGER,
            stability_before REAL,
            difficulty_before REAL,
            due_before_ms INTEGER,
            last_review_before_ms INTEGER,
            state_after INTEGER NOT NULL,
            step_after INTEGER,
            stability_after REAL NOT NULL,
            difficulty_after REAL NOT NULL,
            due_after_ms INTEGER NOT NULL
        );
        CREATE INDEX review_card ON review (card_id, id);
        CREATE TABLE setting (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    )


def _v2(db: sqlite3.Connection, _tz: tzinfo | None, _progress: Progress) -> None:
    """Pictures and sounds of imported decks, kept in the store (cards never load a URL)."""
    _run(
        db,
        """
        CREATE TABLE media (
            name TEXT PRIMARY KEY,
            data BLOB NOT NULL,
            sha1 TEXT NOT NULL
        )
        """,
    )


def _v3(db: sqlite3.Connection, _tz: tzinfo | None, _progress: Progress) -> None:
    """Statistics and exports at collection scale.

    The review log gets two facts statistics read without a join or a formula
    per row. deck_id: the card's deck (moved with the card when it changes deck). recall_before:
    the probability of recall FSRS predicted at the moment of an answer to a card
    in review (NULL for other answers); its index makes calibration an index-only
    scan. Cards get an index in deck order, which exports and lists read without a sort, and the
    index of new cards gets their tags.
    """
    _run(
        db,
        """
        ALTER TABLE review ADD COLUMN deck_id INTEGER;
        ALTER TABLE review ADD COLUMN recall_before REAL;
        UPDATE review SET deck_id = (SELECT deck_id FROM card WHERE card.id = review.card_id)
        """,
    )
    # Past answers get the prediction their deck's settings make now, in whole
    # days as the fsrs scheduler counts them.
    for (deck_id,) in db.execute("SELECT id FROM deck").fetchall():
        factor, decay = recall_curve(stored_settings(db, deck_id))
        db.execute(
            "UPDATE review SET recall_before = pow(1 + ? * max(0, (id - last_review_before_ms) / 86400000) "
            "/ stability_before, ?) WHERE deck_id = ? AND state_before = 2 AND stability_before > 0",
            (factor, decay, deck_id),
        )
    db.execute(
        "CREATE INDEX review_recall ON review (recall_before, id, rating, deck_id) WHERE recall_before IS NOT NULL"
    )
    db.execute("CREATE INDEX card_deck_position ON card (deck_id, position)")
    # New cards in deck order now carry their tags: a running study plan's topics are looked up
    # in this small index instead of every new card's row (at 100,000 cards: 24 -> 4 ms a card).
    db.execute("DROP INDEX card_deck_new")
    db.execute("CREATE INDEX card_deck_new ON card (deck_id, position, tags) WHERE queue = 0")


def _v4(db: sqlite3.Connection, tz: tzinfo | None, _progress: Progress) -> None:
    """FSRS on the learner's days: every answered card's memory state (stability, difficulty) re-derived
    from its review log with the days between answers counted as study days, as answers are counted from
    this version on (before, whole 24-hour periods). Due dates, states and the log itself stay: the next
    answer schedules from the corrected memory."""
    from .memory import memory_states

    states = memory_states(db, stored_settings(db), tz)
    db.executemany(
        "UPDATE card SET stability = ?, difficulty = ? WHERE id = ? AND state != 0",
        [(stability, difficulty, card_id) for card_id, (stability, difficulty) in states.items()],
    )


def _v5(db: sqlite3.Connection, _tz: tzinfo | None, _progress: Progress) -> None:
    """A card's earlier text, kept when a sync replaced it with a later edit made elsewhere (or found an
    earlier edit from elsewhere that ours replaced): an edit that loses is not lost."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS card_version (
            id INTEGER PRIMARY KEY,
            card_id INTEGER NOT NULL REFERENCES card(id) ON DELETE CASCADE,
            replaced_ms INTEGER NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            why TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS card_version_card ON card_version (card_id, replaced_ms)")


def _v6(db: sqlite3.Connection, _tz: tzinfo | None, progress: Progress) -> None:
    """A review log half the size: each answer keeps what undo, replay, statistics and sync read, and
    nothing they can derive. Gone: the card's whole FSRS state before and after the answer (before is
    the previous answer's after; after is replayed from the ratings, and the card holds its current
    state). Kept: the state the card was in (its kind, as Anki's revlog keeps it), the interval it had
    in whole days (mature or young), the recall FSRS predicted then (the settings that made it may change
    since), in millionths (3 bytes, not a REAL's 8, in the log and its index), and the due date the answer
    gave (fuzz is random, an exam may have moved it)."""
    if "state_after" not in {row[1] for row in db.execute("PRAGMA table_info(review)")}:
        return  # already in this layout (a store made by this version, marked older by hand)
    db.execute(CREATE_REVIEW.replace("CREATE TABLE review", "CREATE TABLE review_v6"))
    low, high, count = db.execute("SELECT coalesce(min(id), 0), coalesce(max(id), 0), count(*) FROM review").fetchone()
    chunks = 20 if count > 100_000 else 1  # a large log in steps of time, each told
    step = (high - low) // chunks + 1
    for i in range(chunks):
        if chunks > 1:
            progress(f"making the review log smaller ({100 * i // chunks}%)…")
        db.execute(
            "INSERT INTO review_v6 (id, card_id, deck_id, rating, duration_ms, state_before, interval_before_days, "
            "recall_before_ppm, due_after_ms) SELECT id, card_id, deck_id, rating, duration_ms, state_before, CASE "
            "WHEN state_before = 2 THEN max(0, due_before_ms - last_review_before_ms) / 86400000 END, "
            "CAST(round(recall_before * 1000000) AS INTEGER), due_after_ms FROM review WHERE id >= ? AND id < ?",
            (low + i * step, low + (i + 1) * step),
        )
    if chunks > 1:
        progress("making the review log smaller: indexing it…")
    db.execute("DROP TABLE review")
    db.execute("ALTER TABLE review_v6 RENAME TO review")
    _run(db, REVIEW_INDEXES)


# The review log as schema 6 lays it out (made by _v6 from the log of schema 1 to 5).
CREATE_REVIEW = """CREATE TABLE review (
    id INTEGER PRIMARY KEY,  -- the answer's instant, UTC ms (unique: nudged on by a ms on a collision)
    card_id INTEGER NOT NULL REFERENCES card(id) ON DELETE CASCADE,
    deck_id INTEGER,  -- the card's deck, moved with the card
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    duration_ms INTEGER NOT NULL DEFAULT 0,
    state_before INTEGER NOT NULL,  -- the card's state when answered: 0 new, 1 learning, 2 review, 3 relearning
    interval_before_days INTEGER,  -- for a card in review: the interval it had, in whole days (21+: mature)
    recall_before_ppm INTEGER,  -- for a card in review: the recall FSRS predicted then, in millionths
    due_after_ms INTEGER NOT NULL  -- the due date the answer gave
)"""
# Neither index lists the id: every index holds the rowid, which is the id, and orders a key's rows by it
# (listed, it was stored twice: a third of the card index).
REVIEW_INDEXES = """
    CREATE INDEX review_card ON review (card_id);
    CREATE INDEX review_recall ON review (recall_before_ppm, rating, deck_id) WHERE recall_before_ppm IS NOT NULL
"""

# Every writer of the review log names its columns.
INSERT_REVIEW = (
    "INSERT INTO review (id, card_id, deck_id, rating, duration_ms, state_before, interval_before_days, "
    "recall_before_ppm, due_after_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

DAY_MS = 86_400_000
PPM = 1_000_000


def recall_ppm(recall: float | None) -> int | None:
    """What an answer's recall_before_ppm holds: the predicted recall in millionths."""
    return None if recall is None else round(recall * PPM)


def interval_days(state: int, due_ms: int | None, last_review_ms: int | None) -> int | None:
    """What an answer's interval_before_days holds: for a card in review, the days between its last answer
    and the due date that answer gave, whole days counted down (as _v6 counts them in SQL)."""
    if state != 2 or due_ms is None or last_review_ms is None:
        return None
    return max(0, due_ms - last_review_ms) // DAY_MS


# MIGRATIONS[i] upgrades a store from version i to version i + 1; the ones that take long tell progress.
MIGRATIONS: list[Callable[[sqlite3.Connection, tzinfo | None, Progress], None]] = [_v1, _v2, _v3, _v4, _v5, _v6]
SCHEMA_VERSION = len(MIGRATIONS)


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """SQLite's own word that the file is damaged (or not a database at all)."""
    return (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def damaged(path: Path, detail: object) -> StoreError:
    """The one sentence for a store SQLite finds damaged, with the way back."""
    return StoreError(
        f"the store {path} is damaged ({detail}); nothing was written to it. Put its latest good backup in "
        "its place: 'studyplanner backup --list', then 'studyplanner restore FILE' (the window offers the same)"
    )


def check_intact(db: sqlite3.Connection, path: Path) -> None:
    """SQLite's quick_check (a few ms for a usual store, 0.35 s at a million answers): a write to a store
    with a damaged page may land beside the damage without a word, and spread it."""
    try:
        result = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from None
    if result != "ok":
        raise damaged(path, result.splitlines()[0])


def open_error(path: Path, exc: sqlite3.Error) -> StoreError:
    if "unable to open" in str(exc):
        return StoreError(f"cannot create or open the store {path}: its folder is read-only or missing")
    return StoreError(f"{path} is not a readable store: {exc}")


def check_file(path: Path) -> None:
    """Refuse, before touching it, a file that is not an SQLite database."""
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            if fh.read(16) != SQLITE_HEADER:
                raise StoreError(f"{path} is not a Study Planner store (not an SQLite file)")


def prepare(
    db: sqlite3.Connection,
    path: Path,
    now: datetime,
    tz: tzinfo | None = None,
    progress: Callable[[str], None] | None = None,
) -> bool:
    """Set pragmas and bring the schema up to date (after a backup), telling progress (a line to show)
    before an upgrade's seconds begin. Returns True for a new store."""
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        has_tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    except sqlite3.DatabaseError as exc:
        raise open_error(path, exc) from None
    if has_tables and app_id != APPLICATION_ID:
        raise StoreError(f"{path} is an SQLite file of another program, not a Study Planner store")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer Study Planner (schema {version}, this one knows "
            f"up to {SCHEMA_VERSION}); update the app to open it"
        )
    try:
        db.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode: a commit survives a killed process; only a power
        # cut can lose the last commits, and never corrupts the file.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        # 40 MiB of page cache, as Anki's collection has: a large import's pages stay in memory until
        # its commit instead of spilling to the WAL half-way (SQLite's default is 2 MB).
        db.execute("PRAGMA cache_size = -40960")

        def tell(line: str) -> None:
            if progress is not None:
                progress(f"Upgrading the store {path.name}: {line}")

        if 0 < version < SCHEMA_VERSION:  # an upgrade: keep the store as it was first
            if progress is not None:
                progress(f"Upgrading the store {path.name} for this version of Study Planner (after a backup)…")
            create_backup(db, path, now, lambda step: tell(f"backing it up first: {step}…"),
                          why=f"before the upgrade to schema {SCHEMA_VERSION}")

        for target in range(version, SCHEMA_VERSION):
            db.execute("BEGIN IMMEDIATE")
            try:
                MIGRATIONS[target](db, tz, tell)
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {target + 1}")
                db.execute("COMMIT")
            except BaseException as exc:
                if db.in_transaction:  # a full disk has rolled it back already
                    db.execute("ROLLBACK")
                if isinstance(exc, Exception) and not isinstance(exc, (StoreError, sqlite3.OperationalError)):
                    raise _failed_upgrade(path, target + 1, exc) from exc
                raise
        if 0 < version < SCHEMA_VERSION and _mostly_free(db):
            tell("giving the space it freed back to the disk…")
            _compact(db)
    except sqlite3.OperationalError as exc:
        if "readonly" in str(exc) or "unable to open" in str(exc):
            raise StoreError(f"cannot write the store {path}: the file or its folder is read-only") from None
        if "full" in str(exc):
            raise StoreError(f"cannot upgrade the store {path}: the disk is full; it is as it was") from None
        raise StoreError(f"cannot open the store {path}: {exc}") from None
    return version == 0


def _mostly_free(db: sqlite3.Connection) -> bool:
    """Whether a quarter or more of the file is free pages (an upgrade rebuilt a large table)."""
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    return free > 0 and free * 4 >= db.execute("PRAGMA page_count").fetchone()[0]


def _compact(db: sqlite3.Connection) -> None:
    """VACUUM, so that the file shrinks to what it holds. It needs room for a second copy for a moment, and no
    other connection reading: on a full disk, or with the store open elsewhere, it is skipped, and the freed
    pages are used by the store's next writes instead."""
    try:
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError:
        pass


def _failed_upgrade(path: Path, target: int, exc: Exception) -> StoreError:
    """One line for an upgrade step that failed on what the store holds (a row it did not expect, damage):
    the step was rolled back, so the store is exactly as the earlier version left it."""
    if isinstance(exc, sqlite3.DatabaseError) and is_damage(exc):
        return damaged(path, exc)
    return StoreError(
        f"cannot upgrade the store {path} to schema {target}: {exc or type(exc).__name__}. It was left as it "
        f"was, with a backup in {path.parent / 'backups'}; the earlier version of the app still opens it"
    )
