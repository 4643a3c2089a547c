"""Statistics figures against hand-computed values on small fixed logs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from cards import ops, stats
from cards.timeutil import day_bounds, to_ms
from tests.conftest import add_deck_with_cards


def at(clock, day: int, hour: int = 12) -> None:
    clock.set(datetime(2026, 3, day, hour, tzinfo=UTC))


def test_reviews_per_day_and_streaks_across_the_day_boundary(store, clock):
    card = store.next_card()
    for day, hour in ((10, 3), (10, 12), (11, 12), (13, 2)):  # 03:00 on the 10th counts for the 9th
        at(clock, day, hour)
        ops.answer(store, card.id, 3)
    at(clock, 13, 12)
    report = stats.report(store)
    assert report.reviews_per_day == {date(2026, 3, d): 1 for d in (9, 10, 11, 12)}
    assert (report.streak, report.longest_streak) == (4, 4)
    assert stats.streak_days(store) == 4  # nothing yet on the 13th: the streak still stands


def test_retention_counts_review_answers_only(store, clock):
    first, second = store.cards()[:2]
    ops.answer(store, first.id, 1)  # learning step: not counted
    ops.answer(store, second.id, 4)
    clock.advance(days=10)
    ops.answer(store, second.id, 3)  # a review answer that passed
    clock.advance(days=40)
    ops.answer(store, second.id, 1)  # a review answer that failed
    retention = stats.report(store).retention
    assert (retention["year"], retention["30 days"], retention["today"]) == ((1, 2), (0, 1), (0, 1))


def test_forecast_includes_the_overdue_backlog(store, clock):
    card = store.next_card()
    ops.answer(store, card.id, 4)
    due_day = datetime.fromtimestamp(store.card(card.id).due_ms / 1000, UTC).date()
    days = dict(stats.forecast(store, days=30))
    assert days[store.today().day] == 0 and days[due_day] == 1
    clock.advance(days=60)  # now long overdue
    assert stats.forecast(store, days=5)[0] == (store.today().day, 1)
    minutes = stats.estimated_minutes(store, 30)
    assert minutes == 4  # 30 cards at the default 8 s before any timed answer


def test_card_counts_by_state(store):
    cards = store.cards()
    ops.answer(store, cards[0].id, 4)
    ops.suspend(store, [cards[1].id])
    assert stats.card_counts(store) == {
        "new": 1,
        "learning": 0,
        "relearning": 0,
        "review": 1,
        "suspended": 1,
        "buried": 0,
    }


def test_minutes_follow_the_learners_median_answer_time(store, clock):
    for card, seconds in zip(store.cards(), (10, 20, 30)):
        ops.answer(store, card.id, 4, duration_ms=seconds * 1000)
    assert stats.seconds_per_card(store) == 20
    assert stats.estimated_minutes(store, 9) == 3  # 9 cards at 20 s


def test_catch_up_spreads_the_backlog_most_forgotten_first_and_keeps_memory(store, clock):
    from cards.catchup import apply_catch_up, backlog, plan_catch_up


    deck = add_deck_with_cards(store, "Backlog", 30)
    for i, card in enumerate(store.cards(deck)):
        clock.advance(minutes=1)
        ops.answer(store, card.id, 4 if i % 2 else 3)
        if store.card(card.id).state != 2:
            ops.answer(store, card.id, 4)
    clock.advance(days=90)  # missed three months
    ops.update_settings(store, reviews_per_day=10)
    total = backlog(store)
    assert total >= 30
    memory = {c.id: (c.stability, c.difficulty, c.last_review_ms, c.state) for c in store.cards()}
    plan = plan_catch_up(store, days=4)
    assert len(plan.moves) == total - 10
    assert dict(plan.after)[store.today().day] == dict(plan.before)[store.today().day] - len(plan.moves)
    assert sum(n for _, n in plan.after) == sum(n for _, n in plan.before)
    kept_today = {c.id for c in store.cards() if c.state == 2} - {card_id for card_id, _ in plan.moves}
    moved = {card_id for card_id, _ in plan.moves}
    now = store.clock.now()
    from cards.queue import fsrs_state
    from cards.scheduling import make_scheduler

    def recall(card_id: int) -> float:
        return make_scheduler(store.settings()).get_card_retrievability(fsrs_state(store.card(card_id), now), now)

    assert max(recall(i) for i in kept_today if store.card(i).due_ms < store.today().end_ms) <= min(
        recall(i) for i in moved
    )
    apply_catch_up(store, plan)
    assert {c.id: (c.stability, c.difficulty, c.last_review_ms, c.state) for c in store.cards()} == memory
    assert store.queue_counts().due == 10
    end_of_last_day = to_ms(day_bounds(store.today().day + timedelta(days=3), 4, UTC)[1])
    assert all(c.due_ms < end_of_last_day for c in store.cards(deck) if c.state == 2)


def test_reviews_by_kind_calibration_and_distributions(store, clock):
    first, second, _third = store.cards()
    ops.answer(store, first.id, 3)  # learning step
    ops.answer(store, second.id, 4)  # straight to review, a few days
    clock.advance(days=30)
    ops.answer(store, second.id, 3)  # a young review (interval under 21 days), recalled
    today = store.today().day
    kinds = stats.report(store, range_days=40).reviews_by_kind
    assert kinds[today] == (0, 1, 0)
    assert sum(k[0] for k in kinds.values()) == 2  # two first answers (new cards) count as learning
    bins = stats.calibration(store)
    assert sum(n for _, n, _ in bins) == 1 and sum(p for _, _, p in bins) == 1
    predicted, _n, _passed = bins[0]
    assert 0 < predicted < 1  # 30 days after a few-day interval: recall predicted well below 1
    intervals = dict(stats.distributions(store)[0])
    assert sum(intervals.values()) == 1
    report = stats.report(store, range_days=0)
    assert report.range_days == 31 and report.calibration == bins


def test_deck_figures_split_the_overall_ones(store, clock):


    decks = [add_deck_with_cards(store, name, 4) for name in ("Left", "Right")]
    for days in (0, 5, 20):
        clock.advance(days=days)
        for deck in decks:
            for card in store.cards(deck)[: 2 if deck == decks[0] else 4]:
                ops.answer(store, card.id, 3 if card.id % 3 else 1)
    whole = stats.report(store, range_days=0)
    parts = [stats.report(store, deck, range_days=0) for deck in decks]
    assert sum(p.reviews_per_day[store.today().day] for p in parts) == whole.reviews_per_day[store.today().day]
    for name in stats.PERIODS:
        assert tuple(map(sum, zip(*(p.retention[name] for p in parts)))) == whole.retention[name]
    assert sum(n for p in parts for _, n, _ in p.calibration) == sum(n for _, n, _ in whole.calibration) > 0
    assert parts[0].calibration != parts[1].calibration
    for day, kinds in whole.reviews_by_kind.items():
        assert tuple(map(sum, zip(*(p.reviews_by_kind.get(day, (0, 0, 0)) for p in parts)))) == kinds


def test_card_counts_tell_learning_from_relearning_and_buried(store, clock):
    first, second, third = store.cards()
    ops.answer(store, first.id, 4)  # review
    ops.answer(store, second.id, 1)  # learning
    clock.advance(days=30)
    ops.answer(store, first.id, 1)  # forgotten: relearning
    ops.bury(store, [third.id])
    counts = stats.card_counts(store)
    assert (counts["relearning"], counts["learning"], counts["buried"], counts["review"]) == (1, 1, 1, 0)
    assert sum(counts.values()) == 3
    deck = store.cards()[0].deck_id
    assert stats.card_counts(store, deck) == counts


def test_a_card_moved_to_another_deck_takes_its_answers_along(store, clock):


    target = add_deck_with_cards(store, "Target", 1)
    card = store.next_card()
    ops.answer(store, card.id, 3)
    source = card.deck_id
    assert stats.report(store, source).reviews_per_day == {store.today().day: 1}
    ops.edit_card(store, card.id, deck_id=target)
    assert stats.report(store, source).reviews_per_day == {}
    assert stats.report(store, target).reviews_per_day == {store.today().day: 1}


def test_streaks_reach_back_beyond_the_heatmaps_year(store, clock):
    """The current streak and the longest one count every day of the log, so the longest is never
    shorter than the current one; with a deck chosen, both count that deck's answers only."""
    first_deck = store.cards()[0].deck_id
    other = ops.add_card(store, ops.add_deck(store, "other").value.id, "q", "a").value
    card = store.next_card()
    start = datetime(2024, 1, 1, 12, tzinfo=UTC)
    old_run = [start + timedelta(days=d) for d in range(5)]  # five days in a row, long ago
    current = [start + timedelta(days=100 + d) for d in range(400)]  # then 400 days up to today
    for when in old_run + current:
        clock.set(when)
        ops.answer(store, card.id, 3)
    clock.set(current[-1] + timedelta(days=1))  # the next day, nothing studied yet
    ops.answer(store, other.id, 3)  # another deck: counts for all decks only
    everything = stats.report(store)
    assert (everything.streak, everything.longest_streak) == (401, 401)
    assert everything.days_studied == 365
    in_deck = stats.report(store, deck_id=first_deck)
    assert (in_deck.streak, in_deck.longest_streak) == (400, 400)  # today not studied there: still standing
    clock.set(current[-1] + timedelta(days=3))  # two days missed
    assert (stats.report(store).streak, stats.report(store).longest_streak) == (0, 401)
    assert stats.report(store, range_days=0).longest_streak == 401
    assert stats.days_with_answers(store, date(2024, 4, 10)) == {date(2024, 1, d) for d in range(1, 6)}


