"""Figures over the review log: totals, today's work, streaks."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

from .scheduling import make_scheduler
from .store import Store
from .timeutil import day_bounds, from_ms, study_day, to_ms


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


def due_forecast(store: Store, days: list[date], deck_id: int | None = None) -> dict[date, int]:
    """Cards (learning and review) falling due on each of the given study days."""
    if not days:
        return {}
    hour = store.settings().day_start_hour
    spans = sorted((*map(to_ms, day_bounds(d, hour, store.tz)), d) for d in set(days))
    starts = [start for start, _, _ in spans]
    counts = dict.fromkeys(days, 0)
    scope, args = ("AND deck_id = ?", (deck_id,)) if deck_id is not None else ("", ())
    for (due,) in store.db.execute(
        f"SELECT due_ms FROM card WHERE queue IN (1, 2) AND due_ms >= ? AND due_ms < ? {scope}",
        (starts[0], spans[-1][1], *args),
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


# --------------------------------------------------------------------- the statistics screen


def reviews_per_day(store: Store, days: int = 365, deck_id: int | None = None) -> dict[date, int]:
    """Answers on each study day of the last `days` days (today included)."""
    today = store.today()
    hour = store.settings().day_start_hour
    first = today.day - timedelta(days=days - 1)
    start_ms = to_ms(day_bounds(first, hour, store.tz)[0])
    scope, args = ("AND card_id IN (SELECT id FROM card WHERE deck_id = ?)", (deck_id,)) if deck_id else ("", ())
    counts: dict[date, int] = {}
    # Whole days counted from today's start; a DST change shifts at most an hour of answers.
    for offset, count in store.db.execute(
        f"SELECT (id - ?) / 86400000, count(*) FROM review WHERE id >= ? {scope} GROUP BY 1",
        (today.start_ms - 400 * 86_400_000, start_ms, *args),
    ):
        day = today.day - timedelta(days=400 - offset)
        counts[day] = count
    return counts


def longest_streak(active_days: set[date]) -> int:
    best = run = 0
    for day in sorted(active_days):
        run = run + 1 if day - timedelta(days=1) in active_days else 1
        best = max(best, run)
    return best


def retention(store: Store, since: date, deck_id: int | None = None) -> tuple[int, int]:
    """(passed, answered) for answers to cards in review (learning steps excluded) since a study day."""
    start_ms = to_ms(day_bounds(since, store.settings().day_start_hour, store.tz)[0])
    scope, args = ("AND card_id IN (SELECT id FROM card WHERE deck_id = ?)", (deck_id,)) if deck_id else ("", ())
    passed, answered = store.db.execute(
        f"SELECT coalesce(sum(rating > 1), 0), count(*) FROM review WHERE id >= ? AND state_before = 2 {scope}",
        (start_ms, *args),
    ).fetchone()
    return passed, answered


def forecast(store: Store, days: int = 30, deck_id: int | None = None) -> list[tuple[date, int]]:
    """Cards due on each of the next days; today includes the overdue backlog."""
    today = store.today()
    upcoming = due_forecast(store, [today.day + timedelta(days=i) for i in range(1, days)], deck_id)
    scope, args = ("AND deck_id = ?", (deck_id,)) if deck_id else ("", ())
    (due_now,) = store.db.execute(
        f"SELECT count(*) FROM card WHERE queue IN (1, 2) AND due_ms < ? {scope}", (today.end_ms, *args)
    ).fetchone()
    return [(today.day, due_now), *sorted(upcoming.items())]


def card_counts(store: Store, deck_id: int | None = None) -> dict[str, int]:
    scope, args = ("WHERE deck_id = ?", (deck_id,)) if deck_id else ("", ())
    names = {0: "new", 1: "learning", 2: "review", 3: "relearning", -1: "suspended", -2: "buried"}
    counts = dict.fromkeys(["new", "learning", "relearning", "review", "suspended", "buried"], 0)
    for queue, state, count in store.db.execute(f"SELECT queue, state, count(*) FROM card {scope} GROUP BY 1, 2", args):
        counts[names[queue] if queue < 0 else names[state]] += count
    return counts


MATURE_DAYS = 21
DAY_MS = 86_400_000
BUCKETS = ((1, "1d"), (3, "2-3d"), (7, "4-7d"), (14, "1-2w"), (30, "2-4w"), (90, "1-3mo"), (180, "3-6mo"),
           (365, "6-12mo"), (10**9, "1y+"))  # fmt: skip


def reviews_by_kind(store: Store, days: int, deck_id: int | None = None) -> dict[date, tuple[int, int, int]]:
    """Answers per study day split into (learning, young, mature): young reviews had an interval under 21 days."""
    today = store.today()
    first = today.day - timedelta(days=days - 1)
    start_ms = to_ms(day_bounds(first, store.settings().day_start_hour, store.tz)[0])
    scope, args = ("AND card_id IN (SELECT id FROM card WHERE deck_id = ?)", (deck_id,)) if deck_id else ("", ())
    base = today.start_ms - (days + 1) * DAY_MS
    result: dict[date, tuple[int, int, int]] = {}
    for offset, learning, young, mature in store.db.execute(
        "SELECT (id - ?) / 86400000, sum(state_before != 2), "
        "sum(state_before = 2 AND due_before_ms - last_review_before_ms < ?), "
        "sum(state_before = 2 AND due_before_ms - last_review_before_ms >= ?) "
        f"FROM review WHERE id >= ? {scope} GROUP BY 1",
        (base, MATURE_DAYS * DAY_MS, MATURE_DAYS * DAY_MS, start_ms, *args),
    ):
        result[today.day - timedelta(days=days + 1 - offset)] = (learning, young, mature)
    return result


def calibration(store: Store, since: date | None = None, deck_id: int | None = None) -> list[tuple[float, int, int]]:
    """FSRS's predicted recall against what happened, in 10% bins: (predicted mean, answers, recalled).

    Review answers only; the prediction uses the stability the card had before
    the answer and the time since its previous answer.
    """
    parameters = store.settings(deck_id).parameters or make_scheduler(store.settings(deck_id)).parameters
    decay = -parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    start_ms = to_ms(day_bounds(since, store.settings().day_start_hour, store.tz)[0]) if since else 0
    scope, args = ("AND card_id IN (SELECT id FROM card WHERE deck_id = ?)", (deck_id,)) if deck_id else ("", ())
    sql = (
        "SELECT min(9, CAST(r * 10 AS INTEGER)), avg(r), count(*), sum(rating > 1) FROM ("
        "  SELECT rating, pow(1 + ? * ((id - last_review_before_ms) / 86400000.0) / stability_before, ?) AS r"
        f"  FROM review WHERE state_before = 2 AND stability_before > 0 AND id >= ? {scope}"
        ") GROUP BY 1 ORDER BY 1"
    )
    return [(mean, n, passed) for _, mean, n, passed in store.db.execute(sql, (factor, decay, start_ms, *args))]


def distribution(store: Store, column: str, deck_id: int | None = None) -> list[tuple[str, int]]:
    """Review cards by current interval ("interval") or stability ("stability") in days, bucketed."""
    value = {"interval": "(due_ms - last_review_ms) / 86400000.0", "stability": "stability"}[column]
    scope, args = ("AND deck_id = ?", (deck_id,)) if deck_id else ("", ())
    counts = dict.fromkeys([label for _, label in BUCKETS], 0)
    for (days,) in store.db.execute(f"SELECT {value} FROM card WHERE state = 2 {scope}", args):
        counts[next(label for limit, label in BUCKETS if (days or 0) <= limit)] += 1
    return list(counts.items())


@dataclass(frozen=True)
class Report:
    """Every figure of the statistics screen (and of `studyplanner stats --json`)."""

    today: date
    reviews_per_day: dict[date, int]
    streak: int
    longest_streak: int
    days_studied: int
    forecast: list[tuple[date, int]]
    seconds_per_card: float
    retention: dict[str, tuple[int, int]]  # period -> (passed, answered)
    desired_retention: float
    card_counts: dict[str, int]
    range_days: int
    reviews_by_kind: dict[date, tuple[int, int, int]]
    calibration: list[tuple[float, int, int]]
    intervals: list[tuple[str, int]]
    stabilities: list[tuple[str, int]]


RANGES = {"month": 30, "year": 365, "all": 0}
PERIODS = {"today": 0, "7 days": 6, "30 days": 29, "year": 364}


def report(store: Store, deck_id: int | None = None, range_days: int = 365) -> Report:
    """Every figure of the statistics screen; range_days 0 means the whole log."""
    today = store.today().day
    if range_days <= 0:
        (first,) = store.db.execute("SELECT min(id) FROM review").fetchone()
        range_days = (
            (today - study_day(from_ms(first), store.settings().day_start_hour, store.tz)).days + 1 if first else 1
        )
    per_day = reviews_per_day(store, 365, deck_id)
    return Report(
        today=today,
        reviews_per_day=per_day,
        streak=streak_days(store),
        longest_streak=longest_streak(set(per_day)),
        days_studied=len(per_day),
        forecast=forecast(store, 30, deck_id),
        seconds_per_card=seconds_per_card(store),
        retention={name: retention(store, today - timedelta(days=back), deck_id) for name, back in PERIODS.items()},
        desired_retention=store.settings(deck_id).desired_retention,
        card_counts=card_counts(store, deck_id),
        range_days=range_days,
        reviews_by_kind=reviews_by_kind(store, range_days, deck_id),
        calibration=calibration(store, today - timedelta(days=range_days - 1), deck_id),
        intervals=distribution(store, "interval", deck_id),
        stabilities=distribution(store, "stability", deck_id),
    )
