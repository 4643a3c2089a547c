"""Review history brought in from elsewhere (an Anki revlog), replayed through FSRS.

Each imported answer becomes an ordinary review-log row with the card's state
before and after as our scheduler computes it, so undo, statistics and replay
treat it like an answer given here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import tzinfo

from .scheduling import NEW, fsrs_card, queue_for_state, study_day_scheduler
from .schema import INSERT_REVIEW, interval_days, recall_ppm
from .settings import SchedulingSettings
from .timeutil import from_ms, to_ms


@dataclass(frozen=True)
class EarlierText:
    """A card's text as it was before a sync replaced it with a later edit (or found an earlier edit from
    elsewhere that ours replaced): the edit that lost, kept."""

    replaced_ms: int
    question: str
    answer: str
    why: str


def earlier_texts(db: sqlite3.Connection, card_id: int) -> list[EarlierText]:
    """Newest first."""
    return [EarlierText(*row) for row in db.execute(
        "SELECT replaced_ms, question, answer, why FROM card_version WHERE card_id = ? "
        "ORDER BY replaced_ms DESC, id DESC", (card_id,))]  # fmt: skip


@dataclass(frozen=True)
class PastAnswer:
    at_ms: int
    rating: int  # 1-4
    duration_ms: int = 0


def append_history(
    db: sqlite3.Connection, card_id: int, answers: list[PastAnswer], settings: SchedulingSettings, tz: tzinfo | None
) -> int:
    """Write a card's past answers (inside the caller's transaction) and set its state from them.

    Only for a card with no history yet: a re-import does not add the same answers twice.
    Returns how many answers were written.
    """
    if not answers or db.execute("SELECT 1 FROM review WHERE card_id = ? LIMIT 1", (card_id,)).fetchone():
        return 0
    return _write_history(db, card_id, answers, settings, tz)


# An answer that arrives again may carry an id a millisecond or so off its twin here: ids are nudged on
# when two answers fall on one millisecond (here or on the other device).
SAME_ANSWER_MS = 100


def merge_history(
    db: sqlite3.Connection, card_id: int, answers: list[PastAnswer], settings: SchedulingSettings, tz: tzinfo | None
) -> int:
    """Add answers given elsewhere (a sync) to a card's log: the log becomes the union of both, in time
    order, and the card's state is replayed from all of it on the learner's days. Returns how many were new."""
    kept = [PastAnswer(at, rating, duration) for at, rating, duration in db.execute(
        "SELECT id, rating, duration_ms FROM review WHERE card_id = ?", (card_id,))]  # fmt: skip
    new = [a for a in answers if not any(abs(k.at_ms - a.at_ms) <= SAME_ANSWER_MS for k in kept)]
    if not new:
        return 0
    db.execute("DELETE FROM review WHERE card_id = ?", (card_id,))
    _write_history(db, card_id, kept + new, settings, tz)
    return len(new)


def _write_history(
    db: sqlite3.Connection, card_id: int, answers: list[PastAnswer], settings: SchedulingSettings, tz: tzinfo | None
) -> int:
    scheduler = study_day_scheduler(settings, tz, fuzz=False)
    (deck_id,) = db.execute("SELECT deck_id FROM card WHERE id = ?", (card_id,)).fetchone()
    state = None
    last_review_id: int | None = None
    reps = lapses = 0
    for answer in sorted(answers, key=lambda a: a.at_ms):
        review_id = answer.at_ms
        while db.execute("SELECT 1 FROM review WHERE id = ?", (review_id,)).fetchone():
            review_id += 1  # review ids are unique instants; nudge a collision by a millisecond
        when = from_ms(review_id)
        if state is None:
            state = fsrs_card(card_id, NEW, None, None, None, None, None, when)
        kind = int(state.state) if reps else NEW
        lapses += 1 if kind == 2 and answer.rating == 1 else 0
        recall = scheduler.recall(state, when) if kind == 2 else None
        interval = interval_days(kind, to_ms(state.due), last_review_id)
        state = scheduler.review(state, answer.rating, when)
        db.execute(INSERT_REVIEW, (review_id, card_id, deck_id, answer.rating, max(0, answer.duration_ms), kind,
                                   interval, recall_ppm(recall), to_ms(state.due)))  # fmt: skip
        last_review_id = review_id
        reps += 1
    assert state is not None  # answers is not empty
    db.execute(
        "UPDATE card SET state = ?, queue = CASE WHEN queue < 0 THEN queue ELSE ? END, step = ?, stability = ?, "
        "difficulty = ?, due_ms = ?, last_review_ms = ?, reps = ?, lapses = ? WHERE id = ?",
        (int(state.state), queue_for_state(int(state.state)), state.step, state.stability, state.difficulty,
         to_ms(state.due), last_review_id, reps, lapses, card_id),
    )  # fmt: skip
    return reps
