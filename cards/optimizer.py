"""FSRS parameters fitted to the learner's own review log, with fsrs-rs-python.

Why fsrs-rs-python and not the `fsrs` package's optimizer: it is the same Rust
code Anki uses, needs no torch, and fits 100,000 reviews in seconds.

The log is split in time: parameters are fitted on the older 80% of the
reviews and both the current and the fitted parameters are scored (log loss,
RMSE over bins) on the newest 20%, so the learner sees whether the fit
predicts reviews it has not seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import fsrs_rs_python as fsrs_rs

from .changes import Changes, OpResult
from .errors import StudyPlannerError
from .memory import study_day_histories
from .settings import SchedulingSettings
from .store import Store
from .timeutil import day_bounds, from_ms, study_day, to_ms

MIN_REVIEWS = 400  # answers to cards seen on an earlier day (as Anki asks for)


class NotEnoughHistory(StudyPlannerError):
    pass


@dataclass(frozen=True)
class Fit:
    parameters: tuple[float, ...]
    log_loss_before: float
    rmse_before: float
    log_loss_after: float
    rmse_after: float
    train_reviews: int
    test_reviews: int

    @property
    def better(self) -> bool:
        return self.log_loss_after < self.log_loss_before


def _histories(store: Store) -> dict[int, list[tuple[int, int, int]]]:
    return study_day_histories(store.db, store.settings().day_start_hour, store.tz)


def _items(store: Store) -> list[tuple[int, fsrs_rs.FSRSItem]]:
    """One training item per answer that followed an earlier day's answer: the history up to it."""
    items = []
    for history in _histories(store).values():
        for end in range(1, len(history)):
            if history[end][2] > 0:
                reviews = [fsrs_rs.FSRSReview(rating, elapsed) for _, rating, elapsed in history[: end + 1]]
                items.append((history[end][0], fsrs_rs.FSRSItem(reviews)))
    items.sort(key=lambda pair: pair[0])
    return items


def fit(store: Store, progress: Callable[[str], None] | None = None) -> Fit:
    """Fit the 21 parameters; raises NotEnoughHistory when the log is too short."""
    say = progress or (lambda _: None)
    say("Reading the review log…")
    items = [item for _, item in _items(store)]
    if len(items) < MIN_REVIEWS:
        raise NotEnoughHistory(
            f"fitting FSRS needs at least {MIN_REVIEWS} answers to cards first seen on an earlier day; "
            f"your log has {len(items)} so far"
        )
    split = int(len(items) * 0.8)
    train, test = items[:split], items[split:]
    current = store.settings().parameters or tuple(fsrs_rs.DEFAULT_PARAMETERS)
    say(f"Fitting on {len(train):,} answers…")
    fitted = tuple(float(p) for p in fsrs_rs.FSRS(list(fsrs_rs.DEFAULT_PARAMETERS)).compute_parameters(train))
    say("Scoring on the newest answers…")
    before = fsrs_rs.FSRS(list(current)).evaluate(test)
    after = fsrs_rs.FSRS(list(fitted)).evaluate(test)
    return Fit(fitted, before.log_loss, before.rmse_bins, after.log_loss, after.rmse_bins, len(train), len(test))


def apply(
    store: Store, parameters: tuple[float, ...], progress: Callable[[str], None] | None = None
) -> OpResult[int]:
    """Use the parameters from now on and reschedule review cards from their log, in one transaction
    (not undoable: it rewrites every review card). The value is how many cards were rescheduled.
    progress(step) may raise Cancelled: then nothing changes."""
    say = progress or (lambda _: None)
    settings = store.settings().replace(parameters=parameters)
    say("Replaying your review log with the new parameters…")
    updates = _rescheduled(store, settings)
    say(f"Rescheduling {len(updates):,} review cards…")
    changes = Changes.SETTINGS | Changes.STUDY_QUEUE
    with store.operation(changes) as db:
        db.execute(
            "INSERT INTO setting (key, value) VALUES ('scheduling', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (settings.to_json(),),
        )
        db.executemany("UPDATE card SET stability = ?, difficulty = ?, due_ms = ? WHERE id = ?", updates)
    return OpResult(len(updates), changes)


def _rescheduled(store: Store, settings: SchedulingSettings) -> list[tuple[float, float, int, int]]:
    """(stability, difficulty, due, card id) of each review card, from its log under these settings."""
    model = fsrs_rs.FSRS(list(settings.parameters or fsrs_rs.DEFAULT_PARAMETERS))
    hour = settings.day_start_hour
    rows = []
    for card_id, history in _histories(store).items():
        reviews = [fsrs_rs.FSRSReview(rating, elapsed) for _, rating, elapsed in history]
        rows.append((card_id, history[-1][0], fsrs_rs.FSRSItem(reviews)))
    if not rows:
        return []
    states = model.memory_state_batch([item for _, _, item in rows])
    in_review = dict(store.db.execute("SELECT id, deck_id FROM card WHERE state = 2"))
    retention_of: dict[int, float] = {}
    updates = []
    for (card_id, last_ms, _), state in zip(rows, states):
        if card_id not in in_review:  # learning steps keep their own timing
            continue
        deck_id = in_review[card_id]
        if deck_id not in retention_of:  # a deck's own retention, else the one in these settings
            retention_of[deck_id] = store.deck_overrides(deck_id).get("desired_retention", settings.desired_retention)
        retention = retention_of[deck_id]
        days = max(1, round(model.next_interval(state.stability, retention, 3)))
        last_day = study_day(from_ms(last_ms), hour, store.tz)
        due = to_ms(day_bounds(last_day + timedelta(days=days), hour, store.tz)[0])
        updates.append((state.stability, state.difficulty, due, card_id))
    return updates
