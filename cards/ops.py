"""The learner's changes to cards, decks and settings: one function each, one transaction each.

Each takes the store, returns an OpResult (its value and the Changes it made) and,
where a learner expects it, leaves one labelled step on the undo stack
(`store.operation()` does both). The window and the command line call these same
functions; so does the review flow (`review.py`).

Imports are in `formats`, fitted parameters in `optimizer`, catching up in
`catchup`, plans in `planner.plans`: the same shape, the same `store.operation()`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from fsrs import State

from . import schema
from .changes import Changes, OpResult
from .deckfile import MAX_FIELD_CHARS
from .errors import AnsweredElsewhere, StudyPlannerError, UnknownCard
from .loading import add_parent_decks, new_deck_key
from .queue import fsrs_state, tags_text
from .rows import CARD_SELECT, Card, Deck, card_from_row
from .scheduling import QUEUE_BURIED, QUEUE_SUSPENDED, queue_for_state, study_day_scheduler
from .settings import DECK_OVERRIDABLE, SchedulingSettings, spec
from .stats import due_forecast
from .store import Store
from .timeutil import day_bounds, from_ms, study_day, to_ms
from .undo import Step
from .wording import plural

QUEUE = Changes.STUDY_QUEUE
CONTENT = Changes.CARD_CONTENT




# --------------------------------------------------------------------- reviewing


def answer(
    store: Store, card_id: int, rating: int, duration_ms: int = 0, shown_reps: int | None = None
) -> OpResult[Card]:
    """Record an answer: card state and log row in one transaction. The value is the card as answered.

    shown_reps, the card's answer count when it was shown: if another review (another window or
    `studyplanner review` on the same store) answered it since, AnsweredElsewhere, and nothing is written.
    """
    if rating not in (1, 2, 3, 4):
        raise StudyPlannerError(f"rating must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy), not {rating!r}")
    duration_ms = max(0, min(int(duration_ms), 3_600_000))
    with store.operation(QUEUE, "answer", card_id=card_id, answering=True) as db:
        row = db.execute(CARD_SELECT + " WHERE id = ?", (card_id,)).fetchone()
        if row is None:
            raise UnknownCard(card_id)
        card = card_from_row(row)
        if shown_reps is not None and card.reps != shown_reps:
            raise AnsweredElsewhere("this card was answered in another review since it was shown")
        if card.queue == QUEUE_SUSPENDED:
            raise StudyPlannerError("this card is suspended; unsuspend it to study it")
        last_id = db.execute("SELECT max(id) FROM review").fetchone()[0] or 0
        review_id = max(to_ms(store.clock.now()), last_id + 1)
        when = from_ms(review_id)
        scheduler = study_day_scheduler(store.settings(card.deck_id), store.tz)
        before = fsrs_state(card, when)
        recall = scheduler.recall(before, when) if card.state == State.Review else None
        after = scheduler.review(before, rating, when)
        after.due = _within_window(store, card, after.due)
        state_after = int(after.state)
        db.execute(
            schema.INSERT_REVIEW,
            (
                review_id, card_id, card.deck_id, rating, duration_ms, card.state,
                schema.interval_days(card.state, card.due_ms, card.last_review_ms), schema.recall_ppm(recall),
                to_ms(after.due),
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
    answered = replace(
        card, state=state_after, queue=queue_for_state(state_after), step=after.step, stability=after.stability,
        difficulty=after.difficulty, due_ms=to_ms(after.due), last_review_ms=review_id, reps=card.reps + 1,
        lapses=card.lapses + lapse,
    )  # fmt: skip
    return OpResult(answered, QUEUE, "answer")


def _within_window(store: Store, card: Card, due: datetime) -> datetime:
    """A review that would jump over the window the layer above sets (the final days before an exam)
    comes back inside it instead, on its least loaded day (the latest of those, nearest the exam).
    The memory state stays as FSRS computed it; only the date moves."""
    window = store.review_window(card) if store.review_window else None
    if window is None:
        return due
    first, last = window
    hour = store.settings().day_start_hour
    if study_day(due, hour, store.tz) <= last:
        return due
    tomorrow = store.today().day + timedelta(days=1)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    days = [d for d in days if d >= tomorrow]
    if not days:
        return due
    load = due_forecast(store, days)
    chosen = min(days, key=lambda d: (load[d], -d.toordinal()))
    return day_bounds(chosen, hour, store.tz)[0]


def bury(store: Store, card_ids: Iterable[int]) -> OpResult[int]:
    """Hide cards until the next study day starts."""
    return _set_queue(store, "bury", card_ids, QUEUE_BURIED, buried_until_ms=store.today().end_ms)


def suspend(store: Store, card_ids: Iterable[int]) -> OpResult[int]:
    """Take cards out of study until unsuspended (scheduling state is kept)."""
    return _set_queue(store, "suspend", card_ids, QUEUE_SUSPENDED)


def unsuspend(store: Store, card_ids: Iterable[int]) -> OpResult[int]:
    return _set_queue(store, "unsuspend", card_ids, None)


def _set_queue(
    store: Store, verb: str, card_ids: Iterable[int], queue: int | None, buried_until_ms: int | None = None
) -> OpResult[int]:
    ids = list(card_ids)
    label = f"{verb} card" if len(ids) == 1 else f"{verb} {plural(len(ids), 'card')}"
    with store.operation(QUEUE, label, card_id=ids[0] if len(ids) == 1 else None) as db:
        for card_id in ids:
            row = db.execute("SELECT state FROM card WHERE id = ?", (card_id,)).fetchone()
            if row is None:
                raise UnknownCard(card_id)
            target = queue_for_state(row[0]) if queue is None else queue
            db.execute(
                "UPDATE card SET queue = ?, buried_until_ms = ? WHERE id = ?", (target, buried_until_ms, card_id)
            )
    return OpResult(len(ids), QUEUE, label)


def undo(store: Store) -> OpResult[Step]:
    """Undo the last undoable operation; the value says what was undone (and which card, for a review action)."""
    step = store.undo_last()
    return OpResult(step, step.changes)


def redo(store: Store) -> OpResult[Step]:
    """Do again the operation undone last; the value says what was redone (and which card, for a review action)."""
    step = store.redo_last()
    return OpResult(step, step.changes)


def begin_day(store: Store) -> OpResult[int]:
    """The day change: cards buried on an earlier study day come back. Not undoable, and it keeps
    the undo history (it only ends what the learner asked for: "until tomorrow")."""
    start_ms = store.today().start_ms
    if not store.db.execute(
        "SELECT 1 FROM card WHERE queue = -2 AND buried_until_ms <= ? LIMIT 1", (start_ms,)
    ).fetchone():
        return OpResult(0, Changes.NONE)
    with store.transaction() as db:
        count = db.execute(
            "UPDATE card SET queue = CASE state WHEN 0 THEN 0 WHEN 2 THEN 2 ELSE 1 END, "
            "buried_until_ms = NULL WHERE queue = -2 AND buried_until_ms <= ?",
            (start_ms,),
        ).rowcount
    store.notify(QUEUE)
    return OpResult(count, QUEUE)


# --------------------------------------------------------------------- cards


def add_card(
    store: Store, deck_id: int, question: str, answer: str, tags: Iterable[str] = (), key: str | None = None
) -> OpResult[Card]:
    question, answer = question.strip(), answer.strip()
    _check_card_text(question, answer)
    store.deck(deck_id)
    now_ms = to_ms(store.clock.now())
    with store.operation(CONTENT | QUEUE, "add card") as db:
        position = db.execute(
            "SELECT coalesce(max(position), 0) + 1 FROM card WHERE deck_id = ?", (deck_id,)
        ).fetchone()[0]
        cursor = db.execute(
            "INSERT INTO card (deck_id, key, question, answer, tags, position, created_ms, modified_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (deck_id, key or "c-" + uuid.uuid4().hex[:12], question, answer, tags_text(tags), position, now_ms, now_ms),
        )
    return OpResult(store.card(cursor.lastrowid or 0), CONTENT | QUEUE, "add card")


def _check_card_text(question: str, answer: str) -> None:
    """The limits an import holds a card to hold for a typed or pasted one too (docs/reliability.md)."""
    if not question or not answer:
        raise StudyPlannerError("a card needs a question and an answer")
    for side, text in (("question", question), ("answer", answer)):
        if len(text) > MAX_FIELD_CHARS:
            raise StudyPlannerError(f"the {side} is longer than {MAX_FIELD_CHARS:,} characters")


def edit_card(
    store: Store,
    card_id: int,
    *,
    question: str | None = None,
    answer: str | None = None,
    tags: Iterable[str] | None = None,
    deck_id: int | None = None,
) -> OpResult[Card]:
    """Change a card's text, tags or deck; its schedule and history stay (and move with it)."""
    card = store.card(card_id)
    question = card.question if question is None else question.strip()
    answer = card.answer if answer is None else answer.strip()
    _check_card_text(question, answer)
    moved = deck_id is not None and deck_id != card.deck_id
    if deck_id is not None:
        store.deck(deck_id)
    changes = CONTENT | (Changes.DECKS | QUEUE if moved else Changes.NONE)
    with store.operation(changes, "edit card") as db:
        db.execute(
            "UPDATE card SET question = ?, answer = ?, tags = ?, deck_id = ?, modified_ms = ? WHERE id = ?",
            (
                question,
                answer,
                card.tags if tags is None else tags_text(tags),
                card.deck_id if deck_id is None else deck_id,
                to_ms(store.clock.now()),
                card_id,
            ),
        )
        if moved:  # its history moves with it
            db.execute("UPDATE review SET deck_id = ? WHERE card_id = ?", (deck_id, card_id))
    return OpResult(store.card(card_id), changes, "edit card")


