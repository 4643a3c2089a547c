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

import fsrs_rs_python as fsrs_rs

from .errors import StudyPlannerError
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
    """Per card: (review time ms, rating, days since the previous review) in order."""
    hour = store.settings().day_start_hour
    histories: dict[int, list[tuple[int, int, int]]] = {}
    previous: dict[int, object] = {}
    for card_id, at, rating in store.db.execute("SELECT card_id, id, rating FROM review ORDER BY card_id, id"):
        day = study_day(from_ms(at), hour, store.tz)
        elapsed = (day - previous[card_id]).days if card_id in previous else 0  # type: ignore[operator]
        previous[card_id] = day
        histories.setdefault(card_id, []).append((at, rating, elapsed))
    return histories


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


def apply(store: Store, parameters: tuple[float, ...]) -> int:
    """Use the parameters from now on and reschedule review cards from their log. Returns cards rescheduled."""
    settings = store.update_settings(parameters=parameters)
    model = fsrs_rs.FSRS(list(parameters))
    hour = settings.day_start_hour
    rows = []
    for card_id, history in _histories(store).items():
        reviews = [fsrs_rs.FSRSReview(rating, elapsed) for _, rating, elapsed in history]
        rows.append((card_id, history[-1][0], fsrs_rs.FSRSItem(reviews)))
    if not rows:
        return 0
    states = model.memory_state_batch([item for _, _, item in rows])
    moved = 0
    with store.transaction() as db:
        for (card_id, last_ms, _), state in zip(rows, states):
            card_row = db.execute("SELECT state, deck_id FROM card WHERE id = ?", (card_id,)).fetchone()
            if card_row is None or card_row[0] != 2:  # learning steps keep their own timing
                continue
            retention = store.settings(card_row[1]).desired_retention
            days = max(1, round(model.next_interval(state.stability, retention, 3)))
            last_day = study_day(from_ms(last_ms), hour, store.tz)
            due = to_ms(day_bounds(last_day.fromordinal(last_day.toordinal() + days), hour, store.tz)[0])
            db.execute(
                "UPDATE card SET stability = ?, difficulty = ?, due_ms = ? WHERE id = ?",
                (state.stability, state.difficulty, due, card_id),
            )
            moved += 1
    return moved
