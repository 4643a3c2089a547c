"""Memory states from the review log, on the learner's study days, with fsrs-rs (the Rust FSRS that Anki
uses): the optimizer's training items and the migration that re-derived every card's state read the log
the same way."""

from __future__ import annotations

import sqlite3
from datetime import tzinfo

import fsrs_rs_python as fsrs_rs

from .settings import SchedulingSettings
from .timeutil import from_ms, study_day


def study_day_histories(
    db: sqlite3.Connection, day_start_hour: int, tz: tzinfo | None
) -> dict[int, list[tuple[int, int, int]]]:
    """Per card: (review time ms, rating, study days since the card's previous answer) in order."""
    # The study day is the same all through a quarter hour (time zone offsets and
    # DST changes fall on quarter hours), so it is computed once per quarter, not per answer.
    day_of_quarter: dict[int, int] = {}
    histories: dict[int, list[tuple[int, int, int]]] = {}
    last_day: dict[int, int] = {}
    # In time order, a plain scan of the log (by card, each row would be a random read).
    for card_id, at, rating in db.execute("SELECT card_id, id, rating FROM review ORDER BY id"):
        quarter = at // 900_000
        day = day_of_quarter.get(quarter)
        if day is None:
            day = day_of_quarter[quarter] = study_day(from_ms(quarter * 900_000), day_start_hour, tz).toordinal()
        previous = last_day.get(card_id)
        if previous is None:
            histories[card_id] = [(at, rating, 0)]
        else:
            histories[card_id].append((at, rating, day - previous))
        last_day[card_id] = day
    return histories


def memory_states(
    db: sqlite3.Connection, settings: SchedulingSettings, tz: tzinfo | None
) -> dict[int, tuple[float, float]]:
    """(stability, difficulty) of every answered card, from its whole log."""
    histories = study_day_histories(db, settings.day_start_hour, tz)
    if not histories:
        return {}
    model = fsrs_rs.FSRS(list(settings.parameters or fsrs_rs.DEFAULT_PARAMETERS))
    items = [fsrs_rs.FSRSItem([fsrs_rs.FSRSReview(r, days) for _, r, days in h]) for h in histories.values()]
    states = model.memory_state_batch(items)
    return {card_id: (s.stability, s.difficulty) for card_id, s in zip(histories, states)}
