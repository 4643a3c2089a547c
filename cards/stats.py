"""Figures over the review log: totals, today's work, streaks."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta

from .store import Store
from .timeutil import day_bounds, to_ms


def summary(store: Store) -> dict[str, int]:
    today = store.today()
    counts = store.queue_counts()
    (reviews_total,) = store.db.execute("SELECT count(*) FROM review").fetchone()
    (reviews_today,) = store.db.execute("SELECT count(*) FROM review WHERE id >= ?", (today.start_ms,)).fetchone()
    (cards_total,) = store.db.execute("SELECT count(*) FROM card").fetchone()
    return {
        "reviews_total": reviews_total,
        "reviews_today": reviews_today,
        "due_today": counts.total,
        "new_today": counts.new,
        "learning_today": counts.learning,
        "review_today": counts.due,
        "cards_total": cards_total,
        "streak_days": streak_days(store),
    }


def due_forecast(store: Store, days: list[date]) -> dict[date, int]:
    """Cards (learning and review) falling due on each of the given study days."""
    if not days:
        return {}
    hour = store.settings().day_start_hour
    spans = sorted((*map(to_ms, day_bounds(d, hour, store.tz)), d) for d in set(days))
    starts = [start for start, _, _ in spans]
    counts = dict.fromkeys(days, 0)
    for (due,) in store.db.execute(
        "SELECT due_ms FROM card WHERE queue IN (1, 2) AND due_ms >= ? AND due_ms < ?", (starts[0], spans[-1][1])
    ):
        _, end, day = spans[bisect_right(starts, due) - 1]
        if due < end:  # the days asked for need not be consecutive
            counts[day] += 1
    return counts


DEFAULT_SECONDS_PER_CARD = 8.0


def seconds_per_card(store: Store) -> float:
    """The learner's median answer time over their last 1,000 answers (8 s before any)."""
    durations = sorted(
        d for (d,) in store.db.execute("SELECT duration_ms FROM review ORDER BY id DESC LIMIT 1000") if d > 0
    )
    return durations[len(durations) // 2] / 1000 if durations else DEFAULT_SECONDS_PER_CARD


def estimated_minutes(store: Store, cards: int) -> int:
    """Minutes that many answers take at the learner's own pace (rounded up)."""
    return -(-round(cards * seconds_per_card(store)) // 60)


def streak_days(store: Store) -> int:
    """Consecutive study days with at least one review, ending today (or yesterday,
    when nothing has been studied yet today: the streak is not broken before the day ends)."""
    today = store.today()
    hour = store.settings().day_start_hour
    day, streak = today.day, 0
    if not _reviewed_on(store, day, hour):
        day -= timedelta(days=1)
    while _reviewed_on(store, day, hour):
        streak += 1
        day -= timedelta(days=1)
    return streak


def _reviewed_on(store: Store, day: date, hour: int) -> bool:
    start, end = day_bounds(day, hour, store.tz)
    return (
        store.db.execute("SELECT 1 FROM review WHERE id >= ? AND id < ? LIMIT 1", (to_ms(start), to_ms(end))).fetchone()
        is not None
    )
