"""Exam-aware scheduling, measured on a simulated learner following each built-in plan to an exam.

The learner studies every day what the app offers (at noon). FSRS is the memory model: a review
is recalled with the probability FSRS predicts for the card at that moment (seeded draws); a new
card is answered Good. The exam is two days after the plan's last day. Printed per plan, with and
without the exam window: the mean predicted recall of the learned topic cards on the exam morning,
and the answers given (total, per day, most in a day).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cards import ops
from cards.queue import fsrs_state
from cards.scheduling import make_scheduler
from cards.timeutil import FixedClock, day_bounds
from planner import plans
from planner.plans import open_store

START = date(2026, 12, 1)
PLANS = ("transformer-mastery-2-weeks", "forward-deployed-engineer-2-weeks", "research-engineer-12-weeks")


def simulate(key: str, exam_aware: bool, seed: int = 7) -> dict:
    rng = random.Random(seed)
    clock = FixedClock(datetime(START.year, START.month, START.day, 12, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "sim.db", clock=clock, tz=UTC)
        ops.update_settings(store, fuzz=False)
        if not exam_aware:
            store.review_window = None
        run = plans.start_plan(store, key, on=START).value
        exam = run.end + timedelta(days=2)
        store.db.execute("UPDATE plan_run SET exam = ? WHERE id = ?", (exam.isoformat(), run.id))
        answers_per_day = []
        day = START
        while day < exam:
            clock.set(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
            answers = 0
            while (card := store.next_card()) is not None and answers < 2000:
                now = clock.now()
                if card.state == 0:
                    rating = 3
                else:
                    scheduler = make_scheduler(store.settings(card.deck_id), fuzz=False)
                    recall = scheduler.get_card_retrievability(fsrs_state(card, now), now)
                    rating = 3 if rng.random() < recall else 1
                ops.answer(store, card.id, rating, duration_ms=20_000)
                clock.advance(seconds=20)
                answers += 1
            answers_per_day.append(answers)
            day += timedelta(days=1)
        morning = day_bounds(exam, 4, UTC)[0]
        topics = {t for (text,) in store.db.execute(
            "SELECT d.topics FROM plan_day d WHERE d.plan_id = (SELECT plan_id FROM plan_run WHERE id = ?)", (run.id,)
        ) for t in text.split()}  # fmt: skip
        recalls = []
        for card in store.cards():
            if card.state != 0 and set(card.tags.split()) & topics:
                scheduler = make_scheduler(store.settings(card.deck_id), fuzz=False)
                recalls.append(scheduler.get_card_retrievability(fsrs_state(card, morning), morning))
        store.close()
    return {
        "learned": len(recalls),
        "recall": statistics.mean(recalls) if recalls else 0.0,
        "answers": sum(answers_per_day),
        "per_day": statistics.mean(answers_per_day),
        "max_day": max(answers_per_day),
        "days": len(answers_per_day),
    }


def main() -> None:
    print(f"{'plan':<36} {'scheduling':<11} {'learned':>7} {'recall':>7} {'answers':>8} {'a day':>6} {'max':>5}")
    for key in PLANS:
        plain, aware = simulate(key, exam_aware=False), simulate(key, exam_aware=True)
        for name, r in (("FSRS only", plain), ("exam-aware", aware)):
            print(f"{key:<36} {name:<11} {r['learned']:>7} {r['recall']:>7.3f} {r['answers']:>8} "
                  f"{r['per_day']:>6.1f} {r['max_day']:>5}")  # fmt: skip
        extra = aware["answers"] / plain["answers"] - 1 if plain["answers"] else 0
        print(f"{'':<36} {'':<11} recall {aware['recall'] - plain['recall']:+.3f}, answers {extra:+.0%}")


if __name__ == "__main__":
    main()