def move_cards(store: Store, card_ids: Iterable[int], deck_id: int) -> OpResult[int]:
    """Put cards in another deck, with their history."""
    ids = list(card_ids)
    store.deck(deck_id)
    label = f"move {plural(len(ids), 'card')}"
    changes = Changes.DECKS | QUEUE
    with store.operation(changes, label) as db:
        for card_id in ids:
            if db.execute("UPDATE card SET deck_id = ? WHERE id = ?", (deck_id, card_id)).rowcount == 0:
                raise UnknownCard(card_id)
            db.execute("UPDATE review SET deck_id = ? WHERE card_id = ?", (deck_id, card_id))
    return OpResult(len(ids), changes, label)


def delete_cards(store: Store, card_ids: Iterable[int]) -> OpResult[int]:
    """Delete cards and their review history (undoable). The value is how many were deleted."""
    ids = list(card_ids)
    label = f"delete {plural(len(ids), 'card')}"
    with store.operation(CONTENT | QUEUE, label) as db:
        deleted = sum(db.execute("DELETE FROM card WHERE id = ?", (i,)).rowcount for i in ids)
    return OpResult(deleted, CONTENT | QUEUE, label)


# --------------------------------------------------------------------- decks


def add_deck(store: Store, name: str, key: str | None = None, description: str = "") -> OpResult[Deck]:
    name = _deck_name(name)
    key = key or new_deck_key(store.db, name)
    if store.db.execute("SELECT 1 FROM deck WHERE name = ? OR key = ?", (name, key)).fetchone():
        raise StudyPlannerError(f"a deck named {name!r} already exists")
    with store.operation(Changes.DECKS, "add deck") as db:
        add_parent_decks(db, name, to_ms(store.clock.now()))
        deck_id = db.execute(
            "INSERT INTO deck (key, name, description, created_ms) VALUES (?, ?, ?, ?)",
            (key, name, description, to_ms(store.clock.now())),
        ).lastrowid
    return OpResult(store.deck(deck_id or 0), Changes.DECKS, "add deck")


