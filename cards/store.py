"""The card store: one SQLite file holding decks, cards and the review log.

Everything the window and the command line do to cards goes through a Store.
The study hot path (next card, answer, undo) runs plain SQL on the store's one
connection; the rest uses SQLModel sessions on the same connection.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

import platformdirs
from fsrs import Rating, State
from sqlalchemy import event
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine, select

from . import backup, schema
from .errors import NothingToUndo, StoreError, StudyPlannerError, UnknownCard, UnknownDeck
from .models import Card, Deck
from .scheduling import (
    NEW,
    QUEUE_BURIED,
    QUEUE_LEARNING,
    QUEUE_NEW,
    QUEUE_REVIEW,
    QUEUE_SUSPENDED,
    fsrs_card,
    make_scheduler,
    preview_intervals,
    queue_for_state,
)
from .settings import DECK_OVERRIDABLE, SchedulingSettings, stored_settings
from .timeutil import Clock, SystemClock, day_bounds, from_ms, study_day, to_ms

ENV_DB = "STUDYPLANNER_DB"
LEARN_AHEAD = timedelta(minutes=20)  # as Anki: a learning card due this soon is shown when nothing else is left
_CARD_COLUMNS = [c.name for c in Card.__table__.columns]  # type: ignore[attr-defined]
_CARD_SELECT = "SELECT " + ", ".join(_CARD_COLUMNS) + " FROM card"
_POSITION = _CARD_COLUMNS.index("position")


def default_path() -> Path:
    """The store file: $STUDYPLANNER_DB, else the platform's user data folder."""
    if os.environ.get(ENV_DB):
        return Path(os.environ[ENV_DB]).expanduser()
    return Path(platformdirs.user_data_dir("studyplanner", appauthor=False)) / "studyplanner.db"


@dataclass(frozen=True)
class QueueCounts:
    new: int = 0
    learning: int = 0
    due: int = 0

    @property
    def total(self) -> int:
        return self.new + self.learning + self.due


@dataclass(frozen=True)
class DeckCounts:
    deck_id: int
    name: str
    total: int
    new: int
    learning: int
    due: int


@dataclass(frozen=True)
class Undone:
    kind: str  # "answer", "bury", "suspend" or "unsuspend"
    card: Card


@dataclass(frozen=True)
class StudyDay:
    day: date
    start_ms: int
    end_ms: int


