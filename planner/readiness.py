"""Readiness for the exam: what the learner would remember of a plan's topics on the exam day.

Each card of the plan's topics (cards tagged with a topic of one of its days) counts
with its predicted recall at the exam morning: FSRS retrievability from its current
memory state; a card not yet learned counts as 0. Averages per topic, per deck and
overall, weakest first. "On schedule" is the same if every review already due before
the exam is done on its due day (answered Good).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fsrs import Rating

from cards.queue import fsrs_state
from cards.rows import CARD_SELECT, card_from_row
from cards.scheduling import NEW, study_day_scheduler
from cards.store import Store
from cards.timeutil import day_bounds

from .plans import Run, runs


@dataclass(frozen=True)
class Group:
    name: str
    cards: int
    learned: int  # answered at least once
    recall: float  # mean predicted recall at the exam, 0 for a card not learned


@dataclass(frozen=True)
class Readiness:
    run: Run
    exam: date
    overall: float
    on_schedule: float
    decks: list[Group]  # weakest first
    topics: list[Group]  # weakest first

    def to_json(self) -> dict:
        def groups(items: list[Group]) -> list[dict]:
            return [
                {"name": g.name, "cards": g.cards, "learned": g.learned, "recall": round(g.recall, 4)} for g in items
            ]

        return {"plan": self.run.plan_name, "run_id": self.run.id, "exam": self.exam.isoformat(),
                "overall": round(self.overall, 4), "on_schedule": round(self.on_schedule, 4),
                "decks": groups(self.decks), "topics": groups(self.topics)}  # fmt: skip


def readiness_of_running(store: Store) -> list[Readiness]:
    """Readiness for every running plan with an exam date."""
    return [readiness(store, r) for r in runs(store) if r.exam is not None]


def readiness(store: Store, run: Run) -> Readiness:
    assert run.exam is not None
    exam = run.exam
    morning = _morning(store, exam)
    topics = _plan_topics(store, run)
    cards = _topic_cards(store, topics)
    decks = {d.id: d.name for d in store.decks()}
    now_recall = _recall(store, cards, morning)
    kept_recall = _recall(store, cards, morning, keep_to_reviews=True)
    by_topic = [_group(t, [c for c in cards if f" {t} " in c.tags], now_recall) for t in topics]
    by_deck = [_group(name, [c for c in cards if c.deck_id == d], now_recall) for d, name in decks.items()]
    return Readiness(
        run=run,
        exam=exam,
        overall=_mean(list(now_recall.values())),
        on_schedule=_mean(list(kept_recall.values())),
        decks=sorted((g for g in by_deck if g.cards), key=lambda g: g.recall),
        topics=sorted((g for g in by_topic if g.cards), key=lambda g: g.recall),
    )


def week_topics(store: Store, run: Run, week_start: date) -> Group:
    """The topics of the plan days dated in the week starting on week_start: their cards, how many are
    learned, and their mean recall on the exam morning (now, without an exam date)."""
    topics: list[str] = []
    for (text,) in store.db.execute(
        "SELECT d.topics FROM run_day rd JOIN plan_run r ON r.id = rd.run_id "
        "JOIN plan_day d ON d.plan_id = r.plan_id AND d.number = rd.day "
        "WHERE rd.run_id = ? AND rd.date >= ? AND rd.date < ? ORDER BY rd.day",
        (run.id, week_start.isoformat(), (week_start + timedelta(days=7)).isoformat()),
    ):
        topics += [t for t in text.split() if t not in topics]
    cards = _topic_cards(store, topics)
    moment = _morning(store, run.exam) if run.exam else store.clock.now()
    return _group(", ".join(topics), cards, _recall(store, cards, moment))


def _morning(store: Store, day: date) -> datetime:
    return day_bounds(day, store.settings().day_start_hour, store.tz)[0]


def _recall(store: Store, cards: list, moment: datetime, keep_to_reviews: bool = False) -> dict[int, float]:
    """Each card's predicted recall at the moment (0 while new); with keep_to_reviews, as if each
    review due before then is done on its day."""
    recall = {}
    for card in cards:
        if card.state == NEW:
            recall[card.id] = 0.0
            continue
        scheduler = study_day_scheduler(store.settings(card.deck_id), store.tz, fuzz=False)
        state = fsrs_state(card, moment)
        recall[card.id] = (
            _recall_if_kept(scheduler, state, moment) if keep_to_reviews
            else scheduler.recall(state, moment)
        )  # fmt: skip
    return recall


def _recall_if_kept(scheduler, state, morning: datetime) -> float:
    """Recall at the exam if each review due before it is done on its due day, answered Good."""
    while state.due < morning:
        state = scheduler.review(state, Rating.Good, state.due)
    return scheduler.recall(state, morning)


def _plan_topics(store: Store, run: Run) -> list[str]:
    topics: list[str] = []
    for (text,) in store.db.execute(
        "SELECT d.topics FROM plan_day d JOIN plan_run r ON r.plan_id = d.plan_id WHERE r.id = ? ORDER BY d.number",
        (run.id,),
    ):
        topics += [t for t in text.split() if t not in topics]
    return topics


def _topic_cards(store: Store, topics: list[str]) -> list:
    if not topics:
        return []
    tagged = " OR ".join("tags LIKE ?" for _ in topics)
    rows = store.db.execute(CARD_SELECT + f" WHERE queue != -1 AND ({tagged})", [f"% {t} %" for t in topics])
    return [card_from_row(row) for row in rows]


def _group(name: str, cards: list, recall: dict[int, float]) -> Group:
    return Group(name, len(cards), sum(c.state != NEW for c in cards), _mean([recall[c.id] for c in cards]))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
