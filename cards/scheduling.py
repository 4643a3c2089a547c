"""FSRS scheduling through the `fsrs` package: settings to Scheduler, rows to fsrs Cards."""

from __future__ import annotations

from copy import copy
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from .settings import SchedulingSettings
from .timeutil import from_ms, study_day

NEW = 0  # never answered; fsrs itself starts such cards in State.Learning, step 0
RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
STATE_NAMES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}

# A card's queue: which part of the study queue it waits in (or why it waits in none).
QUEUE_NEW, QUEUE_LEARNING, QUEUE_REVIEW = 0, 1, 2
QUEUE_SUSPENDED, QUEUE_BURIED = -1, -2


def queue_for_state(state: int) -> int:
    return {NEW: QUEUE_NEW, 1: QUEUE_LEARNING, 2: QUEUE_REVIEW, 3: QUEUE_LEARNING}[state]


@lru_cache(maxsize=64)
def make_scheduler(settings: SchedulingSettings, fuzz: bool | None = None) -> Scheduler:
    kwargs = {}
    if settings.parameters is not None:
        kwargs["parameters"] = settings.parameters
    return Scheduler(
        desired_retention=settings.desired_retention,
        learning_steps=tuple(timedelta(minutes=m) for m in settings.learning_steps),
        relearning_steps=tuple(timedelta(minutes=m) for m in settings.relearning_steps),
        maximum_interval=settings.maximum_interval,
        enable_fuzzing=settings.fuzz if fuzz is None else fuzz,
        **kwargs,
    )


class StudyDayScheduler:
    """FSRS on the learner's days: the days between two answers are the study days that began between
    them (at the day-start hour), as Anki counts them, not whole 24-hour periods as py-fsrs does. Two
    answers on one study day are 0 days apart (FSRS's short-term rule applies); one night between them
    is 1 day. Learning steps keep their real minutes."""

    def __init__(self, scheduler: Scheduler, day_start_hour: int, tz: tzinfo | None) -> None:
        self.scheduler = scheduler
        self.day_start_hour = day_start_hour
        self.tz = tz

    def _as_seen(self, card: FsrsCard, when: datetime) -> FsrsCard:
        # py-fsrs counts (when - last_review).days: move last_review so that this is the study days between.
        if card.last_review is None:
            return card
        days = (study_day(when, self.day_start_hour, self.tz) - study_day(card.last_review, self.day_start_hour,
                                                                            self.tz)).days  # fmt: skip
        seen = copy(card)
        seen.last_review = when - timedelta(days=max(0, days))
        return seen

    def review(self, card: FsrsCard, rating: int, when: datetime) -> FsrsCard:
        """The card after this answer (its last_review is the real instant of the answer)."""
        after, _ = self.scheduler.review_card(self._as_seen(card, when), Rating(rating), when)
        return after

    def recall(self, card: FsrsCard, when: datetime) -> float:
        return self.scheduler.get_card_retrievability(self._as_seen(card, when), when)

    def preview(self, card: FsrsCard, now: datetime) -> dict[int, timedelta]:
        """What each of the four ratings would schedule (the scheduler is made without fuzz for this)."""
        return {int(r): self.review(card, r, now).due - now for r in Rating}


@lru_cache(maxsize=64)
def study_day_scheduler(settings: SchedulingSettings, tz: tzinfo | None, fuzz: bool | None = None) -> StudyDayScheduler:
    return StudyDayScheduler(make_scheduler(settings, fuzz), settings.day_start_hour, tz)


def recall_curve(settings: SchedulingSettings) -> tuple[float, float]:
    """(factor, decay) of FSRS's forgetting curve, recall = (1 + factor * days / stability) ** decay."""
    decay = -make_scheduler(settings).parameters[20]
    return 0.9 ** (1 / decay) - 1, decay


def fsrs_card(
    card_id: int,
    state: int,
    step: int | None,
    stability: float | None,
    difficulty: float | None,
    due_ms: int | None,
    last_review_ms: int | None,
    now: datetime,
) -> FsrsCard:
    if state == NEW:
        return FsrsCard(card_id=card_id, state=State.Learning, step=0, due=now)
    return FsrsCard(
        card_id=card_id,
        state=State(state),
        step=step,
        stability=stability,
        difficulty=difficulty,
        due=from_ms(due_ms) if due_ms is not None else now,
        last_review=from_ms(last_review_ms) if last_review_ms is not None else None,
    )


def format_interval(delta: timedelta) -> str:
    """Short, Anki-like: 45s, 10m, 3h, 4d, 2.5mo, 1.2y."""
    seconds = delta.total_seconds()
    if seconds < 60:
        return f"{max(0, round(seconds))}s"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")