def rename_deck(store: Store, deck_id: int, name: str) -> OpResult[Deck]:
    """A new name; the deck keeps its key, so reloading its file still finds it."""
    name = _deck_name(name)
    store.deck(deck_id)
    if store.db.execute("SELECT 1 FROM deck WHERE name = ? AND id != ?", (name, deck_id)).fetchone():
        raise StudyPlannerError(f"a deck named {name!r} already exists")
    with store.operation(Changes.DECKS, "rename deck") as db:
        db.execute("UPDATE deck SET name = ? WHERE id = ?", (name, deck_id))
        add_parent_decks(db, name, to_ms(store.clock.now()))
    return OpResult(store.deck(deck_id), Changes.DECKS, "rename deck")


def delete_deck(store: Store, deck_id: int) -> OpResult[int]:
    """Delete a deck and its subdecks with their cards and history (undoable). The value is how many
    cards went."""
    deck = store.deck(deck_id)
    ids = store.subtree(deck_id)
    changes = Changes.DECKS | CONTENT | QUEUE
    label = f"delete deck {deck.name}"
    marks = ",".join("?" * len(ids))
    with store.operation(changes, label) as db:
        (cards,) = db.execute(f"SELECT count(*) FROM card WHERE deck_id IN ({marks})", ids).fetchone()
        db.execute(f"DELETE FROM deck WHERE id IN ({marks})", ids)
    return OpResult(cards, changes, label)


def _deck_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise StudyPlannerError("a deck needs a name")
    return name


# --------------------------------------------------------------------- settings


def update_settings(store: Store, **changes: object) -> OpResult[SchedulingSettings]:
    """Change global settings; validated as a whole before anything is written. Changes to the same
    setting one after another are one undo step ("change new cards per day")."""
    new = store.settings().replace(**changes)
    label = f"change {spec(next(iter(changes))).label.lower()}" if len(changes) == 1 else "change settings"
    with store.operation(Changes.SETTINGS | QUEUE, label, merge=True) as db:
        db.execute(
            "INSERT INTO setting (key, value) VALUES ('scheduling', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (new.to_json(),),
        )
    return OpResult(new, Changes.SETTINGS | QUEUE, label)


def set_deck_overrides(store: Store, deck_id: int, **overrides: object) -> OpResult[SchedulingSettings]:
    """Override settings for one deck; a value of None removes that override."""
    bad = set(overrides) - set(DECK_OVERRIDABLE)
    if bad:
        raise StudyPlannerError(f"{sorted(bad)[0]!r} cannot be set per deck")
    current = store.deck_overrides(deck_id)
    current.update(overrides)
    current = {k: v for k, v in current.items() if v is not None}
    result = store.settings().replace(**current)  # validates
    with store.operation(Changes.SETTINGS | QUEUE, "change deck options") as db:
        db.execute("UPDATE deck SET options = ? WHERE id = ?", (json.dumps(current), deck_id))
    return OpResult(result, Changes.SETTINGS | QUEUE, "change deck options")