class Store:
    """A learner's collection. Open with Store.open(); close() when done."""

    def __init__(self, db: sqlite3.Connection, path: Path, clock: Clock, tz: tzinfo | None) -> None:
        self.path = path
        self.clock = clock
        self.tz = tz
        self.db = db  # for the core's own modules (loading, stats); others use the methods
        self._lock = threading.RLock()
        self._engine = create_engine("sqlite://", creator=lambda: db, poolclass=StaticPool)
        event.listen(self._engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        self._undo: list[tuple[str, object]] = []
        self._settings_cache: dict[int | None, SchedulingSettings] = {}
        self._unburied_day: date | None = None
        self._changes_at_backup = db.total_changes
        # Tags whose new cards come first on a day (set by the planner; the core knows no plans).
        self.new_card_priority: Callable[[date], list[str]] | None = None
        # Where each deck's search for those cards resumes (None: the deck has none), valid while
        # the key holds: day, topics, this store's edits other than answers, other connections' commits.
        self._topic_search: tuple[object, dict[int, int | None]] = (None, {})
        self._edits = 0

    # ----------------------------------------------------------------- opening

    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        *,
        clock: Clock | None = None,
        tz: tzinfo | None = None,
        load_builtin: bool = True,
    ) -> Store:
        """Open (or create) a store. A new store gets the built-in decks."""
        path = Path(path) if path is not None else default_path()
        schema.check_file(path)
        if not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for the store {path}: {exc.strerror}") from None
        try:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise schema.open_error(path, exc) from None
        try:
            clock = clock or SystemClock()
            is_new = schema.prepare(db, path, clock.now())
            store = cls(db, path, clock, tz)
            if is_new and load_builtin:
                from .loading import load_builtin_decks

                load_builtin_decks(store)
        except BaseException:
            db.close()
            raise
        return store

    def reader(self) -> sqlite3.Connection:
        """A separate read-only connection, for reads off the GUI thread (WAL lets it
        read while this connection writes)."""
        return sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)

    def backup(self) -> Path:
        """Write a consistent backup now and prune old ones (see cards/backup.py)."""
        with self._lock:
            path = backup.create_backup(self.db, self.path, self.clock.now())
            self._changes_at_backup = self.db.total_changes
        backup.prune(self.path, self.clock.now())
        return path

    def restore_from(self, backup_path: Path) -> Path:
        """Replace this store's content by a backup (the current content is backed up first)."""
        with self._lock:
            self._engine.dispose()
            self.db.close()
            try:
                safety = backup.restore(self.path, Path(backup_path), self.clock.now())
            finally:
                self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                schema.prepare(self.db, self.path, self.clock.now())
                self._engine = create_engine("sqlite://", creator=lambda: self.db, poolclass=StaticPool)
                event.listen(self._engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
                self._undo.clear()
                self._settings_cache.clear()
                self._unburied_day = None
                self._changes_at_backup = self.db.total_changes
        return safety

    def changed_since_backup(self) -> bool:
        return self.db.total_changes != self._changes_at_backup

    def close(self) -> None:
        with self._lock:
            self._engine.dispose()
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, answering: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction: everything inside commits together or not at all.

        Anything but an answer counts as an edit: it may add, re-tag or bring back new cards.
        """
        with self._lock:
            if not answering:
                self._edits += 1
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise _store_error(self.path, exc) from None
            try:
                yield self.db
                self.db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self.db.execute("ROLLBACK")
                raise _store_error(self.path, exc) from None
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    # ----------------------------------------------------------------- settings

    def settings(self, deck_id: int | None = None) -> SchedulingSettings:
        """The settings in force for a deck (its overrides over the global ones)."""
        if deck_id in self._settings_cache:
            return self._settings_cache[deck_id]
        result = self._settings_cache[deck_id] = stored_settings(self.db, deck_id)
        return result

    def deck_overrides(self, deck_id: int) -> dict:
        row = self.db.execute("SELECT options FROM deck WHERE id = ?", (deck_id,)).fetchone()
        if row is None:
            raise StudyPlannerError(f"no deck with id {deck_id}")
        return json.loads(row[0] or "{}")

    def update_settings(self, **changes: object) -> SchedulingSettings:
        """Change global settings; validated as a whole before anything is written."""
        new = self.settings().replace(**changes)
        with self.transaction() as db:
            db.execute(
                "INSERT INTO setting (key, value) VALUES ('scheduling', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (new.to_json(),),
            )
        self._settings_cache.clear()
        return new

    def set_deck_overrides(self, deck_id: int, **overrides: object) -> SchedulingSettings:
        """Override settings for one deck; a value of None removes that override."""
        bad = set(overrides) - set(DECK_OVERRIDABLE)
        if bad:
            raise StudyPlannerError(f"{sorted(bad)[0]!r} cannot be set per deck")
        current = self.deck_overrides(deck_id)
        current.update(overrides)
        current = {k: v for k, v in current.items() if v is not None}
        result = self.settings().replace(**current)  # validates
        with self.transaction() as db:
            db.execute("UPDATE deck SET options = ? WHERE id = ?", (json.dumps(current), deck_id))
        self._settings_cache.clear()
        return result

    def get_value(self, key: str, default: object = None) -> object:
        """A free-form preference (window geometry, theme...), stored as JSON."""
        row = self.db.execute("SELECT value FROM setting WHERE key = ?", (f"pref:{key}",)).fetchone()
        return json.loads(row[0]) if row else default

    def set_value(self, key: str, value: object) -> None:
        with self.transaction() as db:
            self.put_value(db, key, value)

    @staticmethod
    def put_value(db: sqlite3.Connection, key: str, value: object) -> None:
        """set_value inside a transaction the caller already holds."""
        db.execute(
            "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (f"pref:{key}", json.dumps(value)),
        )

    # ----------------------------------------------------------------- time

    def today(self) -> StudyDay:
        now = self.clock.now()
        hour = self.settings().day_start_hour
        day = study_day(now, hour, self.tz)
        start, end = day_bounds(day, hour, self.tz)
        if self._unburied_day != day:
            self._unbury(to_ms(start))
            self._unburied_day = day
        return StudyDay(day, to_ms(start), to_ms(end))

    def _unbury(self, day_start_ms: int) -> None:
        if self.db.execute(
            "SELECT 1 FROM card WHERE queue = -2 AND buried_until_ms <= ? LIMIT 1", (day_start_ms,)
        ).fetchone():
            with self.transaction() as db:
                db.execute(
                    "UPDATE card SET queue = CASE state WHEN 0 THEN 0 WHEN 2 THEN 2 ELSE 1 END, "
                    "buried_until_ms = NULL WHERE queue = -2 AND buried_until_ms <= ?",
                    (day_start_ms,),
                )

    # ----------------------------------------------------------------- decks

    def decks(self) -> list[Deck]:
        with self._session() as session:
            return list(session.exec(select(Deck).order_by(Deck.id)))

    def deck(self, deck_id: int) -> Deck:
        with self._session() as session:
            deck = session.get(Deck, deck_id)
        if deck is None:
            raise StudyPlannerError(f"no deck with id {deck_id}")
        return deck

    def deck_by_name(self, name: str) -> Deck:
        """A deck by its name (case-insensitive) or key."""
        for deck in self.decks():
            if name.casefold() in (deck.name.casefold(), deck.key.casefold()):
                return deck
        raise UnknownDeck(name)

    def add_deck(self, name: str, key: str | None = None, description: str = "") -> Deck:
        name = name.strip()
        if not name:
            raise StudyPlannerError("a deck needs a name")
        key = key or slug(name)
        with self._lock, self._session() as session:
            if session.exec(select(Deck).where((Deck.name == name) | (Deck.key == key))).first():
                raise StudyPlannerError(f"a deck named {name!r} already exists")
            deck = Deck(name=name, key=key, description=description, created_ms=to_ms(self.clock.now()))
            session.add(deck)
            session.commit()
            session.refresh(deck)
            return deck

    def deck_counts(self) -> list[DeckCounts]:
        """Every deck with its total and today's new / learning / due counts (limits applied)."""
        today = self.today()
        # Two reads of the (deck, queue, due) index: totals per queue, and what is due today.
        per_queue: dict[int, dict[int, int]] = {}
        for deck_id, queue, count in self.db.execute(
            "SELECT deck_id, queue, count(*) FROM card GROUP BY deck_id, queue"
        ):
            per_queue.setdefault(deck_id, {})[queue] = count
        due_today: dict[int, dict[int, int]] = {}
        # "deck_id IN" makes SQLite seek the (deck, queue, due) index deck by deck, reading the index
        # alone; by the (queue, due) index it would read every due card's row for its deck (20x slower).
        for deck_id, queue, count in self.db.execute(
            "SELECT deck_id, queue, count(*) FROM card WHERE deck_id IN (SELECT id FROM deck) "
            "AND queue IN (1, 2) AND due_ms < ? GROUP BY deck_id, queue",
            (today.end_ms,),
        ):
            due_today.setdefault(deck_id, {})[queue] = count
        done = self._done_today(today)
        result = []
        for deck in self.decks():
            queues, due_now = per_queue.get(deck.id, {}), due_today.get(deck.id, {})
            total, new = sum(queues.values()), queues.get(QUEUE_NEW, 0)
            learning, due = due_now.get(QUEUE_LEARNING, 0), due_now.get(QUEUE_REVIEW, 0)
            settings = self.settings(deck.id)
            done_new, done_reviews = done.get(deck.id, (0, 0))
            result.append(
                DeckCounts(
                    deck_id=deck.id,
                    name=deck.name,
                    total=total,
                    new=min(new, max(0, settings.new_per_day - done_new)),
                    learning=learning,
                    due=min(due, max(0, settings.reviews_per_day - done_reviews)),
                )
            )
        return result

    def _done_today(self, today: StudyDay) -> dict[int, tuple[int, int]]:
        """Per deck: new cards introduced and review cards answered today."""
        return {
            row[0]: (row[1], row[2])
            for row in self.db.execute(
                "SELECT deck_id, sum(state_before = 0), sum(state_before = 2) FROM review WHERE id >= ? GROUP BY 1",
                (today.start_ms,),
            )
        }

    # ----------------------------------------------------------------- cards

    def card(self, card_id: int) -> Card:
        row = self.db.execute(_CARD_SELECT + " WHERE id = ?", (card_id,)).fetchone()
        if row is None:
            raise UnknownCard(card_id)
        return _card(row)

    def cards(self, deck_id: int | None = None) -> list[Card]:
        sql, args = _CARD_SELECT, ()
        if deck_id is not None:
            sql, args = sql + " WHERE deck_id = ?", (deck_id,)
        return [_card(row) for row in self.db.execute(sql + " ORDER BY deck_id, position, id", args)]

    def add_card(
        self, deck_id: int, question: str, answer: str, tags: Iterable[str] = (), key: str | None = None
    ) -> Card:
        question, answer = question.strip(), answer.strip()
        if not question or not answer:
            raise StudyPlannerError("a card needs a question and an answer")
        self.deck(deck_id)
        now_ms = to_ms(self.clock.now())
        with self.transaction() as db:
            position = db.execute(
                "SELECT coalesce(max(position), 0) + 1 FROM card WHERE deck_id = ?", (deck_id,)
            ).fetchone()[0]
            key = key or "c-" + uuid.uuid4().hex[:12]
            cur = db.execute(
                "INSERT INTO card (deck_id, key, question, answer, tags, position, created_ms, modified_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (deck_id, key, question, answer, tags_text(tags), position, now_ms, now_ms),
            )
        return self.card(cur.lastrowid)

    def edit_card(
        self,
        card_id: int,
        *,
        question: str | None = None,
        answer: str | None = None,
        tags: Iterable[str] | None = None,
        deck_id: int | None = None,
    ) -> Card:
        card = self.card(card_id)
        question = card.question if question is None else question.strip()
        answer = card.answer if answer is None else answer.strip()
        if not question or not answer:
            raise StudyPlannerError("a card needs a question and an answer")
        if deck_id is not None:
            self.deck(deck_id)
        with self.transaction() as db:
            db.execute(
                "UPDATE card SET question = ?, answer = ?, tags = ?, deck_id = ?, modified_ms = ? WHERE id = ?",
                (
                    question,
                    answer,
                    card.tags if tags is None else tags_text(tags),
                    card.deck_id if deck_id is None else deck_id,
                    to_ms(self.clock.now()),
                    card_id,
                ),
            )
            if deck_id is not None and deck_id != card.deck_id:  # its history moves with it
                db.execute("UPDATE review SET deck_id = ? WHERE card_id = ?", (deck_id, card_id))
        return self.card(card_id)

    def delete_cards(self, card_ids: Iterable[int]) -> int:
        """Delete cards and their review history. Returns how many were deleted."""
        ids = list(card_ids)
        with self.transaction() as db:
            deleted = sum(db.execute("DELETE FROM card WHERE id = ?", (i,)).rowcount for i in ids)
        self._undo.clear()  # earlier steps may name the deleted cards
        return deleted

    # ----------------------------------------------------------------- study queue

    def queue_counts(self, deck_id: int | None = None, deck_counts: list[DeckCounts] | None = None) -> QueueCounts:
        """What is left to study today, in a deck or in all decks (from deck_counts when the caller has them)."""
        every = deck_counts if deck_counts is not None else self.deck_counts()
        counts = [c for c in every if deck_id is None or c.deck_id == deck_id]
        if deck_id is not None and not counts:
            raise StudyPlannerError(f"no deck with id {deck_id}")
        new = sum(c.new for c in counts)
        due = sum(c.due for c in counts)
        if deck_id is None:
            settings = self.settings()
            done = self._done_today(self.today()).values()
            new = min(new, max(0, settings.new_per_day - sum(d[0] for d in done)))
            due = min(due, max(0, settings.reviews_per_day - sum(d[1] for d in done)))
        return QueueCounts(new=new, learning=sum(c.learning for c in counts), due=due)

    def next_card(self, deck_id: int | None = None) -> Card | None:
        """The card to study now: learning due now, then reviews due today, then new cards."""
        today = self.today()
        now_ms = to_ms(self.clock.now())
        scope, args = ("AND deck_id = ?", (deck_id,)) if deck_id is not None else ("", ())
        row = self.db.execute(
            _CARD_SELECT + f" WHERE queue = 1 AND due_ms <= ? {scope} ORDER BY due_ms LIMIT 1", (now_ms, *args)
        ).fetchone()
        if row:
            return _card(row)
        quotas = self._quotas(today, deck_id)
        review_decks = [d for d, (_, reviews) in quotas.items() if reviews > 0]
        if review_decks:
            # Walk the due index in order; name the decks only when some are over their limit.
            limited = len(review_decks) < len(quotas) or deck_id is not None
            marks = f"AND deck_id IN ({','.join('?' * len(review_decks))})" if limited else ""
            row = self.db.execute(
                _CARD_SELECT + f" WHERE queue = 2 AND due_ms < ? {marks} ORDER BY due_ms LIMIT 1",
                (today.end_ms, *(review_decks if limited else ())),
            ).fetchone()
            if row:
                return _card(row)
        priority = self.new_card_priority(today.day) if self.new_card_priority else []
        if priority:
            row = self._first_topic_card(today.day, priority, [d for d, (new, _) in quotas.items() if new > 0])
            if row:
                return _card(row)
        for deck, (new, _) in quotas.items():
            if new > 0:
                row = self.db.execute(
                    _CARD_SELECT + " WHERE deck_id = ? AND queue = 0 ORDER BY position LIMIT 1", (deck,)
                ).fetchone()
                if row:
                    return _card(row)
        row = self.db.execute(
            _CARD_SELECT + f" WHERE queue = 1 AND due_ms <= ? {scope} ORDER BY due_ms LIMIT 1",
            (now_ms + LEARN_AHEAD // timedelta(milliseconds=1), *args),
        ).fetchone()
        return _card(row) if row else None

    def _first_topic_card(self, day: date, topics: list[str], decks: list[int]) -> tuple | None:
        """The first new card, in deck order, tagged with one of the day's plan topics.

        Answers only take cards out of the new queue, so each deck's search resumes at the
        position of the card it found last, and a deck found to have none is not searched
        again, until an edit or another connection's commit may have changed the new cards.
        """
        key = (day, tuple(topics), self._edits, self.db.execute("PRAGMA data_version").fetchone()[0])
        if self._topic_search[0] != key:
            self._topic_search = (key, {})
        resume = self._topic_search[1]
        tagged = " OR ".join("tags LIKE ?" for _ in topics)
        patterns = [f"% {tag} %" for tag in topics]
        for deck in decks:
            if deck in resume and resume[deck] is None:
                continue
            row = self.db.execute(
                _CARD_SELECT + f" WHERE deck_id = ? AND queue = 0 AND position >= ? AND ({tagged}) "
                "ORDER BY position LIMIT 1",
                (deck, resume.get(deck, 0), *patterns),
            ).fetchone()
            resume[deck] = row[_POSITION] if row else None
            if row:
                return row
        return None

    def _quotas(self, today: StudyDay, deck_id: int | None) -> dict[int, tuple[int, int]]:
        """Per deck in study order: new cards and reviews still allowed today."""
        done = self._done_today(today)
        deck_ids = (
            [deck_id] if deck_id is not None else [r[0] for r in self.db.execute("SELECT id FROM deck ORDER BY id")]
        )
        quotas = {}
        for d in deck_ids:
            s = self.settings(d)
            done_new, done_reviews = done.get(d, (0, 0))
            quotas[d] = (max(0, s.new_per_day - done_new), max(0, s.reviews_per_day - done_reviews))
        if deck_id is None:  # the global limits cap the sum over all decks
            s = self.settings()
            left_new = max(0, s.new_per_day - sum(v[0] for v in done.values()))
            left_reviews = max(0, s.reviews_per_day - sum(v[1] for v in done.values()))
            quotas = {d: (min(n, left_new), min(r, left_reviews)) for d, (n, r) in quotas.items()}
        return quotas

    def next_due(self, deck_id: int | None = None) -> datetime | None:
        """When the next card of a deck (or any deck) becomes due after today's are done."""
        scope, args = ("AND deck_id = ?", (deck_id,)) if deck_id is not None else ("", ())
        row = self.db.execute(
            f"SELECT min(due_ms) FROM card WHERE queue IN (1, 2) AND due_ms > ? {scope}",
            (to_ms(self.clock.now()), *args),
        ).fetchone()
        return from_ms(row[0]) if row and row[0] is not None else None

    def preview(self, card_id: int) -> dict[int, timedelta]:
        """The interval each rating (1-4) would give the card now."""
        card = self.card(card_id)
        now = self.clock.now()
        return preview_intervals(self.settings(card.deck_id), fsrs_state(card, now), now)

    def answer(self, card_id: int, rating: int, duration_ms: int = 0, deck_id: int | None = None) -> Card | None:
        """Record an answer (card state and log row in one transaction); return the next card."""
        if rating not in (1, 2, 3, 4):
            raise StudyPlannerError(f"rating must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy), not {rating!r}")
        duration_ms = max(0, min(int(duration_ms), 3_600_000))
        with self.transaction(answering=True) as db:
            row = db.execute(_CARD_SELECT + " WHERE id = ?", (card_id,)).fetchone()
            if row is None:
                raise UnknownCard(card_id)
            card = _card(row)
            if card.queue == QUEUE_SUSPENDED:
                raise StudyPlannerError("this card is suspended; unsuspend it to study it")
            last_id = db.execute("SELECT max(id) FROM review").fetchone()[0] or 0
            review_id = max(to_ms(self.clock.now()), last_id + 1)
            when = from_ms(review_id)
            scheduler = make_scheduler(self.settings(card.deck_id))
            before = fsrs_state(card, when)
            recall = scheduler.get_card_retrievability(before, when) if card.state == State.Review else None
            after, _ = scheduler.review_card(before, Rating(rating), when)
            state_after = int(after.state)
            db.execute(
                schema.INSERT_REVIEW,
                (
                    review_id, card_id, card.deck_id, rating, duration_ms,
                    card.state, card.step, card.stability, card.difficulty, card.due_ms, card.last_review_ms, recall,
                    state_after, after.step, after.stability, after.difficulty, to_ms(after.due),
                ),
            )  # fmt: skip
            lapse = 1 if card.state == 2 and rating == 1 else 0
            db.execute(
                "UPDATE card SET state = ?, queue = ?, step = ?, stability = ?, difficulty = ?, due_ms = ?, "
                "last_review_ms = ?, reps = reps + 1, lapses = lapses + ? WHERE id = ?",
                (
                    state_after, queue_for_state(state_after), after.step, after.stability, after.difficulty,
                    to_ms(after.due), review_id, lapse, card_id,
                ),
            )  # fmt: skip
        self._undo.append(("answer", review_id))
        return self.next_card(deck_id)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo(self) -> Undone:
        """Undo the last answer, bury or suspend of this session; says what it undid."""
        if not self._undo:
            raise NothingToUndo()
        kind, data = self._undo[-1]
        with self.transaction() as db:
            if kind == "answer":
                row = db.execute(
                    "SELECT card_id, rating, state_before, step_before, stability_before, difficulty_before, "
                    "due_before_ms, last_review_before_ms FROM review WHERE id = ?",
                    (data,),
                ).fetchone()
                if row is None:
                    self._undo.pop()
                    raise NothingToUndo()
                card_id, rating, state, step, stability, difficulty, due_ms, last_ms = row
                lapse = 1 if state == 2 and rating == 1 else 0
                db.execute(
                    "UPDATE card SET state = ?, queue = CASE WHEN queue < 0 THEN queue ELSE ? END, step = ?, "
                    "stability = ?, difficulty = ?, due_ms = ?, last_review_ms = ?, reps = reps - 1, "
                    "lapses = lapses - ? WHERE id = ?",
                    (state, queue_for_state(state), step, stability, difficulty, due_ms, last_ms, lapse, card_id),
                )
                db.execute("DELETE FROM review WHERE id = ?", (data,))
                card_ids = [card_id]
            else:  # a queue change: put back each card's queue as it was
                for card_id, queue, buried_until in data:  # type: ignore[union-attr]
                    db.execute(
                        "UPDATE card SET queue = ?, buried_until_ms = ? WHERE id = ?", (queue, buried_until, card_id)
                    )
                card_ids = [c[0] for c in data]  # type: ignore[union-attr]
        self._undo.pop()
        return Undone(kind, self.card(card_ids[0]))

    def bury(self, card_ids: Iterable[int]) -> None:
        """Hide cards until the next study day starts."""
        self._set_queue("bury", card_ids, QUEUE_BURIED, buried_until_ms=self.today().end_ms)

    def suspend(self, card_ids: Iterable[int]) -> None:
        """Take cards out of study until unsuspended (scheduling state is kept)."""
        self._set_queue("suspend", card_ids, QUEUE_SUSPENDED)

    def unsuspend(self, card_ids: Iterable[int]) -> None:
        self._set_queue("unsuspend", card_ids, None)

    def _set_queue(
        self, action: str, card_ids: Iterable[int], queue: int | None, buried_until_ms: int | None = None
    ) -> None:
        ids = list(card_ids)
        before = []
        with self.transaction() as db:
            for card_id in ids:
                row = db.execute("SELECT queue, buried_until_ms, state FROM card WHERE id = ?", (card_id,)).fetchone()
                if row is None:
                    raise UnknownCard(card_id)
                before.append((card_id, row[0], row[1]))
                target = queue_for_state(row[2]) if queue is None else queue
                db.execute(
                    "UPDATE card SET queue = ?, buried_until_ms = ? WHERE id = ?", (target, buried_until_ms, card_id)
                )
        if before:
            self._undo.append((action, before))

    # ----------------------------------------------------------------- media

    def media(self, name: str) -> bytes | None:
        """A picture an imported card shows, or None when the store has no file of that name."""
        row = self.db.execute("SELECT data FROM media WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    # ----------------------------------------------------------------- the log

    def replay(self, card_id: int) -> Card:
        """The card's scheduling state recomputed from its review log alone."""
        card = self.card(card_id)
        settings = self.settings(card.deck_id)
        scheduler = make_scheduler(settings, fuzz=False)
        state, reps, lapses = None, 0, 0
        for review_id, rating, due_after in self.db.execute(
            "SELECT id, rating, due_after_ms FROM review WHERE card_id = ? ORDER BY id", (card_id,)
        ):
            when = from_ms(review_id)
            if state is None:
                state = fsrs_card(card_id, NEW, None, None, None, None, None, when)
            elif state.state == State.Review and rating == 1:
                lapses += 1
            state, _ = scheduler.review_card(state, Rating(rating), when)
            if settings.fuzz:  # fuzz is random by design: the logged due is the truth
                state.due = from_ms(due_after)
            reps += 1
        if state is None:
            return card.model_copy(
                update={"state": NEW, "step": None, "stability": None, "difficulty": None, "due_ms": None,
                            "last_review_ms": None, "reps": 0, "lapses": 0,
                            "queue": card.queue if card.queue < 0 else QUEUE_NEW}
            )  # fmt: skip
        return card.model_copy(
            update={
                "state": int(state.state),
                "queue": card.queue if card.queue < 0 else queue_for_state(int(state.state)),
                "step": state.step,
                "stability": state.stability,
                "difficulty": state.difficulty,
                "due_ms": to_ms(state.due),
                "last_review_ms": to_ms(state.last_review),
                "reps": reps,
                "lapses": lapses,
            }
        )


# --------------------------------------------------------------------- helpers


def _card(row: tuple) -> Card:
    return Card.model_construct(**dict(zip(_CARD_COLUMNS, row)))


def fsrs_state(card: Card, now: datetime):
    """The card as an fsrs Card, for the scheduler."""
    return fsrs_card(
        card.id, card.state, card.step, card.stability, card.difficulty, card.due_ms, card.last_review_ms, now
    )


def tags_text(tags: Iterable[str]) -> str:
    """Tags as stored: each word once, in order, with a space on both sides (" a b ") for LIKE '% a %'."""
    unique = dict.fromkeys(" ".join(tags).split())
    return " " + " ".join(unique) + " " if unique else " "


def slug(name: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "deck"


def _store_error(path: Path, exc: sqlite3.OperationalError) -> StoreError:
    text = str(exc)
    if "readonly" in text:
        return StoreError(f"cannot write to the store {path}: it is read-only")
    if "full" in text:
        return StoreError(f"cannot write to the store {path}: the disk is full")
    if "locked" in text or "busy" in text:
        return StoreError(f"the store {path} is busy: another program is writing to it")
    return StoreError(f"cannot write to the store {path}: {text}")


__all__ = ["DeckCounts", "QueueCounts", "Store", "StudyDay", "Undone", "default_path"]
