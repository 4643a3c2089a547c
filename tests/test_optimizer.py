"""Personal FSRS parameters: enough history, a better fit on unseen answers, rescheduling."""

from __future__ import annotations

import random

import pytest

from cards import ops, optimizer
from tests.conftest import add_deck_with_cards


def simulate_learner(store, clock, cards: int, days: int, seed: int = 1) -> None:
    """A learner who forgets faster than FSRS's defaults assume: many Again on long intervals."""
    rng = random.Random(seed)
    ops.update_settings(store, new_per_day=cards, reviews_per_day=9999, fuzz=False)
    add_deck_with_cards(store, "Sim", cards)
    for _ in range(days):
        while (card := store.next_card()) is not None:
            if card.state == 2 and card.last_review_ms is not None:
                elapsed_days = (store.clock.now().timestamp() * 1000 - card.last_review_ms) / 86_400_000
                recall = 0.97**elapsed_days  # a steep forgetting curve
                rating = 3 if rng.random() < recall else 1
            else:
                rating = rng.choice([1, 3, 3, 3])
            ops.answer(store, card.id, rating)
            clock.advance(seconds=20)
        clock.advance(days=1)


def test_not_enough_history_is_said_clearly(store, clock):
    ops.answer(store, store.next_card().id, 3)
    with pytest.raises(optimizer.NotEnoughHistory, match="at least 400"):
        optimizer.fit(store)


def test_fit_improves_log_loss_on_unseen_answers_and_apply_reschedules(store, clock):
    simulate_learner(store, clock, cards=150, days=60)
    result = optimizer.fit(store)
    assert len(result.parameters) == 21
    assert result.test_reviews > 0 and result.train_reviews >= 4 * result.test_reviews - 4
    assert result.better, (result.log_loss_before, result.log_loss_after)
    before = {c.id: c for c in store.cards() if c.state == 2}
    moved = optimizer.apply(store, result.parameters).value
    assert moved == len(before)
    assert store.settings().parameters == result.parameters
    after = {c.id: c for c in store.cards() if c.state == 2}
    assert any(after[i].due_ms != before[i].due_ms for i in before)
    assert all(after[i].last_review_ms == before[i].last_review_ms for i in before)


def test_statistics_screen_fits_and_applies_off_the_gui_thread(qtbot, store, clock, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from planner import plans
    from ui.main_window import MainWindow

    simulate_learner(store, clock, cards=150, days=60)
    plans.attach(store)
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show_screen("Statistics")
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    screen = window.statistics
    steps = []
    screen.work_step.setText = lambda text, set_text=screen.work_step.setText: steps.append(text) or set_text(text)
    due_before = {c.id: c.due_ms for c in store.cards() if c.state == 2}
    window.due_label.setText("stale")
    screen.fit_parameters()
    assert screen.work_row.isVisibleTo(window) and not screen.fit_button.isEnabled()
    qtbot.waitUntil(lambda: "rescheduled" in screen.work_step.text(), timeout=30_000)
    assert "Log loss" in asked[0]
    assert any("Fitting on" in step for step in steps) and any("Rescheduling" in step for step in steps)
    assert store.settings().parameters is not None
    assert any(store.card(i).due_ms != due for i, due in due_before.items())
    assert not screen.work_busy.isVisibleTo(window) and screen.fit_button.isEnabled()
    assert window.due_label.text() != "stale"  # the window recounted today's queue
    window.close()


def test_fit_on_a_real_learners_log_predicts_their_later_answers_better(store, clock):
    """py-fsrs's published review log (tests/data/README.md), replayed as imported history."""
    import csv
    import gzip
    from datetime import datetime
    from pathlib import Path

    from cards import stats
    from cards.history import PastAnswer, append_history

    answers: dict[str, list[PastAnswer]] = {}
    with gzip.open(Path(__file__).parent / "data" / "py-fsrs-review-log.csv.gz", "rt", newline="") as fh:
        for row in csv.DictReader(fh):
            at_ms = round(datetime.fromisoformat(row["review_time"]).timestamp() * 1000)
            answers.setdefault(row["card_id"], []).append(
                PastAnswer(at_ms, int(row["review_rating"]), int(row["review_duration"]))
            )
    deck = ops.add_deck(store, "Josh").value
    card_ids = {key: ops.add_card(store, deck.id, f"card {key}", "answer").value.id for key in answers}
    with store.transaction() as db:
        for key, card_answers in answers.items():
            append_history(db, card_ids[key], card_answers, store.settings(deck.id), store.tz)
    assert stats.summary(store)["reviews_total"] == 12_580

    result = optimizer.fit(store)
    assert result.better, (result.log_loss_before, result.log_loss_after)
    assert result.rmse_after < result.rmse_before
    # The scheduler's own predictions on this log are in the right range: the
    # calibration bins hold most answers where the pass rate matches.
    bins = stats.calibration(store, deck_id=deck.id)
    answered = sum(n for _, n, _ in bins)
    assert answered > 5_000
    assert abs(sum(p for _, _, p in bins) / answered - sum(m * n for m, n, _ in bins) / answered) < 0.1