def test_study_minutes_count_the_learning_steps_and_each_decks_pace(store, clock):
    from cards.stats import PACE_ANSWERS, _reading_seconds, study_minutes

    counts = store.deck_counts()
    total = store.queue_counts(deck_counts=counts)
    assert total.new == 3
    guess = _reading_seconds(store, counts[0].deck_id)
    assert 8 <= guess <= 120
    # Three new cards, each answered once per learning step (1m, 10m) and once to graduate: 9 answers.
    assert study_minutes(store, counts, total) == -(-round(9 * guess) // 60)
    other = add_deck_with_cards(store, "Other", 40)
    ops.update_settings(store, new_per_day=100)
    for _ in range(PACE_ANSWERS):  # a history at 20 s an answer
        card = store.next_card(other)
        clock.advance(seconds=20)
        ops.answer(store, card.id, 4, duration_ms=20_000)
    clock.advance(days=1)
    ops.update_settings(store, new_per_day=4)
    counts = store.deck_counts()
    total = store.queue_counts(deck_counts=counts)
    assert total.new == 4 and sum(c.new for c in counts) == 4  # the rows add up to the day's total
    assert [c.new for c in store.deck_counts(together=False)] == [3, 4]  # each deck studied alone
    # The global 4 come deck by deck (the small deck first): 3 answers each at 20 s, everyone's pace.
    assert study_minutes(store, counts, total) == -(-round(4 * 3 * 20 + total.due * 20) // 60)
