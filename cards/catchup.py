"""Catching up after missed days: spread an overdue backlog over the next days, most forgotten first.

Only due dates move; FSRS memory state (stability, difficulty, last review) stays
as it is, so each card's next interval still follows from what the learner
actually remembered when it is finally answered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from .changes import Changes, OpResult
from .queue import fsrs_state
from .scheduling import study_day_scheduler
from .stats import forecast
from .store import Store
from .timeutil import day_bounds, from_ms, to_ms


@dataclass(frozen=True)
class CatchUp:
    moves: list[tuple[int, int]]  # (card id, new due in UTC ms)
    before: list[tuple[date, int]]  # forecast as it is
    after: list[tuple[date, int]]  # forecast once applied


def backlog(store: Store) -> int:
    """Review cards due today or earlier."""
    (count,) = store.db.execute(
        "SELECT count(*) FROM card WHERE queue = 2 AND due_ms < ?", (store.today().end_ms,)
    ).fetchone()
    return count


def plan_catch_up(store: Store, days: int, per_day: int | None = None) -> CatchUp:
    """Keep today's share of the backlog (the least likely to be recalled) and spread the rest."""
    if days < 2:
        raise ValueError("spread over at least two days")
    today = store.today()
    now = store.clock.now()
    capacity = per_day if per_day is not None else store.settings().reviews_per_day
    overdue = [
        store.card(card_id)
        for (card_id,) in store.db.execute("SELECT id FROM card WHERE queue = 2 AND due_ms < ?", (today.end_ms,))
    ]
    scheduler_for = {}

    def recall(card) -> float:
        if card.deck_id not in scheduler_for:
            scheduler_for[card.deck_id] = study_day_scheduler(store.settings(card.deck_id), store.tz)
        return scheduler_for[card.deck_id].recall(fsrs_state(card, now), now)

    overdue.sort(key=recall)  # most forgotten first: they are reviewed soonest
    later = overdue[capacity:]
    per_later_day = math.ceil(len(later) / (days - 1)) if later else 0
    hour = store.settings().day_start_hour
    moves = []
    for index, card in enumerate(later):
        target = today.day + timedelta(days=1 + index // per_later_day)
        moves.append((card.id, to_ms(day_bounds(target, hour, store.tz)[0])))
    before = forecast(store, max(days, 14))
    shifted = dict(before)
    shifted[today.day] -= len(moves)
    for _, due in moves:
        day = today.day + timedelta(days=(from_ms(due) - from_ms(today.start_ms)).days)
        shifted[day] = shifted.get(day, 0) + 1
    return CatchUp(moves=moves, before=before, after=sorted(shifted.items()))


def apply_catch_up(store: Store, plan: CatchUp) -> OpResult[int]:
    """Move the due dates (one transaction, undoable); the value is how many cards moved."""
    label = f"spread {len(plan.moves)} reviews"
    with store.operation(Changes.STUDY_QUEUE, label) as db:
        db.executemany("UPDATE card SET due_ms = ? WHERE id = ? AND queue = 2", [(d, c) for c, d in plan.moves])
    return OpResult(len(plan.moves), Changes.STUDY_QUEUE, label)
