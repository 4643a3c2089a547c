"""Figures over the review log: totals, today's work, streaks."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from .queue import DeckCounts, QueueCounts
from .schema import PPM
from .store import Store
from .timeutil import day_bounds, day_start, from_ms, study_day, to_ms


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
    bounds = {d: day_bounds(d, hour, store.tz) for d in set(days)}
    spans = sorted((to_ms(start), to_ms(end), d) for d, (start, end) in bounds.items())
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


PACE_ANSWERS = 30  # answers of a deck among the recent ones before its own median is its pace


def study_minutes(store: Store, counts: list[DeckCounts], total: QueueCounts) -> int:
    """Minutes today's cards take (`counts` per deck, `total` all decks under the global limits, taken
    deck by deck as Study all does). A new card is answered once per learning step and once more to
    graduate; a learning or review card once. Each deck at its own pace: the median of its recent
    answers, else of all recent answers, else (no history yet) a reading-time guess from its answers'
    length, since interview answers take far longer than a word card's 8 s."""
    recent: dict[int, list[int]] = {}
    for deck_id, duration in store.db.execute(
        "SELECT deck_id, duration_ms FROM review WHERE duration_ms > 0 ORDER BY id DESC LIMIT 5000"
    ):
        recent.setdefault(deck_id, []).append(duration)
    every = sorted(d for durations in recent.values() for d in durations)
    seconds = 0.0
    new_left, due_left = total.new, total.due
    for c in counts:
        new, due = min(c.new, new_left), min(c.due, due_left)
        new_left, due_left = new_left - new, due_left - due
        answers = new * (len(store.settings(c.deck_id).learning_steps) + 1) + c.learning + due
        if not answers:
            continue
        own = sorted(recent.get(c.deck_id, []))
        if len(own) >= PACE_ANSWERS:
            pace = own[len(own) // 2] / 1000
        elif len(every) >= PACE_ANSWERS:
            pace = every[len(every) // 2] / 1000
        else:
            pace = _reading_seconds(store, c.deck_id)
        seconds += answers * pace
    return -(-round(seconds) // 60)


def _reading_seconds(store: Store, deck_id: int) -> float:
    """A first answer's time guessed from the deck's text: recall, then read ~4 words a second."""
    (chars,) = store.db.execute(
        "SELECT avg(length(question) + length(answer)) FROM card WHERE deck_id = ?", (deck_id,)
    ).fetchone()
    words = (chars or 0) / 6
    return min(120.0, max(DEFAULT_SECONDS_PER_CARD, 5 + words / 4))


def streak_days(store: Store) -> int:
    """Consecutive study days with at least one review, ending today (or yesterday,
    when nothing has been studied yet today: the streak is not broken before the day ends)."""
    hour = store.settings().day_start_hour
    return current_streak(lambda day: _reviewed_on(store, day, hour), store.today().day)


def current_streak(reviewed_on: Callable[[date], bool], today: date) -> int:
    """The streak ending today (or yesterday), walking back while reviewed_on(day) holds."""
    day = today if reviewed_on(today) else today - timedelta(days=1)
    streak = 0
    while reviewed_on(day):
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


def _day_starts(store: Store, first: date, days: int) -> list[int]:
    """The start (UTC ms) of each of `days` study days from `first`, then the end of the last one."""
    hour = store.settings().day_start_hour
    return [to_ms(day_start(first + timedelta(days=i), hour, store.tz)) for i in range(days + 1)]


def days_with_answers(store: Store, before: date, deck_id: int | None = None) -> set[date]:
    """The study days before a day (back to the first answer) with at least one answer: one
    index probe a day, for the streaks of a log longer than the days counted answer by answer."""
    scope, args = ("AND deck_id = ?", (deck_id,)) if deck_id else ("", ())
    row = store.db.execute(f"SELECT id FROM review WHERE 1 {scope} ORDER BY id LIMIT 1", args).fetchone()
    if row is None:
        return set()
    first = study_day(from_ms(row[0]), store.settings().day_start_hour, store.tz)
    days = (before - first).days
    if days <= 0:
        return set()
    starts = _day_starts(store, first, days)
    sql = f"SELECT 1 FROM review WHERE id >= ? AND id < ? {scope} LIMIT 1"
    return {
        first + timedelta(days=i)
        for i in range(days)
        if store.db.execute(sql, (starts[i], starts[i + 1], *args)).fetchone() is not None
    }


def longest_streak(active_days: set[date]) -> int:
    best = run = 0
    for day in sorted(active_days):
        run = run + 1 if day - timedelta(days=1) in active_days else 1
        best = max(best, run)
    return best


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
    """Cards by state, suspended and buried apart. Counted from the queue index (card rows are
    wide); only relearning, a state within the learning queue, reads rows."""
    scope, args = ("WHERE deck_id = ?", (deck_id,)) if deck_id else ("", ())
    names = {0: "new", 1: "learning", 2: "review", -1: "suspended", -2: "buried"}
    counts = dict.fromkeys(["new", "learning", "relearning", "review", "suspended", "buried"], 0)
    for queue, count in store.db.execute(f"SELECT queue, count(*) FROM card {scope} GROUP BY 1", args):
        counts[names[queue]] += count
    (relearning,) = store.db.execute(
        f"SELECT count(*) FROM card {scope or 'WHERE 1'} AND queue = 1 AND state = 3", args
    ).fetchone()
    counts["learning"] -= relearning
    counts["relearning"] = relearning
    return counts


MATURE_DAYS = 21
BUCKETS = ((1, "1d"), (3, "2-3d"), (7, "4-7d"), (14, "1-2w"), (30, "2-4w"), (90, "1-3mo"), (180, "3-6mo"),
           (365, "½-1y"), (10**9, "1y+"))  # fmt: skip


def daily_figures(
    store: Store, days: int, deck_id: int | None = None
) -> dict[date, tuple[int, int, int, int, int, int]]:
    """(answers, learning, young, mature, review recalled, review answered) for each of the last `days`
    study days with answers, today included: the heatmap, the answers by kind and the retention.

    One rowid-range query a day: a million answers take no sort, which a GROUP BY over a computed
    day would (it was the larger part of the time). Learning and young answers are differences of
    the sums taken: fewer sums over a million rows. Mature: an interval before the answer of 21 days or more.
    """
    first = store.today().day - timedelta(days=days - 1)
    starts = _day_starts(store, first, days)
    scope, args = ("AND deck_id = ?", (deck_id,)) if deck_id else ("", ())
    sql = (
        "SELECT count(*), sum(state_before = 2), sum(state_before = 2 AND interval_before_days >= ?), "
        f"sum(state_before = 2 AND rating > 1) FROM review WHERE id >= ? AND id < ? {scope}"
    )
    figures: dict[date, tuple[int, int, int, int, int, int]] = {}
    for i in range(days):
        answers, reviews, mature, recalled = store.db.execute(
            sql, (MATURE_DAYS, starts[i], starts[i + 1], *args)
        ).fetchone()
        if answers:
            figures[first + timedelta(days=i)] = (
                answers,
                answers - reviews,
                reviews - mature,
                mature,
                recalled,
                reviews,
            )
    return figures


def calibration(store: Store, since: date | None = None, deck_id: int | None = None) -> list[tuple[float, int, int]]:
    """FSRS's predicted recall against what happened, in 10% bins: (predicted mean, answers, recalled).

    Answers to cards in review, each with the recall the scheduler predicted at
    that moment (recall_before_ppm, in millionths); one range of the review_recall index per bin.
    """
    start_ms = to_ms(day_bounds(since, store.settings().day_start_hour, store.tz)[0]) if since else 0
    scope, args = ("AND deck_id = ?", (deck_id,)) if deck_id else ("", ())
    sql = (
        f"SELECT avg(recall_before_ppm) / {PPM}.0, count(*), coalesce(sum(rating > 1), 0) FROM review "
        f"WHERE recall_before_ppm >= ? AND recall_before_ppm < ? AND id >= ? {scope}"
    )
    bins = []
    for low in range(10):
        high = (low + 1) * PPM // 10 if low < 9 else 2 * PPM  # the top bin holds a prediction of exactly 1
        mean, n, passed = store.db.execute(sql, (low * PPM // 10, high, start_ms, *args)).fetchone()
        if n:
            bins.append((mean, n, passed))
    return bins


def distributions(store: Store, deck_id: int | None = None) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Review cards by current interval and by stability, in days, bucketed: one pass over the cards,
    the buckets computed by SQLite, so no card reaches Python."""
    scope, args = ("AND deck_id = ?", (deck_id,)) if deck_id else ("", ())

    def bucket(days: str) -> str:
        cases = " ".join(f"WHEN {days} <= {limit} THEN {i}" for i, (limit, _) in enumerate(BUCKETS[:-1]))
        return f"CASE {cases} ELSE {len(BUCKETS) - 1} END"

    intervals = dict.fromkeys([label for _, label in BUCKETS], 0)
    stabilities = dict(intervals)
    for by_interval, by_stability, count in store.db.execute(
        f"SELECT {bucket('interval')}, {bucket('stability')}, count(*) FROM (SELECT "
        "coalesce((due_ms - last_review_ms) / 86400000.0, 0) AS interval, coalesce(stability, 0) AS stability "
        f"FROM card WHERE state = 2 {scope}) GROUP BY 1, 2",
        args,
    ):
        intervals[BUCKETS[by_interval][1]] += count
        stabilities[BUCKETS[by_stability][1]] += count
    return list(intervals.items()), list(stabilities.items())


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
    # One pass over the log, a day at a time, gives the heatmap, the answers by kind and the retention.
    daily = daily_figures(store, max(365, range_days), deck_id)
    per_day = {day: row[0] for day, row in daily.items() if (today - day).days < 365}
    since = {name: today - timedelta(days=back) for name, back in PERIODS.items()}
    spreads = distributions(store, deck_id)
    # Streaks over the whole log (they may be longer than the heatmap's year), in the deck shown.
    counted = today - timedelta(days=max(365, range_days) - 1)
    active = set(daily) | days_with_answers(store, counted, deck_id)
    return Report(
        today=today,
        reviews_per_day=per_day,
        streak=current_streak(active.__contains__, today),
        longest_streak=longest_streak(active),
        days_studied=len(per_day),
        forecast=forecast(store, 30, deck_id),
        seconds_per_card=seconds_per_card(store),
        retention={
            name: (
                sum(row[4] for day, row in daily.items() if day >= first),
                sum(row[5] for day, row in daily.items() if day >= first),
            )
            for name, first in since.items()
        },
        desired_retention=store.settings(deck_id).desired_retention,
        card_counts=card_counts(store, deck_id),
        range_days=range_days,
        reviews_by_kind={day: row[1:4] for day, row in daily.items() if (today - day).days < range_days},
        calibration=calibration(store, today - timedelta(days=range_days - 1), deck_id),
        intervals=spreads[0],
        stabilities=spreads[1],
    )
